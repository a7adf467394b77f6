using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Contacts;

namespace Cairn.Core.Journeys.Engine;

/// <summary>Wake the contact's partition at <paramref name="DueAt"/> with a <see cref="TimerFired"/>.</summary>
public sealed record ScheduleTimer(string EnrollmentId, string StepId, DateTimeOffset DueAt) : Effect;

/// <summary>
/// Send a message through the orchestrator and the outbox. <paramref name="MessageId"/> is the idempotency key:
/// the same enrollment step never produces two messages.
/// </summary>
public sealed record SendMessage(
    string MessageId,
    string JourneyId,
    int Version,
    string EnrollmentId,
    string StepId,
    Channel Channel,
    string Template,
    JourneyCategory Category,
    int Priority,
    JsonElement? Payload) : Effect
{
    /// <summary>The channels to try next, in order, when the contact cannot be reached on <see cref="Channel"/>.</summary>
    public ImmutableArray<ChannelTemplate> Fallback { get; init; } = [];

    /// <summary>Send at the contact's best hour within this long (send-time optimisation), when set.</summary>
    public TimeSpan? BestTimeWithin { get; init; }
}

/// <summary>Alert the contact's owner (a hand-off), with the journey context; the host attaches the timeline.</summary>
public sealed record NotifyOwner(string MessageId, string JourneyId, int Version, string EnrollmentId, string StepId, string? Owner, string Message) : Effect;

/// <summary>Call a webhook about this contact and enrollment.</summary>
public sealed record CallWebhook(string MessageId, string JourneyId, int Version, string EnrollmentId, string StepId, Uri Url, JourneyCategory Category, int Priority, JsonElement? Payload) : Effect;

/// <summary>An enrollment moved (for statistics and the contact's journey history).</summary>
public sealed record EnrollmentMoved(string JourneyId, int Version, string EnrollmentId, PathEntry Entry) : Effect
{
    /// <summary>
    /// When the enrollment entered the step it leaves (<see cref="PathEntry.From"/>): the previous path entry's time, for
    /// the time spent in the step; null on entry (nothing is left).
    /// </summary>
    public DateTimeOffset? StepEnteredAt { get; init; }

    /// <summary>Why the enrollment ended, on the move that leaves its step because it ended; null on any other move.</summary>
    public EndCause? Ending { get; init; }
}

/// <summary>An enrollment reached its goal.</summary>
public sealed record EnrollmentConverted(string JourneyId, int Version, string EnrollmentId, string? Arm, bool Control, DateTimeOffset At) : Effect
{
    /// <summary>When the enrollment entered the journey: the day its conversion counts for, and the start of its time to convert.</summary>
    public DateTimeOffset EnteredAt { get; init; }
}

/// <summary>
/// A change to a journey's outcome counters, which the lift and experiment reports sum by the day the enrollment entered:
/// a contact's first enrollment in the journey entered (<paramref name="Arm"/> null: the row every entry counts in), took
/// an experiment arm, converted, or moved to another version (counted out of the old version and into the new). Only a
/// contact's first enrollment counts, so each contact is one unit of the comparison, however often they re-enter.
/// </summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version the counts belong to.</param>
/// <param name="EnteredAt">When the enrollment entered: the day it counts for.</param>
/// <param name="Control">True for the journey's holdout.</param>
/// <param name="Arm">The experiment arm's row, or null for the row of every entry.</param>
/// <param name="Entries">Entries added (1) or taken away (-1), or 0.</param>
/// <param name="Conversions">Goal conversions added or taken away (-1, 0, 1).</param>
/// <param name="Revenue">The revenue those conversions carried, with their sign.</param>
public sealed record EnrollmentOutcomeCounted(string JourneyId, int Version, DateTimeOffset EnteredAt, bool Control, string? Arm, int Entries, int Conversions, decimal Revenue) : Effect
{
    /// <summary>The change to the sum of squared revenues (a conversion's revenue squared, with the conversion's sign).</summary>
    public double RevenueSquares => Conversions * (double)Revenue * (double)Revenue;
}

/// <summary>
/// The message a send step queued for the enrollment was dropped by the orchestrator (suppressed, or expired before it
/// could go out), as its delivery report says: the funnel counts it at the step. Counted once per step visit.
/// </summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version the enrollment runs on.</param>
/// <param name="EnrollmentId">The enrollment.</param>
/// <param name="StepId">The send step.</param>
/// <param name="At">When the report arrived.</param>
public sealed record EnrollmentSendDropped(string JourneyId, int Version, string EnrollmentId, string StepId, DateTimeOffset At) : Effect;

/// <summary>Why an enrollment ended, for the funnel's drop-offs.</summary>
public enum EndCause
{
    /// <summary>It reached the end or an exit step.</summary>
    Completed,

    /// <summary>It reached the goal, which ends the journey.</summary>
    Goal,

    /// <summary>An exit criterion held.</summary>
    ExitCriterion,

    /// <summary>The journey's maximum run time passed.</summary>
    MaxRunTime,

    /// <summary>A step failed (its error exit).</summary>
    Error,
}

/// <summary>An enrollment ended; <paramref name="NeedsReview"/> when it hit the maximum run time or failed.</summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version it ran on.</param>
/// <param name="EnrollmentId">The enrollment.</param>
/// <param name="Reason">Why it ended, in words.</param>
/// <param name="NeedsReview">True when it is listed for review.</param>
/// <param name="At">When.</param>
/// <param name="Final">The enrollment as it ended, with its whole path (kept for the contact's journey history).</param>
public sealed record EnrollmentEnded(string JourneyId, int Version, string EnrollmentId, string Reason, bool NeedsReview, DateTimeOffset At, Enrollment Final) : Effect
{
    /// <summary>Why it ended, as a kind (<see cref="Reason"/> says it in words).</summary>
    public EndCause Cause { get; init; }
}
