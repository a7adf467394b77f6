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
        var state = new Dictionary<string, bool>(StringComparer.Ordinal);

        bool Visit(string id)
        {
            if (state.TryGetValue(id, out var done))
            {
                return done;
            }

            if (!byId.TryGetValue(id, out var segment))
            {
                return false;
            }

            state[id] = false;
            var ok = SegmentConditions.References(segment.Condition).All(Visit);
            state[id] = ok;
            if (ok)
            {
                ordered.Add(segment);
            }

            return ok;
        }

        foreach (var id in byId.Keys.Order(StringComparer.Ordinal))
        {
            Visit(id);
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
    /// Reference cycles among <paramref name="segments"/> (each as the ids around the cycle), and references to
    /// segments that do not exist: what validation rejects.
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

        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var segment in segments.OrderBy(s => s.Id, StringComparer.Ordinal))
        {
            var path = new List<string>();
            if (FindCycle(segment.Id, segment.Id, byId, path, []) && reported.Add(string.Join(",", path.Order(StringComparer.Ordinal))))
            {
                yield return (segment.Id, $"segments refer to each other in a cycle: {string.Join(" -> ", path.Prepend(segment.Id))}");
            }
        }
    }

    private static bool FindCycle(string start, string at, Dictionary<string, SegmentDefinition> byId, List<string> path, HashSet<string> seen)
    {
        if (!byId.TryGetValue(at, out var segment) || !seen.Add(at))
        {
            return false;
        }

        foreach (var next in References(segment.Condition))
        {
            path.Add(next);
            if (next == start || FindCycle(start, next, byId, path, seen))
            {
                return true;
            }

            path.RemoveAt(path.Count - 1);
        }

        return false;
    }
}
