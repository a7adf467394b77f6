using System.Text.Json;
using Cairn.Core.Consent;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Orchestration;
using Cairn.Core.Segments;

namespace Cairn.Core.Tests;

/// <summary>The orchestrator's decisions with explicit times: consent, suppression rules, quiet hours, caps, validity.</summary>
public sealed class OrchestratorTests
{
    // Tuesday 24 November 2026, 14:00 UTC = 09:00 in New York.
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 14, 0, 0, TimeSpan.Zero);
    private static readonly ContactId Ann = new(Guid.Parse("0193a3c0-0000-7000-8000-0000000000b1"));

    private static Policy Policy(string yaml)
    {
        var parsed = DocumentParser.Parse("kind: policy\nid: default\n" + yaml, "policy.yaml");
        Assert.True(parsed.Errors.IsEmpty, string.Join("; ", parsed.Errors));
        return Assert.IsType<ParsedPolicy>(parsed).Policy;
    }

    private static ContactState Contact(string? timeZone = "America/New_York") => ContactState.New(Ann, Now) with { TimeZone = timeZone };

    private static SendRequest Request(string channel, int priority = 50, JourneyCategory category = JourneyCategory.Promotional, string? group = null) =>
        new($"m-{channel}-{priority}", channel, category, priority, group, Now);

    [Fact]
    public void ThreeJourneysUnderACapOfTwoADay_TheTwoHighestPrioritiesGo_TheThirdWaitsForTheNextLocalDay()
    {
        var policy = Policy("caps:\n  - { id: daily, channel: any, max: 2, per: day }");
        var contact = Contact();
        var sent = new List<SentMessage>();
        var decisions = new List<(int Priority, SendDecision Decision)>();
        foreach (var priority in new[] { 90, 70, 50 })
        {
            var decision = Orchestrator.Decide(policy, contact, Request("email", priority), sent, [], Now);
            decisions.Add((priority, decision));
            if (decision.Kind == DecisionKind.Send)
            {
                sent.Add(new SentMessage("email", JourneyCategory.Promotional, Now));
            }
        }

        Assert.Equal([DecisionKind.Send, DecisionKind.Send, DecisionKind.Defer], decisions.Select(d => d.Decision.Kind));
        var third = decisions[2].Decision;

        // Midnight in New York is 05:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 5, 0, 0, TimeSpan.Zero), third.Until);
        Assert.Contains(third.Trail, step => step.Check == "cap daily" && step.Detail.StartsWith("2 of 2 messages per day used", StringComparison.Ordinal));

        // A transactional message passes the cap.
        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(policy, contact, Request("email", 10, JourneyCategory.Transactional), sent, [], Now).Kind);
    }

    [Fact]
    public void RollingCapsFreeASlotWhenTheOldestSendLeavesTheWindow()
    {
        var policy = Policy("caps:\n  - { id: sms-daily, channel: sms, max: 2, per: day, rolling: true }\nquiet_hours: []");
        var sent = new List<SentMessage> { new("sms", JourneyCategory.Promotional, Now.AddHours(-5)), new("sms", JourneyCategory.Promotional, Now.AddHours(-1)), new("email", JourneyCategory.Promotional, Now) };
        var decision = Orchestrator.Decide(policy, Contact(), Request("sms"), sent, [], Now);
        Assert.Equal((DecisionKind.Defer, Now.AddHours(19)), (decision.Kind, decision.Until));
    }

    [Fact]
    public void SmsIsHeldOutsideEightToNineLocal_ByDefault_AndACapDeferralLandingInQuietHoursMovesOn()
    {
        // 22:30 in New York, to a contact who opted in to texts (the default policy requires it for marketing SMS).
        var late = new DateTimeOffset(2026, 11, 25, 3, 30, 0, TimeSpan.Zero);
        var texting = ContactDecider.Decide(Contact(), new ConsentChanged(Ann, "sms", null, new ConsentRecord(ConsentState.OptedIn, "form-7", Now, "Text me offers")), Now).State;
        var decision = Orchestrator.Decide(Orchestration.Policy.Default, texting, Request("sms") with { CreatedAt = late }, [], [], late);
        Assert.Equal((DecisionKind.Defer, new DateTimeOffset(2026, 11, 25, 13, 0, 0, TimeSpan.Zero)), (decision.Kind, decision.Until));
        Assert.Contains(decision.Trail, step => step.Check == "quiet hours sms" && step.Detail.Contains("22:30 local", StringComparison.Ordinal));

        // A contact without a time zone uses the policy's.
        var utc = Orchestrator.Decide(Policy("time_zone: Europe/Paris\nquiet_hours: [{ channel: sms, from: \"21:00\", to: \"08:00\" }]"), Contact(null), Request("sms") with { CreatedAt = late }, [], [], late);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 7, 0, 0, TimeSpan.Zero), utc.Until);

        // The daily cap pushes to midnight, which is quiet for SMS: 08:00 it is.
        var policy = Policy("caps: [{ id: one, channel: sms, max: 1, per: day }]\nquiet_hours: [{ channel: sms, from: \"21:00\", to: \"08:00\" }]");
        var capped = Orchestrator.Decide(policy, Contact(), Request("sms"), [new SentMessage("sms", JourneyCategory.Promotional, Now.AddHours(-1))], [], Now);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 13, 0, 0, TimeSpan.Zero), capped.Until);
        Assert.Equal(["consent", "cap one", "quiet hours sms"], capped.Trail.Select(step => step.Check));

        // Transactional SMS (a one-time code) is not held, and needs no marketing opt-in.
        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(Orchestration.Policy.Default, Contact(), Request("sms", category: JourneyCategory.Transactional), [], [], late).Kind);
    }

    [Fact]
    public void TheDefaultPolicy_SuppressesPromotionalSms_ToAContactWhoNeverOptedIn()
    {
        var decision = Orchestrator.Decide(Orchestration.Policy.Default, Contact(), Request("sms"), [], [], Now);
        Assert.Equal(DecisionKind.Suppress, decision.Kind);
        Assert.Contains(decision.Trail, step => step.Check == "consent" && step.Detail.Contains("opt-in", StringComparison.Ordinal));
        Assert.Empty(Orchestration.Policy.Default.Warnings());
    }

    [Fact]
    public void AMessageThatCouldOnlyGoOutAfterItsValidityExpires()
    {
        var policy = Policy("valid_for: 6h\ncaps: [{ id: daily, channel: email, max: 1, per: day }]");
        var decision = Orchestrator.Decide(policy, Contact(), Request("email"), [new SentMessage("email", JourneyCategory.Promotional, Now)], [], Now);
        Assert.Equal(DecisionKind.Expire, decision.Kind);
        Assert.Equal(("validity", "expired"), (decision.Trail[^1].Check, decision.Trail[^1].Result));
    }

    [Fact]
    public void ConsentAndSuppressionRulesDecideFirst()
    {
        var optedOut = Contact() with { Consents = Consents.None.SetItem("email:offers", new ConsentRecord(ConsentState.OptedOut, "link", Now, null)) };
        var blocked = Orchestrator.Decide(Orchestration.Policy.Default, optedOut, Request("email", group: "offers"), [], [], Now);
        Assert.Equal((DecisionKind.Suppress, "the contact opted out of email (offers)"), (blocked.Kind, blocked.Reason));
        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(Orchestration.Policy.Default, optedOut, Request("email", group: "news"), [], [], Now).Kind);

        var optIn = Policy("require_opt_in: [sms]\nquiet_hours: []");
        Assert.Equal(DecisionKind.Suppress, Orchestrator.Decide(optIn, Contact(), Request("sms"), [], [], Now).Kind);

        var rules = Policy("""
            suppression_rules:
              - { id: open-ticket, when: { in_segment: open-ticket }, categories: [promotional], action: hold }
              - { id: customers, when: { stage: customer }, categories: [promotional], action: drop }
            """);
        var inTicket = Contact() with { Segments = Contact().Segments.Add("open-ticket", new SegmentMembership(Now, "ticket_opened")) };
        var held = Orchestrator.Decide(rules, inTicket, Request("email"), [], [], Now);
        Assert.Equal((DecisionKind.Defer, Now + Orchestrator.HoldRecheck), (held.Kind, held.Until));
        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(rules, inTicket, Request("email", category: JourneyCategory.Operational), [], [], Now).Kind);
        var customer = Contact() with { Traits = Contact().Traits.SetItem("lifecycle_stage", new TraitValue(JsonSerializer.SerializeToElement("customer"), Now)) };
        Assert.Equal(DecisionKind.Suppress, Orchestrator.Decide(rules, customer, Request("email"), [], [], Now).Kind);
    }

    [Fact]
    public void AnOpenTicket_IsATicketOpenedAndNotClosedSince()
    {
        var parsed = DocumentParser.Parse("kind: segment\nid: open-ticket\nname: Open ticket\ncondition: { last_performed: ticket_opened, not_followed_by: ticket_closed }", "s.yaml");
        Assert.Empty(parsed.Errors);
        var condition = Assert.IsType<ParsedSegment>(parsed).Segment.Condition!;
        Assert.Equal(["ticket_closed", "ticket_opened"], SegmentConditions.HistoryEvents(condition).Order(StringComparer.Ordinal));
        var history = new List<Journeys.Engine.PastEvent>();
        bool Open(string name, DateTimeOffset at)
        {
            history.Insert(0, new Journeys.Engine.PastEvent(name, at, null));
            return Journeys.Engine.ConditionEvaluator.Holds(condition, new Journeys.Engine.EvaluationContext(Contact(), null, null, history, at));
        }

        Assert.True(Open("ticket_opened", Now));
        Assert.True(Open("page_viewed", Now.AddMinutes(1)));
        Assert.False(Open("ticket_closed", Now.AddHours(1)));
        Assert.True(Open("ticket_opened", Now.AddHours(2)));
        Assert.Contains(DocumentParser.Parse("kind: segment\nid: x\nname: X\ncondition: { first_performed: a, not_followed_by: b }", "x").Errors, e => e.Message.Contains("goes with 'last_performed'", StringComparison.Ordinal));
    }

    [Fact]
    public void ContactsWhoStoppedEngaging_AreThrottled_ThenSunset_UntilTheyEngageAgain()
    {
        var policy = Policy("valid_for: 14d\nengagement:\n  channel: email\n  throttle: { after: 90d, max: 1, per: week }\n  sunset: { after: 180d }");
        var old = ContactState.New(Ann, Now.AddDays(-400)) with { TimeZone = "America/New_York" };
        Journeys.Engine.PastEvent Opened(int daysAgo) => new("email_opened", Now.AddDays(-daysAgo), null);

        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(policy, old, Request("email"), [], [Opened(10)], Now).Kind);

        // Idle for 100 days: one promotional email a week.
        var sentThisWeek = new List<SentMessage> { new("email", JourneyCategory.Promotional, Now.AddDays(-1)) };
        var throttled = Orchestrator.Decide(policy, old, Request("email"), sentThisWeek, [Opened(100)], Now);
        Assert.Equal(DecisionKind.Defer, throttled.Kind);
        Assert.Contains(throttled.Trail, step => step.Check == "engagement" && step.Detail.StartsWith("throttled", StringComparison.Ordinal));
        Assert.Contains(throttled.Trail, step => step.Check == "cap engagement-throttle");

        // Idle for 200 days: no promotional email; transactional and operational still go; a brand-new contact is active.
        var sunset = Orchestrator.Decide(policy, old, Request("email"), [], [Opened(200)], Now);
        Assert.Equal((DecisionKind.Suppress, "sunset: no email open or click in 180d"), (sunset.Kind, sunset.Reason));
        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(policy, old, Request("email", category: JourneyCategory.Operational), [], [], Now).Kind);
        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(policy, Contact(), Request("email"), [], [], Now).Kind);
        Assert.Equal(("sunset", old.CreatedAt), policy.Engagement!.Standing(old, [], Now));
    }

    [Fact]
    public void PolicyDocumentsAreCheckedWhenRead()
    {
        string[] Errors(string yaml) => [.. DocumentParser.Parse("kind: policy\nid: default\n" + yaml, "p.yaml").Errors.Select(error => error.Message)];
        Assert.Contains(Errors("time_zone: Mars/Olympus"), error => error.Contains("unknown time zone", StringComparison.Ordinal));
        Assert.Contains(Errors("caps: [{ id: c, channel: fax, max: 1, per: day }]"), error => error.Contains("unknown channel 'fax'", StringComparison.Ordinal));
        Assert.Contains(Errors("caps: [{ id: c, channel: email, max: 1, per: month }]"), error => error.Contains("'per' is day or week", StringComparison.Ordinal));
        Assert.Contains(Errors("suppression_rules: [{ id: r, when: { performed: ticket_opened, within: 7d } }]"), error => error.Contains("in_segment", StringComparison.Ordinal));
        Assert.Contains(Errors("quiet_hours: [{ channel: sms, from: \"21:00\", to: \"21:00\" }]"), error => error.Contains("differ", StringComparison.Ordinal));
    }

    [Fact]
    public void ChannelPreference_IsDeclared_OrLearnedFromEngagementOnceThereIsEnoughOfIt()
    {
        static ContactState With(ContactState contact, params (string Name, long Count)[] counts) =>
            contact with { EventCounts = counts.Aggregate(contact.EventCounts, (all, count) => all.SetItem(count.Name, count.Count)) };

        // Two emails clicked out of two: too little to learn from.
        Assert.Null(ChannelPreference.Of(With(Contact(), ("email_sent", 2), ("email_clicked", 2))));

        // Enough messages on both: the better-engaged channel is learned; opens on a channel never outnumber its messages.
        var learned = With(Contact(), ("email_sent", 10), ("email_delivered", 8), ("email_opened", 30), ("sms_delivered", 4), ("sms_clicked", 3));
        Assert.Equal(("email", "learned"), ChannelPreference.Of(learned));
        Assert.Equal([("email", 10L, 10L), ("sms", 4L, 3L)], ChannelPreference.Engagement(learned).Select(c => (c.Channel, c.Received, c.Engaged)));

        // Equal evidence decides nothing; a declared preference always wins.
        Assert.Null(ChannelPreference.Learned(With(Contact(), ("email_sent", 5), ("sms_sent", 5))));
        var declared = learned with { Traits = learned.Traits.SetItem(ChannelPreference.Trait, new TraitValue(JsonSerializer.SerializeToElement("sms"), Now)) };
        Assert.Equal(("sms", "declared"), ChannelPreference.Of(declared));
    }
}
