namespace Cairn.Core.Journeys.Engine;

/// <summary>
/// A contact's history, newest first, whose events are grouped by name the first time a condition asks for a name:
/// one decision evaluates many history conditions (every segment an event can change, each twice: whether it holds
/// and when it next may flip), and each reads the occurrences of one event only. Not for concurrent use.
/// </summary>
public sealed class PastEvents : IReadOnlyList<PastEvent>
{
    private readonly IReadOnlyList<PastEvent> _newestFirst;
    private Dictionary<string, List<PastEvent>>? _byName;

    /// <summary>Wraps a history that is newest first.</summary>
    public PastEvents(IReadOnlyList<PastEvent> newestFirst)
    {
        ArgumentNullException.ThrowIfNull(newestFirst);
        _newestFirst = newestFirst;
    }

    /// <inheritdoc />
    public int Count => _newestFirst.Count;

    /// <inheritdoc />
    public PastEvent this[int index] => _newestFirst[index];

    /// <summary>The history itself when it is grouped already, else the history grouped.</summary>
    public static PastEvents Of(IReadOnlyList<PastEvent> history) => history as PastEvents ?? new PastEvents(history);

    /// <summary>The events named <paramref name="name"/>, newest first.</summary>
    public IReadOnlyList<PastEvent> Named(string name)
    {
        if (_byName is null)
        {
            _byName = new Dictionary<string, List<PastEvent>>(StringComparer.Ordinal);
            for (var index = 0; index < _newestFirst.Count; index++)
            {
                var past = _newestFirst[index];
                if (!_byName.TryGetValue(past.Name, out var named))
                {
                    _byName[past.Name] = named = [];
                }

                named.Add(past);
            }
        }

        return _byName.TryGetValue(name, out var events) ? events : [];
    }

    /// <inheritdoc />
    public IEnumerator<PastEvent> GetEnumerator() => _newestFirst.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
