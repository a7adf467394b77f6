using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary><c>cairn users</c> and <c>cairn keys</c> as an operator runs them: the real executable against a real server.</summary>
public sealed partial class UsersAndKeysCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UsersAndKeys_AreAdded_Listed_AndRemoved_ThroughTheCli_WithOneLineErrors()
    {
        await using var server = await CairnProcess.StartAsync(null);
        async Task<(int Code, string Output)> Cairn(params string[] arguments) =>
            await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), .. arguments, "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: Cancel);

        // A user without a password gets a generated one, printed once; it signs in.
        var (code, output) = await Cairn("users", "add", "--email", "ops@cli.test", "--role", "editor");
        Assert.True(code == 0, output);
        var password = PasswordLine().Match(output).Groups[1].Value;
        Assert.True(password.Length >= 12, output);
        using (var browser = new HttpClient { BaseAddress = new Uri(server.Url) })
        using (var signIn = await browser.PostAsJsonAsync("/api/session", new { email = "ops@cli.test", password }, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }

        (code, output) = await Cairn("users", "list");
        Assert.True(code == 0, output);
        Assert.Matches(@"ops@cli\.test\s+editor\s+\d{4}-\d\d-\d\d", output);

        (code, output) = await Cairn("users", "remove", "--email", "ops@cli.test");
        Assert.True(code == 0 && output.Contains("Removed ops@cli.test.", StringComparison.Ordinal), output);
        (code, output) = await Cairn("users", "remove", "--email", "ops@cli.test");
        Assert.Equal(1, code);
        Assert.Equal("cairn users remove: no user has the e-mail address 'ops@cli.test'", output.Trim());
        (code, output) = await Cairn("users", "add", "--email", "weak@cli.test", "--role", "viewer", "--password", "short");
        Assert.Equal(2, code);
        Assert.StartsWith("cairn users add: 400 The password", output.Trim(), StringComparison.Ordinal);
        Assert.Single(output.Trim().Split('\n'));

        // A write key works for ingestion until it is revoked.
        (code, output) = await Cairn("keys", "create", "--scope", "ingest", "--name", "web shop", "--rate", "500", "--burst", "1000");
        Assert.True(code == 0, output);
        var key = output.Split('\n').Select(line => line.Trim()).Single(line => line.StartsWith("cwk_", StringComparison.Ordinal));
        var id = Regex.Match(output, "ingest key ([0-9a-f]{32}) \\(web shop, at most 500 requests/s \\(burst 1000\\)\\)").Groups[1].Value;
        Assert.True(id.Length == 32, output);
        Assert.Equal(HttpStatusCode.OK, await TrackWithAsync(server, key));

        (code, output) = await Cairn("keys", "list");
        Assert.True(code == 0, output);
        Assert.Matches($@"{id}\s+ingest\s+{Regex.Escape(key[..8])}…\s+web shop\s+\d{{4}}-\d\d-\d\d \d\d:\d\d UTC\s+\d{{4}}-\d\d-\d\d \d\d:\d\d UTC\s+active\s+500/s burst 1000", output);
        Assert.Contains("Also valid: the ingest key set by CAIRN_WRITE_KEY", output, StringComparison.Ordinal);

        // A read key reads /api but changes nothing.
        (code, output) = await Cairn("keys", "create", "--scope", "read", "--name", "dashboard");
        Assert.True(code == 0, output);
        var readKey = output.Split('\n').Select(line => line.Trim()).Single(line => line.StartsWith("cak_", StringComparison.Ordinal));
        var (readCode, readOutput) = await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "keys", "list", "--url", server.Url, "--api-key", readKey], cancellationToken: Cancel);
        Assert.Equal(2, readCode);
        Assert.Equal("cairn keys list: 403 This needs a key with the admin scope; the key 'dashboard' has the read scope.", readOutput.Trim());

        (code, output) = await Cairn("keys", "create", "--scope", "read", "--name", "x", "--burst", "5");
        Assert.Equal(2, code);
        Assert.Equal("cairn keys create: --burst needs --rate", output.Trim());

        (code, output) = await Cairn("keys", "revoke", id);
        Assert.True(code == 0, output);
        Assert.Equal(HttpStatusCode.Unauthorized, await TrackWithAsync(server, key));
        (code, output) = await Cairn("keys", "list");
        Assert.Matches($@"{id}\s+ingest.*revoked \d{{4}}-", output);
        (code, output) = await Cairn("keys", "revoke", id);
        Assert.Equal(1, code);
        Assert.Equal($"cairn keys revoke: 404 No working stored key '{id}' (unknown, or revoked already).", output.Trim());
    }

    private static async Task<HttpStatusCode> TrackWithAsync(CairnProcess server, string writeKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Url + "/v1/track"))
        {
            Content = JsonContent.Create(new { userId = "cli-key-check", @event = "key_checked" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(writeKey + ":")));
        using var response = await server.Client.SendAsync(request, Cancel);
        return response.StatusCode;
    }

    [GeneratedRegex("Password: (\\S+)")]
    private static partial Regex PasswordLine();
}
