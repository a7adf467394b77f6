using Cairn.Core.Journeys;

namespace Cairn.Core.Tests;

/// <summary>The one document validation: documents read together, against what is known besides them.</summary>
public sealed class DocumentSetTests
{
    private const string AToB = "kind: segment\nid: a\nname: A\ncondition: { in_segment: b }";

    private static ParsedDocument Parse(string source, string text) => DocumentParser.Parse(text, source);

    private static KnownDocuments KnownSegments(params string[] texts) => KnownDocuments.None with
    {
        Segments = [.. texts.Select(text => DocumentParser.Parse<ParsedSegment>(text, "stored").Segment)],
    };

    [Fact]
    public void Of_ASegmentClosingACycleThroughKnownSegments_IsNamedAtItsReference()
    {
        var known = KnownSegments(AToB, "kind: segment\nid: b\nname: B\ncondition: { in_segment: c }");

        var set = DocumentSet.Of([Parse("c.yaml", "kind: segment\nid: c\nname: C\ncondition:\n  any: [{ tag: vip }, { in_segment: a }]")], known);

        Assert.Equal("c.yaml:5: segments refer to each other in a cycle: c -> a -> b -> c", Assert.Single(set.Errors).ToString());
    }

    [Fact]
    public void Of_ASegmentReplacingAKnownOne_IsCheckedAsTheNewVersion()
    {
        var known = KnownSegments(AToB, "kind: segment\nid: b\nname: B\ncondition: { in_segment: a }");

        var set = DocumentSet.Of([Parse("b.yaml", "kind: segment\nid: b\nname: B\ncondition: { tag: vip }")], known);

        Assert.Empty(set.Errors);
    }

    [Fact]
    public void Of_KnownCyclesAlone_AreNotTheReadDocumentsProblem()
    {
        var known = KnownSegments(AToB, "kind: segment\nid: b\nname: B\ncondition: { in_segment: a }");

        Assert.Empty(DocumentSet.Of([Parse("c.yaml", "kind: segment\nid: c\nname: C\ncondition: { in_segment: a }")], known).Errors);
    }

    [Fact]
    public void Of_ReferencesToKnownDocuments_Resolve_AndToOthersAreErrors()
    {
        var journey = "id: j\nname: J\ntrigger: { event: go }\nsteps:\n  - { id: text, send: { channel: sms, template: hello }, next: other }\n  - { id: other, enter_journey: k }\n";
        var known = KnownDocuments.None with
        {
            Templates = new Dictionary<string, Channel>(StringComparer.Ordinal) { ["hello"] = Channel.Sms },
            Journeys = new HashSet<string>(StringComparer.Ordinal) { "k" },
        };

        Assert.Empty(DocumentSet.Of([Parse("j.yaml", journey)], known).Errors);
        Assert.Equal(
            ["j.yaml:5: step 'text': the template 'hello' does not exist", "j.yaml:6: step 'other': the journey 'k' does not exist"],
            DocumentSet.Of([Parse("j.yaml", journey)]).Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void Of_WhatIsKnownElsewhere_ChecksOnlyWhatTheDocumentsSayAmongThemselves()
    {
        var set = DocumentSet.Of(
        [
            Parse("j.yaml", "id: j\nname: J\ntrigger: { event: go }\nsteps:\n  - { id: text, send: { channel: sms, template: on-server } }\n"),
            Parse("s.yaml", "kind: segment\nid: s\nname: S\ncondition: { all: [{ in_segment: on-server }, { score: on-server, op: gte, value: 1 }] }"),
            Parse("a.yaml", AToB),
            Parse("b.yaml", "kind: segment\nid: b\nname: B\ncondition: { in_segment: a }"),
        ], KnownDocuments.Elsewhere);

        Assert.Equal("a.yaml:4: segments refer to each other in a cycle: a -> b -> a", Assert.Single(set.Errors).ToString());
    }

    [Fact]
    public void Of_APolicyRuleNamingAnUnknownScoringModel_IsAnError()
    {
        var policy = "kind: policy\nid: default\nrequire_opt_in: [sms]\nsuppression_rules:\n  - id: engaged\n    when: { score: nowhere, op: gte, value: 1 }\n    categories: [promotional]\n    action: hold\n";

        Assert.Equal("p.yaml:6: there is no scoring model 'nowhere'", Assert.Single(DocumentSet.Of([Parse("p.yaml", policy)]).Errors).ToString());
    }
}
