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

        Assert.Contains(JourneyDocument.Parse("kind: segment\nid: x\nname: X\ncondition: { property: a, op: eq, value: 1 }", "x").Errors, e => e.Message.Contains("compares traits", StringComparison.Ordinal));
        Assert.Contains(JourneyDocument.Parse("kind: segment\nid: x\nname: X\ncondition: { trait: d, op: within_last, value: soon }", "x").Errors, e => e.Message.Contains("needs a duration", StringComparison.Ordinal));

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
        Assert.Equal(T0.AddDays(8).AddTicks(10), expired.NextCheck);
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
            """)]);
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
                    contact.Event(events[pick], at);
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

    private static SegmentDefinition Segment(string yaml)
    {
        var parsed = JourneyDocument.Parse(yaml, "segment.yaml");
        Assert.Empty(parsed.Errors);
        return parsed.Segment!;
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

        public SegmentDecision Event(string name, DateTimeOffset at)
        {
            var message = TestMessages.Read($$"""{"type":"track","messageId":"m-{{++_messages}}","userId":"ann","event":"{{name}}","timestamp":"{{at:O}}"}""", receivedAt: at);
            Profile = ContactDecider.Decide(Profile, new MessageReceived(Ann, message), at).State;
            _history.Insert(0, new PastEvent(name, at, message.Properties));
            return Apply(new SegmentCause(ImmutableHashSet<string>.Empty, name, false, $"performed {name}"), at);
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
