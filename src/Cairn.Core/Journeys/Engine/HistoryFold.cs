using System.Globalization;
using System.Text.Json;

namespace Cairn.Core.Journeys.Engine;

/// <summary>
/// The answer of a history clause that reads every event of its name in a span (a filtered <c>performed</c>, a
/// filtered first / last occurrence, an aggregate), folded in one event at a time with a state that does not grow with
/// the events: the condition evaluator computes these clauses this way from a history it holds, and a host computes
/// them the same way from a stream of the store when the span holds more events than it will hold in memory (see
/// <see cref="PastEvents.Folds"/>). Events may come in any order; a newest-first list is read only as far as the
/// answer needs. Not for concurrent use.
/// </summary>
public abstract class HistoryFold
{
    private protected HistoryFold(Condition clause, string eventName, DateTimeOffset now)
    {
        Clause = clause;
        Event = eventName;
        Now = now;
    }

    /// <summary>The clause.</summary>
    public Condition Clause { get; }

    /// <summary>The event it reads.</summary>
    public string Event { get; }

    /// <summary>The time it is evaluated at.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>
    /// A fold of <paramref name="clause"/> at <paramref name="now"/>, before any event; null when the clause is not
    /// answered by folding its events (a <c>performed</c> without a filter reads its newest events or the counters).
    /// </summary>
    public static HistoryFold? Start(Condition clause, DateTimeOffset now) => clause switch
    {
        PerformedCondition { Where: not null } performed => new PerformedFold(performed, now),
        OccurrenceCondition occurrence => new OccurrenceFold(occurrence, now),
        AggregateCondition aggregate => new AggregateFold(aggregate, now),
        _ => null,
    };

    /// <summary>
    /// Folds in one event of <see cref="Event"/>; <paramref name="context"/> is what the clause's filter sees besides
    /// the event's properties. Returns false when, the events coming newest first, no older one can change the answer.
    /// </summary>
    public abstract bool Add(PastEvent past, EvaluationContext context);

    /// <summary>A copy, to fold more events into without changing this one.</summary>
    public abstract HistoryFold Copy();

    /// <summary>
    /// The clause's fold in <paramref name="context"/>: the one the history carries (computed by the host from the
    /// store), or else the history's events of the name folded newest first.
    /// </summary>
    private protected static T Of<T>(Condition clause, EvaluationContext context, Func<T> start)
        where T : HistoryFold
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.History is PastEvents { Folds: { } folds } && folds.TryGetValue(clause, out var carried) && carried is T held)
        {
            if (held.Now != context.Now)
            {
                throw new InvalidOperationException($"A history fold of {held.Event} computed at {held.Now:O} was read at {context.Now:O}.");
            }

            return held;
        }

        var fold = start();
        var named = context.History is PastEvents grouped ? grouped.Named(fold.Event) : context.History;
        for (var index = 0; index < named.Count; index++)
        {
            var past = named[index];
            if (past.Name == fold.Event && !fold.Add(past, context))
            {
                break;
            }
        }

        return fold;
    }

    /// <summary>True when the event matches the clause's filter (events are filtered on their properties).</summary>
    private protected static bool Matches(Condition? where, PastEvent past, EvaluationContext context) =>
        where is null || ConditionEvaluator.Holds(where, context with { Event = past.Properties });
}

/// <summary>
/// A filtered <c>performed</c>: the times of the newest matching events, as many as the clause's bound (at_least, or
/// at_most + 1), from one storage tick before the window opens (the next flip by time is computed over them).
/// </summary>
public sealed class PerformedFold : HistoryFold
{
    private readonly PerformedCondition _clause;
    private readonly DateTimeOffset _since;
    private readonly int _bound;
    private PriorityQueue<DateTimeOffset, DateTimeOffset> _newest;

    /// <summary>A fold of <paramref name="clause"/> at <paramref name="now"/>.</summary>
    public PerformedFold(PerformedCondition clause, DateTimeOffset now)
        : base(clause, clause?.Event ?? throw new ArgumentNullException(nameof(clause)), now)
    {
        _clause = clause;
        _since = clause.Within is { } window ? Since(now, window) : DateTimeOffset.MinValue;
        _bound = HistoryPlan.Bound(clause);
        _newest = new PriorityQueue<DateTimeOffset, DateTimeOffset>(Math.Min(_bound, 64));
    }

    /// <summary>The clause's fold in <paramref name="context"/>.</summary>
    public static PerformedFold Of(PerformedCondition clause, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Of(clause, context, () => new PerformedFold(clause, context.Now));
    }

    /// <summary>The times of the newest matching events (at most the bound), newest first.</summary>
    public IReadOnlyList<DateTimeOffset> Newest => [.. _newest.UnorderedItems.Select(item => item.Element).OrderDescending()];

    /// <summary>How many matching events happened at or after <paramref name="since"/>, counted up to the clause's bound.</summary>
    public int CountSince(DateTimeOffset since) => _newest.UnorderedItems.Count(item => item.Element >= since);

    /// <inheritdoc />
    public override bool Add(PastEvent past, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(past);
        if (_bound == 0 || past.Timestamp < _since)
        {
            return false;
        }

        if (_newest.Count == _bound && past.Timestamp <= _newest.Peek())
        {
            return false;
        }

        if (!Matches(_clause.Where, past, context))
        {
            return true;
        }

        if (_newest.Count == _bound)
        {
            _newest.DequeueEnqueue(past.Timestamp, past.Timestamp);
        }
        else
        {
            _newest.Enqueue(past.Timestamp, past.Timestamp);
        }

        return _newest.Count < _bound;
    }

    /// <inheritdoc />
    public override HistoryFold Copy()
    {
        var copy = (PerformedFold)MemberwiseClone();
        copy._newest = new PriorityQueue<DateTimeOffset, DateTimeOffset>(_newest.UnorderedItems, _newest.Comparer);
        return copy;
    }

    internal static DateTimeOffset Since(DateTimeOffset now, TimeSpan window) =>
        now - DateTimeOffset.MinValue <= window + Segments.SegmentDecider.Tick ? DateTimeOffset.MinValue : now - window - Segments.SegmentDecider.Tick;
}

/// <summary>A first or last occurrence: the earliest (or latest) matching event at or before now.</summary>
public sealed class OccurrenceFold : HistoryFold
{
    private readonly OccurrenceCondition _clause;

    /// <summary>A fold of <paramref name="clause"/> at <paramref name="now"/>.</summary>
    public OccurrenceFold(OccurrenceCondition clause, DateTimeOffset now)
        : base(clause, clause?.Event ?? throw new ArgumentNullException(nameof(clause)), now) => _clause = clause;

    /// <summary>The clause's fold in <paramref name="context"/>.</summary>
    public static OccurrenceFold Of(OccurrenceCondition clause, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Of(clause, context, () => new OccurrenceFold(clause, context.Now));
    }

    /// <summary>When the contact first (or last) performed the event, at or before now; null when it never did.</summary>
    public DateTimeOffset? At { get; private set; }

    /// <inheritdoc />
    public override bool Add(PastEvent past, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(past);
        if (past.Timestamp > Now)
        {
            return true;
        }

        if (At is { } at && (_clause.First ? past.Timestamp >= at : past.Timestamp <= at))
        {
            // Newest first, the last occurrence is the first match; an older event cannot be a later one.
            return _clause.First;
        }

        if (!Matches(_clause.Where, past, context))
        {
            return true;
        }

        At = past.Timestamp;
        return _clause.First;
    }

    /// <inheritdoc />
    public override HistoryFold Copy() => (OccurrenceFold)MemberwiseClone();
}

/// <summary>
/// An aggregate: the value over the matching events in the window (up to now), and the oldest matching event from
/// one storage tick before the window opens (it is the next to leave the window). Sums are exact in decimal while
/// the values fit; a distinct count stops one past the value it is compared with, where the comparison is decided.
/// </summary>
public sealed class AggregateFold : HistoryFold
{
    private readonly AggregateCondition _clause;
    private readonly DateTimeOffset _since;
    private readonly DateTimeOffset _from;
    private readonly int _distinctCap;
    private HashSet<string>? _distinct;
    private long _count;
    private long _numbers;
    private decimal _sum;
    private double? _overflowSum;
    private double _min = double.PositiveInfinity;
    private double _max = double.NegativeInfinity;

    /// <summary>A fold of <paramref name="clause"/> at <paramref name="now"/>.</summary>
    public AggregateFold(AggregateCondition clause, DateTimeOffset now)
        : base(clause, clause?.Event ?? throw new ArgumentNullException(nameof(clause)), now)
    {
        _clause = clause;
        (_since, _from) = clause.Within is { } window
            ? (PerformedFold.Since(now, window), now - DateTimeOffset.MinValue <= window ? DateTimeOffset.MinValue : now - window)
            : (DateTimeOffset.MinValue, DateTimeOffset.MinValue);
        _distinctCap = clause.Value >= int.MaxValue - 1 ? int.MaxValue : Math.Max(0, (int)Math.Floor(clause.Value)) + 1;
    }

    /// <summary>The clause's fold in <paramref name="context"/>.</summary>
    public static AggregateFold Of(AggregateCondition clause, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Of(clause, context, () => new AggregateFold(clause, context.Now));
    }

    /// <summary>
    /// The oldest matching event that has yet to leave the window (after one storage tick before it opens; null when
    /// none, or no window).
    /// </summary>
    public DateTimeOffset? OldestInWindow { get; private set; }

    /// <summary>The aggregate's value now; null when there is nothing to aggregate (min, max, average of no values).</summary>
    public double? Value => _clause.Function switch
    {
        _ when _clause.Property is null => _count,
        Aggregate.Count => _count,
        Aggregate.Distinct => _distinct?.Count ?? 0,
        Aggregate.Sum => Sum,
        Aggregate.Min => _numbers == 0 ? null : _min,
        Aggregate.Max => _numbers == 0 ? null : _max,
        _ => _numbers == 0 ? null : _overflowSum is { } large ? large / _numbers : (double)(_sum / _numbers),
    };

    private double Sum => _overflowSum ?? (double)_sum;

    /// <inheritdoc />
    public override bool Add(PastEvent past, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(past);
        if (past.Timestamp < _since)
        {
            return false;
        }

        if (!Matches(_clause.Where, past, context))
        {
            return true;
        }

        if (_clause.Within is not null && past.Timestamp > _since && (OldestInWindow is not { } oldest || past.Timestamp < oldest))
        {
            OldestInWindow = past.Timestamp;
        }

        if (past.Timestamp < _from || past.Timestamp > Now)
        {
            return true;
        }

        if (_clause.Property is null)
        {
            _count++;
            return true;
        }

        if (ConditionEvaluator.Path(past.Properties, _clause.Property) is not { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } value)
        {
            return true;
        }

        _count++;
        if (_clause.Function == Aggregate.Distinct)
        {
            _distinct ??= new HashSet<string>(StringComparer.Ordinal);
            if (_distinct.Count < _distinctCap)
            {
                _distinct.Add(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText());
            }
        }
        else if (Number(value) is var (exact, approximate))
        {
            _numbers++;
            _min = Math.Min(_min, approximate);
            _max = Math.Max(_max, approximate);
            if (_overflowSum is null && exact is { } number)
            {
                try
                {
                    _sum += number;
                }
                catch (OverflowException)
                {
                    _overflowSum = (double)_sum + approximate;
                }
            }
            else
            {
                _overflowSum = Sum + approximate;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override HistoryFold Copy()
    {
        var copy = (AggregateFold)MemberwiseClone();
        copy._distinct = _distinct is null ? null : new HashSet<string>(_distinct, StringComparer.Ordinal);
        return copy;
    }

    /// <summary>A JSON value as a number (a number, or text that reads as one): exact when it fits a decimal.</summary>
    private static (decimal? Exact, double Approximate)? Number(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Number)
        {
            return element.TryGetDecimal(out var exact) ? (exact, (double)exact)
                : element.TryGetDouble(out var approximate) && double.IsFinite(approximate) ? (null, approximate)
                : null;
        }

        return element.ValueKind == JsonValueKind.String && decimal.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            ? (parsed, (double)parsed)
            : null;
    }
}
