using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Messaging;
using Cairn.Messaging.Alerts;
using Cairn.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// Anomaly alerts through the real engine with a fake clock: a steady stream for days raises nothing; a drop in a
/// journey's entries and sends (and its trigger's drought) opens one incident each and resolves each once traffic
/// returns; every opening and resolution reaches the webhook exactly once, signed, across a failed attempt and a
/// restart; a complaint spike, render errors, an outbox backlog and timer lag open incidents; the API pages, filters,
/// acknowledges and guards the settings. SQLite and PostgreSQL.
/// </summary>
public abstract class AlertTests : IAsyncDisposable
{
    private const string Template = "kind: template\nid: welcome-email\nchannel: email\nsubject: Welcome\ntext: Hello\n";

    private const string Journey = """
        id: welcome
        name: Welcome
        category: operational
        trigger: { event: signed_up }
        entry: { reentry: always }
        steps:
          - id: hello
            send: { channel: email, template: welcome-email }
            next: done
          - id: done
            exit: true
        """;

    private static readonly string[] NotAnAddress = ["not an address"];

    private static readonly string[] OnCall = ["oncall@example.com"];

    // A Monday, midnight UTC.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cairn-alerts-" + Guid.NewGuid().ToString("N"));
    private string? _postgres;
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    private AlertWatcher Watcher => _cairn.Services.GetRequiredService<AlertWatcher>();

    private async Task StartAsync()
    {
        _cairn = await TestCairn.StartAsync(
            dataDirectory: _postgres is null ? _directory : null,
            postgres: _postgres,
            time: _time,
            messaging: options => options.DispatchInBackground = false,
            alerts: options => options.WatchInBackground = false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cairn is not null)
        {
            await _cairn.DisposeAsync();
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task ASteadyStream_RaisesNothing_ADrop_FiresOnceAndResolvesOnce_AndTheWebhookGetsEachOnceSigned()
    {
        _postgres = await PostgresAsync();
        await StartAsync();
        await using var hook = await RecordingEndpoint.StartAsync(failures: 1);
        var settings = await PutSettingsAsync(_cairn.Admin, new { webhookUrl = hook.Url + "/alerts" });
        var secret = settings.GetProperty("webhookSecret").GetString()!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(secret[..10] + "…", settings.GetProperty("webhookSecretHint").GetString());
        var shown = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/alerts/settings", Cancel);
        Assert.Equal(JsonValueKind.Null, shown.GetProperty("webhookSecret").ValueKind);
        Assert.DoesNotContain(secret, shown.GetRawText(), StringComparison.Ordinal);

        await _cairn.PutDocumentAsync("templates/welcome-email", Template);
        await _cairn.PutDocumentAsync("journeys/welcome", Journey);
        using (var published = await _cairn.Admin.PostAsync("/api/journeys/welcome/publish", null, Cancel))
        {
            Assert.True(published.IsSuccessStatusCode);
        }

        // Four days of 30 sign-ups an hour, the watcher running every few minutes: nothing.
        var start = _time.GetUtcNow();
        for (var hour = 0; hour < 96; hour++)
        {
            await HourOfTrafficAsync(start.AddHours(hour), 30);
        }

        var quiet = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/alerts", Cancel);
        Assert.True(quiet.GetProperty("open").GetInt32() == 0, quiet.GetRawText());
        Assert.Empty(quiet.GetProperty("incidents").EnumerateArray());

        // An hour without a sign-up: the entries, the sends and the trigger each open one incident, whatever the passes.
        var dropped = start.AddHours(96);
        await PassAtAsync(dropped.AddMinutes(30));
        await PassAtAsync(dropped.AddHours(1).AddMinutes(1));
        await PassAtAsync(dropped.AddHours(1).AddMinutes(2));
        var open = await OpenIncidentsAsync();
        Assert.Equal(
            ["journey_entries/welcome", "journey_sends/welcome", "trigger_drought/welcome"],
            open.Select(incident => $"{incident.GetProperty("detector").GetString()}/{incident.GetProperty("subject").GetString()}").Order(StringComparer.Ordinal));
        Assert.Contains("had 0 entries", open.Single(incident => incident.GetProperty("detector").GetString() == "journey_entries").GetProperty("summary").GetString(), StringComparison.Ordinal);

        // The webhook failed once (503) and was retried under the same webhook-id; a restart in the middle re-sends nothing.
        await PassAtAsync(dropped.AddHours(1).AddMinutes(4));
        await _cairn.DisposeAsync();
        await StartAsync();
        await PassAtAsync(dropped.AddHours(1).AddMinutes(6));
        Assert.Equal(3, hook.Received.Count);
        Assert.Equal(3, (await OpenIncidentsAsync()).Count);

        // Traffic returns: two clear hours resolve the journey's incidents, and two clear passes the drought.
        await HourOfTrafficAsync(dropped.AddHours(1), 30);
        await HourOfTrafficAsync(dropped.AddHours(2), 30);
        await HourOfTrafficAsync(dropped.AddHours(3), 30);
        await PassAtAsync(dropped.AddHours(4).AddMinutes(10));
        Assert.Empty(await OpenIncidentsAsync());
        var all = (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/alerts?status=resolved", Cancel)).GetProperty("incidents").EnumerateArray().ToList();
        Assert.Equal(3, all.Count);

        // Exactly one opening and one resolution per incident, each signed per Standard Webhooks with the secret shown once.
        var received = hook.Received.ToList();
        Assert.Equal(6, received.Count);
        Assert.Equal(6, received.Select(request => request.Header("webhook-id")).Distinct(StringComparer.Ordinal).Count());
        var signer = new StandardWebhooks(secret);
        foreach (var request in received)
        {
            var timestamp = long.Parse(request.Header("webhook-timestamp"), CultureInfo.InvariantCulture);
            Assert.Equal(signer.Sign(request.Header("webhook-id"), timestamp, request.Text), request.Header("webhook-signature"));
            Assert.NotEqual(new StandardWebhooks(StandardWebhooks.NewSecret()).Sign(request.Header("webhook-id"), timestamp, request.Text), request.Header("webhook-signature"));
        }

        foreach (var incident in all)
        {
            var id = incident.GetProperty("id").GetString()!;
            var types = received.Where(request => request.Body.GetProperty("data").GetProperty("id").GetString() == id).Select(request => request.Body.GetProperty("type").GetString()).Order(StringComparer.Ordinal);
            Assert.Equal(["alert.opened", "alert.resolved"], types);
            var detail = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/alerts/{id}", Cancel);
            Assert.Equal(["opened", "resolved"], detail.GetProperty("timeline").EnumerateArray().Select(entry => entry.GetProperty("kind").GetString()).Where(kind => kind != "observed"));
            Assert.All(detail.GetProperty("deliveries").EnumerateArray(), delivery => Assert.Equal("sent", delivery.GetProperty("status").GetString()));
        }
    }

    [Fact]
    public async Task AComplaintSpike_RenderErrors_AnOutboxBacklog_AndTimerLag_EachOpenAnIncident()
    {
        _postgres = await PostgresAsync();
        await StartAsync();
        await PutSettingsAsync(_cairn.Admin, new { rateMinSent = 10, emailTo = OnCall });
        await _cairn.PutDocumentAsync("templates/welcome-email", Template);
        await _cairn.PutDocumentAsync("templates/broken", "kind: template\nid: broken\nchannel: email\nsubject: \"{{ contact.plan | upcase }}\"\ntext: Hi\nsample: { contact: { plan: pro } }\n");
        await _cairn.PutDocumentAsync("journeys/welcome", Journey);
        await _cairn.PutDocumentAsync("journeys/broken", Journey.Replace("id: welcome", "id: broken", StringComparison.Ordinal).Replace("welcome-email", "broken", StringComparison.Ordinal).Replace("signed_up", "upgraded", StringComparison.Ordinal));
        await _cairn.PutDocumentAsync("journeys/later", Journey.Replace("id: welcome", "id: later", StringComparison.Ordinal).Replace("signed_up", "trial_started", StringComparison.Ordinal)
            .Replace("send: { channel: email, template: welcome-email }", "wait: 1h", StringComparison.Ordinal));
        foreach (var journey in new[] { "welcome", "broken", "later" })
        {
            using var published = await _cairn.Admin.PostAsync($"/api/journeys/{journey}/publish", null, Cancel);
            Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync(Cancel));
        }

        // Twenty welcome emails sent; one recipient reports spam: 5 % is over the 0.3 % line.
        for (var i = 0; i < 20; i++)
        {
            await _cairn.SendAsync("identify", JsonSerializer.Serialize(new { userId = $"u{i}", traits = new { email = $"u{i}@example.com" } }));
            await _cairn.SendAsync("track", JsonSerializer.Serialize(new { userId = $"u{i}", @event = "signed_up" }));
        }

        await _cairn.DeliverAsync();
        await PassAtAsync(_time.GetUtcNow().AddMinutes(1));
        Assert.Empty(await OpenIncidentsAsync());
        var mailbox = (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox", Cancel)).GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(20, mailbox.Count);
        using (var complaint = await _cairn.Ingest.PostAsJsonAsync("/webhooks/email", new { type = "complaint", email = "u3@example.com", message_id = mailbox.Single(message => message.GetProperty("to").GetString() == "u3@example.com").GetProperty("messageId").GetString() }, Cancel))
        {
            Assert.True(complaint.IsSuccessStatusCode, await complaint.Content.ReadAsStringAsync(Cancel));
        }

        await _cairn.Engine.WhenIdleAsync(Cancel);

        // A template that does not render for the contact.
        await _cairn.SendAsync("track", """{"userId":"u1","event":"upgraded"}""");
        await _cairn.DeliverAsync();

        // A wait whose timer nobody fires, and a message nobody delivers.
        await _cairn.Timers.StopAsync(Cancel);
        await _cairn.SendAsync("track", """{"userId":"u2","event":"trial_started"}""");
        await _cairn.SendAsync("track", """{"userId":"u4","event":"signed_up"}""");
        await PassAtAsync(_time.GetUtcNow().AddMinutes(1));
        Assert.Equal(
            ["complaint_rate/email", "render_errors/broken"],
            (await OpenIncidentsAsync()).Select(incident => $"{incident.GetProperty("detector").GetString()}/{incident.GetProperty("subject").GetString()}").Order(StringComparer.Ordinal));

        await PassAtAsync(_time.GetUtcNow().AddMinutes(70));
        await PassAtAsync(_time.GetUtcNow().AddMinutes(1));
        var open = await OpenIncidentsAsync();
        Assert.Contains(open, incident => incident.GetProperty("detector").GetString() == "outbox_backlog");
        Assert.Contains(open, incident => incident.GetProperty("detector").GetString() == "timer_lag");
        Assert.Contains(open, incident => incident.GetProperty("detector").GetString() == "complaint_rate"
            && incident.GetProperty("summary").GetString()!.Contains("5% (1 of 20 sent", StringComparison.Ordinal));

        // The render errors left the window: clear twice, resolved once.
        Assert.DoesNotContain(open, incident => incident.GetProperty("detector").GetString() == "render_errors");

        // Each opening (the sign-ups' trigger fell silent too) and the resolution went to the on-call address, once each,
        // through the email transport.
        var alertMails = (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox", Cancel)).GetProperty("messages").EnumerateArray()
            .Where(message => message.GetProperty("to").GetString() == "oncall@example.com")
            .Select(message => message.GetProperty("subject").GetString()!)
            .ToList();
        Assert.True(alertMails.Count == 6, string.Join(" | ", alertMails));
        Assert.Single(alertMails, subject => subject.StartsWith("[Cairn alert] Opened: No 'signed_up' event (the trigger of journey 'welcome') for 71 minutes", StringComparison.Ordinal));
        Assert.Single(alertMails, subject => subject.StartsWith("[Cairn alert] Opened: 1 message is due in the outbox", StringComparison.Ordinal));
        Assert.Single(alertMails, subject => subject.StartsWith("[Cairn alert] Opened: The oldest due timer has waited", StringComparison.Ordinal));
        Assert.Contains("[Cairn alert] Opened: The email complaint rate is 5% (1 of 20 sent in the last 24 h; the threshold is 0.3%)", alertMails);
        Assert.Single(alertMails, subject => subject.StartsWith("[Cairn alert] Opened: Template 'broken'", StringComparison.Ordinal));
        Assert.Single(alertMails, subject => subject.StartsWith("[Cairn alert] Resolved: ", StringComparison.Ordinal));

        // The list filters and pages; acknowledging records who; a viewer cannot change the settings.
        var page = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/alerts?limit=2", Cancel);
        Assert.Equal(2, page.GetProperty("incidents").GetArrayLength());
        var next = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/alerts?limit=2&cursor={Uri.EscapeDataString(page.GetProperty("nextCursor").GetString()!)}", Cancel);
        Assert.NotEmpty(next.GetProperty("incidents").EnumerateArray());
        using (var wrongCursor = await _cairn.Admin.GetAsync($"/api/alerts?status=open&cursor={Uri.EscapeDataString(page.GetProperty("nextCursor").GetString()!)}", Cancel))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrongCursor.StatusCode);
        }

        using (var badStatus = await _cairn.Admin.GetAsync("/api/alerts?status=maybe", Cancel))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
        }

        var id = open[0].GetProperty("id").GetString()!;
        using (var ack = await _cairn.Admin.PostAsync($"/api/alerts/{id}/acknowledge", null, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        }

        var acknowledged = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/alerts/{id}", Cancel);
        Assert.NotEqual(JsonValueKind.Null, acknowledged.GetProperty("incident").GetProperty("acknowledgedAt").ValueKind);
        Assert.Contains(acknowledged.GetProperty("timeline").EnumerateArray(), entry => entry.GetProperty("kind").GetString() == "acknowledged");
        using (var missing = await _cairn.Admin.PostAsync("/api/alerts/inc_nope/acknowledge", null, Cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using (var invalid = await _cairn.Admin.PutAsJsonAsync("/api/alerts/settings", new { complaintRate = 2.0, webhookUrl = "ftp://x", emailTo = NotAnAddress }, Cancel))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            var errors = (await invalid.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("errors");
            Assert.True(errors.TryGetProperty("complaintRate", out _));
            Assert.True(errors.TryGetProperty("webhookUrl", out _));
            Assert.True(errors.TryGetProperty("emailTo", out _));
        }

        using (var deep = await _cairn.Admin.PutAsync("/api/alerts/settings", new StringContent(new string('[', 500) + new string(']', 500), Encoding.UTF8, "application/json"), Cancel))
        {
            Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
        }
    }

    private static async Task<JsonElement> PutSettingsAsync(HttpClient client, object body)
    {
        using var response = await client.PutAsJsonAsync("/api/alerts/settings", body, Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }

    private async Task<List<JsonElement>> OpenIncidentsAsync() =>
        [.. (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/alerts?status=open", Cancel)).GetProperty("incidents").EnumerateArray()];

    private async Task PassAtAsync(DateTimeOffset at)
    {
        if (at > _time.GetUtcNow())
        {
            _time.SetUtcNow(at);
        }

        await Watcher.RunPassAsync(Cancel);
    }

    // One hour of sign-ups, in four quarter-hour batches (their events stamped evenly over the quarter), each delivered,
    // with the watcher's passes at minutes 1 and 30.
    private async Task HourOfTrafficAsync(DateTimeOffset hour, int signUps)
    {
        await PassAtAsync(hour.AddMinutes(1));
        for (var quarter = 0; quarter < 4; quarter++)
        {
            if (quarter == 2)
            {
                await PassAtAsync(hour.AddMinutes(30));
            }

            var end = hour.AddMinutes((quarter * 15) + 14);
            _time.SetUtcNow(end);
            var count = signUps / 4 + (quarter < signUps % 4 ? 1 : 0);
            var batch = Enumerable.Range(0, count).Select(i => new
            {
                type = "track",
                userId = $"h{hour.ToUnixTimeSeconds()}-{quarter}-{i}",
                @event = "signed_up",
                timestamp = end.AddMinutes(-14 + (i * 14.0 / count)).ToString("O", CultureInfo.InvariantCulture),
            });
            using var response = await _cairn.Ingest.PostAsJsonAsync("/v1/batch", new { batch }, Cancel);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
            await _cairn.DeliverAsync();
        }
    }
}

public sealed class SqliteAlertTests : AlertTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlAlertTests(PostgresFixture postgres) : AlertTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
