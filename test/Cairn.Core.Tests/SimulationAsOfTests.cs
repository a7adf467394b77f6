using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;

namespace Cairn.Core.Tests;

/// <summary>
/// A replay of recorded events starts each contact from its profile as of the period's start (<see cref="ProfileAsOf"/>,
/// folded by the simulator's turn), and holds back a send to an address on the suppression list with why it is listed.
/// </summary>
public sealed class SimulationAsOfTests
{
    private static readonly DateTimeOffset From = new(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);

    private static readonly JourneyDefinition PlanJourney = DocumentParser.Parse<ParsedJourney>(
        """
        id: plans
        name: Plans
        trigger: { event: go }
        steps:
          - id: by_plan
            branch:
              - name: pro
                when: { trait: plan, op: eq, value: pro }
                next: pro_mail
            else: trial_mail
          - id: pro_mail
            send: { channel: email, template: pro-t }
          - id: trial_mail
            send: { channel: email, template: trial-t }
        """,
        "plans.yaml").Journey;

    [Fact]
    public void AContactWhosePlanChangedAfterFrom_TakesTheBranchOfThePlanItHadThen()
    {
        var id = new ContactId(Guid.Parse("0196f3a0-0000-7000-8000-000000000001"));

        // Stored now: plan pro since a day into the period (an identify), an email address and a region set before it (the
        // region by an edit, without an event), and seats set only since.
        var current = ContactState.New(id, From.AddDays(-30)) with
        {
            UserId = "ann",
            Traits = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, TraitValue>
            {
                ["plan"] = Trait("\"pro\"", From.AddDays(1)),
                ["email"] = Trait("\"ann@example.com\"", From.AddDays(-20)),
                ["region"] = Trait("\"emea\"", From.AddDays(-3)),
                ["seats"] = Trait("5", From.AddDays(2)),
            }),
        };
        SegmentMessage[] recorded =
        [
            Read("""{"type":"identify","userId":"ann","messageId":"i-1","traits":{"email":"ann@example.com","plan":"free"}}""", From.AddDays(-20)),
            Read("""{"type":"identify","userId":"ann","messageId":"i-2","traits":{"plan":"trial"}}""", From.AddDays(-5)),
            Read("""{"type":"identify","userId":"ann","messageId":"i-3","traits":{"plan":"pro","seats":5}}""", From.AddDays(1)),
        ];

        var profile = ProfileAsOf.Messages(current, recorded, From);

        // What was recorded after the period's start is not replayed into its start.
        Assert.DoesNotContain(profile, message => message.MessageId == "i-3");
        Assert.Contains(profile, message => message.MessageId == "i-2");
        var traits = Fold(profile);
        Assert.Equal("trial", traits["plan"]);
        Assert.Equal("emea", traits["region"]);
        Assert.Equal("ann@example.com", traits["email"]);
        Assert.False(traits.ContainsKey("seats"));

        // Replayed from the period's start, the contact takes the trial branch; from its current profile it took pro.
        var library = JourneyLibrary.Of(new PublishedJourney(PlanJourney, 1));
        var stream = new[] { Read("""{"type":"track","userId":"ann","messageId":"go-1","event":"go"}""", From.AddHours(1)) };
        var key = id.ToString();
        var asOfFrom = JourneySimulator.Run(library, profile, stream, From, From.AddDays(3), _ => id, keyOf: _ => key, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["trial-t"], asOfFrom.Contacts.Single().Messages.Select(message => message.Template));

        var today = ProfileAsOf.Messages(current, recorded, From.AddDays(3));
        var asOfNow = JourneySimulator.Run(library, today, [stream[0] with { Timestamp = From.AddDays(3).AddHours(1) }], From.AddDays(3), From.AddDays(4), _ => id, keyOf: _ => key, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["pro-t"], asOfNow.Contacts.Single().Messages.Select(message => message.Template));
    }

    [Fact]
    public void ASendToASuppressedAddress_IsHeldBackWithWhyItIsListed_PerTemplate()
    {
        var library = JourneyLibrary.Of(new PublishedJourney(PlanJourney, 1));
        SegmentMessage[] profiles =
        [
            Read("""{"type":"identify","userId":"ann","traits":{"email":"Ann@Example.com","plan":"pro"}}""", From.AddDays(-1)),
            Read("""{"type":"identify","userId":"bob","traits":{"email":"bob@example.com","plan":"pro"}}""", From.AddDays(-1)),
            Read("""{"type":"identify","userId":"cem","traits":{"email":"cem@example.com"}}""", From.AddDays(-1)),
        ];
        var stream = profiles.Select(profile => Read($$"""{"type":"track","userId":"{{profile.UserId}}","event":"go"}""", From.AddHours(1))).ToList();
        var suppressions = new Dictionary<string, string>
        {
            ["ann@example.com"] = "hard bounce: 550 5.1.1 no such user",
            ["cem@example.com"] = "complaint (marked as spam)",
        };

        var result = JourneySimulator.Run(library, profiles, stream, From, From.AddDays(1), suppressions: suppressions, cancellationToken: TestContext.Current.CancellationToken);

        var ann = result.Contacts.Single(contact => contact.Key == "ann");
        Assert.Empty(ann.Messages);
        var held = Assert.Single(ann.Decisions);
        Assert.Equal(("suppressed", "pro-t", "hard bounce: 550 5.1.1 no such user"), (held.Outcome, held.Template, held.ListedBecause));
        Assert.Equal(MessageOutcome.Suppressed, ann.Deliveries.Single().Outcome);
        Assert.Equal(["pro-t"], result.Contacts.Single(contact => contact.Key == "bob").Messages.Select(message => message.Template));

        var report = SimulationReport.Of(PlanJourney, result, stream.Count, 10);
        Assert.Equal(
            [new SimulatedHold("suppressed", "suppression list: complaint", "email", "trial-t", 1), new SimulatedHold("suppressed", "suppression list: hard bounce", "email", "pro-t", 1)],
            report.HeldBack);
        var pro = report.Messages.Single(template => template.Template == "pro-t");
        Assert.Equal((2, 1, 1), (pro.Queued, pro.Sent, pro.Suppressed));
    }

    [Fact]
    public void ARun_StopsWhenItsCallerGoesAway()
    {
        var library = JourneyLibrary.Of(new PublishedJourney(PlanJourney, 1));
        var stream = new[] { Read("""{"type":"track","userId":"ann","event":"go"}""", From) };
        using var gone = new CancellationTokenSource();
        gone.Cancel();
        Assert.Throws<OperationCanceledException>(() => JourneySimulator.Run(library, [], stream, cancellationToken: gone.Token));
    }

    private static TraitValue Trait(string json, DateTimeOffset at)
    {
        using var document = JsonDocument.Parse(json);
        return new TraitValue(document.RootElement.Clone(), at);
    }

    /// <summary>The traits the engine's profile fold (<see cref="ContactDecider"/>) gives the messages, applied in order.</summary>
    private static Dictionary<string, string> Fold(IEnumerable<SegmentMessage> messages)
    {
        var id = new ContactId(Guid.Parse("0196f3a0-0000-7000-8000-000000000002"));
        ContactState? state = null;
        foreach (var message in messages)
        {
            state = ContactDecider.Decide(state, new MessageReceived(id, message), message.Timestamp).State;
        }

        return state!.Traits.ToDictionary(pair => pair.Key, pair => pair.Value.Value.ValueKind == JsonValueKind.String ? pair.Value.Value.GetString()! : pair.Value.Value.GetRawText(), StringComparer.Ordinal);
    }

    private static SegmentMessage Read(string json, DateTimeOffset at)
    {
        using var document = JsonDocument.Parse(json);
        var withTime = JsonSerializer.Serialize(document.RootElement.EnumerateObject().ToDictionary(property => property.Name, property => (object)property.Value).Append(new KeyValuePair<string, object>("timestamp", at)).ToDictionary());
        return TestMessages.Read(withTime, receivedAt: at);
    }
}
