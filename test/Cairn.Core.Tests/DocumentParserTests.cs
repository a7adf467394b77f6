using Cairn.Core.Journeys;

namespace Cairn.Core.Tests;

public sealed class DocumentParserTests
{
    private const string Templates = """
        kind: template
        id: welcome
        channel: email
        subject: Welcome
        text: Welcome aboard
        """;

    [Fact]
    public void Parse_FullJourney_ReadsEveryPart()
    {
        var set = Read("""
            id: onboarding
            name: Onboarding
            priority: 80
            category: operational
            trigger:
              event: signed_up
              where:
                - { property: plan, op: in, value: [pro, team] }
            entry: { reentry: after 30d, holdout: 10, audience: { trait: country, op: ne, value: US } }
            steps:
              - id: hello
                send: { channel: email, template: welcome }
                next: pause
              - id: pause
                wait: 1h30m
                next: morning
              - id: morning
                wait_until: { time: "09:00", days: [mon, tue, wed, thu, fri] }
                next: engaged
              - id: engaged
                wait_for: { event: email_opened, correlate: hello, timeout: 2d }
                exits: { happened: ab, timed_out: end }
              - id: ab
                split:
                  - { arm: control, percent: 50, next: tag }
                  - { arm: variant, percent: 50, next: tag }
                experiment: true
              - id: tag
                update: { action: add_tag, name: onboarded }
            exit_when:
              - event: account_closed
            goal: { event: first_project_created, within: 14d }
            max_run_time: 30d
            """);

        Assert.Empty(set.Errors);
        var journey = Assert.Single(set.Journeys);
        Assert.Equal("onboarding", journey.Id);
        Assert.Equal(80, journey.Priority);
        Assert.Equal(JourneyCategory.Operational, journey.Category);
        Assert.Equal("signed_up", Assert.IsType<EventTrigger>(journey.Trigger).Event);
        Assert.Equal(ReentryKind.After, journey.Entry.Reentry);
        Assert.Equal(TimeSpan.FromDays(30), journey.Entry.Cooldown);
        Assert.Equal(10, journey.Entry.HoldoutPercent);
        Assert.Equal("hello", journey.Start);
        Assert.Equal(TimeSpan.FromMinutes(90), Assert.IsType<WaitStep>(journey.Find("pause")).Duration);
        Assert.Equal(5, Assert.IsType<WaitUntilStep>(journey.Find("morning")).Days.Length);
        var engaged = Assert.IsType<WaitForStep>(journey.Find("engaged"));
        Assert.Equal("hello", engaged.CorrelateWith);
        Assert.Equal(JourneyStep.End, engaged.TimedOut.Target);
        Assert.True(Assert.IsType<SplitStep>(journey.Find("ab")).Experiment);
        Assert.Equal(JourneyStep.End, Assert.IsType<UpdateStep>(journey.Find("tag")).Next.Target);
        Assert.Equal(TimeSpan.FromDays(14), journey.Goal!.Within);
        Assert.Equal(TimeSpan.FromDays(30), journey.MaxRunTime);
    }

    [Fact]
    public void Parse_JsonDocument_IsReadLikeYaml()
    {
        var set = Read("""{"id":"j","name":"J","trigger":{"api":true},"steps":[{"id":"s","send":{"channel":"email","template":"welcome"}}]}""");
        Assert.Empty(set.Errors);
        Assert.IsType<ApiTrigger>(Assert.Single(set.Journeys).Trigger);
    }

    [Fact]
    public void Validate_ReportsEachListedError_WithLineAndStep()
    {
        var set = Read("""
            id: broken
            name: Broken
            trigger:
              event: order_completed
              where:
                - { property: total, op: gt, value: 100 }
                - { property: total, op: lt, value: 50 }
            steps:
              - id: first
                send: { channel: email, template: nope }
                next: missing
              - id: choose
                branch:
                  - { when: { trait: plan, op: eq, value: pro }, next: first }
              - id: loop_a
                update: { action: add_tag, name: a }
                next: loop_b
              - id: loop_b
                update: { action: add_tag, name: b }
                next: loop_a
              - id: sms
                send: { channel: sms, template: welcome }
            """);

        var messages = set.Errors.Select(error => error.ToString()).ToList();
        Assert.Contains(messages, m => m.StartsWith("test.yaml:6: ", StringComparison.Ordinal) && m.Contains("trigger can never fire", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("step 'first': the template 'nope' does not exist", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("step 'first': exit 'next' leads to the unknown step 'missing'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("step 'choose': exit 'else' goes nowhere", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("step 'choose': the step is unreachable", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("loop_a → loop_b → loop_a form a cycle without a wait", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("step 'sms': the template 'welcome' is an email template, not sms", StringComparison.Ordinal));
        var line = set.Errors.Single(error => error.Message.Contains("'missing'", StringComparison.Ordinal)).Line;
        Assert.Equal(11, line);
    }

    [Fact]
    public void Validate_CycleThroughAWait_IsAllowed()
    {
        var set = Read("""
            id: reminder
            name: Reminder
            trigger: { event: trial_started }
            steps:
              - id: nudge
                send: { channel: email, template: welcome }
                next: later
              - id: later
                wait: 3d
                next: nudge
            """);
        Assert.Empty(set.Errors);
    }

    [Theory]
    [InlineData("wait: soon", "'wait': 'soon' is not a duration")]
    [InlineData("wait: 0h", "must be longer than zero")]
    [InlineData("send: { channel: fax, template: welcome }", "unknown channel 'fax'")]
    [InlineData("waitt: 1h", "a step needs one of")]
    [InlineData("wait: 1h\n    nxt: end", "unknown field 'nxt'")]
    [InlineData("split:\n      - { arm: a, percent: 30, next: end }\n      - { arm: b, percent: 30, next: end }", "add up to 60, not 100")]
    [InlineData("branch:\n      - { when: { trait: x, op: resembles, value: 1 }, next: end }\n    else: end", "unknown op 'resembles'")]
    [InlineData("wait_for: { event: clicked, timeout: 1d }", "wait_for needs 'exits'")]
    [InlineData("enter_journey: ghost", "the journey 'ghost' does not exist")]
    [InlineData("wait_for: { event: email_opened, correlate: s, timeout: 1d }\n    exits: { happened: end, timed_out: end }", "'correlate' must name a send step")]
    public void Validate_StepMistakes_AreReported(string step, string expected)
    {
        var set = Read($"""
            id: j
            name: J
            trigger: {"{"} api: true {"}"}
            steps:
              - id: s
                {step}
            """);
        Assert.Contains(set.Errors, error => error.Message.Contains(expected, StringComparison.Ordinal) && error.Line >= 5);
    }

    [Fact]
    public void Validate_DateTrigger_NeedsOffsets_AndDuplicateIdsAreReported()
    {
        var set = DocumentSet.Read(
        [
            ("a.yaml", "id: renew\nname: R\ntrigger: { date: { trait: contract_end } }\nsteps:\n  - id: s\n    exit: true\n"),
            ("b.yaml", "id: renew\nname: R2\ntrigger: { date: { trait: contract_end, days_before: [90, 30] } }\nsteps:\n  - id: s\n    exit: true\n"),
        ]);
        Assert.Contains(set.Errors, error => error.Source == "a.yaml" && error.Message.Contains("trigger can never fire", StringComparison.Ordinal));
        Assert.Contains(set.Errors, error => error.Source == "b.yaml" && error.Message.Contains("also used by a.yaml", StringComparison.Ordinal));
        var trigger = Assert.IsType<DateTrigger>(set.Journeys.Single(j => j.Name == "R2").Trigger);
        Assert.Equal([-90, -30], trigger.OffsetDays);
    }

    [Theory]
    [InlineData("id: j\nname: [unclosed\nsteps: []\n", 1)]
    [InlineData("id: j\nname: J\n  steps: - x\n", 3)]
    [InlineData("kind: segment\nid: s\nname: S\ncondition:\n : s\nname: S\ncondition:\n : s\n", 1)]
    public void Parse_InvalidYaml_IsOneClearError(string text, int line)
    {
        var set = Read(text);
        var error = Assert.Single(set.Errors);
        Assert.Contains("not valid YAML", error.Message, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("1h30m", 5400)]
    [InlineData("2w", 1209600)]
    [InlineData("PT4H", 14400)]
    public void Duration_Parses(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var duration, out _));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    private static DocumentSet Read(string journey) => DocumentSet.Read([("templates.yaml", Templates), ("test.yaml", journey)]);

    [Fact]
    public void ASendStepsFallbackNamesOtherChannelsWithTemplatesOfThoseChannels()
    {
        const string Journey = """
            id: reach
            name: Reach
            trigger: { event: go }
            steps:
              - id: send
                send: { channel: email, template: welcome, fallback: [ { channel: sms, template: welcome }, { channel: email, template: welcome }, { channel: push, template: nowhere } ] }
            """;
        var set = DocumentSet.Read([("t.yaml", Templates), ("j.yaml", Journey)]);
        Assert.Contains(set.Errors, error => error.Message == "the template 'welcome' is an email template, not sms");
        Assert.Contains(set.Errors, error => error.Message == "the template 'nowhere' does not exist");
        Assert.Contains(set.Errors, error => error.Message == "a fallback names a channel the step already tries");
    }
}
