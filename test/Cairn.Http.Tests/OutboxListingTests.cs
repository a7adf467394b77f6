using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Core;
using Cairn.Runtime.Storage;

namespace Cairn.Http.Tests;

/// <summary><c>GET /api/messages</c>: the outbox filtered on the server and paged by cursor; bad filters are 400s; viewers read it.</summary>
public sealed class OutboxListingTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private TestCairn _cairn = null!;
    private ContactId _ann;
    private ContactId _bob;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cairn = await TestCairn.StartAsync();
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"email":"ann@example.com"}}""");
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"email":"bob@example.com"}}""");
        (_ann, _bob) = (Id(await _cairn.ContactIdAsync("ann")), Id(await _cairn.ContactIdAsync("bob")));

        // Seven messages, one a minute: ann's welcome emails, bob's winback SMS (suppressed: nothing delivers them) and a failed promo email.
        var batch = new CommitBatch();
        for (var i = 0; i < 7; i++)
        {
            var (contact, journey, channel, template, status) = i switch
            {
                < 3 => (_ann, "welcome", "email", "welcome_email", MessageStatus.Sent),
                < 5 => (_bob, "winback", "sms", "winback_sms", MessageStatus.Suppressed),
                _ => (_ann, "winback", "email", "promo", MessageStatus.Failed),
            };
            batch.Outbox.Add(new OutboxMessage($"m{i}", contact, journey, 1, $"{journey}:{contact}", $"s{i}", channel, template, "promotional", 50, status, T0.AddMinutes(i)));
        }

        await _cairn.Store.CommitAsync(batch, Cancel);
    }

    public async ValueTask DisposeAsync() => await _cairn.DisposeAsync();

    [Fact]
    public async Task Filters_AnswerOnTheServer_NewestFirst()
    {
        Assert.Equal(["m6", "m5", "m4", "m3", "m2", "m1", "m0"], await IdsAsync(string.Empty));
        Assert.Equal(["m6", "m5", "m4", "m3"], await IdsAsync("journeyId=winback"));
        Assert.Equal(["m4", "m3"], await IdsAsync("channel=sms"));
        Assert.Equal(["m6", "m5"], await IdsAsync("status=failed"));
        Assert.Equal(["m2", "m1", "m0"], await IdsAsync("templateId=welcome_email"));
        Assert.Equal(["m6", "m5", "m2", "m1", "m0"], await IdsAsync($"contactId={_ann}"));
        Assert.Equal(["m3", "m2"], await IdsAsync("from=2026-03-01T09:02:00Z&to=2026-03-01T09:04:00Z"));
        Assert.Equal(["m6", "m5"], await IdsAsync($"journeyId=winback&contactId={_ann}&channel=email&status=failed&templateId=promo&from=2026-03-01T00:00:00Z"));
        Assert.Equal(["m6", "m5", "m4", "m3", "m2", "m1", "m0"], await IdsAsync("status=&channel=&journeyId=&from="));
        Assert.Empty(await IdsAsync("journeyId=" + Uri.EscapeDataString("winback' OR '1'='1") + "&templateId=%25"));
    }

    [Fact]
    public async Task Pages_WalkByCursor_WithTheSameFilters()
    {
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?journeyId=winback&limit=3{(cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor))}", Cancel);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("messageId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(["m6", "m5", "m4", "m3"], seen);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=-5", "limit")]
    [InlineData("limit=1000000", "limit")]
    [InlineData("status=lost", "status")]
    [InlineData("channel=pigeon", "channel")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-13-45", "from")]
    [InlineData("from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "from must not be later")]
    [InlineData("cursor=forged", "cursor")]
    public async Task BadValues_Are400ProblemDetails(string query, string mention)
    {
        using var response = await _cairn.Admin.GetAsync($"/api/messages?{query}", Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mention, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACursor_OfAnotherQuery_Is400_AndAnUnknownContact_404()
    {
        var first = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/messages?status=suppressed&limit=1", Cancel);
        var cursor = Uri.EscapeDataString(first.GetProperty("nextCursor").GetString()!);
        using var other = await _cairn.Admin.GetAsync($"/api/messages?status=sent&limit=1&cursor={cursor}", Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        using var contacts = await _cairn.Admin.GetAsync($"/api/contacts?cursor={cursor}", Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, contacts.StatusCode);
        using var missing = await _cairn.Admin.GetAsync($"/api/messages?contactId={new ContactId(Guid.CreateVersion7())}", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task AViewer_ReadsTheOutbox()
    {
        using var created = await _cairn.Admin.PostAsJsonAsync("/api/users", new { email = "viewer@test.local", role = "viewer", password = "a long enough password" }, Cancel);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var client = _cairn.CreateClient();
        using var signIn = await client.PostAsJsonAsync("/api/session", new { email = "viewer@test.local", password = "a long enough password" }, Cancel);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/messages?channel=sms");
        request.Headers.Add("Cookie", string.Join("; ", signIn.Headers.GetValues("Set-Cookie").Select(cookie => cookie.Split(';')[0])));
        using var response = await client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task TheSuppressionListAndMailbox_PageByCursor_AndRefuseAForgedOne()
    {
        foreach (var address in new[] { "ann@example.com", "bob@example.com", "cem@example.com" })
        {
            using var suppressed = await _cairn.Admin.PostAsJsonAsync("/api/suppressions", new { address, reason = "asked" }, Cancel);
            Assert.True(suppressed.IsSuccessStatusCode);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/suppressions?limit=2{(cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor))}", Cancel);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(entry => entry.GetProperty("address").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(3, seen.Distinct(StringComparer.Ordinal).Count());
        foreach (var path in new[] { "/api/suppressions?cursor=forged", "/api/dev/mailbox?cursor=forged" })
        {
            using var response = await _cairn.Admin.GetAsync(path, Cancel);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        var mailbox = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox?limit=1", Cancel);
        Assert.Equal(JsonValueKind.Null, mailbox.GetProperty("nextCursor").ValueKind);
    }

    private static ContactId Id(string text) => ContactId.TryParse(text, out var id) ? id : throw new FormatException(text);

    private async Task<List<string>> IdsAsync(string query) =>
        [.. (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?{query}", Cancel)).GetProperty("items").EnumerateArray().Select(m => m.GetProperty("messageId").GetString()!)];
}
