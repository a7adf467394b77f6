using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;
using Cairn.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// The example journeys on a real server: each example stream is replayed through <c>/v1/batch</c> in virtual time
/// (the clock jumps from event to event, to every timer and to every deferred message's slot in between), with the
/// example policy and the dispatcher delivering (email to the development mailbox, SMS and push to theirs), and every
/// contact must take exactly the path — each move, its time and its reason — and every message must end exactly as the
/// simulation of the same stream under the same policy says: sent, deferred, suppressed, expired or undeliverable,
/// with the same reason, on the same channel and template; per template, the counts are the same. Run on SQLite and
/// on PostgreSQL.
/// </summary>
public abstract class ExampleStreamsOnServerTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    public static TheoryData<string, string> Streams() => [.. ExampleStreams.All.Select(stream => (stream.Name, stream.To))];

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task ExampleStream_OnTheServer_TakesTheSimulatedPaths_AndEndsEachMessageAsSimulated(string stream, string to)
    {
        var end = DateTimeOffset.Parse(to, CultureInfo.InvariantCulture);
        var profiles = ReadLines(ExampleStreams.Profiles(stream));
        var events = ReadLines(ExampleStreams.Events(stream)).OrderBy(e => e.Message.Timestamp).ToList();
        var documents = TestCairn.ExampleDocuments();
        var set = DocumentSet.Read(documents);
        Assert.Empty(set.Errors);
        var library = JourneyLibrary.Of([.. set.Journeys.Select(journey => new PublishedJourney(journey, 1))]);

        var time = new FakeTimeProvider(profiles.Concat(events).Min(line => line.Message.Timestamp));

        // Delivery passes run when the test says, at the virtual time: after each input and at each deferred slot.
        // Hand-off alerts go to the example sales team's webhooks, which do not answer here: a short timeout.
        await using var cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: time, messaging: options =>
        {
            options.DispatchInBackground = false;
            options.HttpTimeout = TimeSpan.FromSeconds(1);
        });
        await cairn.ApplyAsync(documents);
        await cairn.Rollouts.RunRolloutsAsync(Cancel);
        foreach (var line in profiles.Concat(events))
        {
            await RunUntilAsync(cairn, time, line.Message.Timestamp);
            using var response = await cairn.Ingest.PostAsync("/v1/batch", new StringContent($$"""{"batch":[{{line.Text}}]}""", Encoding.UTF8, "application/json"), Cancel);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
            await cairn.Engine.WhenIdleAsync(Cancel);
            await DeliverDueAsync(cairn);
        }

        await RunUntilAsync(cairn, time, end);

        // The simulation uses the contact ids the server gave (holdouts and splits are decided by them).
        var ids = profiles.Concat(events).Select(line => line.Message.UserId!).Distinct(StringComparer.Ordinal)
            .ToDictionary(key => key, key => cairn.Engine.FindContact(Core.Contacts.IdentityKey.User(key))!.Value, StringComparer.Ordinal);
        var expected = JourneySimulator.Run(
            library,
            profiles.Select(p => p.Message),
            events.Select(e => e.Message),
            to: end,
            contactIds: key => ids[key],
            scoring: new Core.Scoring.ScoringLibrary([.. set.ScoringModels.OrderBy(model => model.Id, StringComparer.Ordinal)]),
            segments: Core.Segments.SegmentLibrary.Of(set.Segments),
            policy: Assert.Single(set.Policies),
            subscriptions: set.Templates.ToDictionary(template => template.Id, template => template.Subscription, StringComparer.Ordinal), cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEmpty(expected.Contacts);

        var serverOutcomes = new List<string>();
        foreach (var contact in expected.Contacts)
        {
            var id = (await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/lookup?userId={contact.Key}", Cancel)).GetProperty("id").GetString();
            Assert.Equal(contact.ContactId.ToString(), id);
            var journeys = await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{id}/journeys?limit=1000", Cancel);
            var moves = journeys.GetProperty("ended").EnumerateArray().Concat(journeys.GetProperty("active").EnumerateArray())
                .SelectMany(enrollment => enrollment.GetProperty("path").EnumerateArray().Select(entry => Move(enrollment.GetProperty("id").GetString()!, entry)))
                .OrderBy(move => move, StringComparer.Ordinal)
                .ToList();
            var simulatedMoves = contact.Moves
                .Select(moved => $"{moved.EnrollmentId} {moved.Entry.At:O} {moved.Entry.From ?? "(entry)"} -{moved.Entry.Exit}-> {moved.Entry.To}: {moved.Entry.Reason}")
                .OrderBy(move => move, StringComparer.Ordinal)
                .ToList();
            Assert.Equal(simulatedMoves, moves);

            // Every message the journeys queued, and what became of it.
            var outbox = (await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={id}&limit=1000", Cancel)).GetProperty("items");
            var messages = outbox.EnumerateArray()
                .Where(message => message.GetProperty("channel").GetString() != "owner")
                .Select(message => $"{message.GetProperty("createdAt").GetDateTimeOffset():O} {message.GetProperty("enrollmentId").GetString()} {message.GetProperty("stepId").GetString()} {message.GetProperty("channel").GetString()} {message.GetProperty("template").GetString()} {Outcome(message)}")
                .Order(StringComparer.Ordinal)
                .ToList();
            var simulatedMessages = contact.Deliveries
                .Select(delivery => $"{delivery.QueuedAt:O} {delivery.EnrollmentId} {delivery.StepId} {delivery.Channel.DocumentName()} {delivery.Template} {delivery.OutcomeName}{(delivery.Outcome is MessageOutcome.Sent or MessageOutcome.Unknown ? string.Empty : $": {delivery.Reason}")}")
                .Order(StringComparer.Ordinal)
                .ToList();
            Assert.Equal(simulatedMessages, messages);
            serverOutcomes.AddRange(messages.Select(message => string.Join(' ', message.Split(' ')[3..6]).TrimEnd(':')));

            // Hand-off alerts (an unacknowledged one is escalated later by its SLA timer: that alert is not a journey's).
            var alerts = outbox.EnumerateArray().Where(message => message.GetProperty("channel").GetString() == "owner" && message.GetProperty("stepId").GetString() != "escalation").ToList();
            Assert.Equal(contact.Timeline.Count(line => line.Kind == "notify_owner"), alerts.Count);
            Assert.All(alerts, alert => Assert.NotEmpty(JsonDocument.Parse(alert.GetProperty("payload").GetString()!).RootElement.GetProperty("timeline").EnumerateArray()));
        }

        // The cart-recovery stream has a shopper without a phone (Bob), one without the SMS opt-in (Cem) and an open
        // exported without a message id that names the template (Dan): each comes out the same on both sides.
        if (stream == "cart-recovery")
        {
            bool Enrolled(string key) => JourneyDecider.Bucket(ids[key], "cart-recovery:holdout") >= 5;
            Assert.True(!Enrolled("bob") || serverOutcomes.Contains("sms cart-reminder-sms undeliverable"));
            Assert.True(!Enrolled("cem") || serverOutcomes.Contains("sms cart-reminder-sms suppressed"));
            Assert.True(!Enrolled("dan") || expected.Contacts.Single(c => c.Key == "dan").Moves.Any(moved => moved.Entry is { From: "opened_email_1", Exit: "happened" }));
        }

        // Per template, what cairn simulate counts is what the server's outbox holds.
        Assert.Equal(
            expected.Contacts.SelectMany(c => c.Deliveries).GroupBy(d => $"{d.Channel.DocumentName()} {d.Template} {d.OutcomeName}").Select(g => $"{g.Key} {g.Count()}").Order(StringComparer.Ordinal),
            serverOutcomes.GroupBy(outcome => outcome).Select(g => $"{g.Key} {g.Count()}").Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// A message's end as the simulation names it: delivered (to the development mailbox) is sent; queued after a
    /// deferral is deferred; push to a contact with no registered device is unknown to a simulation, whose stream does
    /// not record devices (the test registers none).
    /// </summary>
    private static string Outcome(JsonElement message)
    {
        var status = message.GetProperty("status").GetString();
        var reason = message.TryGetProperty("lastError", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null;
        return status switch
        {
            "sent" or "delivered" => "sent",
            "undeliverable" when message.GetProperty("channel").GetString() == "push" && reason == "the contact has no registered device" => "unknown",
            "queued" => $"deferred: {reason}",
            _ => $"{status}: {reason}",
        };
    }

    /// <summary>
    /// Moves the clock to <paramref name="until"/>, stopping at every timer and every deferred message's slot on the
    /// way: at each, the due messages are delivered first (a deferred send at the same instant as a timer goes first,
    /// as in the simulation), then the timers fire, then what they queued is delivered.
    /// </summary>
    private static async Task RunUntilAsync(TestCairn cairn, FakeTimeProvider time, DateTimeOffset until)
    {
        for (var (stuck, last) = (0, DateTimeOffset.MinValue); ; stuck = time.GetUtcNow() == last ? stuck + 1 : 0, last = time.GetUtcNow())
        {
            Assert.True(stuck < 50, $"nothing moves at {last:O}: a timer or a deferred message stays due");
            var timer = await cairn.Store.GetNextTimerAsync(Cancel);
            var slot = await NextSlotAsync(cairn);
            var next = new[] { timer, slot }.OfType<DateTimeOffset>().DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
            if (next > until)
            {
                break;
            }

            if (next > time.GetUtcNow())
            {
                time.SetUtcNow(next);
            }

            await DeliverDueAsync(cairn);
            await cairn.Timers.FireDueTimersAsync(Cancel);
            await cairn.Engine.WhenIdleAsync(Cancel);
            await DeliverDueAsync(cairn);
        }

        if (until > time.GetUtcNow())
        {
            time.SetUtcNow(until);
        }
    }

    /// <summary>Delivery passes until nothing is due now (what a pass records can make journeys queue more).</summary>
    private static async Task DeliverDueAsync(TestCairn cairn)
    {
        for (var pass = 0; pass < 10 && await cairn.Dispatcher.DispatchAsync(Cancel) > 0; pass++)
        {
            await cairn.Engine.WhenIdleAsync(Cancel);
        }
    }

    /// <summary>The earliest slot a journey's message was deferred to (hand-off alerts retried later do not count).</summary>
    private static async Task<DateTimeOffset?> NextSlotAsync(TestCairn cairn) =>
        (await cairn.Store.ListMessagesAsync("queued", null, 1000, Cancel))
            .Where(message => message.Channel != "owner" && message.Decision is not null)
            .Select(message => JsonDocument.Parse(message.Decision!).RootElement.GetProperty("until"))
            .Where(until => until.ValueKind == JsonValueKind.String)
            .Select(until => (DateTimeOffset?)until.GetDateTimeOffset())
            .Min();

    private static string Move(string enrollment, JsonElement entry)
    {
        var from = entry.TryGetProperty("from", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : "(entry)";
        return $"{enrollment} {entry.GetProperty("at").GetDateTimeOffset():O} {from} -{entry.GetProperty("exit").GetString()}-> {entry.GetProperty("to").GetString()}: {entry.GetProperty("reason").GetString()}";
    }

    private static List<(string Text, SegmentMessage Message)> ReadLines(string? path)
    {
        if (path is null)
        {
            return [];
        }

        return
        [
            .. File.ReadLines(path).Where(line => !string.IsNullOrWhiteSpace(line)).Select((line, index) =>
            {
                using var document = JsonDocument.Parse(line);
                var timestamp = document.RootElement.GetProperty("timestamp").GetDateTimeOffset();
                Assert.True(SegmentMessageReader.TryRead(document.RootElement, null, timestamp, null, () => $"{path}:{index + 1}", out var message, out var error), error);
                return (line, message);
            }),
        ];
    }
}

public sealed class SqliteExampleStreamsOnServerTests : ExampleStreamsOnServerTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlExampleStreamsOnServerTests(PostgresFixture postgres) : ExampleStreamsOnServerTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
