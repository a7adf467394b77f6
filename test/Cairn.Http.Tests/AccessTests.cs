using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Http.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Http.Tests;

/// <summary>Console users, sessions and roles on the API: what each role may do, antiforgery, lockout, keys.</summary>
public sealed class AccessTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AViewerSession_Gets403_OnEveryMutatingRoute()
    {
        await using var cairn = await TestCairn.StartAsync();
        await CreateUserAsync(cairn, "viewer@test.local", "viewer");
        var viewer = await Session.StartAsync(cairn, "viewer@test.local");

        var mutating = MutatingApiRoutes(cairn).ToList();
        Assert.True(mutating.Count >= 30, $"only {mutating.Count} mutating routes found");
        foreach (var (method, path, mediaType) in mutating)
        {
            using var response = await viewer.SendAsync(method, path, "{}", mediaType);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
        }

        // Reads and the routes that only compute (previews) stay open to a viewer.
        using var journeys = await viewer.SendAsync(HttpMethod.Get, "/api/journeys");
        Assert.Equal(HttpStatusCode.OK, journeys.StatusCode);
        using var preview = await viewer.SendAsync(HttpMethod.Post, "/api/segments/preview", """{"condition":{"trait":"plan","equals":"pro"}}""");
        Assert.NotEqual(HttpStatusCode.Forbidden, preview.StatusCode);
        using var lint = await viewer.SendAsync(HttpMethod.Post, "/api/lint", "[]");
        Assert.Equal(HttpStatusCode.OK, lint.StatusCode);

        // The messaging settings read, without the webhook and inbox secrets, which only an admin gets.
        using var messaging = await viewer.SendAsync(HttpMethod.Get, "/api/settings/messaging");
        var settings = await messaging.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(JsonValueKind.Null, settings.GetProperty("webhookSecret").ValueKind);
        Assert.Equal(JsonValueKind.Null, settings.GetProperty("inboxSecret").ValueKind);
        var asAdmin = await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/settings/messaging", Cancel);
        Assert.StartsWith("whsec_", asAdmin.GetProperty("webhookSecret").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEditorSession_ChangesContent_ButNotUsersKeysPolicyErasureOrExport()
    {
        await using var cairn = await TestCairn.StartAsync();
        await CreateUserAsync(cairn, "editor@test.local", "editor");
        var editor = await Session.StartAsync(cairn, "editor@test.local");

        using var template = await editor.SendAsync(HttpMethod.Put, "/api/templates/hello", "kind: template\nid: hello\nchannel: email\nsubject: Hi\nhtml: <p>Hi</p>\n", "application/yaml");
        Assert.Equal(HttpStatusCode.OK, template.StatusCode);

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/api/users"), (HttpMethod.Post, "/api/users"), (HttpMethod.Get, "/api/keys"), (HttpMethod.Post, "/api/keys"),
            (HttpMethod.Put, "/api/policy"), (HttpMethod.Post, "/api/erasures"), (HttpMethod.Delete, "/api/contacts/c1"),
            (HttpMethod.Get, "/api/contacts/c1/export"), (HttpMethod.Get, "/api/exports?email=a%40example.com"),
            (HttpMethod.Put, "/api/retention"), (HttpMethod.Post, "/api/retention/run"),
        })
        {
            using var response = await editor.SendAsync(method, path, "{}");
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task ASessionsChange_NeedsTheAntiforgeryToken_AnApiKeyDoesNot()
    {
        await using var cairn = await TestCairn.StartAsync();
        var admin = await Session.StartAsync(cairn, TestCairn.AdminEmail, TestCairn.AdminPassword);
        using var withoutToken = await admin.SendAsync(HttpMethod.Post, "/api/keys", """{"kind":"write","name":"site"}""", withToken: false);
        Assert.Equal(HttpStatusCode.Forbidden, withoutToken.StatusCode);
        Assert.Contains("antiforgery", await withoutToken.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);

        using var withToken = await admin.SendAsync(HttpMethod.Post, "/api/keys", """{"kind":"write","name":"site"}""");
        Assert.Equal(HttpStatusCode.Created, withToken.StatusCode);
        using var byKey = await cairn.Admin.PostAsJsonAsync("/api/keys", new { kind = "write", name = "ci" }, Cancel);
        Assert.Equal(HttpStatusCode.Created, byKey.StatusCode);
    }

    [Fact]
    public async Task SignIn_LocksTheAccount_AfterFiveFailures()
    {
        await using var cairn = await TestCairn.StartAsync();
        using var client = cairn.CreateClient();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            using var wrong = await client.PostAsJsonAsync("/api/session", new { email = TestCairn.AdminEmail, password = "wrong password " + attempt }, Cancel);
            Assert.Equal(attempt < 5 ? HttpStatusCode.Unauthorized : HttpStatusCode.Locked, wrong.StatusCode);
        }

        using var right = await client.PostAsJsonAsync("/api/session", new { email = TestCairn.AdminEmail, password = TestCairn.AdminPassword }, Cancel);
        Assert.Equal(HttpStatusCode.Locked, right.StatusCode);

        // An admin unlocks the user; the right password works again.
        var users = await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/users", Cancel);
        var id = users.EnumerateArray().Single(user => user.GetProperty("email").GetString() == TestCairn.AdminEmail).GetProperty("id").GetString();
        using var unlock = await cairn.Admin.PatchAsJsonAsync($"/api/users/{id}", new { unlock = true }, Cancel);
        Assert.Equal(HttpStatusCode.OK, unlock.StatusCode);
        using var again = await client.PostAsJsonAsync("/api/session", new { email = TestCairn.AdminEmail, password = TestCairn.AdminPassword }, Cancel);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task SignIn_IsRateLimited_PerAddress()
    {
        await using var cairn = await TestCairn.StartAsync();
        using var client = cairn.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 12; attempt++)
        {
            using var response = await client.PostAsJsonAsync("/api/session", new { email = $"nobody{attempt}@test.local", password = "whatever it is" }, Cancel);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(10, statuses.Count(status => status == HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    [Fact]
    public async Task ARoleChangeAppliesAtOnce_AndADeletedUsersSessionEnds()
    {
        await using var cairn = await TestCairn.StartAsync();
        var id = await CreateUserAsync(cairn, "pat@test.local", "editor");
        var pat = await Session.StartAsync(cairn, "pat@test.local");
        using (var allowed = await pat.SendAsync(HttpMethod.Post, "/api/journeys/none/pause", "{}"))
        {
            Assert.NotEqual(HttpStatusCode.Forbidden, allowed.StatusCode);
        }

        using (var demote = await cairn.Admin.PatchAsJsonAsync($"/api/users/{id}", new { role = "viewer" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        }

        using (var refused = await pat.SendAsync(HttpMethod.Post, "/api/journeys/none/pause", "{}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var delete = await cairn.Admin.DeleteAsync($"/api/users/{id}", Cancel))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        using var gone = await pat.SendAsync(HttpMethod.Get, "/api/journeys");
        Assert.Equal(HttpStatusCode.Unauthorized, gone.StatusCode);
    }

    [Fact]
    public async Task Users_AreValidated_AndTheLastAdminStays()
    {
        await using var cairn = await TestCairn.StartAsync();
        foreach (var body in new object[]
        {
            new { email = "not an address", role = "editor" },
            new { email = "a@test.local", role = "owner" },
            new { email = "a@test.local", role = "editor", password = "short" },
        })
        {
            using var refused = await cairn.Admin.PostAsJsonAsync("/api/users", body, Cancel);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using var created = await cairn.Admin.PostAsJsonAsync("/api/users", new { email = "a@test.local", role = "editor" }, Cancel);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var createdBody = await created.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var generated = createdBody.GetProperty("password").GetString();
        Assert.True(generated!.Length >= 12);
        await Session.StartAsync(cairn, "a@test.local", generated);

        using var duplicate = await cairn.Admin.PostAsJsonAsync("/api/users", new { email = "A@TEST.local", role = "viewer" }, Cancel);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);

        var admin = (await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/users", Cancel)).EnumerateArray().Single(user => user.GetProperty("role").GetString() == "admin").GetProperty("id").GetString();
        using var demote = await cairn.Admin.PatchAsJsonAsync($"/api/users/{admin}", new { role = "editor" }, Cancel);
        Assert.Equal(HttpStatusCode.Conflict, demote.StatusCode);
        using var delete = await cairn.Admin.DeleteAsync($"/api/users/{admin}", Cancel);
        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);

        // With a second admin, the last-admin rule no longer applies, but nobody deletes themselves.
        using var second = await cairn.Admin.PatchAsJsonAsync($"/api/users/{createdBody.GetProperty("user").GetProperty("id").GetString()}", new { role = "admin" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var self = await Session.StartAsync(cairn, TestCairn.AdminEmail, TestCairn.AdminPassword);
        using var deleteSelf = await self.SendAsync(HttpMethod.Delete, $"/api/users/{admin}");
        Assert.Equal(HttpStatusCode.Conflict, deleteSelf.StatusCode);
        Assert.Contains("yourself", await deleteSelf.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_WorkOnceCreated_AndStopWhenRevoked()
    {
        await using var cairn = await TestCairn.StartAsync();
        using var created = await cairn.Admin.PostAsJsonAsync("/api/keys", new { kind = "admin", name = "deploy script" }, Cancel);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var key = body.GetProperty("key").GetString();
        var id = body.GetProperty("record").GetProperty("id").GetString();

        using var client = cairn.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/journeys", Cancel)).StatusCode);
        var listed = await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/keys", Cancel);
        Assert.Contains(listed.GetProperty("keys").EnumerateArray(), stored => stored.GetProperty("name").GetString() == "deploy script" && stored.GetProperty("prefix").GetString() == key![..8]);
        Assert.DoesNotContain(key!, listed.GetRawText(), StringComparison.Ordinal);

        using var revoke = await cairn.Admin.DeleteAsync($"/api/keys/{id}", Cancel);
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/journeys", Cancel)).StatusCode);
        using var unknown = await cairn.Admin.PostAsJsonAsync("/api/keys", new { kind = "root", name = "x" }, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task AUserChangesTheirOwnPassword_AndTheirOtherSessionsEnd()
    {
        await using var cairn = await TestCairn.StartAsync();
        await CreateUserAsync(cairn, "sam@test.local", "viewer");
        var first = await Session.StartAsync(cairn, "sam@test.local");
        var second = await Session.StartAsync(cairn, "sam@test.local");

        using var wrong = await first.SendAsync(HttpMethod.Put, "/api/account/password", """{"currentPassword":"nope","newPassword":"a brand new passphrase"}""");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        using var changed = await first.SendAsync(HttpMethod.Put, "/api/account/password", $$"""{"currentPassword":"{{Session.DefaultPassword}}","newPassword":"a brand new passphrase"}""");
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);

        using var stillIn = await first.SendAsync(HttpMethod.Get, "/api/session");
        Assert.Equal(HttpStatusCode.OK, stillIn.StatusCode);
        using var signedOut = await second.SendAsync(HttpMethod.Get, "/api/session");
        Assert.Equal(HttpStatusCode.Unauthorized, signedOut.StatusCode);
        await Session.StartAsync(cairn, "sam@test.local", "a brand new passphrase");
    }

    private static async Task<string> CreateUserAsync(TestCairn cairn, string email, string role)
    {
        using var response = await cairn.Admin.PostAsJsonAsync("/api/users", new { email, role, password = Session.DefaultPassword }, Cancel);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("user").GetProperty("id").GetString()!;
    }

    /// <summary>
    /// Every /api route with a method other than GET or HEAD that a viewer may not call (but sign-in, and the in-app
    /// inbox, which the recipient's app calls with its own token), with its parameters filled in and a content type it accepts.
    /// </summary>
    private static IEnumerable<(HttpMethod Method, string Path, string MediaType)> MutatingApiRoutes(TestCairn cairn) =>
        cairn.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.RoutePattern.RawText is { } raw && raw.StartsWith("/api/", StringComparison.Ordinal) && !raw.StartsWith("/api/session", StringComparison.Ordinal)
                && !raw.StartsWith("/api/inbox", StringComparison.Ordinal))
            .Where(endpoint => endpoint.Metadata.GetMetadata<RequiredRole>()?.Role != Runtime.Storage.UserRole.Viewer)
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
                .Where(method => method is not ("GET" or "HEAD"))
                .Select(method => (new HttpMethod(method), FillIn(endpoint.RoutePattern.RawText!), endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is { ContentTypes.Count: > 0 } accepts ? accepts.ContentTypes[0] : "application/json")))
            .Distinct();

    private static string FillIn(string pattern) => System.Text.RegularExpressions.Regex.Replace(pattern, "\\{[^}]+\\}", "x");

    /// <summary>A console session: the cookies the server set and the antiforgery token it gave.</summary>
    internal sealed class Session(HttpClient client, string cookies, string token)
    {
        public const string DefaultPassword = "a long enough password";

        public static async Task<Session> StartAsync(TestCairn cairn, string email, string password = DefaultPassword)
        {
            var client = cairn.CreateClient();
            using var response = await client.PostAsJsonAsync("/api/session", new { email, password }, Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"sign-in of {email}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
            var cookies = string.Join("; ", response.Headers.GetValues("Set-Cookie").Select(cookie => cookie.Split(';')[0]));
            var token = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("csrfToken").GetString()!;
            return new Session(client, cookies, token);
        }

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, string mediaType = "application/json", bool withToken = true)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Add("Cookie", cookies);
            if (withToken)
            {
                request.Headers.Add("X-CSRF-TOKEN", token);
            }

            if (body is not null && method != HttpMethod.Get)
            {
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, mediaType);
            }

            var response = await client.SendAsync(request, Cancel);
            if (response.Headers.TryGetValues("Set-Cookie", out var renewed))
            {
                cookies = string.Join("; ", cookies.Split("; ").Where(cookie => !renewed.Any(set => set.StartsWith(cookie.Split('=')[0] + "=", StringComparison.Ordinal)))
                    .Concat(renewed.Where(set => !set.Contains("expires=Thu, 01 Jan 1970", StringComparison.Ordinal)).Select(set => set.Split(';')[0])));
            }

            return response;
        }
    }
}
