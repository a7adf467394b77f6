using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Cairn.Http.Tests.IngestionTests;

namespace Cairn.Http.Tests;

/// <summary>
/// <c>GET /api/contacts?q=</c> and <c>GET /api/contacts/by-trait</c> through HTTP: answered from the indexes, cursor-paged,
/// and hostile input (search syntax, LIKE wildcards, a lone quote, a huge query) is matched literally or refused with a 400.
/// </summary>
public sealed class ContactSearchApiTests : IAsyncLifetime
{
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cairn = await TestCairn.StartAsync();

    public async ValueTask DisposeAsync() => await _cairn.DisposeAsync();

    [Fact]
    public async Task Search_BySubstringOrShortPrefix_AndHostileQueriesAreLiteralOr400()
    {
        await SendAsync(
            new { type = "identify", userId = "q-1", traits = new { email = "ann.marlowe@acme.test", name = "Ann Marlowe" } },
            new { type = "identify", userId = "q-2", traits = new { email = "o'brien_50%@other.test", name = "Bob \"The\" (NEAR) OR Builder*" } });

        Assert.Equal(["q-1"], await UserIdsAsync("/api/contacts?q=RLOWE%40AC"));
        Assert.Equal(["q-1"], await UserIdsAsync("/api/contacts?q=an"));
        Assert.Equal(["q-2"], await UserIdsAsync("/api/contacts?q=q-2"));
        Assert.Equal(["q-2"], await UserIdsAsync("/api/contacts?q=" + Uri.EscapeDataString("_50%")));
        Assert.Equal(["q-2"], await UserIdsAsync("/api/contacts?q=" + Uri.EscapeDataString("o'brien")));
        Assert.Equal(["q-2"], await UserIdsAsync("/api/contacts?q=" + Uri.EscapeDataString("\"the\" (near) or builder*")));
        foreach (var hostile in new[] { "%", "_", "\"", "'", "*", "%%%", "___", "NEAR(ann", "a OR b", "(((", ")", "\"\"\"", "an*", "ann NOT x", "search:ann", "\\" })
        {
            using var response = await _cairn.Admin.GetAsync("/api/contacts?q=" + Uri.EscapeDataString(hostile), Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"q={hostile}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
            var items = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("items");
            Assert.True(items.GetArrayLength() == 0, $"q={hostile} matched {items}");
        }

        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/contacts?q=" + new string('a', 10_000), Cancel), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/contacts?q=" + Uri.EscapeDataString("an\0n"), Cancel), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/contacts?q=" + Uri.EscapeDataString("\0"), Cancel), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/contacts?q=acme&cursor=garbage", Cancel), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/contacts?q=ac&cursor=garbage", Cancel), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ByTrait_MatchesTheValueExactly_AndPagesWithACursor()
    {
        await SendAsync([.. Enumerable.Range(0, 7).Select(i => (object)new { type = "identify", userId = $"t-{i}", traits = new { plan = i < 5 ? "Pro" : "pro plus", seats = i } })]);

        var found = new List<string?>();
        string? cursor = null;
        do
        {
            var page = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/contacts/by-trait?trait=plan&value=pro&limit=2" + (cursor is null ? "" : "&cursor=" + cursor), Cancel);
            Assert.False(page.TryGetProperty("scanned", out _));
            found.AddRange(page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("userId").GetString()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(["t-0", "t-1", "t-2", "t-3", "t-4"], found.Order(StringComparer.Ordinal));
        Assert.Equal(["t-3"], await UserIdsAsync("/api/contacts/by-trait?trait=seats&value=3"));
        Assert.Equal(7, (await UserIdsAsync("/api/contacts/by-trait?trait=plan")).Count);
        Assert.Empty(await UserIdsAsync("/api/contacts/by-trait?trait=plan&value=pr"));
        Assert.Empty(await UserIdsAsync("/api/contacts/by-trait?trait=plan&value=" + Uri.EscapeDataString("%")));
        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/contacts/by-trait?value=pro", Cancel), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/contacts/by-trait?trait=plan&cursor=garbage", Cancel), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/contacts/by-trait?trait=plan&value=" + new string('x', 10_000), Cancel), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/contacts/by-trait?trait=plan&value=" + Uri.EscapeDataString("pro\0"), Cancel), HttpStatusCode.BadRequest);
    }

    private async Task<List<string?>> UserIdsAsync(string path) =>
        [.. (await _cairn.Admin.GetFromJsonAsync<JsonElement>(path, Cancel)).GetProperty("items").EnumerateArray().Select(c => c.GetProperty("userId").GetString())];

    private async Task SendAsync(params object[] messages)
    {
        using var response = await _cairn.Ingest.PostAsJsonAsync("/v1/batch", new { batch = messages }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _cairn.Engine.WhenIdleAsync(Cancel);
    }
}
