using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// <c>GET /api/reports/messages</c> over HTTP: a journey's emails sent, delivered, bounced, opened by their readers
/// and by Apple's proxy, clicked by a reader, a scanner and a link checker, unsubscribed from and complained about,
/// each figure and rate checked exactly — repeated opens and reports count once, a message counts on the day it was
/// sent; as CSV; hostile parameters are 400 problems. SQLite and PostgreSQL.
/// </summary>
public abstract class MessagePerformanceTests : IAsyncLifetime
{
    private const string Iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(T0);
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);
        await _cairn.PutDocumentAsync("templates/cart-email", EmailDeliveryTests.Template);
        await _cairn.PutDocumentAsync("journeys/cart", EmailDeliveryTests.Journey);
        using var published = await _cairn.Admin.PostAsync("/api/journeys/cart/publish", null, Cancel);
        Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync(Cancel));
    }

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task EachOutcomeIsCountedOnce_MachinesApart_OnTheDayTheMessageWasSent()
    {
        var html = await SendAsync("ann", "bob", "cem", "dan");
        _time.Advance(TimeSpan.FromMinutes(10));

        // Ann reads hers twice on her phone, clicks through on her computer (twice) and unsubscribes with one click.
        await GetAsync(EmailDeliveryTests.Link(html["ann"], "/t/o/"), Iphone);
        await GetAsync(EmailDeliveryTests.Link(html["ann"], "/t/o/"), Iphone);
        await GetAsync(EmailDeliveryTests.Link(html["ann"], "/t/c/"), Chrome);
        await GetAsync(EmailDeliveryTests.Link(html["ann"], "/t/c/"), Chrome);
        using (var unsubscribe = await _cairn.Anonymous.PostAsync(EmailDeliveryTests.Link(html["ann"], "/u/"), new FormUrlEncodedContent([KeyValuePair.Create("List-Unsubscribe", "One-Click")]), Cancel))
        {
            Assert.True(unsubscribe.IsSuccessStatusCode);
        }

        // Bob's Apple Mail prefetches the pixel through Apple's proxy; his company's gateway follows both links.
        await GetAsync(EmailDeliveryTests.Link(html["bob"], "/t/o/"), "Mozilla/5.0");
        await GetAsync(EmailDeliveryTests.Link(html["bob"], "/t/c/"), "Mozilla/5.0 (compatible; Barracuda Sentinel)");

        // Cem's address bounces (the report comes twice); Dan's link checker sends HEAD, then Dan complains (twice).
        await ReportAsync(new { type = "bounce", email = "cem@example.com", bounce_type = "hard", message_id = html.MessageIds["cem"] });
        await ReportAsync(new { type = "bounce", email = "cem@example.com", bounce_type = "hard", message_id = html.MessageIds["cem"] });
        using (var head = new HttpRequestMessage(HttpMethod.Head, EmailDeliveryTests.Link(html["dan"], "/t/c/")))
        {
            head.Headers.UserAgent.ParseAdd(Chrome);
            using var checkedLink = await _cairn.Anonymous.SendAsync(head, Cancel);
            Assert.Equal(HttpStatusCode.Redirect, checkedLink.StatusCode);
        }

        await ReportAsync(new { type = "complaint", email = "dan@example.com", message_id = html.MessageIds["dan"] });
        await ReportAsync(new { type = "complaint", email = "dan@example.com", message_id = html.MessageIds["dan"] });

        // A redelivered delivery report for Ann's changes nothing.
        await ReportAsync(new { type = "delivered", email = "ann@example.com", message_id = html.MessageIds["ann"] });

        // The next day: Eve's email, "opened" the second it was sent.
        _time.SetUtcNow(T0.AddDays(1));
        var next = await SendAsync("eve");
        await GetAsync(EmailDeliveryTests.Link(next["eve"], "/t/o/"), Iphone);
        await _cairn.Engine.WhenIdleAsync(Cancel);

        var report = await ReportJsonAsync("by=day&from=2026-11-24&to=2026-11-25");
        Assert.Equal((T0.Date, T0.Date.AddDays(2), "day", "exclude"), (report.GetProperty("from").GetDateTimeOffset().UtcDateTime, report.GetProperty("to").GetDateTimeOffset().UtcDateTime, Text(report, "by"), Text(report, "machine")));
        var days = report.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["2026-11-24", "2026-11-25"], days.Select(day => Text(day, "group")));
        Assert.Equal((4L, 3L, 1L, 1L, 1L, 1L, 1L, 2L, 2L), Figures(days[0]));
        Assert.Equal((1L, 1L, 0L, 0L, 0L, 0L, 0L, 1L, 0L), Figures(days[1]));
        Assert.Equal((5L, 4L, 1L, 1L, 1L, 1L, 1L, 3L, 2L), Figures(report.GetProperty("total")));

        // Every rate with the counts behind it.
        var rates = days[0].GetProperty("rates");
        Assert.Equal((0.75, 3L, 4L), Rate(rates, "delivery"));
        Assert.Equal((1 / 3.0, 1L, 3L), Rate(rates, "open"));
        Assert.Equal((1 / 3.0, 1L, 3L), Rate(rates, "click"));
        Assert.Equal((1.0, 1L, 1L), Rate(rates, "clickToOpen"));
        Assert.Equal((1 / 3.0, 1L, 3L), Rate(rates, "unsubscribe"));
        Assert.Equal((1 / 3.0, 1L, 3L), Rate(rates, "complaint"));
        Assert.Equal((0.25, 1L, 4L), Rate(rates, "bounce"));

        // machine=include adds the machines' opens and clicks back: Bob's and Dan's (the HEAD click implies an open).
        var included = await ReportJsonAsync("by=day&from=2026-11-24&to=2026-11-24&machine=include");
        var day = Assert.Single(included.GetProperty("rows").EnumerateArray());
        Assert.Equal((4L, 3L, 1L, 3L, 3L, 1L, 1L, 2L, 2L), Figures(day));
        Assert.Equal((1.0, 3L, 3L), Rate(day.GetProperty("rates"), "open"));

        // Grouped by template, journey and channel: the same five messages; a day with nothing sent is a row of zeros.
        Assert.Equal([("cart-email", 5L)], Groups(await ReportJsonAsync("from=2026-11-01&to=2026-11-30")));
        Assert.Equal([("cart", 5L)], Groups(await ReportJsonAsync("by=journey&from=2026-11-01&to=2026-11-30&channel=email")));
        Assert.Equal([("email", 1L)], Groups(await ReportJsonAsync("by=channel&from=2026-11-25T00:00:00Z&to=2026-11-26T00:00:00Z&journey=cart&template=cart-email")));
        Assert.Equal([("2026-11-23", 0L), ("2026-11-24", 4L)], Groups(await ReportJsonAsync("by=day&from=2026-11-23&to=2026-11-24")));
        Assert.Empty(Groups(await ReportJsonAsync("from=2026-11-01&to=2026-11-30&journey=" + Uri.EscapeDataString("cart' OR '1'='1"))));

        // The outbox rows keep the recipient's first open and click apart from the machines'.
        var bob = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages/{Uri.EscapeDataString(html.MessageIds["bob"])}", Cancel);
        Assert.Equal((JsonValueKind.Null, JsonValueKind.String, JsonValueKind.Null, JsonValueKind.String), (bob.GetProperty("openedAt").ValueKind, bob.GetProperty("machineOpenedAt").ValueKind, bob.GetProperty("clickedAt").ValueKind, bob.GetProperty("machineClickedAt").ValueKind));
        var ann = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages/{Uri.EscapeDataString(html.MessageIds["ann"])}", Cancel);
        Assert.Equal((2, 2, JsonValueKind.Null), (ann.GetProperty("opens").GetInt32(), ann.GetProperty("clicks").GetInt32(), ann.GetProperty("machineOpenedAt").ValueKind));
    }

    [Fact]
    public async Task AsCsv_TheRowsAndTheTotal_WithThePeriod()
    {
        await SendAsync("ann");
        _time.Advance(TimeSpan.FromMinutes(5));
        using var response = await _cairn.Admin.GetAsync("/api/reports/messages?by=template&from=2026-11-24&to=2026-11-24&format=csv", Cancel);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("from,to,group,sent,delivered,bounced,opened,clicked,unsubscribed,complained,machine_opened,machine_clicked,delivery_rate,open_rate,click_rate,click_to_open_rate,unsubscribe_rate,complaint_rate,bounce_rate", lines[0]);
        Assert.Equal(
            [
                "2026-11-24T00:00:00Z,2026-11-25T00:00:00Z,cart-email,1,1,0,0,0,0,0,0,0,1,0,0,,0,0,0",
                "2026-11-24T00:00:00Z,2026-11-25T00:00:00Z,total,1,1,0,0,0,0,0,0,0,1,0,0,,0,0,0",
            ],
            lines[1..]);
    }

    [Theory]
    [InlineData("by=week")]
    [InlineData("machine=maybe")]
    [InlineData("format=xml")]
    [InlineData("from=yesterday")]
    [InlineData("from=2026-11-02&to=2026-11-01")]
    [InlineData("from=2020-01-01&to=2026-01-01")]
    [InlineData("channel=fax")]
    [InlineData("journey=%00cart")]
    public async Task HostileParameters_Are400Problems(string query)
    {
        using var response = await _cairn.Admin.GetAsync("/api/reports/messages?" + query, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);

        using var huge = await _cairn.Admin.GetAsync("/api/reports/messages?template=" + new string('x', 5000), Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
    }

    private async Task<Sent> SendAsync(params string[] users)
    {
        foreach (var user in users)
        {
            await _cairn.SendAsync("identify", $$$"""{"userId":"{{{user}}}","traits":{"email":"{{{user}}}@example.com","first_name":"{{{user}}}"}}""");
            await _cairn.SendAsync("track", $$$"""{"userId":"{{{user}}}","event":"cart_abandoned","properties":{"cart_value":10}}""");
        }

        await _cairn.DeliverAsync();
        var mailbox = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox?limit=500", Cancel);
        var sent = new Sent();
        foreach (var user in users)
        {
            var stored = mailbox.GetProperty("messages").EnumerateArray().First(m => m.GetProperty("to").GetString() == $"{user}@example.com");
            sent.Html[user] = stored.GetProperty("html").GetString()!;
            sent.MessageIds[user] = stored.GetProperty("messageId").GetString()!;
        }

        return sent;
    }

    private async Task GetAsync(string path, string userAgent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await _cairn.Anonymous.SendAsync(request, Cancel);
        Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Redirect, $"{path}: {response.StatusCode}");
    }

    private async Task ReportAsync(object body)
    {
        using var response = await _cairn.Ingest.PostAsJsonAsync("/webhooks/email", body, Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
        await _cairn.Engine.WhenIdleAsync(Cancel);
    }

    private async Task<JsonElement> ReportJsonAsync(string query)
    {
        using var response = await _cairn.Admin.GetAsync("/api/reports/messages?" + query, Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }

    private static string? Text(JsonElement element, string name) => element.GetProperty(name).GetString();

    // sent, delivered, bounced, opened, clicked, unsubscribed, complained, machine opened, machine clicked.
    private static (long, long, long, long, long, long, long, long, long) Figures(JsonElement row) => (
        row.GetProperty("sent").GetInt64(),
        row.GetProperty("delivered").GetInt64(),
        row.GetProperty("bounced").GetInt64(),
        row.GetProperty("opened").GetInt64(),
        row.GetProperty("clicked").GetInt64(),
        row.GetProperty("unsubscribed").GetInt64(),
        row.GetProperty("complained").GetInt64(),
        row.GetProperty("machineOpened").GetInt64(),
        row.GetProperty("machineClicked").GetInt64());

    private static (double?, long, long) Rate(JsonElement rates, string name)
    {
        var rate = rates.GetProperty(name);
        return (rate.GetProperty("value").ValueKind == JsonValueKind.Null ? null : rate.GetProperty("value").GetDouble(), rate.GetProperty("numerator").GetInt64(), rate.GetProperty("denominator").GetInt64());
    }

    private static List<(string?, long)> Groups(JsonElement report) =>
        [.. report.GetProperty("rows").EnumerateArray().Select(row => (row.GetProperty("group").GetString(), row.GetProperty("sent").GetInt64()))];

    /// <summary>The emails sent: each user's HTML and message id.</summary>
    private sealed class Sent
    {
        public Dictionary<string, string> Html { get; } = [];

        public Dictionary<string, string> MessageIds { get; } = [];

        public string this[string user] => Html[user];
    }
}

public sealed class SqliteMessagePerformanceTests : MessagePerformanceTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlMessagePerformanceTests(PostgresFixture postgres) : MessagePerformanceTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
