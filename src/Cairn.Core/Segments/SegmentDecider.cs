using System.Collections.Immutable;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Core.Segments;

/// <summary>What changed for a contact, so that only the segments it can affect are evaluated.</summary>
/// <param name="Traits">Traits whose value changed (tags and the lifecycle stage are traits).</param>
/// <param name="Event">The event counted (its name as in the profile's counters), if the input was one.</param>
/// <param name="Everything">Evaluate every segment (time passed, a segment was published, a backfill).</param>
/// <param name="Reason">Why, in words; it becomes the reason of the entries and exits it causes.</param>
public sealed record SegmentCause(IReadOnlySet<string> Traits, string? Event, bool Everything, string Reason)
{
    /// <summary>Scoring models whose score for the contact changed.</summary>
    public IReadOnlySet<string> Scores { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>The contact's consent changed: consent conditions are evaluated.</summary>
    public bool Consent { get; init; }

    /// <summary>Segments whose membership already changed (a static list): segments referring to them are evaluated.</summary>
    public IReadOnlySet<string> Segments { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>Every segment, for <paramref name="reason"/>.</summary>
    public static SegmentCause All(string reason) => new(ImmutableHashSet<string>.Empty, null, true, reason);
}

/// <summary>
/// The contact's segments after an input, the entries and exits, and when a segment evaluated for this input may next
/// flip by time alone (segments it could not change keep the timers earlier decisions set).
/// </summary>
public sealed record SegmentDecision(ImmutableSortedDictionary<string, SegmentMembership> Segments, ImmutableArray<SegmentChange> Changes, DateTimeOffset? NextCheck);

/// <summary>
/// Keeps a contact's segment memberships live: <c>decide(profile, cause, now)</c> re-evaluates the segments the cause
/// can change (and the segments that refer to a segment that changed), in dependency order, and says when the
/// result can next change by the passage of time alone (an event leaving a window, a date entering a range), so
/// the host wakes the contact exactly then — never by a periodic scan. No I/O.
/// </summary>
public static class SegmentDecider
{
    // Storage keeps microseconds: the first instant after a boundary.
    internal static readonly TimeSpan Tick = TimeSpan.FromTicks(10);

    /// <summary>Decides the contact's memberships.</summary>
    /// <param name="profile">The contact (after the input).</param>
    /// <param name="library">The live segments.</param>
    /// <param name="history">The contact's recent events, newest first (for windowed or filtered <c>performed</c>).</param>
    /// <param name="cause">What changed.</param>
    /// <param name="now">The decision's time.</param>
    public static SegmentDecision Decide(ContactState profile, SegmentLibrary library, IReadOnlyList<PastEvent> history, SegmentCause cause, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(library);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(cause);
        var memberships = profile.Segments;
        var past = PastEvents.Of(history);
        var changes = ImmutableArray.CreateBuilder<SegmentChange>();
        var changed = new HashSet<string>(cause.Segments, StringComparer.Ordinal);
        var live = library.Segments.Select(segment => segment.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in memberships.Keys.Where(id => !live.Contains(id)).ToList())
        {
            memberships = memberships.Remove(gone);
            changes.Add(new SegmentChange(gone, false, "the segment was removed"));
        }

        // Only the segments the cause can change are evaluated, and only their next flip by time is computed: the
        // others' results and timers from earlier decisions still hold.
        DateTimeOffset? next = null;
        foreach (var segment in library.Segments)
        {
            if (segment.Condition is not { } condition || !(cause.Everything || Affected(condition, cause, changed)))
            {
                continue;
            }

            var context = new EvaluationContext(profile with { Segments = memberships }, null, null, past, now);
            var holds = ConditionEvaluator.Holds(condition, context);
            if (holds != memberships.ContainsKey(segment.Id))
            {
                memberships = holds ? memberships.Add(segment.Id, new SegmentMembership(now, cause.Reason)) : memberships.Remove(segment.Id);
                changes.Add(new SegmentChange(segment.Id, holds, cause.Reason));
                changed.Add(segment.Id);
            }

            if (NextChange(condition, context) is { } due && (next is null || due < next))
            {
                next = due;
            }
        }

        return new SegmentDecision(memberships, changes.ToImmutable(), next);
    }

    /// <summary>True when <paramref name="cause"/> can change the condition's result.</summary>
    public static bool Affected(Condition condition, SegmentCause cause, IReadOnlySet<string> changedSegments)
    {
        ArgumentNullException.ThrowIfNull(cause);
        ArgumentNullException.ThrowIfNull(changedSegments);

        // A plain walk of the tree: it runs for every segment on every input, so it allocates nothing. It recurses as
        // deep as the condition nests, which reading the document bounded (DocumentLimits.MaxConditionDepth).
        return condition switch
        {
            AllCondition all => AnyAffected(all.Conditions, cause, changedSegments),
            AnyCondition any => AnyAffected(any.Conditions, cause, changedSegments),
            NotCondition not => Affected(not.Condition, cause, changedSegments),
            Comparison comparison => cause.Traits.Contains(comparison.Path),
            TagCondition => cause.Traits.Contains(ConditionEvaluator.TagsTrait),
            StageCondition => cause.Traits.Contains(ConditionEvaluator.StageTrait),
            PerformedCondition performed => performed.Event == cause.Event,
            OccurrenceCondition occurrence => occurrence.Event == cause.Event || occurrence.NotFollowedBy == cause.Event,
            AggregateCondition aggregate => aggregate.Event == cause.Event,
            SegmentCondition member => changedSegments.Contains(member.Segment),
            ScoreCondition score => cause.Scores.Contains(score.Model),
            ConsentCondition => cause.Consent,
            _ => true,
        };
    }

    private static bool AnyAffected(ImmutableArray<Condition> conditions, SegmentCause cause, IReadOnlySet<string> changedSegments)
    {
        foreach (var condition in conditions)
        {
            if (Affected(condition, cause, changedSegments))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The first moment after <see cref="EvaluationContext.Now"/> at which the condition's result may change with no
    /// input: an event counted by a windowed <c>performed</c> or aggregate leaving its window, a first or last
    /// occurrence growing older than a <c>within</c> or <c>before</c> span, or a date trait entering or
    /// leaving a <c>within_last</c> / <c>within_next</c> range, or a decaying score crossing a <c>score</c> comparison's
    /// value. Null when time alone changes nothing.
    /// </summary>
    public static DateTimeOffset? NextChange(Condition condition, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        DateTimeOffset? next = null;
        void Candidate(DateTimeOffset at)
        {
            if (at > context.Now && (next is null || at < next))
            {
                next = at;
            }
        }

        foreach (var leaf in SegmentConditions.Leaves(condition))
        {
            switch (leaf)
            {
                case PerformedCondition { Within: { } window } performed:
                    // The count in the window falls below k when the k-th newest event leaves it: the answer can only
                    // change when that happens for k = at_least or k = at_most + 1.
                    // A filter reads every event of the window: its fold holds the newest matching ones.
                    var inWindow = performed.Where is null ? ConditionEvaluator.Matching(performed.Event, null, context, context.Now - window - Tick) : null;
                    var folded = performed.Where is null ? null : PerformedFold.Of(performed, context).Newest;
                    foreach (var k in (int[])[performed.AtLeast, performed.AtMost + 1 ?? 0])
                    {
                        if (k > 0 && (folded is null ? inWindow!.ElementAtOrDefault(k - 1)?.Timestamp : k <= folded.Count ? folded[k - 1] : null) is { } leaving)
                        {
                            Candidate(leaving + window + Tick);
                        }
                    }

                    break;
                case AggregateCondition { Within: { } window } aggregate:
                    // The first to leave the window is its oldest event.
                    if (AggregateFold.Of(aggregate, context).OldestInWindow is { } oldest)
                    {
                        Candidate(oldest + window + Tick);
                    }

                    break;
                case OccurrenceCondition occurrence when ConditionEvaluator.OccurredAt(occurrence, context) is { } at:
                    if (occurrence.Within is { } within)
                    {
                        Candidate(at + within + Tick);
                    }

                    if (occurrence.Before is { } before)
                    {
                        Candidate(at + before + Tick);
                    }

                    break;
                case Comparison { Operator: ComparisonOperator.WithinLast or ComparisonOperator.WithinNext } range
                    when ConditionEvaluator.Date(ConditionEvaluator.Read(range, context)) is { } date:
                    var (from, to) = ConditionEvaluator.Window(range, context);
                    var span = to - from;
                    if (range.Operator == ComparisonOperator.WithinLast)
                    {
                        Candidate(date);
                        Candidate(date + span + Tick);
                    }
                    else
                    {
                        Candidate(date - span);
                        Candidate(date + Tick);
                    }

                    break;
                case ScoreCondition score when context.Profile.Scores.TryGetValue(score.Model, out var standing)
                    && standing.CrossingAfter(score.Value, context.Now) is { } crossing:
                    Candidate(crossing);
                    break;
            }
        }

        return next;
    }
}
