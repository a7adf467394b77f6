using System.Collections.Immutable;
using Cairn.Core.Journeys;

namespace Cairn.Core.Segments;

/// <summary>
/// A segment: the contacts for whom <see cref="Condition"/> holds, kept live; or, without a condition, a static list
/// whose members are added and removed by upload or through the API.
/// </summary>
/// <param name="Id">Unique in the workspace.</param>
/// <param name="Name">Shown in the UI and the API.</param>
/// <param name="Description">What it is for.</param>
/// <param name="Condition">The condition tree; null for a static list.</param>
/// <param name="Location">Where it is written.</param>
public sealed record SegmentDefinition(string Id, string Name, string? Description, Condition? Condition, SourceLocation Location)
{
    /// <summary>The event a contact gets when it enters a segment (property <c>segment</c>: the id).</summary>
    public const string EnteredEvent = "segment_entered";

    /// <summary>The event a contact gets when it leaves a segment.</summary>
    public const string ExitedEvent = "segment_exited";

    /// <summary>True for a static list (members managed by upload or API, not by a condition).</summary>
    public bool Static => Condition is null;
}

/// <summary>A contact's membership of one segment.</summary>
/// <param name="EnteredAt">When it entered.</param>
/// <param name="Reason">Why, in words (what input made the condition hold).</param>
public sealed record SegmentMembership(DateTimeOffset EnteredAt, string Reason);

/// <summary>A contact entered or left a segment.</summary>
/// <param name="Segment">The segment id.</param>
/// <param name="Entered">True on entry, false on exit.</param>
/// <param name="Reason">Why.</param>
public sealed record SegmentChange(string Segment, bool Entered, string Reason);

/// <summary>The live segments, in evaluation order (a segment after the segments its condition refers to).</summary>
public sealed record SegmentLibrary(ImmutableArray<SegmentDefinition> Segments)
{
    // A reference, so that partitions reading it concurrently never see a half-written value (a nullable struct can tear).
    private SegmentDefinition[]? _historySegments;

    /// <summary>The segments whose condition reads event history (windows, filters, occurrences, aggregates).</summary>
    public ImmutableArray<SegmentDefinition> HistorySegments =>
        System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(
            _historySegments ??= [.. Segments.Where(segment => SegmentConditions.UsesHistory(segment.Condition))]);

    /// <summary>No segments.</summary>
    public static SegmentLibrary Empty { get; } = new([]);

    /// <summary>
    /// A library of <paramref name="segments"/> sorted so that every segment comes after those it refers to with
    /// <c>in_segment</c>. Segments in a reference cycle, or referring to a missing segment, are left out (validation
    /// rejects them before they are stored).
    /// </summary>
    public static SegmentLibrary Of(IEnumerable<SegmentDefinition> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var byId = segments.ToDictionary(segment => segment.Id, StringComparer.Ordinal);
        var ordered = new List<SegmentDefinition>();

        // A depth-first walk with an explicit stack (references can chain through every segment there is): a
        // segment is usable once all it refers to is; false while it is being visited marks a cycle.
        var state = new Dictionary<string, bool>(StringComparer.Ordinal);
        var visiting = new Stack<(SegmentDefinition Segment, IEnumerator<string> References)>();
        foreach (var id in byId.Keys.Order(StringComparer.Ordinal).Where(id => !state.ContainsKey(id)))
        {
            state[id] = false;
            visiting.Push((byId[id], SegmentConditions.References(byId[id].Condition).GetEnumerator()));
            bool? finished = null;
            while (visiting.TryPeek(out var frame))
            {
                if (finished is { } result)
                {
                    // The reference just walked decided the segment referring to it: a failure fails it at once.
                    finished = null;
                    if (!result)
                    {
                        finished = Finish(frame, ok: false);
                        continue;
                    }
                }

                if (!frame.References.MoveNext())
                {
                    finished = Finish(frame, ok: true);
                    continue;
                }

                var next = frame.References.Current;
                if (state.TryGetValue(next, out var done) || !byId.ContainsKey(next))
                {
                    finished = done;
                    continue;
                }

                state[next] = false;
                visiting.Push((byId[next], SegmentConditions.References(byId[next].Condition).GetEnumerator()));
            }
        }

        bool Finish((SegmentDefinition Segment, IEnumerator<string> References) frame, bool ok)
        {
            visiting.Pop();
            frame.References.Dispose();
            state[frame.Segment.Id] = ok;
            if (ok)
            {
                ordered.Add(frame.Segment);
            }

            return ok;
        }

        return new SegmentLibrary([.. ordered]);
    }
}

/// <summary>What a condition tree depends on.</summary>
public static class SegmentConditions
{
    /// <summary>Every leaf condition of the tree, in document order.</summary>
    public static IEnumerable<Condition> Leaves(Condition? condition)
    {
        // One stack rather than an iterator per level: this runs for every segment on many inputs.
        if (condition is null)
        {
            yield break;
        }

        var pending = new Stack<Condition>();
        pending.Push(condition);
        while (pending.TryPop(out var next))
        {
            switch (next)
            {
                case AllCondition all:
                    PushReversed(pending, all.Conditions);
                    break;
                case AnyCondition any:
                    PushReversed(pending, any.Conditions);
                    break;
                case NotCondition not:
                    pending.Push(not.Condition);
                    break;
                default:
                    yield return next;
                    break;
            }
        }
    }

    private static void PushReversed(Stack<Condition> pending, ImmutableArray<Condition> conditions)
    {
        for (var index = conditions.Length - 1; index >= 0; index--)
        {
            pending.Push(conditions[index]);
        }
    }

    /// <summary>The segments the condition refers to with <c>in_segment</c>.</summary>
    public static IEnumerable<string> References(Condition? condition) =>
        Leaves(condition).OfType<SegmentCondition>().Select(reference => reference.Segment).Distinct(StringComparer.Ordinal);

    /// <summary>The event names the condition's history clauses read (empty when it reads only the profile and its counters).</summary>
    public static IReadOnlySet<string> HistoryEvents(Condition? condition) =>
        Leaves(condition).SelectMany(leaf => leaf switch
        {
            PerformedCondition { Within: not null } or PerformedCondition { Where: not null } => [((PerformedCondition)leaf).Event],
            OccurrenceCondition occurrence => occurrence.NotFollowedBy is { } closer ? [occurrence.Event, closer] : [occurrence.Event],
            AggregateCondition aggregate => [aggregate.Event],
            _ => Array.Empty<string>(),
        }).ToHashSet(StringComparer.Ordinal);

    /// <summary>True when the condition reads event history beyond the profile's counters (windows or filters).</summary>
    public static bool UsesHistory(Condition? condition) =>
        HistoryEvents(condition).Count > 0;

    /// <summary>
    /// References to segments that do not exist, and the reference <see cref="Cycles"/> among <paramref name="segments"/>:
    /// what validation rejects.
    /// </summary>
    public static IEnumerable<(string Segment, string Message)> Problems(IReadOnlyCollection<SegmentDefinition> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var byId = segments.ToDictionary(segment => segment.Id, StringComparer.Ordinal);
        foreach (var segment in segments.OrderBy(s => s.Id, StringComparer.Ordinal))
        {
            foreach (var reference in References(segment.Condition).Where(reference => !byId.ContainsKey(reference)))
            {
                yield return (segment.Id, $"segment '{segment.Id}' refers to the unknown segment '{reference}'");
            }
        }

        foreach (var cycle in Cycles(segments))
        {
            yield return cycle;
        }
    }

    /// <summary>
    /// The reference cycles among <paramref name="segments"/>: one per group of segments that refer to each other,
    /// named from the first of them by id (<c>a -> b -> c -> a</c>). References to other segments are ignored.
    /// </summary>
    public static IEnumerable<(string Segment, string Message)> Cycles(IReadOnlyCollection<SegmentDefinition> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var byId = segments.DistinctBy(segment => segment.Id, StringComparer.Ordinal).ToDictionary(segment => segment.Id, StringComparer.Ordinal);

        // A strongly connected component with a cycle is such a group; every walk keeps its own stack.
        IEnumerable<string> Successors(string id) => References(byId[id].Condition).Where(byId.ContainsKey);
        var groups = Graphs.Components(byId.Keys.Order(StringComparer.Ordinal), Successors)
            .Select(group => group.ToHashSet(StringComparer.Ordinal))
            .Where(group => group.Count > 1 || Successors(group.First()).Contains(group.First()))
            .Select(group => (First: group.Min(StringComparer.Ordinal)!, Members: group))
            .OrderBy(group => group.First, StringComparer.Ordinal);
        foreach (var (first, members) in groups)
        {
            yield return (first, CycleMessage(Graphs.CycleThrough(first, Successors, members)!));
        }
    }

    /// <summary>
    /// The reference cycle through <paramref name="id"/> among <paramref name="segments"/> (ids around it, starting
    /// and ending with <paramref name="id"/>), or null when there is none.
    /// </summary>
    public static IReadOnlyList<string>? CycleThrough(string id, IReadOnlyCollection<SegmentDefinition> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var byId = segments.ToDictionary(segment => segment.Id, StringComparer.Ordinal);
        return byId.ContainsKey(id)
            ? Graphs.CycleThrough(id, next => References(byId[next].Condition).Where(byId.ContainsKey), byId.Keys.ToHashSet(StringComparer.Ordinal))
            : null;
    }

    /// <summary>How a cycle is reported: <c>segments refer to each other in a cycle: a -> b -> a</c>.</summary>
    public static string CycleMessage(IReadOnlyList<string> cycle)
    {
        ArgumentNullException.ThrowIfNull(cycle);
        return $"segments refer to each other in a cycle: {string.Join(" -> ", cycle)}";
    }
}
