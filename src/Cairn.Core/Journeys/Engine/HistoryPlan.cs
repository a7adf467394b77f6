using System.Collections.Frozen;
using Cairn.Core.Scoring;
using Cairn.Core.Segments;

namespace Cairn.Core.Journeys.Engine;

/// <summary>
/// What the history clauses of the live documents read of one event name, so that a host loads that and nothing
/// else — but all of it, however long the contact's history is. Each part is a newest-first run of the name's events
/// (or its oldest one), so what a clause reads is there whatever other names a contact has many of.
/// </summary>
/// <param name="Event">The event name (a track event's name; <c>$page</c>, <c>$identify</c> … for the other types).</param>
/// <param name="Newest">
/// The newest this many events, whatever their time: a windowed <c>performed</c> without a filter counts up to its
/// bound and flips when its at_least-th (or at_most+1-th) newest event leaves the window.
/// </param>
/// <param name="LatestPast">The newest event at or before now and every newer one (<c>last_performed</c>, <c>not_followed_by</c>).</param>
/// <param name="Oldest">The oldest event (<c>first_performed</c>).</param>
/// <param name="Every">
/// Every event in this span before now (and after it): aggregates, and clauses that filter the events, where only
/// the filter knows which ones count; <see cref="Ever"/> for every event of the name.
/// </param>
/// <param name="Properties">A clause reads the events' properties (a filter or an aggregated property).</param>
public sealed record HistoryNeed(string Event, int Newest, bool LatestPast, bool Oldest, TimeSpan? Every, bool Properties)
{
    /// <summary>The span of a need for every event of the name, whenever it happened.</summary>
    public static readonly TimeSpan Ever = TimeSpan.MaxValue;

    /// <summary>
    /// From when every event is needed at <paramref name="now"/> (<see cref="DateTimeOffset.MinValue"/>: all of them),
    /// or null when no clause needs every event. A window's events are needed from one storage tick before it opens:
    /// the next flip by time is computed over them.
    /// </summary>
    public DateTimeOffset? EverySince(DateTimeOffset now) =>
        Every is not { } span ? null
        : span == Ever || now - DateTimeOffset.MinValue <= span + SegmentDecider.Tick ? DateTimeOffset.MinValue
        : now - span - SegmentDecider.Tick;

    /// <summary>This need and <paramref name="other"/> (of the same name) together.</summary>
    public HistoryNeed Merge(HistoryNeed other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new HistoryNeed(
            Event,
            Math.Max(Newest, other.Newest),
            LatestPast || other.LatestPast,
            Oldest || other.Oldest,
            Every is { } mine && other.Every is { } theirs ? (mine > theirs ? mine : theirs) : Every ?? other.Every,
            Properties || other.Properties);
    }

    /// <summary>
    /// True when <paramref name="named"/> — the name's events in a newest-first read of the contact's history that
    /// holds every event newer than <paramref name="boundary"/> (and null when it holds every event) — has all this
    /// need reads at <paramref name="now"/>.
    /// </summary>
    public bool CoveredBy(IReadOnlyList<PastEvent> named, DateTimeOffset? boundary, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(named);
        if (boundary is not { } oldest)
        {
            return true;
        }

        return named.Count >= Newest
            && !Oldest
            && (!LatestPast || HasPast(named, now))
            && (EverySince(now) is not { } since || oldest < since);
    }

    private static bool HasPast(IReadOnlyList<PastEvent> named, DateTimeOffset now)
    {
        for (var index = 0; index < named.Count; index++)
        {
            if (named[index].Timestamp <= now)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// How many of the name's newest events (newest first, the whole run of the name's events that is held) this need
    /// reads at <paramref name="now"/> and at any later time; the oldest is kept apart (see <see cref="Oldest"/>).
    /// </summary>
    internal int Keep(IReadOnlyList<PastEvent> named, DateTimeOffset now)
    {
        if (Every == Ever)
        {
            return named.Count;
        }

        var keep = Math.Min(Newest, named.Count);
        if (EverySince(now) is { } since)
        {
            while (keep < named.Count && named[keep].Timestamp >= since)
            {
                keep++;
            }
        }

        if (LatestPast)
        {
            var past = 0;
            while (past < named.Count && named[past].Timestamp > now)
            {
                past++;
            }

            keep = Math.Max(keep, Math.Min(past + 1, named.Count));
        }

        return keep;
    }
}

/// <summary>
/// What a set of conditions reads of a contact's event history, per event name (see <see cref="HistoryNeed"/>): the
/// host reads a contact's history through it, and holds no more of it than it says. Immutable; equal plans are equal.
/// </summary>
public sealed class HistoryPlan : IEquatable<HistoryPlan>
{
    private HistoryPlan(FrozenDictionary<string, HistoryNeed> needs)
    {
        Needs = needs;
        Names = needs.Keys.ToFrozenSet(StringComparer.Ordinal);
        PropertyNames = needs.Values.Where(need => need.Properties).Select(need => need.Event).ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>Reads nothing.</summary>
    public static HistoryPlan Empty { get; } = new(FrozenDictionary<string, HistoryNeed>.Empty);

    /// <summary>The needs, by event name.</summary>
    public FrozenDictionary<string, HistoryNeed> Needs { get; }

    /// <summary>The event names read.</summary>
    public IReadOnlySet<string> Names { get; }

    /// <summary>The event names whose properties are read.</summary>
    public IReadOnlySet<string> PropertyNames { get; }

    /// <summary>True when nothing is read.</summary>
    public bool IsEmpty => Needs.Count == 0;

    /// <summary>What <paramref name="conditions"/> read (history clauses inside their filters too).</summary>
    public static HistoryPlan Of(IEnumerable<Condition?> conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var needs = new Dictionary<string, HistoryNeed>(StringComparer.Ordinal);
        foreach (var need in conditions.SelectMany(Clauses).SelectMany(NeedsOf))
        {
            needs[need.Event] = needs.TryGetValue(need.Event, out var known) ? known.Merge(need) : need;
        }

        return needs.Count == 0 ? Empty : new HistoryPlan(needs.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>
    /// What replaying a contact's history through scoring rules reads: every event the rules of <paramref name="models"/>
    /// score, with properties where a rule filters them.
    /// </summary>
    public static HistoryPlan Replay(IEnumerable<ScoringModel> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        var needs = models.SelectMany(model => model.Rules)
            .GroupBy(rule => rule.Event, StringComparer.Ordinal)
            .ToFrozenDictionary(group => group.Key, group => new HistoryNeed(group.Key, 0, false, false, HistoryNeed.Ever, group.Any(rule => rule.Where is not null)), StringComparer.Ordinal);
        return needs.Count == 0 ? Empty : new HistoryPlan(needs);
    }

    /// <summary>What this plan and <paramref name="other"/> read together.</summary>
    public HistoryPlan With(HistoryPlan other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.IsEmpty || Equals(other))
        {
            return this;
        }

        if (IsEmpty)
        {
            return other;
        }

        var needs = new Dictionary<string, HistoryNeed>(Needs, StringComparer.Ordinal);
        foreach (var (name, need) in other.Needs)
        {
            needs[name] = needs.TryGetValue(name, out var known) ? known.Merge(need) : need;
        }

        return new HistoryPlan(needs.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>
    /// Every history clause of the condition, including those inside the filters of other clauses (a filter is a
    /// condition too), walked with one stack.
    /// </summary>
    public static IEnumerable<Condition> Clauses(Condition? condition)
    {
        var pending = new Stack<Condition>();
        if (condition is not null)
        {
            pending.Push(condition);
        }

        while (pending.TryPop(out var next))
        {
            foreach (var leaf in SegmentConditions.Leaves(next))
            {
                if (leaf is PerformedCondition or OccurrenceCondition or AggregateCondition)
                {
                    yield return leaf;
                }

                if (WhereOf(leaf) is { } where)
                {
                    pending.Push(where);
                }
            }
        }
    }

    private static Condition? WhereOf(Condition leaf) => leaf switch
    {
        PerformedCondition performed => performed.Where,
        OccurrenceCondition occurrence => occurrence.Where,
        AggregateCondition aggregate => aggregate.Where,
        EventCondition happened => happened.Where,
        _ => null,
    };

    /// <summary>What one history clause reads (nothing for a <c>performed</c> the profile's counters answer).</summary>
    public static IEnumerable<HistoryNeed> NeedsOf(Condition clause) => clause switch
    {
        PerformedCondition { Where: not null } performed => [new HistoryNeed(performed.Event, 0, false, false, performed.Within ?? HistoryNeed.Ever, true)],
        PerformedCondition { Within: not null } performed => [new HistoryNeed(performed.Event, Bound(performed), false, false, null, false)],
        OccurrenceCondition occurrence =>
        [
            occurrence.Where is not null ? new HistoryNeed(occurrence.Event, 0, false, false, HistoryNeed.Ever, true)
                : new HistoryNeed(occurrence.Event, 0, !occurrence.First, occurrence.First, null, false),
            .. occurrence.NotFollowedBy is { } closer ? [new HistoryNeed(closer, 0, true, false, null, false)] : Array.Empty<HistoryNeed>(),
        ],
        AggregateCondition aggregate => [new HistoryNeed(aggregate.Event, 0, false, false, aggregate.Within ?? HistoryNeed.Ever, aggregate.Where is not null || aggregate.Property is not null)],
        _ => [],
    };

    /// <summary>How many of its newest events a windowed <c>performed</c> reads: to its at_least, or one past its at_most.</summary>
    public static int Bound(PerformedCondition performed)
    {
        ArgumentNullException.ThrowIfNull(performed);
        return Math.Max(performed.AtLeast, performed.AtMost is { } most ? most + 1 : 0);
    }

    /// <summary>
    /// The needs that <paramref name="read"/> — the newest events of this plan's names (newest first), all of them
    /// when <paramref name="complete"/> — does not cover at <paramref name="now"/>: those must be read name by name.
    /// </summary>
    public IEnumerable<HistoryNeed> Uncovered(PastEvents read, bool complete, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (complete)
        {
            yield break;
        }

        DateTimeOffset? boundary = read.Count == 0 ? DateTimeOffset.MaxValue : read[^1].Timestamp;
        foreach (var need in Needs.Values)
        {
            if (!need.CoveredBy(read.Named(need.Event), boundary, now))
            {
                yield return need;
            }
        }
    }

    /// <summary>
    /// The part of a held history (newest first, each name's events as the plan's needs were read — a newest-first
    /// run, and the oldest event where a need reads it) that the plan reads at <paramref name="now"/> or any later
    /// time, given the events committed since are added to it: what a host keeps between inputs.
    /// </summary>
    public IReadOnlyList<PastEvent> Trim(IReadOnlyList<PastEvent> history, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(history);
        var grouped = PastEvents.Of(history);
        var kept = new List<PastEvent>(history.Count);
        var keep = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var need in Needs.Values)
        {
            var named = grouped.Named(need.Event);
            keep[need.Event] = need.Keep(named, now);
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var past in history)
        {
            if (!Needs.TryGetValue(past.Name, out var need))
            {
                continue;
            }

            var position = seen[past.Name] = seen.GetValueOrDefault(past.Name) + 1;
            if (position <= keep[past.Name] || (need.Oldest && position == grouped.Named(past.Name).Count))
            {
                kept.Add(past);
            }
        }

        return kept.Count == history.Count ? history : kept;
    }

    /// <inheritdoc />
    public bool Equals(HistoryPlan? other) =>
        other is not null && (ReferenceEquals(this, other) || (Needs.Count == other.Needs.Count && Needs.All(pair => other.Needs.TryGetValue(pair.Key, out var need) && need == pair.Value)));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as HistoryPlan);

    /// <inheritdoc />
    public override int GetHashCode() => Needs.Count;
}
