using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cairn.Http.Tests;

/// <summary>The Segment-compatible <c>/v1</c> endpoints, through HTTP.</summary>
public sealed class IngestionTests : IAsyncLifetime
{
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cairn = await TestCairn.StartAsync();

    public async ValueTask DisposeAsync() => await _cairn.DisposeAsync();

    [Theory]
    [InlineData("identify", """{"userId":"u-1","traits":{"email":"One@Example.COM"}}""", "identify")]
    [InlineData("track", """{"userId":"u-1","event":"Signed Up"}""", "Signed Up")]
    [InlineData("page", """{"anonymousId":"a-1","name":"Pricing"}""", "Pricing")]
    [InlineData("screen", """{"userId":"u-1","name":"Home"}""", "Home")]
    [InlineData("group", """{"userId":"u-1","groupId":"g-1"}""", "group")]
    [InlineData("alias", """{"userId":"u-1","previousId":"a-1"}""", "alias")]
    public async Task SingleEndpoints_StoreTheMessage(string endpoint, string body, string expectedName)
    {
        var messageId = "single-" + endpoint;
        var json = body.Insert(1, $"\"messageId\":\"{messageId}\",");
        using var response = await PostJsonAsync(_cairn.Ingest, "/v1/" + endpoint, json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("success").GetBoolean());

        var stored = await _cairn.Engine.Store.GetEventAsync(messageId, Cancel);
        Assert.NotNull(stored);
        Assert.Equal(expectedName, stored.Name);
    }

    [Fact]
    public async Task Batch_WithOneInvalidMessage_StoresTheOthers_AndReportsIt()
    {
        var messages = Enumerable.Range(0, 500).Select(i => i == 137
            ? (object)new { type = "track", messageId = "bad-137", @event = "No Identity" }
            : new { type = "track", messageId = $"batch-{i}", userId = $"u-{i % 7}", @event = "Viewed" }).ToList();
        using var response = await _cairn.Ingest.PostAsJsonAsync("/v1/batch", new { batch = messages }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(499, result.GetProperty("accepted").GetInt32());
        var rejected = Assert.Single(result.GetProperty("rejected").EnumerateArray());
        Assert.Equal(137, rejected.GetProperty("index").GetInt32());
        Assert.Equal("bad-137", rejected.GetProperty("messageId").GetString());
        Assert.Contains("userId", rejected.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(499, await _cairn.Engine.Store.CountEventsAsync(Cancel));
    }

    [Fact]
    public async Task Batch_Resent_IsStoredOnce()
    {
        var batch = new { batch = new[] { new { type = "track", messageId = "once-1", userId = "u-1", @event = "Paid" } } };
        using var first = await _cairn.Ingest.PostAsJsonAsync("/v1/batch", batch, Cancel);
        using var second = await _cairn.Ingest.PostAsJsonAsync("/v1/batch", batch, Cancel);
        var result = await second.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(0, result.GetProperty("accepted").GetInt32());
        Assert.Equal(1, result.GetProperty("duplicates").GetInt32());
        Assert.Equal(1, await _cairn.Engine.Store.CountEventsAsync(Cancel));
    }

    [Fact]
    public async Task Batch_AllInvalid_Is400_WithEveryReason()
    {
        var batch = """{"batch":[{"type":"track","userId":"u"},{"type":"nope","userId":"u"},{"type":"identify","userId":"u","timestamp":"yesterday"}]}""";
        using var response = await PostJsonAsync(_cairn.Ingest, "/v1/batch", batch);
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var reasons = problem.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("reason").GetString()!).ToList();
        Assert.Equal(3, reasons.Count);
        Assert.Contains("event", reasons[0], StringComparison.Ordinal);
        Assert.Contains("unknown type", reasons[1], StringComparison.Ordinal);
        Assert.Contains("timestamp", reasons[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batch_ContextAndIntegrations_ApplyToEachMessage_OwnKeysWin()
    {
        var batch = """
            {"context":{"library":{"name":"analytics-test"},"timezone":"Europe/Paris"},"integrations":{"All":false},
             "batch":[
               {"type":"identify","messageId":"ctx-1","userId":"ctx-user"},
               {"type":"track","messageId":"ctx-2","userId":"ctx-user","event":"E","context":{"timezone":"America/New_York"}}]}
            """;
        using var response = await PostJsonAsync(_cairn.Ingest, "/v1/batch", batch);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var first = JsonDocument.Parse((await _cairn.Engine.Store.GetEventAsync("ctx-1", Cancel))!.Json);
        Assert.Equal("Europe/Paris", first.RootElement.GetProperty("context").GetProperty("timezone").GetString());
        Assert.False(first.RootElement.GetProperty("integrations").GetProperty("All").GetBoolean());
        using var second = JsonDocument.Parse((await _cairn.Engine.Store.GetEventAsync("ctx-2", Cancel))!.Json);
        Assert.Equal("America/New_York", second.RootElement.GetProperty("context").GetProperty("timezone").GetString());
        Assert.Equal("analytics-test", second.RootElement.GetProperty("context").GetProperty("library").GetProperty("name").GetString());
        await _cairn.Engine.WhenIdleAsync(Cancel);
        var contact = await _cairn.Engine.GetContactAsync(_cairn.Engine.FindContact(Core.Contacts.IdentityKey.User("ctx-user"))!.Value, Cancel);
        Assert.Equal("America/New_York", contact!.TimeZone);
    }

    [Fact]
    public async Task SentAt_CorrectsClientClockSkew()
    {
        // The client's clock is an hour fast: the event happened 10 s before it was sent.
        var now = DateTimeOffset.UtcNow;
        var clientSent = now.AddHours(1);
        var body = JsonSerializer.Serialize(new { messageId = "skewed", userId = "u-1", @event = "Skewed", timestamp = clientSent.AddSeconds(-10), sentAt = clientSent });
        using var response = await PostJsonAsync(_cairn.Ingest, "/v1/track", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await _cairn.Engine.Store.GetEventAsync("skewed", Cancel);
        Assert.InRange(stored!.Timestamp, now.AddSeconds(-20), now.AddSeconds(5));
    }

    [Fact]
    public async Task WriteKey_InBody_IsAccepted_WrongOrMissingKey_Is401()
    {
        using (var response = await PostJsonAsync(_cairn.Anonymous, "/v1/track", $$"""{"writeKey":"{{TestCairn.WriteKey}}","userId":"u","event":"E"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await PostJsonAsync(_cairn.Anonymous, "/v1/track", """{"userId":"u","event":"E"}"""))
        {
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        }

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = Json("""{"userId":"u","event":"E"}""") };
        wrong.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("nope:")));
        using var refused = await _cairn.Anonymous.SendAsync(wrong, Cancel);
        await AssertProblemAsync(refused, HttpStatusCode.Unauthorized);

        using var apiKeyIsNotAWriteKey = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = Json("""{"userId":"u","event":"E"}""") };
        apiKeyIsNotAWriteKey.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(TestCairn.ApiKey + ":")));
        using var alsoRefused = await _cairn.Anonymous.SendAsync(apiKeyIsNotAWriteKey, Cancel);
        await AssertProblemAsync(alsoRefused, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task BadBodies_Get4xx_AndTheServerKeepsWorking()
    {
        var oversizeMessage = JsonSerializer.Serialize(new { userId = "u", @event = "Big", properties = new { blob = new string('x', 33 * 1024) } });
        var oversizeBatch = JsonSerializer.Serialize(new { batch = Enumerable.Range(0, 20).Select(i => new { type = "track", userId = "u", @event = "Big", properties = new { blob = new string('x', 30 * 1024) } }) });
        var deep = "{\"userId\":\"u\",\"event\":\"Deep\",\"properties\":" + string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40) + "}";

        var oversize = await AssertProblemAsync(await PostJsonAsync(_cairn.Ingest, "/v1/track", oversizeMessage), HttpStatusCode.BadRequest);
        Assert.Contains("32 KB", oversize.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var tooBig = await AssertProblemAsync(await PostJsonAsync(_cairn.Ingest, "/v1/batch", oversizeBatch), HttpStatusCode.BadRequest);
        Assert.Contains("500 KB", tooBig.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var nested = await AssertProblemAsync(await PostJsonAsync(_cairn.Ingest, "/v1/track", deep), HttpStatusCode.BadRequest);
        Assert.Contains("nested", nested.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var malformed = await AssertProblemAsync(await PostJsonAsync(_cairn.Ingest, "/v1/track", """{"userId":"u","event":"""), HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", malformed.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var invalidUtf8 = new ByteArrayContent([.. "{\"userId\":\"u\",\"event\":\""u8, 0xC3, 0x28, .. "\"}"u8]);
        invalidUtf8.Headers.ContentType = new("application/json");
        var utf8 = await AssertProblemAsync(await _cairn.Ingest.PostAsync("/v1/track", invalidUtf8, Cancel), HttpStatusCode.BadRequest);
        Assert.Contains("UTF-8", utf8.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var text = new StringContent("""{"userId":"u","event":"E"}""", Encoding.UTF8, "text/plain");
        await AssertProblemAsync(await _cairn.Ingest.PostAsync("/v1/track", text, Cancel), HttpStatusCode.UnsupportedMediaType);

        Assert.Equal(0, await _cairn.Engine.Store.CountEventsAsync(Cancel));
        using var fine = await PostJsonAsync(_cairn.Ingest, "/v1/track", """{"userId":"u","event":"Still Works"}""");
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
        Assert.Equal(1, await _cairn.Engine.Store.CountEventsAsync(Cancel));
    }

    [Fact]
    public async Task GzipBody_IsAccepted()
    {
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes("""{"batch":[{"type":"track","messageId":"gz-1","userId":"u","event":"Zipped"}]}"""), Cancel);
        }

        using var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await _cairn.Ingest.PostAsync("/v1/batch", content, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await _cairn.Engine.Store.GetEventAsync("gz-1", Cancel));
    }

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    internal static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, string json) =>
        client.PostAsync(path, Json(json), Cancel);

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
            return problem;
        }
    }
}
