using System.Text.Json;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;
using Cairn.Testing;

namespace Cairn.Core.Tests;

/// <summary>Simulation of the example journeys over scripted event streams, in virtual time.</summary>
public sealed class JourneySimulatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly Lazy<DocumentSet> ExampleSet = new(LoadExampleSet);
    private static readonly Segments.SegmentDefinition SqlLeads = DocumentParser.Parse<ParsedSegment>("kind: segment\nid: sql-leads\nname: SQL\ncondition: { stage: sql }", "sql-leads.yaml").Segment;
    private static readonly JourneyLibrary Examples = JourneyLibrary.Of([.. ExampleSet.Value.Journeys.Select(journey => new PublishedJourney(journey, 1))]);
    private static readonly int[] RenewalOffsets = [90, 60, 30, 14, 7];

    [Fact]
    public void CartRecoveryStream_GivesEachContactTheExactMessages()
    {
        var result = Simulate("cart-recovery.ndjson", to: new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(["ann", "bob", "cem", "dan"], result.Contacts.Select(c => c.Key));
        Assert.Equal(
            [("cart-reminder-1", T0.AddHours(1)), ("cart-reminder-sms", T0.AddHours(5)), ("cart-reminder-2", T0.AddHours(24)), ("cart-final-incentive", T0.AddHours(48))],
            Messages(result, "ann"));
        Assert.Equal("cart-final", Messages(result, "bob")[^1].Template);
        Assert.Equal(["cart-reminder-1", "cart-reminder-sms"], Messages(result, "cem").Select(m => m.Template));
        Assert.Single(result.Contacts.Single(c => c.Key == "cem").Conversions);
        Assert.Equal(4, result.StepTotals["cart-recovery/email_1"]);
        Assert.Equal(1, result.StepTotals["cart-recovery/email_incentive"]);

        // Bob has no phone: his SMS is queued, and undeliverable as on the server; the open he recorded names another message.
        var bob = result.Contacts.Single(c => c.Key == "bob");
        Assert.Equal(
            (MessageOutcome.Undeliverable, "the contact has no phone number in E.164 form"),
            bob.Deliveries.Where(d => d.Channel == Channel.Sms).Select(d => (d.Outcome, d.Reason)).Single());
        Assert.Contains(bob.Timeline, line => line.Kind == "not_counted" && line.Text == "email_opened not counted by opened_email_1: its message_id \"not-ours\" is not the message step 'email_1' sent");

        // Dan's open, exported without a message id, names the template the step sent: it counts, and he gets no SMS.
        var dan = result.Contacts.Single(c => c.Key == "dan");
        Assert.Contains(dan.Moves, moved => moved.Entry is { From: "opened_email_1", Exit: "happened" } && moved.Entry.At == T0.AddMinutes(150));
        Assert.DoesNotContain(dan.Deliveries, d => d.Channel == Channel.Sms);
    }

    [Fact]
    public void UnreachableMessages_AreUndeliverableOrSuppressed_AndFallBackAlongTheStepsChannels()
    {
        var journey = DocumentParser.Parse<ParsedJourney>(
            """
            id: reach
            name: Reach
            trigger: { event: go }
            steps:
              - id: send
                send: { channel: sms, template: sms-t, fallback: [{ channel: email, template: email-t }] }
            """,
            "reach.yaml").Journey;
        var library = JourneyLibrary.Of(new PublishedJourney(journey, 1));
        var profiles = new[]
        {
            Read("""{"type":"identify","userId":"phone","traits":{"phone":"+14155550101","email":"phone@example.com"}}""", T0.AddDays(-1)),
            Read("""{"type":"identify","userId":"mail","traits":{"email":"Mail@Example.com"}}""", T0.AddDays(-1)),
            Read("""{"type":"identify","userId":"listed","traits":{"email":"listed@example.com"}}""", T0.AddDays(-1)),
            Read("""{"type":"identify","userId":"nothing","traits":{}}""", T0.AddDays(-1)),
        };
        var stream = profiles.Select(profile => Track(profile.UserId!, "go", "{}", T0)).ToList();
        var result = JourneySimulator.Run(library, profiles, stream, to: T0.AddDays(1), suppressions: new Dictionary<string, string> { ["listed@example.com"] = "hard bounce" }, cancellationToken: TestContext.Current.CancellationToken);

        (string, MessageOutcome, string?) Outcome(string key) => result.Contacts.Single(c => c.Key == key).Deliveries.Select(d => ($"{d.Channel.DocumentName()} {d.Template}", d.Outcome, d.Reason)).Single();
        Assert.Equal(("sms sms-t", MessageOutcome.Sent, null), Outcome("phone"));
        Assert.Equal(("email email-t", MessageOutcome.Sent, null), Outcome("mail"));
        Assert.Equal(("email email-t", MessageOutcome.Suppressed, "the address is on the suppression list (hard bounce)"), Outcome("listed"));
        Assert.Equal(("email email-t", MessageOutcome.Undeliverable, "the contact has no email address"), Outcome("nothing"));
        Assert.Contains(result.Contacts.Single(c => c.Key == "mail").Timeline, line => line.Text == "sms 'sms-t' undeliverable: the contact has no phone number in E.164 form; falling back to email 'email-t'");
    }

    [Fact]
    public void WelcomeByEntryPoint_PicksTheFirstEmailBySource()
    {
        var stream = new[]
        {
            Track("guide", "signed_up", """{"source":"seo-guide"}""", T0),
            Track("webinar", "signed_up", "{}", T0, """{"page":{"path":"/webinar/2026"}}"""),
            Track("home", "signed_up", "{}", T0),
        };
        var result = JourneySimulator.Run(Examples, [], stream, to: T0.AddDays(30), cancellationToken: TestContext.Current.CancellationToken);

        // What the journey queued (the contacts have no address: the server would find them undeliverable).
        Assert.Equal("welcome-guide", result.Contacts.Single(c => c.Key == "guide").Deliveries[0].Template);
        Assert.Equal("welcome-webinar", result.Contacts.Single(c => c.Key == "webinar").Deliveries[0].Template);
        Assert.Equal("welcome-home", result.Contacts.Single(c => c.Key == "home").Deliveries[0].Template);
        Assert.All(result.Contacts, contact => Assert.Equal(["welcome-tips", "welcome-case-study"], contact.Deliveries.Skip(1).Select(m => m.Template)));
        Assert.All(result.Contacts.SelectMany(contact => contact.Deliveries), delivery => Assert.Equal(MessageOutcome.Undeliverable, delivery.Outcome));
        var caseStudy = result.Contacts[0].Deliveries[^1].QueuedAt;
        Assert.Contains(caseStudy.DayOfWeek, new[] { DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday });
        Assert.Equal(10, caseStudy.Hour);
    }

    [Fact]
    public void LeadNurture_HandsOffALeadTheScoreMadeAnMql_AndStopsNurturing()
    {
        var profiles = new[] { Read("""{"type":"identify","userId":"lead","traits":{"company_size":200,"industry":"software"}}""", T0.AddDays(-1)) };
        var stream = new[]
        {
            Track("lead", "content_downloaded", "{}", T0),
            Track("lead", "pricing_viewed", "{}", T0.AddDays(1)),
        };
        var set = ExampleSet.Value;
        var result = JourneySimulator.Run(
            Examples,
            profiles,
            stream,
            to: T0.AddDays(60),
            scoring: new Scoring.ScoringLibrary([.. set.ScoringModels.OrderBy(model => model.Id, StringComparer.Ordinal)]),
            segments: Segments.SegmentLibrary.Of(set.Segments.Append(SqlLeads)), cancellationToken: TestContext.Current.CancellationToken);
        var lead = Assert.Single(result.Contacts);

        // Fit (25) alone makes a lead; content (+10), then a day later pricing (+20) take the decayed score past 50:
        // an MQL, handed off in that same input.
        Assert.Equal(["nurture-education-1"], lead.Deliveries.Select(m => m.Template));
        Assert.Contains(lead.Timeline, line => line.Kind == "announced" && line.At == T0.AddDays(-1) && line.Text == "stage none -> lead (score 'lead-score' at 25)");
        Assert.Contains(lead.Timeline, line => line.Kind == "announced" && line.At == T0.AddDays(1) && line.Text.StartsWith("stage lead -> mql", StringComparison.Ordinal));
        Assert.Contains(lead.Timeline, line => line.Kind == "notify_owner" && line.At == T0.AddDays(1));
        Assert.Contains(lead.Timeline, line => line.Kind == "ended" && line.At == T0.AddDays(1));

        // The journey's last step set the stage to SQL: segments on the stage follow in that same input.
        Assert.Contains(lead.Timeline, line => line.Kind == "announced" && line.At == T0.AddDays(1) && line.Text == "entered segment 'sql-leads': set by a journey step: lifecycle_stage");

        // Without the score the same lead is nurtured on.
        var unscored = JourneySimulator.Run(Examples, profiles, stream, to: T0.AddDays(60), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["nurture-education-1", "nurture-education-2"], Assert.Single(unscored.Contacts).Deliveries.Select(m => m.Template));
    }

    [Fact]
    public void Renewal_RemindsAtEachOffset_AndAlertsTheOwnerAtFourteenDays()
    {
        var profiles = new[]
        {
            Read("""{"type":"identify","userId":"acme","traits":{"contract_end":"2027-02-10","timezone":"Europe/Berlin"}}""", T0),
            Read("""{"type":"identify","userId":"renewed","traits":{"contract_end":"2027-02-10","renewed":true}}""", T0),
        };
        var result = JourneySimulator.Run(Examples, profiles, [], from: T0, to: T0.AddDays(120), cancellationToken: TestContext.Current.CancellationToken);
        var acme = result.Contacts.Single(c => c.Key == "acme");

        // 09:00 in Berlin (UTC+1 in winter) on each offset before 10 February 2027.
        Assert.Equal(
            RenewalOffsets.Select(days => new DateTimeOffset(2027, 2, 10, 8, 0, 0, TimeSpan.Zero).AddDays(-days)),
            acme.Deliveries.Select(m => m.QueuedAt));
        var alert = Assert.Single(acme.Timeline, line => line.Kind == "notify_owner");
        Assert.Equal(new DateTimeOffset(2027, 1, 27, 8, 0, 0, TimeSpan.Zero), alert.At);
        Assert.Empty(result.Contacts.Single(c => c.Key == "renewed").Deliveries);
    }

    [Fact]
    public void WinBack_SendsAt30And90Days_UnlessResubscribed()
    {
        var stream = new[]
        {
            Track("gone", "subscription_cancelled", "{}", T0),
            Track("back", "subscription_cancelled", "{}", T0),
            Track("back", "subscription_started", "{}", T0.AddDays(40)),
        };
        var result = JourneySimulator.Run(Examples, [], stream, to: T0.AddDays(200), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal([T0.AddDays(30), T0.AddDays(90)], result.Contacts.Single(c => c.Key == "gone").Deliveries.Select(m => m.QueuedAt));
        Assert.Equal(["winback-30"], result.Contacts.Single(c => c.Key == "back").Deliveries.Select(m => m.Template));
    }

    [Fact]
    public void Simulation_IsDeterministic()
    {
        string Run() => JsonSerializer.Serialize(Simulate("cart-recovery.ndjson", to: T0.AddDays(20)).Contacts.Select(c => c.Timeline));
        Assert.Equal(Run(), Run());
    }

    private static SimulationResult Simulate(string stream, DateTimeOffset to)
    {
        var directory = Path.Combine(Repository.Root, "examples", "streams");
        return JourneySimulator.Run(Examples, ReadFile(Path.Combine(directory, "cart-recovery.profiles.ndjson")), ReadFile(Path.Combine(directory, stream)), to: to, cancellationToken: TestContext.Current.CancellationToken);
    }

    private static List<(string Template, DateTimeOffset At)> Messages(SimulationResult result, string key) =>
        [.. result.Contacts.Single(c => c.Key == key).Messages.Select(m => (m.Template, m.At))];

    private static List<SegmentMessage> ReadFile(string path) =>
        File.ReadLines(path).Where(line => line.Length > 0).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return Read(line, document.RootElement.GetProperty("timestamp").GetDateTimeOffset());
        }).ToList();

    private static SegmentMessage Track(string user, string name, string properties, DateTimeOffset at, string context = "{}") =>
        Read($$"""{"type":"track","userId":"{{user}}","event":"{{name}}","properties":{{properties}},"context":{{context}},"timestamp":"{{at:O}}"}""", at);

    private static SegmentMessage Read(string json, DateTimeOffset at) => TestMessages.Read(json, receivedAt: at);

    private static DocumentSet LoadExampleSet()
    {
        var examples = Path.Combine(Repository.Root, "examples");
        var set = DocumentSet.Read(Directory.GetFiles(examples, "*.yaml", SearchOption.AllDirectories).Select(path => (path, File.ReadAllText(path))));
        Assert.Empty(set.Errors);
        return set;
    }
}
