using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// <c>POST /api/journeys/{id}/simulate</c> on the example workspace and the cart-recovery example stream: a period of
/// recorded events, an uploaded stream (with unreadable lines), the limits and bad input, a viewer — and that nothing
/// is stored or sent.
/// </summary>
public sealed class SimulationApiTests : IAsyncLifetime
{
    private static readonly string Streams = Path.Combine(Repository.Root, "examples", "streams");
    private static readonly string Journey = File.ReadAllText(Path.Combine(Repository.Root, "examples", "journeys", "cart-recovery.yaml"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cairn = await TestCairn.StartAsync(time: _time);
        await _cairn.ApplyAsync(TestCairn.ExampleDocuments());
    }

    public async ValueTask DisposeAsync() => await _cairn.DisposeAsync();

    [Fact]
    public async Task APeriod_ReplaysTheRecordedEvents_PerStep_StoringAndSendingNothing()
    {
        foreach (var line in StreamLines("cart-recovery.profiles.ndjson").Concat(StreamLines("cart-recovery.ndjson")))
        {
            using var message = JsonDocument.Parse(line);
            await _cairn.SendAsync(message.RootElement.GetProperty("type").GetString()!, line);
        }

        var store = _cairn.Store;
        var before = (await store.CountContactsAsync(Cancel), await store.CountEventsAsync(Cancel), Sum(await store.CountMessagesAsync("cart-recovery", Cancel)));

        // The draft has no holdout (whose members, drawn by the real contact ids, would be sent nothing).
        var draft = Journey.Replace("  holdout: 5\n", string.Empty, StringComparison.Ordinal).Replace("timeout: 4h", "timeout: 2h", StringComparison.Ordinal);
        using var response = await _cairn.Admin.PostAsJsonAsync("/api/journeys/cart-recovery/simulate", new { document = draft, from = "2026-10-01T00:00:00Z", to = "2026-11-03T00:00:00Z" }, Cancel);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());

        Assert.Equal("period", body.GetProperty("source").GetString());
        var report = body.GetProperty("report");
        Assert.Equal(4, report.GetProperty("contacts").GetInt32());
        Assert.Equal(4, report.GetProperty("entered").GetInt32());
        Assert.Equal(1, report.GetProperty("converted").GetInt32());
        var steps = report.GetProperty("steps").EnumerateArray().ToDictionary(step => step.GetProperty("id").GetString()!);
        Assert.Equal(10, steps.Count);
        Assert.Equal(("wait", 4), (steps["wait_1h"].GetProperty("kind").GetString(), steps["wait_1h"].GetProperty("entered").GetInt32()));
        var opened = steps["opened_email_1"].GetProperty("exits").EnumerateArray().ToDictionary(exit => exit.GetProperty("exit").GetString()!, exit => exit.GetProperty("count").GetInt32());
        Assert.Equal(4, opened.Values.Sum());
        Assert.Equal(0, steps["wait_1h"].GetProperty("waiting").GetInt32());

        // Each contact is listed under the steps it entered, by its userId and stored contact id, with its path.
        var ann = steps["email_1"].GetProperty("contacts").EnumerateArray().Single(contact => contact.GetProperty("key").GetString() == "ann");
        Assert.Equal(await _cairn.ContactIdAsync("ann"), ann.GetProperty("contactId").GetString());
        Assert.Equal(["wait_1h", "email_1", "opened_email_1"], ann.GetProperty("path").EnumerateArray().Take(3).Select(visit => visit.GetProperty("step").GetString()));
        Assert.Equal("next", ann.GetProperty("path")[0].GetProperty("exit").GetString());

        var messages = report.GetProperty("messages").EnumerateArray().ToList();
        var first = messages.Single(m => m.GetProperty("template").GetString() == "cart-reminder-1");
        Assert.Equal(("email", 4), (first.GetProperty("channel").GetString(), first.GetProperty("queued").GetInt32()));
        Assert.Contains(report.GetProperty("heldBack").EnumerateArray(), hold => hold.GetProperty("reason").GetString()!.Contains("opt-in for sms", StringComparison.Ordinal));

        var after = (await store.CountContactsAsync(Cancel), await store.CountEventsAsync(Cancel), Sum(await store.CountMessagesAsync("cart-recovery", Cancel)));
        Assert.Equal(before, after);

        // Stopping the clock at the end of the period leaves contacts waiting where they were.
        using var stopped = await _cairn.Admin.PostAsJsonAsync("/api/journeys/cart-recovery/simulate", new { document = draft, from = "2026-10-01T00:00:00Z", to = "2026-11-02T10:30:00Z", stopAtEnd = true }, Cancel);
        var waiting = (await stopped.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("report").GetProperty("steps").EnumerateArray().First();
        Assert.Equal(("wait_1h", 4), (waiting.GetProperty("id").GetString(), waiting.GetProperty("waiting").GetInt32()));

        // A period without events simulates nothing, and says so in numbers.
        using var quiet = await _cairn.Admin.PostAsJsonAsync("/api/journeys/cart-recovery/simulate", new { document = draft, from = "2025-01-01T00:00:00Z", to = "2025-01-02T00:00:00Z" }, Cancel);
        var empty = (await quiet.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("report");
        Assert.Equal((0, 0), (empty.GetProperty("events").GetInt32(), empty.GetProperty("entered").GetInt32()));
    }

    [Fact]
    public async Task APeriod_StartsEachContactFromItsProfileAsOfFrom_AndHoldsBackSendsToSuppressedAddresses()
    {
        foreach (var line in StreamLines("cart-recovery.profiles.ndjson").Concat(StreamLines("cart-recovery.ndjson")))
        {
            using var message = JsonDocument.Parse(line);
            await _cairn.SendAsync(message.RootElement.GetProperty("type").GetString()!, line);
        }

        // After the period, Ann's value tier drops and Bob's rises; Dan's address hard-bounced.
        await _cairn.SendAsync("identify", """{"type":"identify","userId":"ann","traits":{"ltv_tier":"low"},"timestamp":"2026-11-05T09:00:00Z"}""");
        await _cairn.SendAsync("identify", """{"type":"identify","userId":"bob","traits":{"ltv_tier":"high"},"timestamp":"2026-11-05T09:00:00Z"}""");
        await _cairn.Dispatcher.Suppressions.ApplyAsync(new Messaging.DeliveryFeedback(Messaging.FeedbackKind.HardBounce, "dan@example.com", null, "550 5.1.1 no such user", "test", _time.GetUtcNow()), Cancel);

        var draft = Journey.Replace("  holdout: 5\n", string.Empty, StringComparison.Ordinal);
        using var response = await _cairn.Admin.PostAsJsonAsync("/api/journeys/cart-recovery/simulate", new { document = draft, from = "2026-11-01T00:00:00Z", to = "2026-11-03T00:00:00Z" }, Cancel);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        var report = body.GetProperty("report");
        var steps = report.GetProperty("steps").EnumerateArray().ToDictionary(step => step.GetProperty("id").GetString()!);
        string[] Keys(string step) => [.. steps[step].GetProperty("contacts").EnumerateArray().Select(contact => contact.GetProperty("key").GetString()!)];

        // Their tiers as of the period's start decide the branch, not their tiers now.
        Assert.Equal(["ann"], Keys("email_incentive"));
        Assert.Contains("bob", Keys("email_final"));

        var held = report.GetProperty("heldBack").EnumerateArray()
            .Where(hold => hold.GetProperty("reason").GetString() == "suppression list: hard bounce")
            .Select(hold => (hold.GetProperty("decision").GetString(), hold.GetProperty("channel").GetString(), hold.GetProperty("template").GetString(), hold.GetProperty("count").GetInt32()))
            .ToList();
        Assert.Contains(("suppressed", "email", "cart-reminder-1", 1), held);
        var first = report.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("template").GetString() == "cart-reminder-1");
        Assert.Equal((4, 3, 1), (first.GetProperty("queued").GetInt32(), first.GetProperty("sent").GetInt32(), first.GetProperty("suppressed").GetInt32()));
    }

    [Fact]
    public async Task APeriodOverTheLimits_IsRefusedNamingTheSetting()
    {
        await using var limited = await TestCairn.StartAsync(time: _time, engine: options => (options.MaxSimulationEvents, options.MaxSimulationContacts) = (5, 3));
        await limited.ApplyAsync(TestCairn.ExampleDocuments());
        foreach (var line in StreamLines("cart-recovery.ndjson"))
        {
            using var message = JsonDocument.Parse(line);
            await limited.SendAsync(message.RootElement.GetProperty("type").GetString()!, line);
        }

        for (var index = 0; index < 6; index++)
        {
            await limited.SendAsync("track", $$"""{"type":"track","userId":"ann","event":"page_viewed","timestamp":"2026-11-04T10:0{{index}}:00Z"}""");
        }

        async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string from, string to)
        {
            using var response = await limited.Admin.PostAsJsonAsync("/api/journeys/cart-recovery/simulate", new { document = Journey, from, to }, Cancel);
            return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(Cancel));
        }

        // Six events of one contact; then the first four events of the example stream, for four contacts.
        var events = await PostAsync("2026-11-04T00:00:00Z", "2026-11-05T00:00:00Z");
        Assert.Equal(HttpStatusCode.BadRequest, events.Status);
        Assert.Equal(("Engine:MaxSimulationEvents", 5), (events.Body.GetProperty("setting").GetString(), events.Body.GetProperty("limit").GetInt32()));
        Assert.Contains("more than 5 events", events.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var contacts = await PostAsync("2026-11-02T00:00:00Z", "2026-11-02T10:15:00Z");
        Assert.Equal(HttpStatusCode.BadRequest, contacts.Status);
        Assert.Equal(("Engine:MaxSimulationContacts", 3), (contacts.Body.GetProperty("setting").GetString(), contacts.Body.GetProperty("limit").GetInt32()));

        var few = await PostAsync("2026-11-02T00:00:00Z", "2026-11-02T10:06:00Z");
        Assert.True(few.Status == HttpStatusCode.OK, few.Body.ToString());
    }

    [Fact]
    public async Task AnUpload_IsReplayed_AndItsUnreadableLinesAreReportedByNumber()
    {
        var lines = StreamLines("cart-recovery.profiles.ndjson").Concat(StreamLines("cart-recovery.ndjson")).ToList();
        lines.Insert(2, "{not json");
        lines.Insert(5, """{"type":"track","userId":"zed","event":"cart_abandoned"}""");
        using var response = await _cairn.Admin.PostAsJsonAsync("/api/journeys/cart-recovery/simulate", new { document = Journey, events = string.Join('\n', lines) }, Cancel);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());

        Assert.Equal(("upload", 2), (body.GetProperty("source").GetString(), body.GetProperty("unreadableLines").GetInt32()));
        var errors = body.GetProperty("lineErrors").EnumerateArray().ToList();
        Assert.Equal([3, 6], errors.Select(error => error.GetProperty("line").GetInt32()));
        Assert.Contains("timestamp", errors[1].GetProperty("message").GetString(), StringComparison.Ordinal);
        var report = body.GetProperty("report");
        Assert.Equal((4, 4), (report.GetProperty("contacts").GetInt32(), report.GetProperty("entered").GetInt32()));
        var path = report.GetProperty("steps")[0].GetProperty("contacts").EnumerateArray().First();
        Assert.Equal(JsonValueKind.Null, path.GetProperty("contactId").ValueKind);

        // The raw NDJSON body simulates the stored draft.
        using var raw = await _cairn.Admin.PostAsync(
            "/api/journeys/cart-recovery/simulate",
            new StringContent(string.Join('\n', StreamLines("cart-recovery.profiles.ndjson").Concat(StreamLines("cart-recovery.ndjson"))), Encoding.UTF8, "application/x-ndjson"),
            Cancel);
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal(4, (await raw.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("report").GetProperty("entered").GetInt32());
    }

    [Fact]
    public async Task BadInput_IsRefusedInWords()
    {
        async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(object body)
        {
            using var response = await _cairn.Admin.PostAsJsonAsync("/api/journeys/cart-recovery/simulate", body, Cancel);
            return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(Cancel));
        }

        var invalid = await PostAsync(new { document = Journey.Replace("next: email_1", "next: nowhere", StringComparison.Ordinal), from = "2026-10-01T00:00:00Z", to = "2026-11-03T00:00:00Z" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Status);
        Assert.Contains("nowhere", invalid.Body.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);

        var backwards = await PostAsync(new { document = Journey, from = "2026-11-03T00:00:00Z", to = "2026-10-01T00:00:00Z" });
        Assert.Equal(HttpStatusCode.BadRequest, backwards.Status);
        Assert.Contains("must be after", backwards.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var emptyPeriod = await PostAsync(new { document = Journey, from = "2026-11-03T00:00:00Z", to = "2026-11-03T00:00:00Z" });
        Assert.Equal(HttpStatusCode.BadRequest, emptyPeriod.Status);

        var nothing = await PostAsync(new { document = Journey });
        Assert.Equal(HttpStatusCode.BadRequest, nothing.Status);
        Assert.Contains("'from' and 'to'", nothing.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var both = await PostAsync(new { document = Journey, from = "2026-11-03T00:00:00Z", to = "2026-11-04T00:00:00Z", events = StreamLines("cart-recovery.ndjson")[0] });
        Assert.Equal(HttpStatusCode.BadRequest, both.Status);

        var unreadable = await PostAsync(new { document = Journey, events = "{not json\n[1, 2]\n" });
        Assert.Equal(HttpStatusCode.BadRequest, unreadable.Status);
        Assert.Equal([1, 2], unreadable.Body.GetProperty("errors").EnumerateArray().Select(error => error.GetProperty("line").GetInt32()));

        var notAnObject = await PostAsync(JsonDocument.Parse("[1, 2]").RootElement);
        Assert.Equal(HttpStatusCode.BadRequest, notAnObject.Status);

        using var unknown = await _cairn.Admin.PostAsJsonAsync("/api/journeys/no-such-journey/simulate", new { from = "2026-10-01T00:00:00Z", to = "2026-11-03T00:00:00Z" }, Cancel);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        var huge = new StringBuilder();
        var line = StreamLines("cart-recovery.ndjson")[0];
        while (huge.Length <= 16 * 1024 * 1024)
        {
            huge.Append(line).Append('\n');
        }

        using var tooLarge = await _cairn.Admin.PostAsync("/api/journeys/cart-recovery/simulate", new StringContent(huge.ToString(), Encoding.UTF8, "application/x-ndjson"), Cancel);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
    }

    [Fact]
    public async Task AViewer_MaySimulate()
    {
        using var created = await _cairn.Admin.PostAsJsonAsync("/api/users", new { email = "viewer@test.local", role = "viewer", password = "a long enough password" }, Cancel);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var client = _cairn.CreateClient();
        using var signedIn = await client.PostAsJsonAsync("/api/session", new { email = "viewer@test.local", password = "a long enough password" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        var cookies = string.Join("; ", signedIn.Headers.GetValues("Set-Cookie").Select(cookie => cookie.Split(';')[0]));
        var token = (await signedIn.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("csrfToken").GetString()!;

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/journeys/cart-recovery/simulate")
        {
            Content = JsonContent.Create(new { document = Journey, events = string.Join('\n', StreamLines("cart-recovery.ndjson")) }),
        };
        request.Headers.Add("Cookie", cookies);
        request.Headers.Add("X-CSRF-TOKEN", token);
        using var response = await client.SendAsync(request, Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancel));
    }

    private static List<string> StreamLines(string name) => [.. File.ReadAllLines(Path.Combine(Streams, name)).Where(line => line.Trim().Length > 0)];

    private static long Sum(IReadOnlyList<(int Version, string StepId, string Status, long Count)> counts) => counts.Sum(count => count.Count);
}
