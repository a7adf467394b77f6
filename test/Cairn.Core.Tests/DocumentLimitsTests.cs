using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Cairn.Core.Journeys;
using Cairn.Core.Segments;

namespace Cairn.Core.Tests;

/// <summary>
/// The limits documents are read within (<see cref="DocumentLimits"/>): each is an error with its line, checked before
/// anything recurses, and every walk over what a document describes keeps its own stack.
/// </summary>
public sealed class DocumentLimitsTests
{
    private const string Leaf = "{ trait: plan, op: eq, value: pro }";

    /// <summary>A condition of <paramref name="levels"/> levels: <c>not</c> inside <c>not</c> … around one comparison.</summary>
    private static string Nots(int levels, string leaf = Leaf) =>
        string.Concat(Enumerable.Repeat("{ not: ", levels - 1)) + leaf + new string('}', levels - 1);

    private static ImmutableArray<DocumentError> Errors(string text) => DocumentParser.Parse(text, "d.yaml").Errors;

    [Fact]
    public void Parse_TheIssuesSegmentOf20000NestedLists_IsAnErrorNamingTheLimitAndLine()
    {
        var text = "kind: segment\nid: deep\nname: Deep\ncondition: " + new string('[', 20_000) + new string(']', 20_000) + "\n";

        var error = Assert.Single(Errors(text));

        Assert.Equal(4, error.Line);
        Assert.Equal($"lists and mappings nest deeper than the limit of {DocumentLimits.MaxNesting} levels", error.Message);
    }

    [Fact]
    public void Parse_NestingInBlockStyleAndInJson_IsCheckedTheSameWay()
    {
        var block = new StringBuilder("kind: segment\nid: deep\nname: Deep\ncondition:\n");
        for (var level = 1; level <= 200; level++)
        {
            block.Append(' ', level * 2).Append("not:\n");
        }

        block.Append(' ', 402).Append("{ trait: plan }\n");
        var json = "{\"kind\":\"segment\",\"id\":\"deep\",\"name\":\"Deep\",\"condition\":" + string.Concat(Enumerable.Repeat("{\"not\":", 500)) + "{}" + new string('}', 501);

        Assert.Contains(Errors(block.ToString()), error => error.Message.Contains($"limit of {DocumentLimits.MaxNesting} levels", StringComparison.Ordinal));
        Assert.Contains(Errors(json), error => error.Message.Contains($"limit of {DocumentLimits.MaxNesting} levels", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ConditionsAtTheLimit_AreRead_AndOneLevelMore_IsAnErrorWithThePath()
    {
        var atLimit = DocumentParser.Parse($"kind: segment\nid: s\nname: S\ncondition: {Nots(DocumentLimits.MaxConditionDepth)}\n", "s.yaml");
        Assert.Empty(atLimit.Errors);
        Assert.IsType<ParsedSegment>(atLimit);

        var error = Assert.Single(Errors($"kind: segment\nid: s\nname: S\n\ncondition: {Nots(DocumentLimits.MaxConditionDepth + 1)}\n"));
        Assert.Equal(5, error.Line);
        Assert.Equal(
            $"conditions nest deeper than the limit of {DocumentLimits.MaxConditionDepth} levels (at condition{string.Concat(Enumerable.Repeat(".not", DocumentLimits.MaxConditionDepth))})",
            error.Message);
    }

    [Fact]
    public void Parse_ListsAllAnyAndWhere_EachCountAsALevel()
    {
        var lists = new string('[', 33) + Leaf + new string(']', 33);
        var error = Assert.Single(Errors($"kind: segment\nid: s\nname: S\ncondition: {lists}"));
        Assert.EndsWith($"(at condition{string.Concat(Enumerable.Repeat("[0]", 32))})", error.Message, StringComparison.Ordinal);

        var mixed = string.Concat(Enumerable.Repeat("{ all: [", 11)) + string.Concat(Enumerable.Repeat("{ any: [", 11))
            + string.Concat(Enumerable.Repeat("{ performed: e, where: ", 11)) + "{ property: p, op: eq, value: 1 }"
            + new string('}', 11) + string.Concat(Enumerable.Repeat("] }", 22));
        error = Assert.Single(Errors($"kind: segment\nid: s\nname: S\ncondition: {mixed}"));
        Assert.Contains("(at condition.all[0].all[0]", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(".where.where)", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> EveryPlaceAConditionIsRead() => new()
    {
        { "segment condition", "kind: segment\nid: s\nname: S\ncondition: {0}\n" },
        { "journey trigger where", "id: j\nname: J\ntrigger: {{ event: e, where: {0} }}\nsteps:\n  - {{ id: a, wait: 1h }}\n" },
        { "journey audience", "id: j\nname: J\ntrigger: {{ event: e }}\nentry: {{ audience: {0} }}\nsteps:\n  - {{ id: a, wait: 1h }}\n" },
        { "journey branch", "id: j\nname: J\ntrigger: {{ event: e }}\nsteps:\n  - id: b\n    branch:\n      - {{ when: {0}, next: end }}\n    else: end\n" },
        { "journey exit criterion", "id: j\nname: J\ntrigger: {{ event: e }}\nsteps:\n  - {{ id: a, wait: 1h }}\nexit_when:\n  - {0}\n" },
        { "journey exit event", "id: j\nname: J\ntrigger: {{ event: e }}\nsteps:\n  - {{ id: a, wait: 1h }}\nexit_when:\n  - {{ event: x, where: {0} }}\n" },
        { "journey goal", "id: j\nname: J\ntrigger: {{ event: e }}\nsteps:\n  - {{ id: a, wait: 1h }}\ngoal: {{ event: g, within: 7d, where: {0} }}\n" },
        { "journey wait_for", "id: j\nname: J\ntrigger: {{ event: e }}\nsteps:\n  - id: w\n    wait_for: {{ event: x, timeout: 1d, where: {0} }}\n    exits: {{ happened: end, timed_out: end }}\n" },
        { "scoring rule where", "kind: scoring_model\nid: m\nname: M\nrules:\n  - {{ id: r, event: e, points: 1, where: {0} }}\n" },
        { "scoring fit when", "kind: scoring_model\nid: m\nname: M\nfit:\n  - {{ id: f, points: 1, when: {0} }}\n" },
        { "policy rule", "kind: policy\nid: default\nname: P\nsuppression_rules:\n  - {{ id: r, when: {0} }}\n" },
        { "sales routing", "kind: sales_team\nid: t\nname: T\nowners:\n  - {{ id: o, name: O, email: o@example.com }}\nrouting:\n  - {{ name: r, owners: [o], when: {0} }}\n" },
    };

    [Theory]
    [MemberData(nameof(EveryPlaceAConditionIsRead))]
    public void Parse_EveryDocumentKind_ChecksConditionDepthInOnePlace(string place, string document)
    {
        var errors = Errors(string.Format(System.Globalization.CultureInfo.InvariantCulture, document, Nots(DocumentLimits.MaxConditionDepth + 1)));

        Assert.True(
            errors.Count(error => error.Message.StartsWith($"conditions nest deeper than the limit of {DocumentLimits.MaxConditionDepth} levels", StringComparison.Ordinal)) == 1,
            $"{place}: {string.Join("; ", errors)}");
    }

    [Theory]
    [InlineData("condition: &x [*x]", "the alias '*x' must refer to an anchor ('&x') defined before it")]
    [InlineData("condition: { all: [*x] }\nx: &x { trait: a }", "the alias '*x' must refer to an anchor ('&x') defined before it")]
    [InlineData("description: &x one\ncondition: &x { not: *x }", "the alias '*x' must refer to an anchor ('&x') defined before it")]
    [InlineData("condition: { trait: a, op: in, value: &v [1, *v] }", "the alias '*v' must refer to an anchor ('&v') defined before it")]
    [InlineData("condition: { ? [a] : b }", "a key must be text, not a list or a mapping")]
    [InlineData("description: &k [a]\ncondition: { *k : d }", "a key must be text, not a list or a mapping")]
    public void Parse_AliasCyclesAndComplexKeys_AreErrors_NotInfiniteRecursion(string body, string message)
    {
        var errors = Errors("kind: segment\nid: s\nname: S\n" + body + "\n");

        Assert.Contains(errors, error => error.Message.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_AnAliasExpandingPastTheLimits_IsAnError()
    {
        // "Billion laughs": ten levels of ten aliases would expand to 10^10 values.
        var laughs = new StringBuilder("kind: template\nid: t\nchannel: sms\ntext: hi\nsample:\n  l0: &l0 [lol]\n");
        for (var level = 1; level < 10; level++)
        {
            laughs.Append(System.Globalization.CultureInfo.InvariantCulture, $"  l{level}: &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 10))}]\n");
        }

        var deep = new StringBuilder("kind: segment\nid: s\nname: S\ndescription: &d " + new string('[', 100) + new string(']', 100) + "\ncondition:\n  trait: a\n  op: in\n  value: ");
        deep.Append(new string('[', 40)).Append("*d").Append(new string(']', 40));

        var watch = Stopwatch.StartNew();
        Assert.Contains(Errors(laughs.ToString()), error => error.Message == "the document holds more than 1,000,000 values (aliases expanded)");
        Assert.Contains(Errors(deep.ToString()), error => error.Message == $"with the alias '*d' expanded, lists and mappings nest deeper than the limit of {DocumentLimits.MaxNesting} levels");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Parse_AliasesWithinTheLimits_StillWork()
    {
        var parsed = DocumentParser.Parse("kind: segment\nid: s\nname: S\ncondition: { any: [&pro { trait: plan, op: eq, value: pro }, { not: *pro }] }\n", "s.yaml");

        Assert.Empty(parsed.Errors);
        var any = Assert.IsType<AnyCondition>(Assert.IsType<ParsedSegment>(parsed).Segment.Condition);
        Assert.Equal("plan", Assert.IsType<Comparison>(Assert.IsType<NotCondition>(any.Conditions[1]).Condition).Path);
    }

    [Fact]
    public void Parse_ValuesNestedPastTheLimit_AreErrors()
    {
        var value = new string('[', DocumentLimits.MaxValueDepth + 1) + "1" + new string(']', DocumentLimits.MaxValueDepth + 1);
        var sample = string.Concat(Enumerable.Repeat("{a: ", DocumentLimits.MaxValueDepth + 1)) + "1" + new string('}', DocumentLimits.MaxValueDepth + 1);

        Assert.Contains(Errors($"kind: segment\nid: s\nname: S\ncondition: {{ trait: a, op: in, value: {value} }}"), error => error.Message == $"'value' nests deeper than the limit of {DocumentLimits.MaxValueDepth} levels");
        Assert.Contains(Errors($"kind: template\nid: t\nchannel: sms\ntext: hi\nsample: {sample}"), error => error.Message == $"'sample' nests deeper than the limit of {DocumentLimits.MaxValueDepth} levels");
        Assert.Empty(Errors($"kind: segment\nid: s\nname: S\ncondition: {{ trait: a, op: in, value: {value[1..^1]} }}"));
    }

    [Fact]
    public void Parse_AJourneyOf100000ChainedSteps_IsAnErrorNamingTheStepLimit()
    {
        var text = new StringBuilder("id: long\nname: Long\ntrigger: { event: e }\nsteps:\n");
        for (var step = 0; step < 100_000; step++)
        {
            text.Append("  - { id: s").Append(step).Append(", wait: 1h, next: ").Append(step == 99_999 ? "end" : "s" + (step + 1)).Append(" }\n");
        }

        var errors = Errors(text.ToString());

        Assert.Equal("a journey has at most 1,000 steps; this one has 100,000", Assert.Single(errors).Message);
    }

    [Fact]
    public void Validate_AGraphOf100000ChainedSteps_DoesNotRecursePerStep()
    {
        // The validator's walks keep their own stacks whatever the parser allows: a chain, then the same chain
        // closed into a cycle in which no step waits.
        var location = new SourceLocation(1, 1);
        JourneyStep Step(int index, bool loop) =>
            new UpdateStep($"s{index}", UpdateAction.AddTag, "t", null, new StepExit("next", index == 99_999 ? (loop ? "s0" : JourneyStep.End) : $"s{index + 1}", location), location);
        JourneyDefinition Journey(bool loop) => new(
            "long", "Long", null, 1, 50, JourneyCategory.Promotional, null, new ApiTrigger(location), EntryRules.Default, "s0",
            [.. Enumerable.Range(0, 100_000).Select(index => Step(index, loop))], [], null, TimeSpan.FromDays(1));
        var catalog = new JourneyCatalog(new Dictionary<string, Channel>(), new HashSet<string>());

        Assert.Empty(JourneyValidator.Validate(Journey(loop: false), "long.yaml", catalog));
        var cycle = Assert.Single(JourneyValidator.Validate(Journey(loop: true), "long.yaml", catalog));
        Assert.StartsWith("the steps s0 → s1 → s2", cycle.Message, StringComparison.Ordinal);
        Assert.EndsWith("form a cycle without a wait: a contact would loop forever at once", cycle.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ABranchOfNestedAnyThatCanNeverHold_IsFound_InLinearTime()
    {
        // Each 'any' once asked its first child twice: 2^31 calls for this branch.
        var never = "{ trait: plan, op: in, value: [] }";
        var condition = string.Concat(Enumerable.Repeat("{ any: [", DocumentLimits.MaxConditionDepth - 1)) + never + string.Concat(Enumerable.Repeat("] }", DocumentLimits.MaxConditionDepth - 1));
        var text = $"id: j\nname: J\ntrigger: {{ event: e }}\nsteps:\n  - id: b\n    branch:\n      - {{ name: never, when: {condition}, next: end }}\n    else: end\n";

        var watch = Stopwatch.StartNew();
        var set = DocumentSet.Read([("j.yaml", text)]);

        Assert.Equal("j.yaml:7: step 'b': branch case 'never' can never be taken: 'plan' must be in an empty list", Assert.Single(set.Errors).ToString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Read_SegmentsReferringToThemselves_DirectlyOrThroughOthers_AreRejectedWithTheCycleNamed()
    {
        var set = DocumentSet.Read(
        [
            ("a.yaml", "kind: segment\nid: a\nname: A\ncondition: { in_segment: b }"),
            ("b.yaml", "kind: segment\nid: b\nname: B\ncondition: { all: [{ tag: vip }, { in_segment: c }] }"),
            ("c.yaml", "kind: segment\nid: c\nname: C\ncondition: { any: [{ in_segment: a }, { in_segment: d }] }"),
            ("d.yaml", "kind: segment\nid: d\nname: D\ncondition: { tag: vip }"),
            ("self.yaml", "kind: segment\nid: self\nname: Self\ncondition: { not: { in_segment: self } }"),
        ]);

        Assert.Equal(
            ["a.yaml:4: segments refer to each other in a cycle: a -> b -> c -> a", "self.yaml:4: segments refer to each other in a cycle: self -> self"],
            set.Errors.Select(error => error.ToString()));
        Assert.Equal(["d"], SegmentLibrary.Of(set.Segments).Segments.Select(segment => segment.Id));
    }

    [Fact]
    public void SegmentReferences_AChainOf30000Segments_AreOrderedAndCheckedWithoutRecursion()
    {
        // Far deeper than any stack holds one call per segment (each level of the old walk took several frames).
        const int Count = 30_000;
        var location = new SourceLocation(1, 1);
        SegmentDefinition Segment(int index, bool closed) => new(
            $"s{index}", $"S{index}", null,
            index == Count - 1 && !closed ? new TagCondition("vip", location) : new SegmentCondition($"s{(index + 1) % Count}", location),
            location);

        var chain = Enumerable.Range(0, Count).Select(index => Segment(index, closed: false)).ToList();
        var library = SegmentLibrary.Of(chain);
        Assert.Equal(Count, library.Segments.Length);
        Assert.Equal($"s{Count - 1}", library.Segments[0].Id);
        Assert.Equal("s0", library.Segments[^1].Id);
        Assert.Empty(SegmentConditions.Problems(chain));

        var ring = Enumerable.Range(0, Count).Select(index => Segment(index, closed: true)).ToList();
        Assert.Empty(SegmentLibrary.Of(ring).Segments);
        var (segment, message) = Assert.Single(SegmentConditions.Problems(ring));
        Assert.Equal("s0", segment);
        Assert.StartsWith("segments refer to each other in a cycle: s0 -> s1 -> s2 -> ", message, StringComparison.Ordinal);
        Assert.EndsWith($" -> s{Count - 1} -> s0", message, StringComparison.Ordinal);
        Assert.Equal(Count + 1, SegmentConditions.CycleThrough("s500", ring)!.Count);
    }

    [Fact]
    public void Decide_JourneysThatEnterEachOtherWithNoWait_StopWithAnErrorInsteadOfLoopingForever()
    {
        var set = DocumentSet.Read(
        [
            ("a.yaml", "id: a\nname: A\ntrigger: { event: go }\nentry: { reentry: always }\nsteps:\n  - { id: to-b, enter_journey: b }\n"),
            ("b.yaml", "id: b\nname: B\ntrigger: { api: {} }\nentry: { reentry: always }\nsteps:\n  - { id: to-a, enter_journey: a }\n"),
        ]);
        Assert.Empty(set.Errors);
        var library = Journeys.Engine.JourneyLibrary.Of([.. set.Journeys.Select(journey => new Journeys.Engine.PublishedJourney(journey, 1))]);
        var id = new ContactId(Guid.Parse("0193a3c0-0000-7000-8000-0000000000c1"));
        var message = TestMessages.Track("u", null, "go", TestMessages.ReceivedAt);
        var profile = Contacts.ContactDecider.Decide(null, new Contacts.MessageReceived(id, message), TestMessages.ReceivedAt).State;

        var decision = Journeys.Engine.JourneyDecider.Decide(Journeys.Engine.JourneyMemberships.Empty, profile, new Journeys.Engine.EventOccurred(message), library, [], TestMessages.ReceivedAt);

        var ended = decision.Effects.OfType<Journeys.Engine.EnrollmentEnded>().ToList();
        Assert.Equal(101, ended.Count);
        var failed = Assert.Single(ended, end => end.NeedsReview);
        Assert.Equal("more than 100 journeys entered in one input (journeys that enter each other with no wait between loop)", failed.Reason);
    }
}
