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
/// (the clock jumps from event to event and to every timer in between), and every contact must take exactly the
/// path — each move, its time and its reason — and get exactly the messages the simulation of the same stream
/// gives. Run on SQLite and on PostgreSQL.
/// </summary>
public abstract class ExampleStreamsOnServerTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    public static TheoryData<string, string> Streams() => [.. ExampleStreams.All.Select(stream => (stream.Name, stream.To))];

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task ExampleStream_OnTheServer_TakesTheSimulatedPaths_AndQueuesTheSimulatedMessages(string stream, string to)
    {
        var end = DateTimeOffset.Parse(to, CultureInfo.InvariantCulture);
        var profiles = ReadLines(ExampleStreams.Profiles(stream));
        var events = ReadLines(ExampleStreams.Events(stream)).OrderBy(e => e.Message.Timestamp).ToList();
        var documents = TestCairn.ExampleDocuments();
        var set = DocumentSet.Read(documents);
        Assert.Empty(set.Errors);
        var library = JourneyLibrary.Of([.. set.Journeys.Select(journey => new PublishedJourney(journey, 1))]);

        var time = new FakeTimeProvider(profiles.Concat(events).Min(line => line.Message.Timestamp));
        // Journeys only: the simulation does not deliver, so nothing is (the orchestrator's deferrals would move waits).
        await using var cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: time, messaging: options => options.DispatchInBackground = false);
        await cairn.ApplyAsync(documents);
        await cairn.Engine.RunRolloutsAsync(Cancel);
        foreach (var line in profiles.Concat(events))
        {
            await cairn.AdvanceAsync(time, line.Message.Timestamp);
            using var response = await cairn.Ingest.PostAsync("/v1/batch", new StringContent($$"""{"batch":[{{line.Text}}]}""", Encoding.UTF8, "application/json"), Cancel);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
            await cairn.Engine.WhenIdleAsync(Cancel);
        }

        await cairn.AdvanceAsync(time, end);

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
            segments: Core.Segments.SegmentLibrary.Of(set.Segments));
        Assert.NotEmpty(expected.Contacts);

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

            var outbox = await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={id}&limit=1000", Cancel);
            var messages = outbox.EnumerateArray()
                .Where(message => message.GetProperty("channel").GetString() != "owner")
                .Select(message => $"{message.GetProperty("createdAt").GetDateTimeOffset():O} {message.GetProperty("enrollmentId").GetString()} {message.GetProperty("stepId").GetString()} {message.GetProperty("channel").GetString()} {message.GetProperty("template").GetString()}")
                .Order(StringComparer.Ordinal);
            var simulatedMessages = contact.Messages
                .Select(message => $"{message.At:O} {message.EnrollmentId} {message.StepId} {message.Channel.DocumentName()} {message.Template}")
                .Order(StringComparer.Ordinal);
            Assert.Equal(simulatedMessages, messages);

            // Hand-off alerts (an unacknowledged one is escalated later by its SLA timer: that alert is not a journey's).
            var alerts = outbox.EnumerateArray().Where(message => message.GetProperty("channel").GetString() == "owner" && message.GetProperty("stepId").GetString() != "escalation").ToList();
            Assert.Equal(contact.Timeline.Count(line => line.Kind == "notify_owner"), alerts.Count);
            Assert.All(alerts, alert => Assert.NotEmpty(JsonDocument.Parse(alert.GetProperty("payload").GetString()!).RootElement.GetProperty("timeline").EnumerateArray()));
        }
    }

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
