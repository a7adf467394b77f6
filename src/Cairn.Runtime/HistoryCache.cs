using Cairn.Core;
using Cairn.Core.Journeys.Engine;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>
/// One partition's recently read contact histories (the events history clauses read, newest first), kept across
/// batches so that an active contact's history is read from the store once rather than on every input — under
/// real traffic a few contacts send most events, and their histories are the longest. Bounded by the number of
/// events held, least recently used first out. Only the partition that owns the contacts touches it, and it learns
/// each committed batch's events, so it never differs from the store; a change of the names clauses read empties it.
/// </summary>
internal sealed class HistoryCache(int maxEvents, int maxHistory)
{
    private readonly Dictionary<ContactId, LinkedListNode<(ContactId Id, PastEvents History)>> _entries = [];
    private readonly LinkedList<(ContactId Id, PastEvents History)> _recency = new();
    private IReadOnlySet<string>? _names;
    private IReadOnlySet<string>? _properties;
    private int _events;

    /// <summary>The contact's history when it is held for these names (the registry's current sets).</summary>
    public bool TryGet(ContactId id, IReadOnlySet<string> names, IReadOnlySet<string> properties, out PastEvents history)
    {
        if (!ReferenceEquals(names, _names) || !ReferenceEquals(properties, _properties))
        {
            Clear();
            (_names, _properties) = (names, properties);
        }

        if (_entries.TryGetValue(id, out var node))
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
            history = node.Value.History;
            return true;
        }

        history = PastEvents.Empty;
        return false;
    }

    /// <summary>Holds the history just read from the store (for the names of the last <see cref="TryGet"/>).</summary>
    public void Put(ContactId id, PastEvents history)
    {
        Forget(id);
        _entries[id] = _recency.AddFirst((id, history));
        _events += history.Count;
        while (_events > maxEvents && _recency.Last is { } oldest)
        {
            Forget(oldest.Value.Id);
        }
    }

    /// <summary>
    /// Adds the events a batch committed to the histories held: those whose names clauses read, with properties
    /// only where a clause reads them, keeping the newest <c>maxHistory</c>.
    /// </summary>
    public void Committed(IEnumerable<StoredEvent> events)
    {
        if (_entries.Count == 0 || _names is null || _properties is null)
        {
            return;
        }

        foreach (var group in events.GroupBy(stored => stored.ContactId))
        {
            if (!_entries.TryGetValue(group.Key, out var node))
            {
                continue;
            }

            var added = group.Select(stored => stored.ToPastEvent()).Where(past => _names.Contains(past.Name)).ToList();
            if (added.Count == 0)
            {
                continue;
            }

            var history = node.Value.History;
            var merged = new PastEvents([.. added.Select(past => _properties.Contains(past.Name) ? past : new PastEvent(past.Name, past.Timestamp, null))
                .Concat(history)
                .OrderByDescending(past => past.Timestamp)
                .Take(maxHistory)]);
            _events += merged.Count - history.Count;
            node.Value = (group.Key, merged);
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
