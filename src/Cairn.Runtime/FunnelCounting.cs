using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>
/// The funnel's counters a journey effect adds to (<see cref="FunnelBatch"/>): every move on the UTC day it happened,
/// an enrollment's end under the exit of its cause, the time spent in a step when the enrollment moves on from it, and a
/// conversion on the day its enrollment entered.
/// </summary>
internal static class FunnelCounting
{
    /// <summary>Counts a move: the move itself, and its time in the step it leaves when it moves on (not when it drops).</summary>
    public static void Add(FunnelBatch funnel, EnrollmentMoved moved)
    {
        var entry = moved.Entry;
        var day = FunnelExits.DayOf(entry.At);
        var from = entry.From ?? FunnelExits.Entry;
        var exit = moved.Ending switch
        {
            EndCause.Completed => FunnelExits.Completed,
            EndCause.Goal => FunnelExits.Goal,
            EndCause.ExitCriterion => FunnelExits.ExitCriterion,
            EndCause.MaxRunTime => FunnelExits.Expired,
            EndCause.Error => FunnelExits.Error,
            _ when entry.Exit == JourneyStep.Migrated => FunnelExits.Migrated,
            _ => entry.Exit,
        };
        funnel.Moves.Add(new FunnelMove(moved.JourneyId, moved.Version, day, from, exit, entry.To));
        if (moved.StepEnteredAt is { } since && entry.From is { } step && step != JourneyStep.Migrated && FunnelExits.IsPassed(exit))
        {
            funnel.Durations.Add(new FunnelDuration(moved.JourneyId, moved.Version, day, step, DurationBuckets.Of(entry.At - since)));
        }
    }

    /// <summary>Counts a conversion on its enrollment's entry day, with its time to convert.</summary>
    public static void Add(FunnelBatch funnel, EnrollmentConverted converted) =>
        funnel.Conversions.Add(new FunnelConversion(converted.JourneyId, converted.Version, FunnelExits.DayOf(converted.EnteredAt), DurationBuckets.Of(converted.At - converted.EnteredAt)));

    /// <summary>Counts a change to the outcome counters on its enrollment's entry day.</summary>
    public static void Add(FunnelBatch funnel, EnrollmentOutcomeCounted counted) =>
        funnel.Outcomes.Add(new OutcomeCount(
            counted.JourneyId, counted.Version, FunnelExits.DayOf(counted.EnteredAt), counted.Control, counted.Arm ?? string.Empty,
            counted.Entries, counted.Conversions, (double)counted.Revenue, counted.RevenueSquares));

    /// <summary>Counts a send step's dropped message at the step, on the day the report came.</summary>
    public static void Add(FunnelBatch funnel, EnrollmentSendDropped dropped) =>
        funnel.Moves.Add(new FunnelMove(dropped.JourneyId, dropped.Version, FunnelExits.DayOf(dropped.At), dropped.StepId, FunnelExits.Suppressed, dropped.StepId));
}
