using Cairn.Core.Contacts;

namespace Cairn.Core.Journeys.Engine;

/// <summary>
/// Date triggers as durable timers: when a contact's date trait is set or changes, the next occurrence of every
/// live date-triggered journey is scheduled; when it fires, the contact is enrolled (with the occurrence as the
/// payload) and the following occurrence is scheduled. A timer whose occurrence no longer follows from the
/// profile (the date changed since) does nothing.
/// </summary>
public static class DateTriggers
{
    /// <summary>The prefix of the enrollment id of date-trigger timers.</summary>
    public const string TimerPrefix = "$date:";

    // How far ahead the next occurrence is looked for (covers yearly triggers).
    private static readonly TimeSpan Horizon = TimeSpan.FromDays(800);

    /// <summary>Timers for the next occurrences whose date trait differs between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static IEnumerable<ScheduleTimer> Schedule(ContactState? before, ContactState after, JourneyLibrary library, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(library);
        foreach (var journey in library.Live)
        {
            if (journey.Definition.Trigger is DateTrigger trigger
                && (before is null || LocalTime.DateTrait(before, trigger.Trait) != LocalTime.DateTrait(after, trigger.Trait) || before.TimeZone != after.TimeZone)
                && Next(trigger, after, now) is { } due)
            {
                yield return new ScheduleTimer(TimerPrefix + journey.Definition.Id, "occurrence", due);
            }
        }
    }

    /// <summary>
    /// The timer for the next occurrence of one live date-triggered journey for a contact, whatever changed: a
    /// journey published (or republished with another trigger) reaches the contacts that already have the date.
    /// </summary>
    public static ScheduleTimer? ScheduleFor(ContactState profile, string journeyId, JourneyLibrary library, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(library);
        return library.Live.FirstOrDefault(j => j.Definition.Id == journeyId)?.Definition.Trigger is DateTrigger trigger
            && Next(trigger, profile, now) is { } due
                ? new ScheduleTimer(TimerPrefix + journeyId, "occurrence", due)
                : null;
    }

    /// <summary>
    /// What a due date-trigger timer means now: the enrollment request (null when the occurrence no longer follows
    /// from the profile) and the timer of the next occurrence, if any.
    /// </summary>
    public static (EnrollRequested? Enroll, ScheduleTimer? Next) Fire(ContactState profile, TimerFired timer, JourneyLibrary library)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(timer);
        ArgumentNullException.ThrowIfNull(library);
        var journeyId = timer.EnrollmentId[TimerPrefix.Length..];
        if (library.Live.FirstOrDefault(j => j.Definition.Id == journeyId)?.Definition.Trigger is not DateTrigger trigger)
        {
            return (null, null);
        }

        var occurrence = LocalTime.Occurrences(trigger, profile, timer.DueAt.AddSeconds(-1), timer.DueAt.AddSeconds(1))
            .Where(o => JourneyDecider.SameInstant(o.At, timer.DueAt))
            .Select(o => (EnrollRequested?)new EnrollRequested(journeyId, o.Payload, Reason(o.Payload)))
            .FirstOrDefault();
        var next = Next(trigger, profile, timer.DueAt.AddSeconds(1)) is { } due ? new ScheduleTimer(timer.EnrollmentId, "occurrence", due) : null;
        return (occurrence, occurrence is null ? null : next);
    }

    /// <summary>Why an occurrence enrolls, for the contact's path: <c>date trigger: 14 days before contract_end (2027-02-10)</c>.</summary>
    public static string Reason(System.Text.Json.JsonElement occurrence)
    {
        string Text(string name) => occurrence.TryGetProperty(name, out var value) ? value.ToString() : string.Empty;
        var when = occurrence.TryGetProperty("days_before", out var before) ? $"{before} days before"
            : occurrence.TryGetProperty("days_after", out var after) ? $"{after} days after"
            : "on the day of";
        return $"date trigger: {when} {Text("trait")} ({Text("date")})";
    }

    private static DateTimeOffset? Next(DateTrigger trigger, ContactState profile, DateTimeOffset after) =>
        LocalTime.Occurrences(trigger, profile, after, after + Horizon).Select(o => (DateTimeOffset?)o.At).FirstOrDefault();
}
