namespace Cairn.Core.Journeys.Engine;

/// <summary>
/// A contact's history, newest first, whose events are grouped by name the first time a condition asks for a name:
/// one decision evaluates many history conditions (every segment an event can change, each twice: whether it holds
/// and when it next may flip), and each reads the occurrences of one event only. A history can be a few newer events
/// in front of an older history: the older part keeps its grouping, so a long history held across inputs is grouped
/// once. Not for concurrent use.
/// </summary>
public sealed class PastEvents : IReadOnlyList<PastEvent>
{
    // Never changed: the grouping's answer for a name with no events.
    private static readonly List<PastEvent> None = [];

    private readonly IReadOnlyList<PastEvent> _own;
    private readonly PastEvents? _older;
    private Dictionary<string, List<PastEvent>>? _byName;

    /// <summary>Wraps a history that is newest first.</summary>
    public PastEvents(IReadOnlyList<PastEvent> newestFirst)
    {
        ArgumentNullException.ThrowIfNull(newestFirst);
        _own = newestFirst;
    }

    /// <summary>Puts <paramref name="newer"/> (newest first, none older than the newest of <paramref name="older"/>) in front of <paramref name="older"/>, without copying it.</summary>
    public PastEvents(IReadOnlyList<PastEvent> newer, PastEvents older)
        : this(newer)
    {
        ArgumentNullException.ThrowIfNull(older);
        _older = older;
    }

    /// <summary>No events.</summary>
    public static PastEvents Empty { get; } = new([]);

    /// <summary>
    /// Clauses answered already, by the clause (the very instance a condition holds): a host folds the clauses that
    /// read every event of a name from a stream of the store when there are more of them than it holds, and the
    /// history then carries that name's other reads only (see <see cref="HistoryFold"/>).
    /// </summary>
    public IReadOnlyDictionary<Condition, HistoryFold>? Folds { get; init; }

    /// <inheritdoc />
    public int Count => _own.Count + (_older?.Count ?? 0);

    /// <inheritdoc />
    public PastEvent this[int index] => index < _own.Count ? _own[index] : _older![index - _own.Count];

    /// <summary>The history itself when it is grouped already, else the history grouped.</summary>
    public static PastEvents Of(IReadOnlyList<PastEvent> history) => history as PastEvents ?? new PastEvents(history);

    /// <summary>The events named <paramref name="name"/>, newest first.</summary>
    public IReadOnlyList<PastEvent> Named(string name)
    {
        // Nothing of its own to group (Empty is shared, so it never changes).
        if (_own.Count == 0)
        {
            return _older?.Named(name) ?? None;
        }

        if (_byName is null)
        {
            _byName = new Dictionary<string, List<PastEvent>>(StringComparer.Ordinal);
            for (var index = 0; index < _own.Count; index++)
            {
                var past = _own[index];
                if (!_byName.TryGetValue(past.Name, out var named))
                {
                    _byName[past.Name] = named = [];
                }

                named.Add(past);
            }
        }

        var own = _byName.TryGetValue(name, out var events) ? events : None;
        if (_older is null)
        {
            return own;
        }

        var older = _older.Named(name);
        return own.Count == 0 ? older : older.Count == 0 ? own : new Joined(own, older);
    }

    /// <inheritdoc />
    public IEnumerator<PastEvent> GetEnumerator() => _older is null ? _own.GetEnumerator() : _own.Concat(_older).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Two newest-first lists, the first all newer, read as one.</summary>
    private sealed class Joined(IReadOnlyList<PastEvent> newer, IReadOnlyList<PastEvent> older) : IReadOnlyList<PastEvent>
    {
        public int Count => newer.Count + older.Count;

        public PastEvent this[int index] => index < newer.Count ? newer[index] : older[index - newer.Count];

        public IEnumerator<PastEvent> GetEnumerator() => newer.Concat(older).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
