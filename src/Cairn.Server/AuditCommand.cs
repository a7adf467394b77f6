using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Cairn.Server;

/// <summary>
/// <c>cairn audit</c>: the audit log of a running server (<c>GET /api/audit</c>, admin), newest first, as a table or
/// JSON; <c>cairn audit show ID</c> prints one entry with the diff of its documents. Exit codes: 0 done, 1 no such
/// entry, 2 bad options, or the request could not be made or was refused (the reason in one line on stderr).
/// </summary>
internal static class AuditCommand
{
    private const int PageSize = 500;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var actor = new Option<string>("--actor") { Description = "Only changes by this user (e-mail or id) or key (name or id)." };
        var action = new Option<string>("--action") { Description = "Only this action (journey.published), or those starting with a prefix ending in '.' or '*' (journey.*)." };
        var target = new Option<string>("--target") { Description = "Only changes to this target: KIND or KIND:ID (journey:welcome, contact:01J…, user)." };
        var since = new Option<string>("--since") { Description = "Only changes at or after this time: ISO 8601 (2026-12-01, 2026-12-01T09:00Z) or a duration back from now (24h, 7d)." };
        var until = new Option<string>("--until") { Description = "Only changes before this time (as --since)." };
        var limit = new Option<int>("--limit") { Description = "At most this many entries (default 50).", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "Print the entries as a JSON array." };
        var server = new ServerClient();
        var command = new Command("audit", "Show the audit log of a running server: who changed what, when, from where (admin).")
        {
            actor, action, target, since, until, limit, json, server.Url, server.ApiKey,
        };
        command.Subcommands.Add(Show());
        command.SetAction((result, cancellationToken) =>
        {
            var now = TimeProvider.System.GetUtcNow();
            var query = new List<string>();
            foreach (var (name, value) in new[] { ("actor", result.GetValue(actor)), ("action", result.GetValue(action)) })
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    query.Add($"{name}={Uri.EscapeDataString(value.Trim())}");
                }
            }

            if (result.GetValue(target) is { } given && !string.IsNullOrWhiteSpace(given))
            {
                var parts = given.Trim().Split(':', 2);
                query.Add($"targetKind={Uri.EscapeDataString(parts[0])}");
                if (parts.Length == 2 && parts[1].Length > 0)
                {
                    query.Add($"targetId={Uri.EscapeDataString(parts[1])}");
                }
            }

            foreach (var (option, name) in new[] { (since, "from"), (until, "to") })
            {
                if (result.GetValue(option) is { } text && !string.IsNullOrWhiteSpace(text))
                {
                    if (TimeOf(text.Trim(), now) is not { } time)
                    {
                        Console.Error.WriteLine($"cairn audit: {option.Name} must be an ISO 8601 time or a duration such as 24h or 7d");
                        return Task.FromResult(2);
                    }

                    query.Add($"{name}={Uri.EscapeDataString(time.ToString("O", CultureInfo.InvariantCulture))}");
                }
            }

            var wanted = result.GetValue(limit);
            if (wanted < 1)
            {
                Console.Error.WriteLine("cairn audit: --limit must be at least 1");
                return Task.FromResult(2);
            }

            return UsersCommand.RunAsync(server, result, "audit", async http =>
            {
                var entries = new List<JsonElement>();
                string? cursor = null;
                do
                {
                    var page = string.Join('&', query.Append($"limit={Math.Min(PageSize, wanted - entries.Count)}").Concat(cursor is null ? [] : [$"cursor={Uri.EscapeDataString(cursor)}"]));
                    if (await ServerClient.SendAsync(http, HttpMethod.Get, "api/audit?" + page, null, "audit", cancellationToken).ConfigureAwait(false) is not { } answer)
                    {
                        return 2;
                    }

                    entries.AddRange(answer.GetProperty("entries").EnumerateArray());
                    cursor = answer.GetProperty("nextCursor").GetString();
                }
                while (cursor is not null && entries.Count < wanted);

                if (result.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(entries, Indented));
                    return 0;
                }

                TextTable.Write(["ID", "TIME", "ACTOR", "ACTION", "TARGET", "SUMMARY"], [.. entries.Select(Row)]);
                return 0;
            });
        });
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "The entry's id (from cairn audit)." };
        var server = new ServerClient();
        var command = new Command("show", "Show one entry with its documents' diff.") { id, server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "audit show", async http =>
        {
            using var response = await http.GetAsync($"api/audit/{Uri.EscapeDataString(result.GetValue(id)!.Trim())}", cancellationToken).ConfigureAwait(false);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"cairn audit show: {ServerClient.Refusal(response, body.RootElement)}");
                return response.StatusCode == System.Net.HttpStatusCode.NotFound ? 1 : 2;
            }

            var entry = body.RootElement.GetProperty("entry");
            var row = Row(entry);
            Console.WriteLine($"{row[1]}  {row[2]}  {row[3]}  {row[4]}");
            Console.WriteLine($"  {entry.GetProperty("summary").GetString()}");
            Console.WriteLine($"  from {entry.GetProperty("ipAddress").GetString() ?? "-"}, answered {entry.GetProperty("status").GetInt32()}");
            foreach (var line in body.RootElement.GetProperty("diff").EnumerateArray())
            {
                var mark = line.GetProperty("kind").GetString() switch { "added" => '+', "removed" => '-', _ => ' ' };
                Console.WriteLine($"{mark} {line.GetProperty("text").GetString()}");
            }

            return 0;
        }));
        return command;
    }

    private static string[] Row(JsonElement entry)
    {
        var actor = entry.GetProperty("actor");
        var target = entry.GetProperty("target");
        return
        [
            entry.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture),
            entry.GetProperty("at").GetDateTimeOffset().ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            $"{actor.GetProperty("name").GetString() ?? actor.GetProperty("kind").GetString()}",
            entry.GetProperty("action").GetString() ?? string.Empty,
            target.ValueKind == JsonValueKind.Object ? $"{target.GetProperty("kind").GetString()}:{target.GetProperty("id").GetString()}" : "-",
            entry.GetProperty("summary").GetString() ?? string.Empty,
        ];
    }

    /// <summary>An ISO 8601 time, or a duration back from <paramref name="now"/> (<c>30m</c>, <c>24h</c>, <c>7d</c>); null when neither.</summary>
    internal static DateTimeOffset? TimeOf(string text, DateTimeOffset now)
    {
        if (text.Length >= 2 && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount <= 100_000)
        {
            switch (text[^1])
            {
                case 'm':
                    return now.AddMinutes(-amount);
                case 'h':
                    return now.AddHours(-amount);
                case 'd':
                    return now.AddDays(-amount);
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;
    }
}
