using Cairn.Core.Journeys;

namespace Cairn.Core.Lint;

/// <summary>The typical path through a journey, and its longest.</summary>
public static partial class Linter
{
    /// <summary>A message the typical path sends: when after entry, on which channel, from which step.</summary>
    private sealed record PathSend(TimeSpan At, Channel Channel, SendStep Step);

    /// <summary>
    /// The path most contacts take, and when each send on it happens after entry: a branch takes its <c>else</c> (no case
    /// assumed to hold), a split its largest arm, a <c>wait_for</c> its timeout (most people do not open or click), a
    /// <c>wait_until</c> a time of day no wait at all (it may be due at once), and a wait until a date trait ends the walk
    /// (its time is the contact's). Each step is walked at most once.
    /// </summary>
    private static List<PathSend> TypicalPath(JourneyDefinition journey)
    {
        var sends = new List<PathSend>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var at = TimeSpan.Zero;
        var current = journey.Start;
        while (current is not null && current != JourneyStep.End && visited.Add(current) && journey.Find(current) is { } step)
        {
            StepExit? next;
            switch (step)
            {
                case WaitStep wait:
                    at += wait.Duration;
                    next = wait.Next;
                    break;
                case WaitForStep waitFor:
                    at += waitFor.Timeout;
                    next = waitFor.TimedOut;
                    break;
                case WaitUntilDateStep:
                    next = null;
                    break;
                case BranchStep branch:
                    next = branch.Else;
                    break;
                case SplitStep split:
                    next = split.Arms.OrderByDescending(arm => arm.Percent).First().Next;
                    break;
                case SendStep send:
                    sends.Add(new PathSend(at, send.Channel, send));
                    next = send.Next;
                    break;
                case LinearStep linear:
                    next = linear.Next;
                    break;
                default:
                    next = null;
                    break;
            }

            current = next?.Target;
        }

        return sends;
    }

    /// <summary>
    /// The longest time an enrollment can take through the graph without repeating a step (waits, <c>wait_for</c>
    /// timeouts, best-time sends), and the path's steps; null when a wait until a date trait is on every long path (its
    /// length is the contact's). Steps are at most <see cref="DocumentLimits.MaxSteps"/>, so the walk's depth is bounded.
    /// </summary>
    private static TimeSpan LongestPath(JourneyDefinition journey)
    {
        var memo = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var onPath = new HashSet<string>(StringComparer.Ordinal);

        TimeSpan From(string? id, int depth)
        {
            if (id is null || id == JourneyStep.End || depth > DocumentLimits.MaxSteps || onPath.Contains(id) || journey.Find(id) is not { } step)
            {
                return TimeSpan.Zero;
            }

            if (memo.TryGetValue(id, out var known))
            {
                return known;
            }

            var own = step switch
            {
                WaitStep wait => wait.Duration,
                WaitForStep waitFor => waitFor.Timeout,
                SendStep { BestTimeWithin: { } within } => within,
                _ => TimeSpan.Zero,
            };
            onPath.Add(id);
            var rest = step.Exits.Select(exit => From(exit.Target, depth + 1)).DefaultIfEmpty(TimeSpan.Zero).Max();
            onPath.Remove(id);
            return memo[id] = own + rest;
        }

        return From(journey.Start, 0);
    }
}
