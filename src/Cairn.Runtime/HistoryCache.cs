using Cairn.Core;
using Cairn.Core.Journeys.Engine;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>
/// One partition's recently read contact histories (what the registry's <see cref="HistoryPlan"/> reads, newest
/// first), kept across batches so that an active contact's history is read from the store once rather than on every
/// input — under real traffic a few contacts send most events. Each held history is trimmed to what the plan reads
/// now or later (a windowed count's newest events, a window's events, the latest and the oldest occurrence), so it
/// stays small however long the contact's history is; bounded by the number of events held, least recently used first
/// out. A history that grows past what a partition holds of one name (a clause reads every event of a long span) is
/// dropped instead: it is read again, and folded from the store (see <c>Partition</c>). Only the partition that owns
/// the contacts touches it, and it learns each committed batch's events, so it never differs from the store; a change
/// of the plan empties it.
/// </summary>
internal sealed class HistoryCache(int maxEvents, int maxPerName)
{
    private readonly Dictionary<ContactId, LinkedListNode<(ContactId Id, PastEvents History, DateTimeOffset TrimmedAt)>> _entries = [];
    private readonly LinkedList<(ContactId Id, PastEvents History, DateTimeOffset TrimmedAt)> _recency = new();
    // Held histories up to this many events are not trimmed as events are added.
    private const int TrimAbove = 64;

    private HistoryPlan? _plan;
    private long _generation;
    private int _events;

    /// <summary>
    /// The contact's history when it is held for this plan (the registry's current one) and this
    /// <paramref name="generation"/> of the stored histories (retention deleting events starts a new one), and was
    /// trimmed no later than <paramref name="now"/> (a clock set back would read events trimmed away as past).
    /// </summary>
    public bool TryGet(ContactId id, HistoryPlan plan, long generation, DateTimeOffset now, out PastEvents history)
    {
        if (!ReferenceEquals(plan, _plan) || generation != _generation)
        {
            Clear();
            _plan = plan;
            _generation = generation;
        }

        if (_entries.TryGetValue(id, out var node) && node.Value.TrimmedAt > now)
        {
            Forget(id);
        }
        else if (node is not null)
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
            history = node.Value.History;
            return true;
        }

        history = PastEvents.Empty;
        return false;
    }

    /// <summary>
    /// Holds the history just read from the store for the plan of the last <see cref="TryGet"/>, trimmed to what the
    /// plan reads from <paramref name="now"/> on; returns what is held.
    /// </summary>
    public PastEvents Put(ContactId id, PastEvents history, DateTimeOffset now)
    {
        if (_plan is null)
        {
            return history;
        }

        Forget(id);
        var trimmed = _plan.Trim(history, now) is var kept && ReferenceEquals(kept, history) ? history : new PastEvents(kept);
        _entries[id] = _recency.AddFirst((id, trimmed, now));
        _events += trimmed.Count;
        while (_events > maxEvents && _recency.Last is { } oldest)
        {
            Forget(oldest.Value.Id);
        }

        return trimmed;
    }

    /// <summary>
    /// Adds the events a batch committed at <paramref name="now"/> to the histories held: those of the plan's names,
    /// with properties only where the plan reads them; then trims each to what the plan reads.
    /// </summary>
    public void Committed(IEnumerable<StoredEvent> events, DateTimeOffset now)
    {
        if (_entries.Count == 0 || _plan is null)
        {
            return;
        }

        foreach (var group in events.GroupBy(stored => stored.ContactId))
        {
            if (!_entries.TryGetValue(group.Key, out var node))
            {
                continue;
            }

            var added = group.Select(stored => stored.ToPastEvent()).Where(past => _plan.Names.Contains(past.Name)).ToList();
            if (added.Count == 0)
            {
                continue;
            }

            var history = node.Value.History;
            var merged = added.Select(past => _plan.PropertyNames.Contains(past.Name) ? past : new PastEvent(past.Name, past.Timestamp, null))
                .Concat(history)
                .OrderByDescending(past => past.Timestamp)
                .ToList();
            // A short history is held as it is (trimming it saves little); a longer one keeps what the plan reads.
            var kept = new PastEvents(merged.Count > TrimAbove ? _plan.Trim(merged, now) : merged);
            if (kept.Count > maxPerName && _plan.Names.Any(name => kept.Named(name).Count > maxPerName))
            {
                Forget(group.Key);
                continue;
            }

            _events += kept.Count - history.Count;
            node.Value = (group.Key, kept, now > node.Value.TrimmedAt ? now : node.Value.TrimmedAt);
        }

        while (_events > maxEvents && _recency.Last is { } oldest)
        {
            Forget(oldest.Value.Id);
        }
    }

    /// <summary>Drops the contact's history (erased, or its stored events changed some other way).</summary>
    public void Forget(ContactId id)
    {
        if (_entries.Remove(id, out var node))
        {
            _recency.Remove(node);
            _events -= node.Value.History.Count;
        }
    }

    private void Clear()
    {
        _entries.Clear();
        _recency.Clear();
        _events = 0;
    }
}
