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

        var stored = await _cairn.Store.GetEventAsync(messageId, Cancel);
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
        Assert.Equal(499, await _cairn.Store.CountEventsAsync(Cancel));
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
        Assert.Equal(1, await _cairn.Store.CountEventsAsync(Cancel));
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

        using var first = JsonDocument.Parse((await _cairn.Store.GetEventAsync("ctx-1", Cancel))!.Json);
        Assert.Equal("Europe/Paris", first.RootElement.GetProperty("context").GetProperty("timezone").GetString());
        Assert.False(first.RootElement.GetProperty("integrations").GetProperty("All").GetBoolean());
        using var second = JsonDocument.Parse((await _cairn.Store.GetEventAsync("ctx-2", Cancel))!.Json);
        Assert.Equal("America/New_York", second.RootElement.GetProperty("context").GetProperty("timezone").GetString());
        Assert.Equal("analytics-test", second.RootElement.GetProperty("context").GetProperty("library").GetProperty("name").GetString());
        await _cairn.Engine.WhenIdleAsync(Cancel);
        var contact = await _cairn.Contacts.GetContactAsync(_cairn.Engine.FindContact(Core.Contacts.IdentityKey.User("ctx-user"))!.Value, Cancel);
        Assert.Equal("America/New_York", contact!.TimeZone);
    }

    [Fact]
    public async Task SentAt_CorrectsClientClockSkew()
    {
        // The client's clock is an hour fast: the event happened 10 s before it was sent.
        var now = TimeProvider.System.GetUtcNow();
        var clientSent = now.AddHours(1);
        var body = JsonSerializer.Serialize(new { messageId = "skewed", userId = "u-1", @event = "Skewed", timestamp = clientSent.AddSeconds(-10), sentAt = clientSent });
        using var response = await PostJsonAsync(_cairn.Ingest, "/v1/track", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await _cairn.Store.GetEventAsync("skewed", Cancel);
        Assert.InRange(stored!.Timestamp, now.AddSeconds(-20), now.AddSeconds(5));
    }

    [Fact]
    public async Task WriteKey_InBody_IsAccepted_WrongOrMissingKey_Is401_AnApiKeyIs403()
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
        await AssertProblemAsync(alsoRefused, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task BadBodies_Get4xx_AndTheServerKeepsWorking()
    {
        var oversizeMessage = JsonSerializer.Serialize(new { userId = "u", @event = "Big", properties = new { blob = new string('x', 33 * 1024) } });
        var oversizeBatch = JsonSerializer.Serialize(new { batch = Enumerable.Range(0, 20).Select(i => new { type = "track", userId = "u", @event = "Big", properties = new { blob = new string('x', 30 * 1024) } }) });
        var deep = "{\"userId\":\"u\",\"event\":\"Deep\",\"properties\":" + string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40) + "}";

        var oversize = await AssertProblemAsync(await PostJsonAsync(_cairn.Ingest, "/v1/track", oversizeMessage), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("32 KB", oversize.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var tooBig = await AssertProblemAsync(await PostJsonAsync(_cairn.Ingest, "/v1/batch", oversizeBatch), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("500 KB", tooBig.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var nested = await AssertProblemAsync(await PostJsonAsync(_cairn.Ingest, "/v1/track", deep), HttpStatusCode.BadRequest);
        Assert.Contains("nested", nested.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var malformed = await AssertProblemAsync(await PostJsonAsync(_cairn.Ingest, "/v1/track", """{"userId":"u","event":"""), HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", malformed.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var invalidUtf8 = new ByteArrayContent([.. "{\"userId\":\"u\",\"event\":\""u8, 0xC3, 0x28, .. "\"}"u8]);
        invalidUtf8.Headers.ContentType = new("application/json");
        var utf8 = await AssertProblemAsync(await _cairn.Ingest.PostAsync("/v1/track", invalidUtf8, Cancel), HttpStatusCode.BadRequest);
        Assert.Contains("UTF-8", utf8.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Any declared type is read as JSON, so a real form is a 400 that says the body is not JSON (not a 415).
        using var form = new FormUrlEncodedContent([new("userId", "u"), new("event", "E")]);
        var notJson = await AssertProblemAsync(await _cairn.Ingest.PostAsync("/v1/track", form, Cancel), HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", notJson.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("whatever its Content-Type ('application/x-www-form-urlencoded')", notJson.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var brotli = Json("""{"userId":"u","event":"E"}""");
        brotli.Headers.ContentEncoding.Add("br");
        var coding = await AssertProblemAsync(await _cairn.Ingest.PostAsync("/v1/track", brotli, Cancel), HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("'br'", coding.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal(0, await _cairn.Store.CountEventsAsync(Cancel));
        using var fine = await PostJsonAsync(_cairn.Ingest, "/v1/track", """{"userId":"u","event":"Still Works"}""");
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
        Assert.Equal(1, await _cairn.Store.CountEventsAsync(Cancel));
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
        Assert.NotNull(await _cairn.Store.GetEventAsync("gz-1", Cancel));
    }

    [Fact]
    public async Task TextPlainBeacon_WithTheWriteKeyInTheBody_IsStored_AndTheAdminApiStaysStrict()
    {
        // navigator.sendBeacon(url, JSON.stringify(message)) posts text/plain;charset=UTF-8 and cannot send headers: the
        // write key travels in the body.
        using var beacon = new StringContent($$$"""{"writeKey":"{{{TestCairn.WriteKey}}}","userId":"u-beacon","event":"Page Left","messageId":"beacon-1","properties":{"seconds":42}}""", Encoding.UTF8, "text/plain");
        Assert.Equal("text/plain; charset=utf-8", beacon.Headers.ContentType!.ToString());
        using (var response = await _cairn.Anonymous.PostAsync("/v1/track", beacon, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var stored = await _cairn.Store.GetEventAsync("beacon-1", Cancel);
        Assert.NotNull(stored);
        Assert.Equal("Page Left", stored.Name);
        Assert.Equal(42, JsonDocument.Parse(stored.Json).RootElement.GetProperty("properties").GetProperty("seconds").GetInt32());
        Assert.DoesNotContain(TestCairn.WriteKey, stored.Json, StringComparison.Ordinal);

        // No declared type at all is read the same way.
        using var untyped = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"batch":[{"type":"track","messageId":"untyped-1","userId":"u-beacon","event":"Untyped"}]}"""));
        using (var response = await _cairn.Ingest.PostAsync("/v1/batch", untyped, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.NotNull(await _cairn.Store.GetEventAsync("untyped-1", Cancel));

        // The admin API keeps its media types: the same JSON as text/plain is a 415 there.
        var contact = await _cairn.ContactIdAsync("u-beacon");
        using var traits = new StringContent("""{"plan":"pro"}""", Encoding.UTF8, "text/plain");
        await AssertProblemAsync(await _cairn.Admin.PatchAsync($"/api/contacts/{contact}/traits", traits, Cancel), HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task FormDeclaredGzipBatch_AsRudderStackSendsIt_StoresTheValidMessages_AndRejectsOnlyTheMalformedOne()
    {
        var body = Gzip("""
            {"batch":[
              {"type":"track","messageId":"form-1","userId":"u-form","event":"Viewed","properties":{"sku":"a"}},
              {"type":"track","messageId":"form-2","event":"No identity"},
              {"type":"identify","messageId":"form-3","userId":"u-form","traits":{"plan":"pro"}}
            ],"sentAt":"2026-01-01T00:00:00Z"}
            """);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/x-www-form-urlencoded");
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await _cairn.Ingest.PostAsync("/v1/batch", content, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(2, result.GetProperty("accepted").GetInt32());
        var rejected = Assert.Single(result.GetProperty("rejected").EnumerateArray());
        Assert.Equal((1, "form-2"), (rejected.GetProperty("index").GetInt32(), rejected.GetProperty("messageId").GetString()));
        Assert.NotNull(await _cairn.Store.GetEventAsync("form-1", Cancel));
        Assert.NotNull(await _cairn.Store.GetEventAsync("form-3", Cancel));
        Assert.Null(await _cairn.Store.GetEventAsync("form-2", Cancel));
    }

    [Theory]
    [InlineData("/v1/batch", "500 KB per batch")]
    [InlineData("/v1/track", "32 KB per message")]
    public async Task GzipBomb_Is413_AndInflatingStopsAtTheLimit(string path, string limit)
    {
        // A body that would inflate to 4 GB of zeros (about 4 MB compressed), compressed as the server reads it.
        using var bomb = new GzipBombContent(4L << 30, "application/x-www-form-urlencoded");
        var problem = await AssertProblemAsync(await _cairn.Ingest.PostAsync(path, bomb, Cancel), HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal($"The request body exceeds the {limit} limit once decompressed.", problem.GetProperty("detail").GetString());
        // The server stopped inflating at the limit: what was compressed before the request ended is what the request
        // pipe's buffer of compressed zeros holds (about 64 MB of zeros when measured), nowhere near the 4 GB.
        Assert.InRange(bomb.Inflated, 1, 256L << 20);
        Assert.Equal(0, await _cairn.Store.CountEventsAsync(Cancel));
    }

    private static byte[] Gzip(string text)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return compressed.ToArray();
    }

    /// <summary>A gzip body of <c>inflated</c> zero bytes, compressed while it is sent; counts the bytes compressed so far.</summary>
    private sealed class GzipBombContent : HttpContent
    {
        private readonly long _inflated;

        public GzipBombContent(long inflated, string mediaType)
        {
            _inflated = inflated;
            Headers.ContentType = new(mediaType);
            Headers.ContentEncoding.Add("gzip");
        }

        /// <summary>Zero bytes handed to the compressor before the server stopped reading.</summary>
        public long Inflated { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var zeros = new byte[64 * 1024];
            try
            {
                await using var gzip = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true);
                while (Inflated < _inflated)
                {
                    await gzip.WriteAsync(zeros);
                    Inflated += zeros.Length;
                }
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
            {
                // The server answered without reading the rest.
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
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
