using Cairn.Core.Journeys;
using Cairn.Core.Lint;

namespace Cairn.Core.Tests;

/// <summary>The journey linter's golden suite: documents in, the exact findings out, one group of tests per check.</summary>
public sealed class LinterTests
{
    private const string Policy = """
        kind: policy
        id: default
        require_opt_in: [sms]
        caps:
          - { id: marketing-daily, channel: any, max: 2, per: day, categories: [promotional] }
        """;

    private const string GoodEmail = """
        kind: template
        id: promo
        channel: email
        subject: "Hello"
        html: "<p>Hi</p><p>{{ workspace.address }} <a href='{{ message.unsubscribe_url }}'>Unsubscribe</a></p>"
        """;

    private static string Journey(string id, string body, string trigger = "cart_abandoned", string owner = "owner: team@example.com") => $$"""
        id: {{id}}
        name: {{id}}
        category: promotional
        {{owner}}
        trigger: { event: {{trigger}} }
        {{body}}
        """;

    private const string SendPromo = """
        steps:
          - id: send
            send: { channel: email, template: promo }
        """;

    private static string[] Lint(LintFacts? facts, params string[] texts)
    {
        var documents = texts.Select((text, index) => DocumentParser.Parse(text, $"doc{index}.yaml")).ToList();
        return [.. Linter.Lint(documents, facts ?? LintFacts.None, reportInvalid: true).Select(finding => finding.ToString())];
    }

    private static string[] Codes(LintFacts? facts, params string[] texts)
    {
        var documents = texts.Select((text, index) => DocumentParser.Parse(text, $"doc{index}.yaml")).ToList();
        return [.. Linter.Lint(documents, facts ?? LintFacts.None, reportInvalid: true).Select(finding => finding.Code)];
    }

    [Fact]
    public void Lint_ACleanWorkspace_FindsNothing()
    {
        Assert.Empty(Lint(null, Policy, GoodEmail, Journey("a", SendPromo)));
    }

    [Fact]
    public void Lint_AnInvalidDocument_IsAnError()
    {
        Assert.Equal(
            [
                "error invalid-document journey 'doc0.yaml' (line 1): 'id' is required for journey",
                "error invalid-document journey 'doc0.yaml' (line 1): 'trigger' is required (event, date or api)",
                "error invalid-document journey 'doc0.yaml' (line 1): 'steps' is required",
            ],
            Lint(null, "name: x"));
    }

    [Fact]
    public void Lint_TwoPromotionsOnOneTrigger_AreOverlapping()
    {
        var findings = Lint(null, Policy, GoodEmail, Journey("a", SendPromo), Journey("b", SendPromo));

        Assert.Equal(
            ["warning overlapping-promotions journey 'a' (line 5), journey 'b' (line 5): the promotional journeys 'a' and 'b' both start on the event cart_abandoned for audiences that can overlap, and send 0s and 0s after entry: a contact in both gets two promotions at once. Exclude one audience from the other, merge the journeys, or move one to another trigger."],
            findings);
    }

    [Fact]
    public void Lint_TwoPromotionsWithDisjointAudiences_DoNotOverlap()
    {
        var a = Journey("a", "entry: { audience: { trait: plan, op: eq, value: pro } }\n" + SendPromo);
        var b = Journey("b", "entry: { audience: { trait: plan, op: eq, value: free } }\n" + SendPromo);

        Assert.Empty(Lint(null, Policy, GoodEmail, a, b));
    }

    [Fact]
    public void Lint_TwoPromotionsOnOtherTriggersOrLateSends_DoNotOverlap()
    {
        var late = Journey("b", "steps:\n  - id: pause\n    wait: 2d\n    next: send\n  - id: send\n    send: { channel: email, template: promo }");

        Assert.Empty(Lint(null, Policy, GoodEmail, Journey("a", SendPromo), Journey("c", SendPromo, trigger: "signed_up"), late));
    }

    [Fact]
    public void Lint_AnOverlapMeasuredEmpty_IsDropped_AndAMeasuredOneIsQuoted()
    {
        var documents = new[] { Policy, GoodEmail, Journey("a", SendPromo), Journey("b", SendPromo) };
        var none = new LintFacts(null, null, new Dictionary<string, AudienceOverlap> { [Linter.PairKey("b", "a")] = new(0, true, 0, 40) });
        var some = new LintFacts(null, null, new Dictionary<string, AudienceOverlap> { ["a|b"] = new(1200, false, 150, 1_000_000) });

        Assert.Empty(Lint(none, documents));
        Assert.Contains("About 1200 (± 150) of 1000000 contacts match both audiences today (estimated from a sample).", Assert.Single(Lint(some, documents)), StringComparison.Ordinal);
    }

    [Fact]
    public void Lint_SendsOverACapOnTheTypicalPath_AreReported()
    {
        var body = """
            steps:
              - id: one
                send: { channel: email, template: promo }
                next: ask
              - id: ask
                wait_for: { event: email_opened, timeout: 4h }
                exits: { happened: end, timed_out: two }
              - id: two
                send: { channel: email, template: promo }
                next: three
              - id: three
                send: { channel: email, template: promo }
            """;

        Assert.Equal(
            ["warning caps-exceeded journey 'a' step 'one' (line 7), policy 'default' (line 1): on the typical path the journey 'a' sends 3 messages within a day (a/one at 0s, a/two at 4h, a/three at 4h), more than the cap 'marketing-daily' allows (2 per day): the orchestrator defers the rest, so they arrive late or expire. Space the sends out, or lower a journey's priority on purpose."],
            Lint(null, Policy, GoodEmail, Journey("a", body)));
    }

    [Fact]
    public void Lint_JourneysEnteredTogether_CountTowardOneCap()
    {
        var late = "steps:\n  - id: pause\n    wait: 2d\n    next: send\n  - id: send\n    send: { channel: email, template: promo }\n    next: again\n  - id: again\n    send: { channel: email, template: promo }";
        var other = "steps:\n  - id: pause\n    wait: 47h\n    next: send\n  - id: send\n    send: { channel: email, template: promo }";

        Assert.Equal([Linter.Codes.CapsExceeded], Codes(null, Policy, GoodEmail, Journey("a", late), Journey("b", other)));
        Assert.Empty(Lint(null, Policy, GoodEmail, Journey("a", late), Journey("b", other, trigger: "signed_up")));
    }

    [Fact]
    public void Lint_AnExitTheAudienceRequires_ExitsAtEntry()
    {
        var body = """
            entry:
              audience: { all: [{ tag: vip }, { trait: plan, op: eq, value: pro }] }
            exit_when:
              - { tag: vip }
              - event: order_completed
              - { tag: churned }
            """ + "\n" + SendPromo;

        Assert.Equal(
            ["error exits-at-entry journey 'a' (line 9): the exit criterion on line 9 holds for everyone the journey lets in (its trigger or audience requires the same), so every enrollment ends at the contact's next event, before the journey has done its work. Remove the criterion or change the audience."],
            Lint(null, Policy, GoodEmail, Journey("a", body)));
    }

    [Fact]
    public void Lint_AnExitOnTheSegmentThatTriggers_ExitsAtEntry()
    {
        var journey = """
            id: a
            name: a
            category: operational
            owner: me@example.com
            trigger: { event: segment_entered, where: [{ property: segment, op: eq, value: vip }] }
            exit_when:
              - any: [{ in_segment: vip }, { tag: x }]
            steps:
              - id: send
                send: { channel: email, template: promo }
            """;

        Assert.Equal([Linter.Codes.ExitsAtEntry], Codes(null, Policy, GoodEmail, journey, "kind: segment\nid: vip\nname: VIP\ncondition: { tag: vip }"));
    }

    [Fact]
    public void Lint_AGoalOnTheTriggerEvent_IsReported()
    {
        var body = "goal: { event: cart_abandoned, within: 7d }\n" + SendPromo;

        Assert.Equal(
            ["warning goal-is-trigger journey 'a' (line 5): the goal is the trigger event cart_abandoned: the event that enrolled a contact does not count, so the goal measures doing it again, not converting. Name the conversion the journey works toward (e.g. order_completed after cart_abandoned)."],
            Lint(null, Policy, GoodEmail, Journey("a", body)));
    }

    [Fact]
    public void Lint_AWaitForOnAnEventNotSeen_IsStale_OnlyWhenTheHostKnows()
    {
        var body = """
            steps:
              - id: send
                send: { channel: email, template: promo }
                next: wait
              - id: wait
                wait_for: { event: email_clicked, timeout: 2d }
                exits: { happened: end, timed_out: end }
            """;
        var documents = new[] { Policy, GoodEmail, Journey("a", body) };

        Assert.Empty(Lint(null, documents));
        Assert.Empty(Lint(new LintFacts(new HashSet<string> { "email_clicked" }, null, null), documents));
        Assert.Equal(
            ["warning stale-wait-for journey 'a' step 'wait' (line 10): the step waits for the event email_clicked, which no source has sent in the last 30 days, so every contact will time out (2d). Check the event's name and that the source sends it."],
            Lint(new LintFacts(new HashSet<string>(), null, null), documents));
        Assert.Equal(["email_clicked"], Linter.AwaitedEvents([.. documents.Select(text => DocumentParser.Parse(text, "x"))]));
    }

    [Fact]
    public void Lint_APromotionalEmailWithoutUnsubscribeOrAddress_IsAnError()
    {
        var bare = "kind: template\nid: promo\nchannel: email\nsubject: Hi\nhtml: \"<p>{{ contact.first_name }}</p>\"";

        Assert.Equal(
            [
                "error missing-postal-address template 'promo' (line 1), journey 'a' step 'send' (line 7): the promotional email does not show the sender's postal address, which CAN-SPAM requires in every commercial email. Add {{ workspace.address }} to its footer (the address is a workspace setting).",
                "error missing-unsubscribe template 'promo' (line 1), journey 'a' step 'send' (line 7): the promotional email has no unsubscribe link: CAN-SPAM requires a visible way to opt out, and Gmail and Yahoo reject bulk mail without one. Add <a href=\"{{ message.unsubscribe_url }}\">Unsubscribe</a> to its html (and text).",
            ],
            Lint(null, Policy, bare, Journey("a", SendPromo)));
    }

    [Fact]
    public void Lint_ATransactionalEmailWithoutUnsubscribe_IsFine()
    {
        var bare = "kind: template\nid: promo\nchannel: email\nsubject: Receipt\nhtml: \"<p>Thanks</p>\"";
        var receipt = Journey("a", SendPromo).Replace("category: promotional", "category: transactional", StringComparison.Ordinal);

        Assert.Empty(Lint(null, Policy, bare, receipt));
    }

    [Fact]
    public void Lint_MarketingSmsWithoutStop_AndAPolicyWithoutSmsOptIn_AreErrors()
    {
        var sms = "kind: template\nid: text\nchannel: sms\ntext: \"Sale today!\"";
        var body = "steps:\n  - id: send\n    send: { channel: sms, template: text }";
        var lax = Policy.Replace("require_opt_in: [sms]", "require_opt_in: []", StringComparison.Ordinal);

        Assert.Equal(
            [
                "error sms-without-opt-in journey 'a' step 'send' (line 7), policy 'default' (line 1): the promotional journey sends SMS, and the policy lets marketing texts go to contacts who never opted in: in the US the TCPA requires prior express written consent. Add sms to require_opt_in in the policy.",
                "error sms-without-stop template 'text' (line 1), journey 'a' step 'send' (line 7): the marketing SMS does not tell the recipient how to opt out: carriers (CTIA) and the TCPA expect wording such as \"Reply STOP to opt out\" in marketing texts. Add it to the text.",
            ],
            Lint(null, lax, sms, Journey("a", body)));
        Assert.Empty(Lint(null, Policy, sms.Replace("Sale today!", "Sale today! Reply stop to opt out.", StringComparison.Ordinal), Journey("a", body)));
    }

    [Fact]
    public void Lint_TemplatesReadingTraitsNoContactHas_AreReported_OnlyWhenTheHostKnows()
    {
        var template = "kind: template\nid: promo\nchannel: email\nsubject: \"Hi {{ contact.first_name }}\"\nhtml: |\n  <p>{{ contact.email }}</p>\n  <p>{{ contact[\"loyalty_tier\"] | default: \"member\" }} {{ workspace.address }} {{ message.unsubscribe_url }}</p>";
        var documents = new[] { Policy, template, Journey("a", SendPromo) };

        Assert.Equal(["first_name", "loyalty_tier"], Linter.TraitsRead([.. documents.Select(text => DocumentParser.Parse(text, "x"))]).Order(StringComparer.Ordinal));
        Assert.Empty(Lint(null, documents));
        Assert.Equal(
            ["warning unknown-trait template 'promo' (line 7): the template reads the trait loyalty_tier, which no contact has: it renders empty (or its default) for everyone. Check the trait's name against what the sources send with identify."],
            Lint(new LintFacts(null, new HashSet<string> { "first_name" }, null), documents));
    }

    [Fact]
    public void Lint_TemplatesAndSegmentsNothingUses_AreReported()
    {
        var spare = "kind: template\nid: spare\nchannel: sms\ntext: hi";
        var used = "kind: segment\nid: used\nname: Used\ncondition: { in_segment: listed }";
        var listed = "kind: segment\nid: listed\nname: Listed\nstatic: true";
        var lonely = "kind: segment\nid: lonely\nname: Lonely\ncondition: { tag: x }";
        var triggered = "kind: segment\nid: triggered\nname: T\ncondition: { tag: y }";
        var journey = Journey("a", "entry: { audience: { in_segment: used } }\n" + SendPromo, trigger: "segment_entered, where: [{ property: segment, op: eq, value: triggered }]");

        Assert.Equal(
            [
                "warning unused-segment segment 'lonely' (line 1): no journey, segment or policy rule uses this segment (in_segment, or a segment_entered / segment_exited trigger). Archive it if nobody reads it in the console either.",
                "warning unused-template template 'spare' (line 1): no journey sends this template. Archive it, or send it from a journey.",
            ],
            Lint(null, Policy, GoodEmail, spare, used, listed, lonely, triggered, journey));
    }

    [Fact]
    public void Lint_AJourneyWithoutOwner_OrWithWaitsPastItsRunTime_IsReported()
    {
        var body = "max_run_time: 3d\nsteps:\n  - id: pause\n    wait: 2d\n    next: ask\n  - id: ask\n    wait_for: { event: x, timeout: 2d }\n    exits: { happened: send, timed_out: end }\n  - id: send\n    send: { channel: email, template: promo }";

        Assert.Equal(
            [
                "warning max-run-time-too-short journey 'a' (line 1): the journey's longest path takes 4d, longer than its maximum run time of 3d: enrollments on it end early and are listed for review. Raise max_run_time or shorten the waits.",
                "warning no-owner journey 'a' (line 1): the journey has no owner: nobody is named to answer for it in the inventory or to receive its hand-off alerts. Add owner: with a person or team address.",
            ],
            Lint(null, Policy, GoodEmail, Journey("a", body, owner: string.Empty)));
    }

    [Fact]
    public void Lint_TheExamples_FindOnlyWhatTheyDeliberatelyShare()
    {
        var root = Path.Combine(Cairn.Testing.Repository.Root, "examples");
        var documents = Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories).Where(file => !file.Contains("streams", StringComparison.Ordinal))
            .Select(file => DocumentParser.Parse(File.ReadAllText(file), Path.GetRelativePath(root, file))).ToList();

        var findings = Linter.Lint(documents, LintFacts.None, reportInvalid: true);

        Assert.DoesNotContain(findings, finding => finding.Severity == LintSeverity.Error);
    }
}
