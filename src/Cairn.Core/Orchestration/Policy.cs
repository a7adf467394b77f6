using System.Collections.Immutable;
using Cairn.Core.Journeys;

namespace Cairn.Core.Orchestration;

/// <summary>Hours of the day a channel must not reach the contact (local time; <see cref="From"/> to <see cref="To"/>, possibly across midnight).</summary>
public sealed record QuietHours(string Channel, TimeOnly From, TimeOnly To)
{
    /// <summary>True when the local time of day falls in the quiet window.</summary>
    public bool Contains(TimeOnly time) => From <= To ? time >= From && time < To : time >= From || time < To;
}

/// <summary>The period a cap counts over.</summary>
public enum CapPeriod
{
    /// <summary>A day: the contact's local calendar day, or the last 24 hours when rolling.</summary>
    Day,

    /// <summary>A week: the contact's local calendar week (Monday to Sunday), or the last 7 days when rolling.</summary>
    Week,
}

/// <summary>
/// At most <see cref="Max"/> messages per <see cref="Per"/> on <see cref="Channel"/> (<c>any</c>: all channels
/// together), counting the given categories (all but transactional when none are named).
/// </summary>
public sealed record FrequencyCap(string Id, string Channel, int Max, CapPeriod Per, bool Rolling, ImmutableArray<JourneyCategory> Categories)
{
    /// <summary>True when a message of this channel and category counts toward (and is limited by) the cap.</summary>
    public bool Covers(string channel, JourneyCategory category) =>
        (Channel == "any" || Channel == channel) && (Categories.IsDefaultOrEmpty ? category != JourneyCategory.Transactional : Categories.Contains(category));

    /// <summary>The length of the period.</summary>
    public TimeSpan Length => Per == CapPeriod.Day ? TimeSpan.FromDays(1) : TimeSpan.FromDays(7);
}

/// <summary>
/// While <see cref="When"/> holds for the contact (e.g. <c>in_segment: open-support-ticket</c>), messages of the
/// categories are held (re-checked until the rule lifts, within the message's validity) or dropped.
/// </summary>
public sealed record SuppressionRule(string Id, Condition When, ImmutableArray<JourneyCategory> Categories, bool Hold);

/// <summary>
/// Engagement-based throttling and sunset on one channel: contacts with no open or click there for
/// <see cref="ThrottleAfter"/> get at most <see cref="ThrottleMax"/> promotional messages per <see cref="ThrottlePer"/>;
/// after <see cref="SunsetAfter"/> they get none (until they engage again), protecting the sender's reputation.
/// A contact is measured from its last open or click, or from when Cairn first saw it.
/// </summary>
public sealed record EngagementPolicy(string Channel, TimeSpan? ThrottleAfter, int ThrottleMax, CapPeriod ThrottlePer, TimeSpan? SunsetAfter)
{
    /// <summary>Where the contact stands: <c>active</c>, <c>throttled</c> or <c>sunset</c>, and since when it last engaged.</summary>
    public (string Status, DateTimeOffset LastEngaged) Standing(Contacts.ContactState contact, IEnumerable<Journeys.Engine.PastEvent> history, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var last = history.Where(past => past.Name == $"{Channel}_opened" || past.Name == $"{Channel}_clicked").Select(past => past.Timestamp).DefaultIfEmpty(contact.CreatedAt).Max();
        last = last < contact.CreatedAt ? contact.CreatedAt : last;
        var idle = now - last;
        return (SunsetAfter is { } sunset && idle >= sunset ? "sunset" : ThrottleAfter is { } throttle && idle >= throttle ? "throttled" : "active", last);
    }
}

/// <summary>
/// The orchestrator's rules for the workspace (<c>kind: policy</c>): the time zone of contacts without one, quiet
/// hours per channel, frequency caps, suppression rules, and how long a deferred message stays worth sending.
/// </summary>
public sealed record Policy(
    string Id,
    string TimeZone,
    ImmutableArray<QuietHours> QuietHours,
    ImmutableArray<FrequencyCap> Caps,
    ImmutableArray<SuppressionRule> Rules,
    TimeSpan ValidFor,
    SourceLocation Location)
{
    /// <summary>Engagement-based throttling and sunset, when configured.</summary>
    public EngagementPolicy? Engagement { get; init; }

    /// <summary>
    /// Channels whose opt-ins are confirmed by a click in a confirmation message (double opt-in): an opt-in through
    /// the API stays <c>pending</c> until then, and marketing needs the confirmed opt-in.
    /// </summary>
    public ImmutableArray<string> DoubleOptIn { get; init; } = [];

    /// <summary>Channels whose marketing needs an explicit opt-in (never asked is not enough), e.g. <c>sms</c> under TCPA.</summary>
    public ImmutableArray<string> RequireOptIn { get; init; } = [];

    /// <summary>What the workspace counts as a conversion, how attribution credits it, and the global control group.</summary>
    public MeasurementSettings Measurement { get; init; } = MeasurementSettings.Default;

    /// <summary>
    /// What the policy allows that the law of many places does not, in words: promotional SMS without an explicit
    /// opt-in (in the US the TCPA requires prior express written consent for marketing texts). Empty when none.
    /// </summary>
    public ImmutableArray<string> Warnings() =>
        RequireOptIn.Contains("sms") || DoubleOptIn.Contains("sms")
            ? []
            : ["promotional SMS can go to contacts who never opted in: add sms to require_opt_in (in the US, the TCPA requires prior express written consent for marketing texts)"];

    /// <summary>The policy id the orchestrator uses.</summary>
    public const string DefaultId = "default";

    /// <summary>
    /// The rules before any policy is applied: UTC for contacts without a time zone, SMS only from 08:00 to 21:00
    /// local and promotional SMS only to contacts who opted in (TCPA practice), no caps, deferred messages valid for
    /// 3 days.
    /// </summary>
    public static Policy Default { get; } = new(
        DefaultId,
        "UTC",
        [new QuietHours("sms", new TimeOnly(21, 0), new TimeOnly(8, 0))],
        [],
        [],
        TimeSpan.FromDays(3),
        new SourceLocation(1, 1))
    {
        RequireOptIn = ["sms"],
    };
}
