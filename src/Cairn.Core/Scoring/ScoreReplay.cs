using System.Collections.Immutable;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Core.Scoring;

/// <summary>
/// Rebuilding scores from a history too long to hold in memory: the host feeds the events oldest first, one at a time
/// (as it reads them from the store), and each model's contributions are kept as replaying them leaves them — the
/// state of a model is its folded contributions, which do not grow with the events. Gives what
/// <see cref="ScoreDecider.Rescore(ContactState, ScoringLibrary, IReadOnlyList{PastEvent}, IReadOnlySet{string}?, DateTimeOffset)"/>
/// gives for the same events. Not for concurrent use.
/// </summary>
/// <param name="library">The live models.</param>
/// <param name="profile">The contact (rule filters read it).</param>
/// <param name="models">The models rebuilt; null: all.</param>
/// <param name="now">The decision's time: later events are not replayed.</param>
public sealed class ScoreReplay(ScoringLibrary library, ContactState profile, IReadOnlySet<string>? models, DateTimeOffset now)
{
    private readonly Dictionary<string, ImmutableArray<ScoreContribution>> _contributions = new(StringComparer.Ordinal);
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    /// <summary>Replays the next event (none may be older than the one before).</summary>
    public void Add(PastEvent past)
    {
        ArgumentNullException.ThrowIfNull(past);
        if (past.Timestamp < _last)
        {
            throw new ArgumentException("Events are replayed oldest first.", nameof(past));
        }

        _last = past.Timestamp;
        if (past.Timestamp > now)
        {
            return;
        }

        foreach (var model in library.Models)
        {
            if (Replays(model.Id))
            {
                _contributions[model.Id] = ScoreDecider.Replay(model, profile, _contributions.GetValueOrDefault(model.Id, []), past);
            }
        }
    }

    /// <summary>True when the model's score is rebuilt.</summary>
    public bool Replays(string model) => models is null || models.Contains(model);

    /// <summary>The model's contributions after the events replayed so far.</summary>
    public ImmutableArray<ScoreContribution> ContributionsOf(string model) => _contributions.GetValueOrDefault(model, []);
}
