using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Cairn.Server;

/// <summary>
/// <c>cairn keys create|list|revoke</c>: manages the stored keys on a running server through <c>/api/keys</c>: ingest
/// keys (write keys, for /v1, with an optional rate limit) and read, write and admin keys (for /api). <c>create</c>
/// prints the key once. Exit codes: 0 done, 1 no such key, 2 the request could not be made or was refused (the reason
/// in one line on stderr).
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var command = new Command("keys", "Manage scoped keys on a running server: ingest (write keys for /v1), read, write and admin (for /api).");
        command.Subcommands.Add(New());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Revoke());
        return command;
    }

    private static Command New()
    {
        var scope = new Option<string>("--scope") { Description = "ingest (sends events to /v1: a write key), read, write or admin (the API at /api as a viewer, an editor or an admin).", Required = true };
        scope.AcceptOnlyFromAmong("ingest", "read", "write", "admin");
        var name = new Option<string>("--name") { Description = "What the key is for (at most 100 characters), e.g. \"web shop\".", Required = true };
        var rate = new Option<int?>("--rate") { Description = "An ingest key's own limit in requests per second (default: the server's CAIRN_INGEST_RATE, unlimited when unset)." };
        var burst = new Option<int?>("--burst") { Description = "With --rate: requests allowed at once (default the rate)." };
        var server = new ServerClient();
        var command = new Command("create", "Create a key; it is printed once.") { scope, name, rate, burst, server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => result.GetValue(burst) is not null && result.GetValue(rate) is null
            ? Refuse("keys create", "--burst needs --rate")
            : UsersCommand.RunAsync(server, result, "keys create", async http =>
        {
            var body = new { scope = result.GetValue(scope), name = result.GetValue(name), ratePerSecond = result.GetValue(rate), burst = result.GetValue(burst) };
            if (await ServerClient.SendAsync(http, HttpMethod.Post, "api/keys", body, "keys create", cancellationToken).ConfigureAwait(false) is not { } created)
            {
                return 2;
            }

            var record = created.GetProperty("record");
            var limit = record.GetProperty("ratePerSecond") is { ValueKind: JsonValueKind.Number } perSecond
                ? $", at most {perSecond.GetInt32()} requests/s (burst {record.GetProperty("burst").GetInt32()})"
                : string.Empty;
            Console.WriteLine($"Created {record.GetProperty("scope").GetString()} key {record.GetProperty("id").GetString()} ({record.GetProperty("name").GetString()}{limit}):");
            Console.WriteLine(created.GetProperty("key").GetString());
            Console.WriteLine("  Shown once; store it now.");
            return 0;
        }));
        return command;
    }

    private static Task<int> Refuse(string command, string reason)
    {
        Console.Error.WriteLine($"cairn {command}: {reason}");
        return Task.FromResult(2);
    }

    private static Command List()
    {
        var server = new ServerClient();
        var command = new Command("list", "List the stored keys (id, scope, prefix, name, created, last used, revoked); never the keys themselves.") { server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "keys list", async http =>
        {
            if (await ServerClient.SendAsync(http, HttpMethod.Get, "api/keys", null, "keys list", cancellationToken).ConfigureAwait(false) is not { } keys)
            {
                return 2;
            }

            static string Time(JsonElement key, string property) =>
                key.GetProperty(property) is { ValueKind: JsonValueKind.String } time
                    ? time.GetDateTimeOffset().ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)
                    : "-";
            var rows = keys.GetProperty("keys").EnumerateArray().Select(key => new[]
            {
                key.GetProperty("id").GetString() ?? string.Empty,
                key.GetProperty("scope").GetString() ?? string.Empty,
                key.GetProperty("prefix").GetString() + "…",
                key.GetProperty("name").GetString() ?? string.Empty,
                Time(key, "createdAt"),
                key.GetProperty("lastUsedAt").ValueKind == JsonValueKind.String ? Time(key, "lastUsedAt") : "never",
                key.GetProperty("revokedAt").ValueKind == JsonValueKind.String ? "revoked " + Time(key, "revokedAt") : "active",
                key.GetProperty("ratePerSecond") is { ValueKind: JsonValueKind.Number } rate ? $"{rate.GetInt32()}/s burst {key.GetProperty("burst").GetInt32()}" : "-",
            }).ToList();
            TextTable.Write(["ID", "SCOPE", "PREFIX", "NAME", "CREATED", "LAST USED", "STATUS", "RATE"], rows);
            foreach (var (property, variable, scope) in new[] { ("configuredWriteKey", "CAIRN_WRITE_KEY", "ingest"), ("configuredApiKey", "CAIRN_API_KEY", "admin") })
            {
                if (keys.GetProperty(property).GetBoolean())
                {
                    Console.WriteLine($"Also valid: the {scope} key set by {variable} (change it in the configuration).");
                }
            }

            if (keys.GetProperty("ingestRatePerSecond") is { ValueKind: JsonValueKind.Number } defaultRate)
            {
                Console.WriteLine($"Ingest keys without a rate of their own: at most {defaultRate.GetInt32()} requests/s (burst {keys.GetProperty("ingestBurst").GetInt32()}).");
            }

            return 0;
        }));
        return command;
    }

    private static Command Revoke()
    {
        var id = new Argument<string>("id") { Description = "The key's id (from cairn keys list)." };
        var server = new ServerClient();
        var command = new Command("revoke", "Revoke a stored key: it stops working at once and stays listed as revoked.") { id, server.Url, server.ApiKey };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var http = server.Create(result, "keys revoke");
            if (http is null)
            {
                return 2;
            }

            var key = result.GetValue(id)!.Trim();
            try
            {
                using var response = await http.DeleteAsync($"api/keys/{Uri.EscapeDataString(key)}", cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Console.WriteLine($"Revoked key {key}.");
                    return 0;
                }

                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                using var body = JsonDocument.Parse(text.Length == 0 ? "null" : text);
                Console.Error.WriteLine($"cairn keys revoke: {ServerClient.Refusal(response, body.RootElement)}");
                return response.StatusCode == System.Net.HttpStatusCode.NotFound ? 1 : 2;
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException)
            {
                Console.Error.WriteLine($"cairn keys revoke: {exception.Message}");
                return 2;
            }
        });
        return command;
    }
}
