using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Cairn.Server;

/// <summary>
/// <c>cairn keys create|list|revoke</c>: manages the stored write keys (ingestion) and API keys (the admin API) on a
/// running server through <c>/api/keys</c>. <c>create</c> prints the key once. Exit codes: 0 done, 1 no such key,
/// 2 the request could not be made or was refused (the reason in one line on stderr).
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var command = new Command("keys", "Manage write keys (ingestion) and API keys (the admin API) on a running server.");
        command.Subcommands.Add(New());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Revoke());
        return command;
    }

    private static Command New()
    {
        var kind = new Option<string>("--kind") { Description = "write (ingestion at /v1) or admin (the admin API at /api).", Required = true };
        kind.AcceptOnlyFromAmong("write", "admin");
        var name = new Option<string>("--name") { Description = "What the key is for (at most 100 characters), e.g. \"web shop\".", Required = true };
        var server = new ServerClient();
        var command = new Command("create", "Create a key; it is printed once.") { kind, name, server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "keys create", async http =>
        {
            var body = new { kind = result.GetValue(kind), name = result.GetValue(name) };
            if (await ServerClient.SendAsync(http, HttpMethod.Post, "api/keys", body, "keys create", cancellationToken).ConfigureAwait(false) is not { } created)
            {
                return 2;
            }

            var record = created.GetProperty("record");
            Console.WriteLine($"Created {record.GetProperty("kind").GetString()} key {record.GetProperty("id").GetString()} ({record.GetProperty("name").GetString()}):");
            Console.WriteLine(created.GetProperty("key").GetString());
            Console.WriteLine("  Shown once; store it now.");
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var server = new ServerClient();
        var command = new Command("list", "List the stored keys (id, kind, prefix, name, created); never the keys themselves.") { server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "keys list", async http =>
        {
            if (await ServerClient.SendAsync(http, HttpMethod.Get, "api/keys", null, "keys list", cancellationToken).ConfigureAwait(false) is not { } keys)
            {
                return 2;
            }

            var rows = keys.GetProperty("keys").EnumerateArray().Select(key => new[]
            {
                key.GetProperty("id").GetString() ?? string.Empty,
                key.GetProperty("kind").GetString() ?? string.Empty,
                key.GetProperty("prefix").GetString() + "…",
                key.GetProperty("name").GetString() ?? string.Empty,
                key.GetProperty("createdAt").GetDateTimeOffset().ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            }).ToList();
            TextTable.Write(["ID", "KIND", "PREFIX", "NAME", "CREATED"], rows);
            foreach (var (property, variable) in new[] { ("configuredWriteKey", "CAIRN_WRITE_KEY"), ("configuredApiKey", "CAIRN_API_KEY") })
            {
                if (keys.GetProperty(property).GetBoolean())
                {
                    Console.WriteLine($"Also valid: the key set by {variable} (change it in the configuration).");
                }
            }

            return 0;
        }));
        return command;
    }

    private static Command Revoke()
    {
        var id = new Option<string>("--id") { Description = "The key's id (from cairn keys list).", Required = true };
        var server = new ServerClient();
        var command = new Command("revoke", "Revoke a stored key: it stops working at once.") { id, server.Url, server.ApiKey };
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
