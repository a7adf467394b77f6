using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// A console session outlives a restart of the server: the data-protection key ring that encrypts the session and
/// antiforgery cookies is kept in the data directory (SQLite) or in the database (PostgreSQL).
/// </summary>
public abstract class SessionRestartTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Where the server keeps its data: a SQLite data directory or a PostgreSQL connection string.</summary>
    protected abstract Task<(string? DataDirectory, string? Postgres)> StorageAsync();

    [Fact]
    public async Task ASession_AndItsAntiforgeryToken_StillWork_AfterARestart()
    {
        var (dataDirectory, postgres) = await StorageAsync();
        try
        {
            string cookies;
            string token;
            await using (var first = await TestCairn.StartAsync(dataDirectory, postgres))
            {
                using var client = first.CreateClient();
                using var signIn = await client.PostAsJsonAsync("/api/session", new { email = TestCairn.AdminEmail, password = TestCairn.AdminPassword }, Cancel);
                Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
                cookies = string.Join("; ", signIn.Headers.GetValues("Set-Cookie").Select(cookie => cookie.Split(';')[0]));
                token = (await signIn.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("csrfToken").GetString()!;
            }

            await using var second = await TestCairn.StartAsync(dataDirectory, postgres);
            using var again = second.CreateClient();
            using (var current = await SendAsync(again, HttpMethod.Get, "/api/session", cookies, token: null))
            {
                Assert.Equal(HttpStatusCode.OK, current.StatusCode);
                Assert.Equal(TestCairn.AdminEmail, (await current.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("email").GetString());
            }

            using (var withoutToken = await SendAsync(again, HttpMethod.Post, "/api/keys", cookies, token: null))
            {
                Assert.Equal(HttpStatusCode.Forbidden, withoutToken.StatusCode);
            }

            using (var withToken = await SendAsync(again, HttpMethod.Post, "/api/keys", cookies, token))
            {
                Assert.Equal(HttpStatusCode.Created, withToken.StatusCode);
            }

            if (postgres is not null)
            {
                Assert.NotEmpty(await second.Store.GetProtectionKeysAsync(Cancel));
            }
        }
        finally
        {
            if (dataDirectory is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string cookies, string? token)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookies);
        if (token is not null)
        {
            request.Headers.Add("X-CSRF-TOKEN", token);
        }

        if (method != HttpMethod.Get)
        {
            request.Content = JsonContent.Create(new { kind = "write", name = "after restart" });
        }

        return await client.SendAsync(request, Cancel);
    }
}

/// <summary>On SQLite: the key ring in the data directory.</summary>
public sealed class SqliteSessionRestartTests : SessionRestartTests
{
    protected override Task<(string? DataDirectory, string? Postgres)> StorageAsync() =>
        Task.FromResult<(string?, string?)>((Path.Combine(Path.GetTempPath(), "cairn-sessions-" + Guid.NewGuid().ToString("N")), null));
}

/// <summary>On PostgreSQL: the key ring in the database.</summary>
public sealed class PostgreSqlSessionRestartTests(PostgresFixture postgres) : SessionRestartTests
{
    protected override async Task<(string? DataDirectory, string? Postgres)> StorageAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return (null, await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken));
    }
}
