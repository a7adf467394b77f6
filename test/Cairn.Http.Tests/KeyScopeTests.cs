using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Http.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>Scoped keys: every route answers each scope as the permission model says; rate limits per ingest key; last use; the caller.</summary>
public sealed class KeyScopeTests
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    private static readonly string[] Scopes = ["ingest", "read", "write", "admin"];

    /// <summary>The routes that take no key and no session, by prefix: anything else without a scope is a route left open by mistake.</summary>
    private static readonly string[] OpenRoutes = ["/api/session", "/api/inbox/", "/u/", "/c/", "/t/"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryRouteInTheOpenApiDocument_AnswersEachScope_AsThePermissionModelSays()
    {
        await using var cairn = await TestCairn.StartAsync();
        var keys = new Dictionary<string, string>();
        foreach (var scope in Scopes)
        {
            keys[scope] = (await CreateAsync(cairn, new { scope, name = scope + " key" })).Key;
        }

        var revokedIngest = await CreateAsync(cairn, new { scope = "ingest", name = "revoked ingest key" });
        var revokedAdmin = await CreateAsync(cairn, new { scope = "admin", name = "revoked admin key" });
        foreach (var id in new[] { revokedIngest.Id, revokedAdmin.Id })
        {
            using var revoke = await cairn.Admin.DeleteAsync($"/api/keys/{id}", Cancel);
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        var document = JsonNode.Parse(await cairn.Anonymous.GetStringAsync("/openapi/v1.json", Cancel))!;
        var operations = (
            from path in document["paths"]!.AsObject()
            from method in Methods
            where path.Value![method] is not null
            select (Path: path.Key, Method: method, Operation: path.Value![method]!)).ToList();
        Assert.True(operations.Count > 100, $"only {operations.Count} operations in the document");

        var failures = new List<string>();
        var counted = new Dictionary<string, int>();
        foreach (var (path, method, operation) in operations)
        {
            var scope = operation["x-cairn-scope"]?.GetValue<string>();
            Assert.True(scope is not null, $"{method} {path} has no x-cairn-scope");
            counted[scope] = counted.GetValueOrDefault(scope) + 1;
            if (scope == "none")
            {
                Assert.True(OpenRoutes.Any(path.StartsWith), $"{method} {path} takes no key: is it meant to be open to anyone?");
                continue;
            }

            var mediaType = operation["requestBody"]?["content"]?.AsObject().Select(content => content.Key).FirstOrDefault() ?? "application/json";
            var ingestRoute = scope == "ingest";
            var callers = new List<(string Name, string? Key, int? Expected)>
            {
                ("no key", null, 401),
                ("a revoked key", ingestRoute ? revokedIngest.Key : revokedAdmin.Key, 401),
            };
            callers.AddRange(keys.Select(key => (key.Key + " key", (string?)key.Value, Allows(key.Key, scope) ? (int?)null : 403)));
            foreach (var (name, key, expected) in callers)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), FillIn(path));
                if (key is not null)
                {
                    request.Headers.Authorization = ingestRoute
                        ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")))
                        : new AuthenticationHeaderValue("Bearer", key);
                }

                if (method is not ("get" or "delete"))
                {
                    request.Content = mediaType.StartsWith("multipart/", StringComparison.Ordinal)
                        ? new MultipartFormDataContent()
                        : new StringContent(mediaType.Contains("json", StringComparison.Ordinal) ? "{}" : string.Empty, Encoding.UTF8, mediaType);
                }

                using var response = await cairn.CreateClient().SendAsync(request, Cancel);
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync(Cancel);
                if (expected is { } refused)
                {
                    if (status != refused)
                    {
                        failures.Add($"{method.ToUpperInvariant()} {path} with {name}: {status}, expected {refused}: {Shorten(body)}");
                    }
                    else if (refused == 403 && !body.Contains($"\"requiredScope\":\"{scope}\"", StringComparison.Ordinal))
                    {
                        failures.Add($"{method.ToUpperInvariant()} {path} with {name}: the 403 does not name the scope {scope}: {Shorten(body)}");
                    }
                    else if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    {
                        failures.Add($"{method.ToUpperInvariant()} {path} with {name}: {status} is not problem details");
                    }
                }
                else if (status is 401 or 403 or >= 500)
                {
                    failures.Add($"{method.ToUpperInvariant()} {path} with {name}: {status}, expected it allowed: {Shorten(body)}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));

        // The document describes routes of every scope (not everything 'none' because the description lost the metadata).
        Assert.All(Scopes, scope => Assert.True(counted.GetValueOrDefault(scope) >= 5, $"{scope}: {counted.GetValueOrDefault(scope)} routes"));
        Assert.Equal("ingest", document["paths"]!["/v1/track"]!["post"]!["x-cairn-scope"]!.GetValue<string>());
        Assert.Equal("admin", document["paths"]!["/api/keys"]!["get"]!["x-cairn-scope"]!.GetValue<string>());
        Assert.Equal("read", document["paths"]!["/api/journeys"]!["get"]!["x-cairn-scope"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnIngestKeyOverItsRate_Gets429WithRetryAfter_WhileAnotherKeyIsAccepted()
    {
        await using var cairn = await TestCairn.StartAsync();
        var flooding = await CreateAsync(cairn, new { scope = "ingest", name = "flooding client", ratePerSecond = 1, burst = 2 });
        var steady = await CreateAsync(cairn, new { scope = "ingest", name = "steady client", ratePerSecond = 1, burst = 2 });

        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 8; attempt++)
        {
            using var response = await TrackAsync(cairn, flooding.Key, $"flood-{attempt}");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "no Retry-After in seconds");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Contains("flooding client", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
            }
        }

        // The bucket holds two; in the few milliseconds the loop takes it gains at most one more.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], statuses[..2]);
        Assert.True(statuses.Count(status => status == HttpStatusCode.TooManyRequests) >= 5, string.Join(", ", statuses));

        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var response = await TrackAsync(cairn, steady.Key, $"steady-{attempt}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task TheConfiguredDefaultRate_LimitsEveryIngestKey_ButAKeysOwnRateWins()
    {
        await using var cairn = await TestCairn.StartAsync(keys: options => (options.IngestRatePerSecond, options.IngestBurst) = (1, 1));
        var generous = await CreateAsync(cairn, new { scope = "ingest", name = "bulk importer", ratePerSecond = 1000, burst = 1000 });
        var limited = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var configured = await TrackAsync(cairn, TestCairn.WriteKey, $"configured-{attempt}");
            limited.Add(configured.StatusCode);
            using var own = await TrackAsync(cairn, generous.Key, $"bulk-{attempt}");
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, limited[0]);
        Assert.True(limited.Count(status => status == HttpStatusCode.TooManyRequests) >= 3, string.Join(", ", limited));

        var listed = await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/keys", Cancel);
        Assert.Equal(1, listed.GetProperty("ingestRatePerSecond").GetInt32());
    }

    [Fact]
    public async Task Create_RefusesABadScopeNameOrRate_AsProblemDetails()
    {
        await using var cairn = await TestCairn.StartAsync();
        foreach (var body in new object[]
        {
            new { scope = "root", name = "x" },
            new { scope = "read", name = "" },
            new { scope = "read", name = new string('n', 101) },
            new { scope = "admin", name = "x", ratePerSecond = 5 },
            new { scope = "ingest", name = "x", ratePerSecond = 0 },
            new { scope = "ingest", name = "x", ratePerSecond = 5, burst = -1 },
            new { scope = "ingest", name = "x", burst = 5 },
        })
        {
            using var refused = await cairn.Admin.PostAsJsonAsync("/api/keys", body, Cancel);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        // The older request (kind write) still makes an ingest key.
        using var legacy = await cairn.Admin.PostAsJsonAsync("/api/keys", new { kind = "write", name = "old script" }, Cancel);
        var created = await legacy.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("ingest", created.GetProperty("record").GetProperty("scope").GetString());
        Assert.StartsWith("cwk_", created.GetProperty("key").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LastUse_IsShownAtOnce_AndStoredOnlyWhenFlushed_AndARevokedKeyStaysListed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        await using var cairn = await TestCairn.StartAsync(time: time);
        var reader = await CreateAsync(cairn, new { scope = "read", name = "dashboard" });
        time.Advance(TimeSpan.FromSeconds(30));
        using var client = cairn.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", reader.Key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/journeys", Cancel)).StatusCode);
        var usedAt = time.GetUtcNow();

        Assert.Equal(usedAt, ListedKey(await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/keys", Cancel), reader.Id).GetProperty("lastUsedAt").GetDateTimeOffset());
        Assert.Null((await cairn.Store.GetApiKeysAsync(Cancel)).Single(key => key.Id == reader.Id).LastUsedAt);

        await cairn.Services.GetRequiredService<KeyUsageFlusher>().FlushAsync(Cancel);
        Assert.Equal(usedAt, (await cairn.Store.GetApiKeysAsync(Cancel)).Single(key => key.Id == reader.Id).LastUsedAt);

        time.Advance(TimeSpan.FromMinutes(5));
        using (var revoke = await cairn.Admin.DeleteAsync($"/api/keys/{reader.Id}", Cancel))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        using var refused = await client.GetAsync("/api/journeys", Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("revoked", await refused.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        var listed = ListedKey(await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/keys", Cancel), reader.Id);
        Assert.Equal(time.GetUtcNow(), listed.GetProperty("revokedAt").GetDateTimeOffset());
        Assert.Equal("read", listed.GetProperty("scope").GetString());
        using var again = await cairn.Admin.DeleteAsync($"/api/keys/{reader.Id}", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task AWriteKey_ChangesContentLikeAnEditor_AndItsRefusalNamesTheScope()
    {
        await using var cairn = await TestCairn.StartAsync();
        var writer = await CreateAsync(cairn, new { scope = "write", name = "ci deploy" });
        using var client = cairn.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", writer.Key);
        using var template = await client.PutAsync("/api/templates/hello", new StringContent("kind: template\nid: hello\nchannel: email\nsubject: Hi\nhtml: <p>Hi</p>\n", Encoding.UTF8, "application/yaml"), Cancel);
        Assert.Equal(HttpStatusCode.OK, template.StatusCode);

        using var users = await client.GetAsync("/api/users", Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
        var problem = await users.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("This needs a key with the admin scope; the key 'ci deploy' has the write scope.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public void CallerOf_ReadsAUser_AKey_AndAConfiguredKey()
    {
        var user = new Runtime.Storage.UserRecord("u1", "pat@example.com", "hash", Runtime.Storage.UserRole.Editor, DateTimeOffset.UnixEpoch, "stamp");
        Assert.Equal(new Caller(CallerKind.User, "u1", "pat@example.com"), Caller.Of(new DefaultHttpContext { User = SessionEndpoints.PrincipalOf(user) }));

        var key = new KeyEntry("k1", Runtime.Storage.ApiKeyScope.Read, "dashboard", Configured: false);
        var caller = Caller.Of(new DefaultHttpContext { User = AccessControl.PrincipalOf(key) });
        Assert.Equal(new Caller(CallerKind.Key, "k1", "dashboard"), caller);
        Assert.Equal("key", caller!.KindName);
        Assert.Equal("dashboard", AccessControl.PrincipalOf(key).FindFirstValue(ClaimTypes.Name));

        var configured = new KeyEntry("CAIRN_API_KEY", Runtime.Storage.ApiKeyScope.Admin, "CAIRN_API_KEY", Configured: true);
        Assert.Equal("configured-key", Caller.Of(new DefaultHttpContext { User = AccessControl.PrincipalOf(configured) })!.KindName);
        Assert.Null(Caller.Of(new DefaultHttpContext()));
    }

    [Theory]
    [InlineData("ingest", "ingest", true)]
    [InlineData("admin", "ingest", false)]
    [InlineData("ingest", "read", false)]
    [InlineData("read", "read", true)]
    [InlineData("read", "write", false)]
    [InlineData("write", "write", true)]
    [InlineData("write", "admin", false)]
    [InlineData("admin", "admin", true)]
    public void Allows_GivesEachScopeWhatItAndTheScopesBelowAllow_AndIngestOnlyIngestion(string held, string needed, bool allowed) =>
        Assert.Equal(allowed, AccessControl.Allows(KeyEndpoints.ParseScope(held)!.Value, KeyEndpoints.ParseScope(needed)!.Value));

    /// <summary>The model, written out here rather than read from the server: ingest only ingests; the /api scopes are ordered.</summary>
    private static bool Allows(string held, string needed) =>
        needed == "ingest" ? held == "ingest" : held != "ingest" && Array.IndexOf(Scopes, held) >= Array.IndexOf(Scopes, needed);

    private static async Task<(string Id, string Key)> CreateAsync(TestCairn cairn, object body)
    {
        using var response = await cairn.Admin.PostAsJsonAsync("/api/keys", body, Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancel));
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return (created.GetProperty("record").GetProperty("id").GetString()!, created.GetProperty("key").GetString()!);
    }

    private static async Task<HttpResponseMessage> TrackAsync(TestCairn cairn, string key, string messageId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track")
        {
            Content = JsonContent.Create(new { userId = "rate-" + messageId, @event = "page_viewed", messageId }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));
        return await cairn.CreateClient().SendAsync(request, Cancel);
    }

    private static JsonElement ListedKey(JsonElement listed, string id) =>
        listed.GetProperty("keys").EnumerateArray().Single(key => key.GetProperty("id").GetString() == id);

    private static string FillIn(string pattern) => System.Text.RegularExpressions.Regex.Replace(pattern, "\\{[^}]+\\}", "x");

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;
}
