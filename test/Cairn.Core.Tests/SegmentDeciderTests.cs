using System.Collections.Immutable;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Segments;
using CsCheck;

namespace Cairn.Core.Tests;

/// <summary>Live segment membership: parsing, incremental evaluation, and flips by time alone, with explicit times.</summary>
public sealed class SegmentDeciderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly ContactId Ann = new(Guid.Parse("0193a3c0-0000-7000-8000-00000000000a"));

    private static readonly SegmentDefinition PricingHot = Segment("""
        kind: segment
        id: pricing-hot
        name: Looked at pricing 3 times this week
        condition:
          performed: pricing_viewed
          at_least: 3
          within: 7d
        """);

    private static readonly SegmentDefinition HotPro = Segment("""
        kind: segment
        id: hot-pro
        name: Hot, on the pro plan
        condition:
          all:
            - in_segment: pricing-hot
            - { trait: plan, op: eq, value: pro }
        """);

    private static readonly SegmentDefinition Renewing = Segment("""
        kind: segment
        id: renewing
        name: Contract ends within 30 days
        condition: { trait: contract_end, op: within_next, value: 30d }
        """);

    [Fact]
    public void Parse_ReadsSegments_AndRejectsWhatCannotWork()
    {
        Assert.Equal(ComparisonOperator.WithinNext, Assert.IsType<Comparison>(Renewing.Condition).Operator);
        var exactly = Segment("kind: segment\nid: twice\nname: Twice\ncondition: { performed: login, exactly: 2 }");
        Assert.Equal((2, 2), ((PerformedCondition)exactly.Condition!).AtLeast is var least ? (least, ((PerformedCondition)exactly.Condition!).AtMost!.Value) : default);

        Assert.Contains(DocumentParser.Parse("kind: segment\nid: x\nname: X\ncondition: { property: a, op: eq, value: 1 }", "x").Errors, e => e.Message.Contains("compares traits", StringComparison.Ordinal));
        Assert.Contains(DocumentParser.Parse("kind: segment\nid: x\nname: X\ncondition: { trait: d, op: within_last, value: soon }", "x").Errors, e => e.Message.Contains("needs a duration", StringComparison.Ordinal));

        var engaged = (PerformedCondition)Segment("kind: segment\nid: e\nname: E\ncondition: { engaged: clicked, template: winback-30, within: 90d }").Condition!;
        Assert.Equal(("email_clicked", TimeSpan.FromDays(90), "template"), (engaged.Event, engaged.Within!.Value, ((Comparison)engaged.Where!).Path));
        Assert.Equal("sms_delivered", ((PerformedCondition)Segment("kind: segment\nid: e\nname: E\ncondition: { engaged: received, channel: sms }").Condition!).Event);
        Assert.Contains(DocumentParser.Parse("kind: segment\nid: x\nname: X\ncondition: { aggregate: sum, event: order_completed, value: 5 }", "x").Errors, e => e.Message == "'sum' needs 'of': the event property to aggregate (a dotted path)");
        Assert.Contains(DocumentParser.Parse("kind: segment\nid: x\nname: X\ncondition: { last_performed: login }", "x").Errors, e => e.Message.StartsWith("'last_performed' needs 'within'", StringComparison.Ordinal));
        Assert.Contains(DocumentParser.Parse("kind: segment\nid: x\nname: X\ncondition: { engaged: read }", "x").Errors, e => e.Message == "engaged is opened, clicked or received, not 'read'");

        var cycle = DocumentSet.Read(
        [
            ("a.yaml", "kind: segment\nid: a\nname: A\ncondition: { in_segment: b }"),
            ("b.yaml", "kind: segment\nid: b\nname: B\ncondition: { in_segment: a }"),
            ("c.yaml", "kind: segment\nid: c\nname: C\ncondition: { in_segment: nowhere }"),
        ]);
        Assert.Contains(cycle.Errors, e => e.Message == "segments refer to each other in a cycle: a -> b -> a");
        Assert.Contains(cycle.Errors, e => e.Message == "segment 'c' refers to the unknown segment 'nowhere'");
        Assert.Empty(SegmentLibrary.Of(cycle.Segments).Segments);
    }

    [Fact]
    public void WindowedPerformed_EntersOnTheThirdView_AndLeavesExactlyWhenTheFirstFallsOutOfTheWindow()
    {
        var library = SegmentLibrary.Of([HotPro, PricingHot]);
        Assert.Equal(["pricing-hot", "hot-pro"], library.Segments.Select(s => s.Id));
        var contact = new Contact(library, Profile("""{"plan":"pro"}"""));

        contact.Event("pricing_viewed", T0);
        contact.Event("pricing_viewed", T0.AddDays(1));
        Assert.Empty(contact.Profile.Segments);
        var third = contact.Event("pricing_viewed", T0.AddDays(2));

        Assert.Equal(["hot-pro", "pricing-hot"], contact.Profile.Segments.Keys);
        Assert.Equal([new SegmentChange("pricing-hot", true, "performed pricing_viewed"), new SegmentChange("hot-pro", true, "performed pricing_viewed")], third.Changes);
        Assert.Equal(T0.AddDays(7).AddTicks(10), third.NextCheck);

        var expired = contact.Recheck(third.NextCheck!.Value);
        Assert.Equal([new SegmentChange("pricing-hot", false, "time passed"), new SegmentChange("hot-pro", false, "time passed")], expired.Changes);

        // Two views are left in the window: time alone cannot bring the third back, so nothing is to be rechecked.
        Assert.Null(expired.NextCheck);
    }

    [Fact]
    public void RevenueInAYear_EntersWhenTheSumReachesTheValue_AndLeavesWhenAnOrderLeavesTheWindow()
    {
        var big = Segment("kind: segment\nid: big\nname: 500+ in a year\ncondition: { aggregate: sum, of: revenue, event: order_completed, within: 365d, op: gte, value: 500 }");
        var lapsed = Segment("kind: segment\nid: lapsed\nname: No order for 90 days\ncondition: { last_performed: order_completed, before: 90d }");
        var contact = new Contact(SegmentLibrary.Of([big, lapsed]), Profile("{}"));
        contact.Order(300, T0);
        var second = contact.Order(250, T0.AddDays(100));
        Assert.Equal([new SegmentChange("big", true, "performed order_completed")], second.Changes);
        Assert.Equal(T0.AddDays(190).AddTicks(10), second.NextCheck);

        var quiet = contact.Recheck(second.NextCheck!.Value);
        Assert.Equal([new SegmentChange("lapsed", true, "time passed")], quiet.Changes);
        Assert.Equal(T0.AddDays(365).AddTicks(10), quiet.NextCheck);
        Assert.Equal([new SegmentChange("big", false, "time passed")], contact.Recheck(quiet.NextCheck!.Value).Changes);
    }

    [Fact]
    public void FirstOccurrence_BetweenTwoDates_HoldsOnlyForThatCohort()
    {
        var november = Segment("kind: segment\nid: nov\nname: Signed up in November\ncondition: { first_performed: signed_up, after: 2026-11-01, before: 2026-12-01 }");
        var late = new Contact(SegmentLibrary.Of([november]), Profile("{}"));
        Assert.True(late.Event("signed_up", T0).Changes.Single().Entered);
        Assert.Null(late.Event("signed_up", T0.AddDays(40)).NextCheck);
        Assert.Equal(["nov"], late.Profile.Segments.Keys);

        var early = new Contact(SegmentLibrary.Of([november]), Profile("{}"));
        Assert.Empty(early.Event("signed_up", T0.AddDays(-10)).Changes);
        Assert.Contains(DocumentParser.Parse("kind: segment\nid: x\nname: X\ncondition: { last_performed: login, before: soon }", "x").Errors, e => e.Message == "'before' is a duration (e.g. 90d) or a date (e.g. 2026-01-01), not 'soon'");
    }

    [Fact]
    public void DateRange_EntersThirtyDaysBefore_AndLeavesAfterTheDate()
    {
        var contact = new Contact(SegmentLibrary.Of([Renewing]), Profile("""{"contract_end":"2026-12-15T00:00:00Z"}"""));
        var now = contact.Recheck(T0);
        Assert.Empty(contact.Profile.Segments);
        Assert.Equal(new DateTimeOffset(2026, 11, 15, 0, 0, 0, TimeSpan.Zero), now.NextCheck);
        Assert.True(contact.Recheck(now.NextCheck!.Value).Changes.Single().Entered);
        Assert.False(contact.Recheck(new DateTimeOffset(2026, 12, 15, 0, 0, 0, TimeSpan.Zero).AddTicks(10)).Changes.Single().Entered);
    }

    [Fact]
    public void IncrementalMembership_EqualsAFromScratchEvaluation_ForRandomStreams_AtEveryPoint()
    {
        var library = SegmentLibrary.Of([PricingHot, HotPro, Renewing, Segment("""
            kind: segment
            id: quiet
            name: No demo request, not on free
            condition:
              all:
                - { not_performed: demo_requested }
                - { not: { trait: plan, op: eq, value: free } }
            """),
            Segment("kind: segment\nid: lapsed\nname: Pricing, but not for 3 days\ncondition: { last_performed: pricing_viewed, before: 3d }"),
            Segment("kind: segment\nid: new-demo\nname: First demo in the last 5 days\ncondition: { first_performed: demo_requested, within: 5d }"),
            Segment("kind: segment\nid: pages\nname: Page value 4+ in 6 days\ncondition: { aggregate: sum, of: amount, event: page_viewed, within: 6d, op: gte, value: 4 }"),
            Segment("kind: segment\nid: varied\nname: Two distinct amounts in 2 days\ncondition: { aggregate: distinct, of: amount, event: page_viewed, within: 2d, op: gte, value: 2 }"),
            Segment("kind: segment\nid: busy\nname: Pricing twice in 4 days, lapsed or not\ncondition: { any: [ { aggregate: count, event: pricing_viewed, within: 4d, op: gte, value: 2 }, { in_segment: lapsed } ] }")]);
        string[] events = ["pricing_viewed", "demo_requested", "page_viewed"];
        string[] plans = ["pro", "free", "team"];
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 20 * 24], Gen.Int[0, 2]).Array[1, 40].Sample(inputs =>
        {
            var contact = new Contact(library, Profile("""{"contract_end":"2026-11-25T00:00:00Z"}"""));
            contact.Recheck(T0);
            foreach (var (kind, hours, pick) in inputs.OrderBy(input => input.Item2))
            {
                var at = T0.AddHours(hours);
                contact.FireTimersUntil(at);
                if (kind < 3)
                {
                    contact.Event(events[pick], at, amount: (kind + pick) % 3 + 1);
                }
                else
                {
                    contact.Traits($$"""{"plan":"{{plans[pick]}}"}""", at);
                }

                var scratch = SegmentDecider.Decide(contact.Profile with { Segments = ImmutableSortedDictionary.Create<string, SegmentMembership>(StringComparer.Ordinal) }, library, contact.History, SegmentCause.All("scratch"), at);
                Assert.Equal(scratch.Segments.Keys, contact.Profile.Segments.Keys);
            }

            var end = T0.AddDays(40);
            contact.FireTimersUntil(end);
            var final = SegmentDecider.Decide(contact.Profile with { Segments = ImmutableSortedDictionary.Create<string, SegmentMembership>(StringComparer.Ordinal) }, library, contact.History, SegmentCause.All("scratch"), end);
            Assert.Equal(final.Segments.Keys, contact.Profile.Segments.Keys);
        });
    }

    [Fact]
    public void WindowedPerformed_OnAHistoryGroupedByName_HoldsAsAPlainCount_AndNextFlipsWhenThatCountFirstSaysOtherwise()
    {
        string[] names = ["a", "b", "c"];
        var events = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 30 * 24]).Array[0, 60];
        Gen.Select(events, Gen.Int[0, 2], Gen.Int[0, 4], Gen.Int[-1, 6], Gen.Int[1, 20]).Sample((happened, pick, atLeast, atMost, days) =>
        {
            var now = T0.AddDays(30);
            var window = TimeSpan.FromDays(days);
            var history = happened.Select(e => new PastEvent(names[e.Item1], T0.AddHours(e.Item2), null)).OrderByDescending(e => e.Timestamp).ToList();
            var most = atMost < 0 ? string.Empty : $", at_most: {Math.Max(atMost, atLeast)}";
            var segment = Segment($"kind: segment\nid: s\nname: S\ncondition: {{ performed: {names[pick]}, at_least: {atLeast}{most}, within: {days}d }}");
            var context = new EvaluationContext(Profile("{}"), null, null, new PastEvents(history), now);

            // The oracle: a plain count over the whole history at any time, tried at every moment an event leaves the window.
            bool HoldsAt(DateTimeOffset at)
            {
                var count = history.Count(e => e.Name == names[pick] && e.Timestamp >= at - window);
                return count >= atLeast && (atMost < 0 || count <= Math.Max(atMost, atLeast));
            }

            var holds = HoldsAt(now);
            Assert.Equal(holds, ConditionEvaluator.Holds(segment.Condition!, context));
            var exits = history.Where(e => e.Name == names[pick]).Select(e => e.Timestamp + window + TimeSpan.FromTicks(10)).Where(at => at > now).Order().ToList();
            var flip = exits.Where(at => HoldsAt(at) != holds).Select(at => (DateTimeOffset?)at).FirstOrDefault();
            var next = SegmentDecider.NextChange(segment.Condition!, context);

            // Never late; exact unless events leave the window together (the count can jump over the bound: a recheck then finds nothing changed).
            Assert.True(flip is null ? next is null || exits.Count != exits.Distinct().Count() : next <= flip, $"next {next}, flip {flip}");
            if (exits.Count == exits.Distinct().Count())
            {
                Assert.Equal(flip, next);
            }
        });
    }

    private static SegmentDefinition Segment(string yaml)
    {
        var parsed = DocumentParser.Parse(yaml, "segment.yaml");
        Assert.Empty(parsed.Errors);
        return Assert.IsType<ParsedSegment>(parsed).Segment;
    }

    private static ContactState Profile(string traits) =>
        ContactDecider.Decide(null, new MessageReceived(Ann, TestMessages.Identify("ann", null, traits, T0.AddDays(-30))), T0.AddDays(-30)).State;

    /// <summary>One contact: inputs are applied as the partition does, with only the segments they affect, and timers at NextCheck.</summary>
    private sealed class Contact(SegmentLibrary library, ContactState profile)
    {
        private readonly List<PastEvent> _history = [];
        private readonly SortedSet<DateTimeOffset> _timers = [];
        private int _messages;

        public ContactState Profile { get; private set; } = profile;

        public IReadOnlyList<PastEvent> History => _history;

        public SegmentDecision Event(string name, DateTimeOffset at, int amount = 1)
        {
            var message = TestMessages.Read($$"""{"type":"track","messageId":"m-{{++_messages}}","userId":"ann","event":"{{name}}","properties":{"amount":{{amount}}},"timestamp":"{{at:O}}"}""", receivedAt: at);
            Profile = ContactDecider.Decide(Profile, new MessageReceived(Ann, message), at).State;
            _history.Insert(0, new PastEvent(name, at, message.Properties));
            return Apply(new SegmentCause(ImmutableHashSet<string>.Empty, name, false, $"performed {name}"), at);
        }

        public SegmentDecision Order(decimal revenue, DateTimeOffset at)
        {
            var message = TestMessages.Read($$"""{"type":"track","messageId":"m-{{++_messages}}","userId":"ann","event":"order_completed","properties":{"revenue":{{revenue}}},"timestamp":"{{at:O}}"}""", receivedAt: at);
            Profile = ContactDecider.Decide(Profile, new MessageReceived(Ann, message), at).State;
            _history.Insert(0, new PastEvent("order_completed", at, message.Properties));
            return Apply(new SegmentCause(ImmutableHashSet<string>.Empty, "order_completed", false, "performed order_completed"), at);
        }

        public SegmentDecision Traits(string traits, DateTimeOffset at)
        {
            var before = Profile;
            Profile = ContactDecider.Decide(Profile, new MessageReceived(Ann, TestMessages.Identify("ann", null, traits, at)), at).State;
            var changed = Profile.Traits.Keys.Where(key => !before.Traits.TryGetValue(key, out var old) || !System.Text.Json.JsonElement.DeepEquals(old.Value, Profile.Traits[key].Value)).ToHashSet();
            return Apply(new SegmentCause(changed, "$identify", false, "traits changed"), at);
        }

        public SegmentDecision Recheck(DateTimeOffset at) => Apply(SegmentCause.All("time passed"), at);

        public void FireTimersUntil(DateTimeOffset until)
        {
            while (_timers.Count > 0 && _timers.Min <= until)
            {
                var due = _timers.Min;
                _timers.Remove(due);
                Recheck(due);
            }
        }

        private SegmentDecision Apply(SegmentCause cause, DateTimeOffset at)
        {
            var decision = SegmentDecider.Decide(Profile, library, _history, cause, at);
            Profile = Profile with { Segments = decision.Segments };
            if (decision.NextCheck is { } next)
            {
                _timers.Add(next);
            }

            return decision;
        }
    }
}
