using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Cairn.Server;

/// <summary>
/// <c>cairn users add|list|remove</c>: manages the console's users on a running server through <c>/api/users</c>.
/// <c>add</c> prints the generated password once when none is given. Exit codes: 0 done, 1 no such user,
/// 2 the request could not be made or was refused (the reason in one line on stderr).
/// </summary>
internal static class UsersCommand
{
    public static Command Create()
    {
        var command = new Command("users", "Manage the web console's users (admin, editor, viewer) on a running server.");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command Add()
    {
        var email = new Option<string>("--email") { Description = "The user's e-mail address (what they sign in with).", Required = true };
        var role = new Option<string>("--role") { Description = "admin (everything), editor (change journeys and documents) or viewer (read).", Required = true };
        role.AcceptOnlyFromAmong("admin", "editor", "viewer");
        var password = new Option<string>("--password") { Description = "Their password (at least 12 characters); without it, one is generated and printed once." };
        var server = new ServerClient();
        var command = new Command("add", "Create a user.") { email, role, password, server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => RunAsync(server, result, "users add", async http =>
        {
            var body = new { email = result.GetValue(email), role = result.GetValue(role), password = result.GetValue(password) };
            if (await ServerClient.SendAsync(http, HttpMethod.Post, "api/users", body, "users add", cancellationToken).ConfigureAwait(false) is not { } created)
            {
                return 2;
            }

            var user = created.GetProperty("user");
            Console.WriteLine($"Added {user.GetProperty("email").GetString()} as {user.GetProperty("role").GetString()} (id {user.GetProperty("id").GetString()}).");
            if (created.GetProperty("password").GetString() is { } generated)
            {
                Console.WriteLine($"Password: {generated}");
                Console.WriteLine("  Shown once; give it to them and ask them to change it under Settings > Account.");
            }

            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var server = new ServerClient();
        var command = new Command("list", "List the users with their role, last sign-in and lock.") { server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => RunAsync(server, result, "users list", async http =>
        {
            if (await ServerClient.SendAsync(http, HttpMethod.Get, "api/users", null, "users list", cancellationToken).ConfigureAwait(false) is not { } users)
            {
                return 2;
            }

            var rows = users.EnumerateArray().Select(user => new[]
            {
                user.GetProperty("email").GetString() ?? string.Empty,
                user.GetProperty("role").GetString() ?? string.Empty,
                Time(user.GetProperty("lastSignInAt")) ?? "never",
                user.GetProperty("lockedUntil") is { ValueKind: JsonValueKind.String } until && until.GetDateTimeOffset() > TimeProvider.System.GetUtcNow() ? $"until {Time(until)}" : string.Empty,
            }).ToList();
            TextTable.Write(["EMAIL", "ROLE", "LAST SIGN-IN", "LOCKED"], rows);
            return 0;
        }));
        return command;
    }

    private static Command Remove()
    {
        var email = new Option<string>("--email") { Description = "The e-mail address of the user to delete.", Required = true };
        var server = new ServerClient();
        var command = new Command("remove", "Delete a user; their sessions end at once. The last admin cannot be removed.") { email, server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => RunAsync(server, result, "users remove", async http =>
        {
            if (await ServerClient.SendAsync(http, HttpMethod.Get, "api/users", null, "users remove", cancellationToken).ConfigureAwait(false) is not { } users)
            {
                return 2;
            }

            var address = result.GetValue(email)!.Trim();
            var user = users.EnumerateArray().FirstOrDefault(user => string.Equals(user.GetProperty("email").GetString(), address, StringComparison.OrdinalIgnoreCase));
            if (user.ValueKind != JsonValueKind.Object)
            {
                Console.Error.WriteLine($"cairn users remove: no user has the e-mail address '{address}'");
                return 1;
            }

            var id = user.GetProperty("id").GetString()!;
            if (await ServerClient.SendAsync(http, HttpMethod.Delete, $"api/users/{Uri.EscapeDataString(id)}", null, "users remove", cancellationToken).ConfigureAwait(false) is null)
            {
                return 2;
            }

            Console.WriteLine($"Removed {address}.");
            return 0;
        }));
        return command;
    }

    /// <summary>Runs <paramref name="action"/> with the server's client; a failure to reach it is one line and exit code 2.</summary>
    internal static async Task<int> RunAsync(ServerClient server, ParseResult result, string command, Func<HttpClient, Task<int>> action)
    {
        using var http = server.Create(result, command);
        if (http is null)
        {
            return 2;
        }

        try
        {
            return await action(http).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"cairn {command}: {exception.Message}");
            return 2;
        }
    }

    private static string? Time(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetDateTimeOffset().ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : null;
}

/// <summary>A plain-text table on standard output: columns padded to their widest cell.</summary>
internal static class TextTable
{
    public static void Write(IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        var widths = header.Select((title, column) => rows.Select(row => row[column].Length).Append(title.Length).Max()).ToArray();
        foreach (var row in rows.Prepend([.. header]))
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
        }
    }
}
