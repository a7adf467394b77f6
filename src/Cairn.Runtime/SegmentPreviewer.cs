using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Options;

namespace Cairn.Runtime;

/// <summary>A segment preview: the count (exact, or estimated from a sample with its 95 % margin) and some members.</summary>
/// <param name="Count">Matching contacts (an estimate when <paramref name="Exact"/> is false).</param>
/// <param name="Exact">True when every contact was evaluated.</param>
/// <param name="Evaluated">Contacts evaluated.</param>
/// <param name="Population">Contacts in the workspace.</param>
/// <param name="Margin">The 95 % margin of error of <paramref name="Count"/>, in contacts (0 when exact).</param>
/// <param name="Sample">Some matching contacts.</param>
public sealed record SegmentPreview(long Count, bool Exact, long Evaluated, long Population, long Margin, IReadOnlyList<ContactState> Sample);

/// <summary>Evaluates draft segment conditions over the stored contacts, saving nothing.</summary>
public sealed class SegmentPreviewer
{
    private readonly IContactStore _contacts;
    private readonly IEventLog _events;
    private readonly TimeProvider _time;
    private readonly EngineOptions _options;

    /// <summary>Creates the previewer; <see cref="EngineOptions.ExactPreviewLimit"/> and <see cref="EngineOptions.PreviewSampleSize"/> size its work.</summary>
    public SegmentPreviewer(IContactStore contacts, IEventLog events, TimeProvider time, IOptions<EngineOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_contacts, _events, _time, _options) = (contacts, events, time, options.Value);
    }

    /// <summary>
    /// Evaluates a draft segment condition as of now, saving nothing: how many contacts match, and up to
    /// <paramref name="sample"/> of them. Up to <see cref="EngineOptions.ExactPreviewLimit"/> contacts (or with
    /// <paramref name="exact"/>) every contact is evaluated; above, a uniform random sample of about
    /// <see cref="EngineOptions.PreviewSampleSize"/> (the contacts in the first sample buckets) is, and the count is estimated
    /// with its 95 % margin of error — in well under a second on a million contacts, as Braze and others estimate.
    /// </summary>
    public async Task<SegmentPreview> PreviewSegmentAsync(Core.Journeys.Condition draft, int sample, CancellationToken cancellationToken, bool exact = false)
    {
        ArgumentNullException.ThrowIfNull(draft);
        using var activity = Diagnostics.EngineMetrics.SegmentSource.StartActivity("segment preview");
        var population = await _contacts.CountContactsAsync(cancellationToken).ConfigureAwait(false);
        var matches = new List<ContactState>();
        if (exact || population <= _options.ExactPreviewLimit)
        {
            var (count, cursor) = (0L, (string?)null);
            do
            {
                var page = await _contacts.SearchContactsAsync(null, cursor, 1000, cancellationToken).ConfigureAwait(false);
                count += await EvaluateAsync(draft, page.Items, matches, sample, cancellationToken).ConfigureAwait(false);
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            return new SegmentPreview(count, true, population, population, 0, matches);
        }

        var buckets = (int)Math.Clamp(Math.Ceiling((double)_options.PreviewSampleSize * IContactStore.SampleBuckets / population), 1, IContactStore.SampleBuckets);
        var sampled = await _contacts.GetSampleAsync(buckets, cancellationToken).ConfigureAwait(false);
        var hits = 0L;
        foreach (var chunk in sampled.Chunk(1000))
        {
            hits += await EvaluateAsync(draft, chunk, matches, sample, cancellationToken).ConfigureAwait(false);
        }

        var (n, size) = ((double)Math.Max(1, sampled.Count), (double)population);
        var share = hits / n;

        // The 95 % interval of a proportion from a sample without replacement; with no match, the rule of three.
        var margin = hits == 0
            ? 3.0 / n * size
            : 1.96 * size * Math.Sqrt(share * (1 - share) / n * Math.Max(0, (size - n) / Math.Max(1, size - 1)));
        return new SegmentPreview((long)Math.Round(share * size), false, sampled.Count, population, (long)Math.Ceiling(margin), matches);
    }

    /// <summary>Evaluates a condition over contacts (reading the history it needs in one query); returns how many hold, keeping up to <paramref name="keep"/>.</summary>
    private async Task<long> EvaluateAsync(Core.Journeys.Condition draft, IReadOnlyList<ContactState> contacts, List<ContactState> matches, int keep, CancellationToken cancellationToken)
    {
        // Only the events the condition's history clauses name are read.
        var names = Core.Journeys.Engine.HistoryPlan.Of([draft]).Names;
        var now = _time.GetUtcNow();
        var events = names.Count == 0
            ? new Dictionary<ContactId, List<StoredEvent>>()
            : await _events.GetEventsOfAsync([.. contacts.Select(contact => contact.Id)], names, cancellationToken).ConfigureAwait(false);
        var holds = new bool[contacts.Count];
        Parallel.For(0, contacts.Count, index =>
        {
            var contact = contacts[index];
            IReadOnlyList<Core.Journeys.Engine.PastEvent> history = events.TryGetValue(contact.Id, out var stored) ? [.. stored.Select(Partition.PastEventOf)] : [];
            holds[index] = Core.Journeys.Engine.ConditionEvaluator.Holds(draft, new Core.Journeys.Engine.EvaluationContext(contact, null, null, history, now));
        });
        var count = 0L;
        for (var index = 0; index < holds.Length; index++)
        {
            if (holds[index])
            {
                count++;
                if (matches.Count < keep)
                {
                    matches.Add(contacts[index]);
                }
            }
        }

        return count;
    }
}
