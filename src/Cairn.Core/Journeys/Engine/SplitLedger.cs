using System.Collections.Immutable;
using Cairn.Core.Contacts;

namespace Cairn.Core.Journeys.Engine;

/// <summary>
/// The evidence of a simulation's adaptive splits (automatic winner, bandit), gathered as the simulation runs: each
/// treated enrollment that takes an arm is an entry, each of their goal conversions a conversion (holdout members are
/// left out, as the runtime's count leaves them out). Starts from the evidence the library carries (so a simulation
/// can continue from the live counts) and, like the runtime, hands the turns a snapshot taken at most every
/// <see cref="SplitModes.RefreshInterval"/> of virtual time — at the first input once the interval has passed — deciding
/// a due winner when it takes one. Deterministic: the same stream gives the same snapshots, so the same arms.
/// </summary>
internal sealed class SplitLedger
{
    private readonly Dictionary<SplitKey, SplitStep> _splits = [];
    private readonly Dictionary<SplitKey, Dictionary<string, (long Entries, long Conversions)>> _counts = [];
    private readonly Dictionary<SplitKey, DateTimeOffset> _firstEntry = [];
    private readonly Dictionary<SplitKey, SplitDecision> _decisions = [];
    private DateTimeOffset? _taken;

    private SplitLedger(JourneyLibrary library)
    {
        foreach (var ((journey, version), definition) in library.Versions)
        {
            foreach (var split in definition.Steps.OfType<SplitStep>().Where(split => split.Mode != SplitMode.Fixed && split.Experiment))
            {
                var key = new SplitKey(journey, version, split.Id);
                _splits[key] = split;
                _counts[key] = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
                if (library.Splits.TryGetValue(key, out var given))
                {
                    foreach (var arm in given.Arms)
                    {
                        _counts[key][arm.Arm] = (arm.Entries, arm.Conversions);
                    }

                    if (given.FirstEntryAt is { } first)
                    {
                        _firstEntry[key] = first;
                    }

                    if (given.Decision is { } decision)
                    {
                        _decisions[key] = decision;
                    }
                }
            }
        }
    }

    /// <summary>True when the library has an adaptive split (else the ledger does nothing).</summary>
    public bool Any => _splits.Count > 0;

    /// <summary>The ledger of <paramref name="library"/>'s adaptive splits.</summary>
    public static SplitLedger For(JourneyLibrary library) => new(library);

    /// <summary>The evidence as of the last snapshot, with the decisions taken.</summary>
    public ImmutableDictionary<SplitKey, SplitEvidence> Snapshot(DateTimeOffset asOf) => _splits.Keys.ToImmutableDictionary(key => key, key => Evidence(key, asOf));

    /// <summary>
    /// The documents a turn at <paramref name="now"/> decides with: the same ones until the refresh interval has passed
    /// since the last snapshot, then the documents with a new snapshot (and any winner now due decided in it).
    /// </summary>
    public Turns.LiveDocuments Refresh(Turns.LiveDocuments documents, DateTimeOffset now)
    {
        if (!Any || (_taken is { } taken && now - taken < SplitModes.RefreshInterval))
        {
            return documents;
        }

        _taken = now;
        foreach (var (key, split) in _splits)
        {
            if (SplitModes.DueWinner(split, Evidence(key, now), now) is { } decision)
            {
                _decisions[key] = decision;
            }
        }

        return documents.WithJourneys(documents.Journeys with { Splits = Snapshot(now) });
    }

    /// <summary>Counts what a turn did: entries into an adaptive split's arms, and the goal conversions of their enrollments.</summary>
    public void Observe(IEnumerable<Effect> effects, ContactState? contact)
    {
        if (!Any)
        {
            return;
        }

        var list = effects as IReadOnlyList<Effect> ?? [.. effects];
        foreach (var effect in list)
        {
            switch (effect)
            {
                case EnrollmentMoved { Entry.From: { } from } moved when _splits.ContainsKey(new SplitKey(moved.JourneyId, moved.Version, from)):
                    var enrollment = contact?.Journeys.Active.Values.FirstOrDefault(active => active.Id == moved.EnrollmentId)
                        ?? list.OfType<EnrollmentEnded>().FirstOrDefault(ended => ended.EnrollmentId == moved.EnrollmentId)?.Final;
                    if (enrollment is { Control: false })
                    {
                        var key = new SplitKey(moved.JourneyId, moved.Version, from);
                        var (entries, conversions) = _counts[key].GetValueOrDefault(moved.Entry.Exit);
                        _counts[key][moved.Entry.Exit] = (entries + 1, conversions);
                        _firstEntry[key] = _firstEntry.TryGetValue(key, out var first) && first <= enrollment.EnteredAt ? first : enrollment.EnteredAt;
                    }

                    break;
                case EnrollmentConverted { Arm: { } arm, Control: false } converted:
                    foreach (var key in _splits.Keys.Where(key => key.JourneyId == converted.JourneyId && key.Version == converted.Version))
                    {
                        var (entries, conversions) = _counts[key].GetValueOrDefault(arm);
                        _counts[key][arm] = (entries, conversions + 1);
                    }

                    break;
            }
        }
    }

    private SplitEvidence Evidence(SplitKey key, DateTimeOffset asOf) =>
        new([.. _splits[key].Arms.Select(arm => _counts[key].TryGetValue(arm.Name, out var counts) ? new ArmCount(arm.Name, counts.Entries, counts.Conversions) : new ArmCount(arm.Name, 0, 0))],
            _firstEntry.TryGetValue(key, out var first) ? first : null,
            asOf)
        {
            Decision = _decisions.GetValueOrDefault(key),
        };
}
