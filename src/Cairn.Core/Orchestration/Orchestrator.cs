using System.Collections.Immutable;
using System.Globalization;
using Cairn.Core.Consent;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Core.Orchestration;

/// <summary>A message asking to be sent now.</summary>
/// <param name="MessageId">The outbox id.</param>
/// <param name="Channel">email, sms, push, in_app.</param>
/// <param name="Category">Transactional messages pass caps, quiet hours and suppression rules; never consent.</param>
/// <param name="Priority">The journey's priority: higher goes first when a cap leaves room for fewer.</param>
/// <param name="Subscription">The template's subscription group, whose consent it needs.</param>
/// <param name="CreatedAt">When the journey decided it (its validity counts from here).</param>
public sealed record SendRequest(string MessageId, string Channel, JourneyCategory Category, int Priority, string? Subscription, DateTimeOffset CreatedAt);

/// <summary>A message the contact was sent (for caps).</summary>
public sealed record SentMessage(string Channel, JourneyCategory Category, DateTimeOffset At);

/// <summary>What the orchestrator decided.</summary>
public enum DecisionKind
{
    /// <summary>Send it now.</summary>
    Send,

    /// <summary>Not now: try again at <see cref="SendDecision.Until"/>.</summary>
    Defer,

    /// <summary>Never: the contact must not get it (consent, a drop rule).</summary>
    Suppress,

    /// <summary>Never: it would go out after its validity ended.</summary>
    Expire,
}

/// <summary>One check of the trail: which rule, what it found.</summary>
public sealed record DecisionStep(string Check, string Result, string Detail);

/// <summary>The decision, its reason, and every check that ran.</summary>
public sealed record SendDecision(DecisionKind Kind, DateTimeOffset? Until, string Reason, ImmutableArray<DecisionStep> Trail);

/// <summary>
/// The one decision layer every send passes, pure: consent and subscription → suppression rules → quiet hours in
/// the contact's time zone → frequency caps (local calendar or rolling) → validity. A blocked check decides; a
/// deferral moves the message to the first instant every check allows (quiet hours and caps together), and a
/// message that could only go out after its validity ends expires. Every check is in the trail. Before them all, a
/// promotional message to a contact of the <see cref="GlobalControlGroup"/> is dropped.
/// </summary>
public static class Orchestrator
{
    /// <summary>How soon a message held by a suppression rule is looked at again.</summary>
    public static readonly TimeSpan HoldRecheck = TimeSpan.FromHours(1);

    /// <summary>Decides one send; <paramref name="sent"/> holds what the contact was sent recently (at least a week).</summary>
    public static SendDecision Decide(Policy policy, ContactState contact, SendRequest request, IReadOnlyList<SentMessage> sent, IReadOnlyList<PastEvent> history, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sent);
        var trail = ImmutableArray.CreateBuilder<DecisionStep>();
        var transactional = request.Category == JourneyCategory.Transactional;

        // The global control group measures all marketing together: its contacts get no promotional message at all.
        if (request.Category == JourneyCategory.Promotional && policy.Measurement.GlobalControlPercent > 0 && GlobalControlGroup.Contains(contact.Id, policy.Measurement.GlobalControlPercent))
        {
            var percent = policy.Measurement.GlobalControlPercent.ToString("0.##", CultureInfo.InvariantCulture);
            trail.Add(new DecisionStep("global control group", "blocked", $"bucket {ContactBucket.Of(contact.Id)} is in the top {percent} % of {ContactBucket.Count} held out from promotional messages"));
            return new SendDecision(DecisionKind.Suppress, null, $"global control group: the contact is in the {percent} % held out from every promotional message", trail.ToImmutable());
        }

        // Consent law applies to everything; marketing needs the channel and the subscription group.
        var consent = Consents.StateOf(contact.Consents, request.Channel, request.Subscription);
        var what = request.Subscription is null ? request.Channel : $"{request.Channel} ({request.Subscription})";
        if (consent == ConsentState.OptedOut && !transactional)
        {
            trail.Add(new DecisionStep("consent", "blocked", $"opted out of {what}"));
            return new SendDecision(DecisionKind.Suppress, null, $"the contact opted out of {what}", trail.ToImmutable());
        }

        if (consent != ConsentState.OptedIn && !transactional && (policy.RequireOptIn.Contains(request.Channel) || policy.DoubleOptIn.Contains(request.Channel)))
        {
            trail.Add(new DecisionStep("consent", "blocked", $"{what}: {Name(consent)}, and the policy requires a{(policy.DoubleOptIn.Contains(request.Channel) ? " confirmed" : "n")} opt-in for {request.Channel}"));
            return new SendDecision(DecisionKind.Suppress, null, consent == ConsentState.Pending ? $"the opt-in to {what} awaits confirmation" : $"no opt-in for {what}", trail.ToImmutable());
        }

        trail.Add(new DecisionStep("consent", "passed", transactional ? "transactional: consent to marketing not needed" : $"{what}: {Name(consent)}"));
        var validUntil = request.CreatedAt + policy.ValidFor;
        if (transactional)
        {
            trail.Add(new DecisionStep("rules", "skipped", "transactional messages pass suppression rules, quiet hours and caps"));
            return new SendDecision(DecisionKind.Send, null, "transactional", trail.ToImmutable());
        }

        var context = new EvaluationContext(contact, null, null, history, now);
        foreach (var rule in policy.Rules.Where(rule => rule.Categories.IsDefaultOrEmpty || rule.Categories.Contains(request.Category)))
        {
            if (!ConditionEvaluator.Holds(rule.When, context))
            {
                trail.Add(new DecisionStep($"rule {rule.Id}", "passed", "does not hold"));
                continue;
            }

            if (!rule.Hold)
            {
                trail.Add(new DecisionStep($"rule {rule.Id}", "blocked", "holds: dropped"));
                return new SendDecision(DecisionKind.Suppress, null, $"suppression rule '{rule.Id}' holds", trail.ToImmutable());
            }

            var recheck = now + HoldRecheck;
            trail.Add(new DecisionStep($"rule {rule.Id}", "deferred", $"holds: held, looked at again at {Format(recheck)}"));
            return Bounded(new SendDecision(DecisionKind.Defer, recheck, $"held while suppression rule '{rule.Id}' holds", trail.ToImmutable()), validUntil, trail);
        }

        var caps = policy.Caps;
        if (policy.Engagement is { } engagement && engagement.Channel == request.Channel && request.Category == JourneyCategory.Promotional)
        {
            var (standing, last) = engagement.Standing(contact, history, now);
            if (standing == "sunset")
            {
                trail.Add(new DecisionStep("engagement", "blocked", $"sunset: no {request.Channel} open or click since {Format(last)}"));
                return new SendDecision(DecisionKind.Suppress, null, $"sunset: no {request.Channel} open or click in {Duration.Format(engagement.SunsetAfter!.Value)}", trail.ToImmutable());
            }

            trail.Add(new DecisionStep("engagement", "passed", $"{standing}: last open or click {Format(last)}"));
            if (standing == "throttled")
            {
                caps = caps.Add(new FrequencyCap("engagement-throttle", request.Channel, engagement.ThrottleMax, engagement.ThrottlePer, false, [JourneyCategory.Promotional]));
            }
        }

        // Quiet hours and caps can each push the send later; repeat until one instant satisfies both.
        var zone = ZoneOf(contact, policy);
        var at = now;
        var reasons = new List<string>();
        for (var round = 0; round < 16; round++)
        {
            var moved = false;
            foreach (var quiet in policy.QuietHours.Where(quiet => quiet.Channel == request.Channel || quiet.Channel == "any"))
            {
                var local = TimeZoneInfo.ConvertTime(at, zone);
                if (quiet.Contains(TimeOnly.FromDateTime(local.DateTime)))
                {
                    var opens = LocalTime.Next(at, quiet.To, [], zone);
                    trail.Add(new DecisionStep($"quiet hours {quiet.Channel}", "deferred", $"{quiet.From:HH\\:mm}–{quiet.To:HH\\:mm} in {zone.Id}: {local:HH\\:mm} local; opens {Format(opens)}"));
                    reasons.Add($"quiet hours ({quiet.From:HH\\:mm}–{quiet.To:HH\\:mm} {zone.Id})");
                    at = opens;
                    moved = true;
                }
            }

            foreach (var cap in caps.Where(cap => cap.Covers(request.Channel, request.Category)))
            {
                var start = cap.Rolling ? at - cap.Length : PeriodStart(at, cap.Per, zone);
                var counted = sent.Where(message => cap.Covers(message.Channel, message.Category) && message.At >= start && message.At <= at).OrderBy(message => message.At).ToList();
                if (counted.Count < cap.Max)
                {
                    continue;
                }

                var free = cap.Rolling ? counted[counted.Count - cap.Max].At + cap.Length : NextPeriodStart(at, cap.Per, zone);
                trail.Add(new DecisionStep($"cap {cap.Id}", "deferred", $"{counted.Count} of {cap.Max} {Scope(cap)} per {(cap.Rolling ? "rolling " : string.Empty)}{cap.Per.ToString().ToLowerInvariant()} used; next slot {Format(free)}"));
                reasons.Add($"cap '{cap.Id}' ({cap.Max} {Scope(cap)} per {cap.Per.ToString().ToLowerInvariant()})");
                at = free;
                moved = true;
            }

            if (!moved)
            {
                break;
            }
        }

        if (at == now)
        {
            trail.Add(new DecisionStep("quiet hours and caps", "passed", $"{TimeZoneInfo.ConvertTime(now, zone):yyyy-MM-dd HH\\:mm} in {zone.Id}"));
            return new SendDecision(DecisionKind.Send, null, "every check passed", trail.ToImmutable());
        }

        return Bounded(new SendDecision(DecisionKind.Defer, at, $"deferred to {Format(at)}: {string.Join(", ", reasons.Distinct(StringComparer.Ordinal))}", trail.ToImmutable()), validUntil, trail);
    }

    /// <summary>
    /// Send-time optimisation on top of a decision to send now: the contact's best hour before
    /// <paramref name="deadline"/> (see <see cref="SendTime"/>); later than a minute from now, the send is deferred to it.
    /// </summary>
    public static SendDecision WithSendTime(SendDecision decision, SendTime model, IEnumerable<DateTimeOffset> engagements, DateTimeOffset now, DateTimeOffset deadline)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(model);
        if (decision.Kind != DecisionKind.Send)
        {
            return decision;
        }

        var (best, probability) = model.Best(engagements, now, deadline > now ? deadline - now : TimeSpan.Zero);
        if (best <= now.AddMinutes(1))
        {
            return decision with { Trail = decision.Trail.Add(new DecisionStep("send time", "passed", $"now is the best hour before {Format(deadline)} (estimated open share {probability:P1})")) };
        }

        var step = new DecisionStep("send time", "deferred", $"best hour {Format(best)} before {Format(deadline)} (estimated open share {probability:P1})");
        return new SendDecision(DecisionKind.Defer, best, $"send-time optimisation: sent at the contact's best hour, {Format(best)}", decision.Trail.Add(step));
    }

    /// <summary>The contact's time zone, else the policy's.</summary>
    public static TimeZoneInfo ZoneOf(ContactState contact, Policy policy)
    {
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(policy);
        var id = contact.TimeZone ?? policy.TimeZone;
        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
    }

    private static SendDecision Bounded(SendDecision deferred, DateTimeOffset validUntil, ImmutableArray<DecisionStep>.Builder trail)
    {
        if (deferred.Until <= validUntil)
        {
            return deferred;
        }

        trail.Add(new DecisionStep("validity", "expired", $"valid until {Format(validUntil)}; the next chance is {Format(deferred.Until!.Value)}"));
        return new SendDecision(DecisionKind.Expire, null, $"expired: {deferred.Reason}, past its validity ({Format(validUntil)})", trail.ToImmutable());
    }

    private static DateTimeOffset PeriodStart(DateTimeOffset at, CapPeriod per, TimeZoneInfo zone)
    {
        var date = LocalTime.DateOf(at, zone);
        if (per == CapPeriod.Week)
        {
            date = date.AddDays(-(((int)date.DayOfWeek + 6) % 7));
        }

        return LocalTime.ToInstant(date, TimeOnly.MinValue, zone);
    }

    private static DateTimeOffset NextPeriodStart(DateTimeOffset at, CapPeriod per, TimeZoneInfo zone)
    {
        var start = LocalTime.DateOf(PeriodStart(at, per, zone), zone);
        return LocalTime.ToInstant(start.AddDays(per == CapPeriod.Day ? 1 : 7), TimeOnly.MinValue, zone);
    }

    private static string Scope(FrequencyCap cap) => cap.Channel == "any" ? "messages" : $"{cap.Channel} messages";

    private static string Name(ConsentState state) => Consents.NameOf(state).Replace('_', ' ');

    private static string Format(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
