using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Cairn.Server;

/// <summary>
/// <c>cairn alerts list|show|ack|settings</c>: the anomaly alerts of a running server through <c>/api/alerts</c>. Exit
/// codes: 0 done, 1 no such incident, 2 the request could not be made or was refused (the reason in one line on stderr).
/// </summary>
internal static class AlertsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var command = new Command("alerts", "Anomaly alerts: list, show and acknowledge incidents; read or change the thresholds and destinations.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Acknowledge());
        command.Subcommands.Add(Settings());
        return command;
    }

    private static Command List()
    {
        var status = new Option<string?>("--status") { Description = "open or resolved (default: both)." };
        status.AcceptOnlyFromAmong("open", "resolved");
        var detector = new Option<string?>("--detector") { Description = "Only this detector's incidents (journey_entries, complaint_rate …)." };
        var limit = new Option<int>("--limit") { Description = "At most this many (1–500).", DefaultValueFactory = _ => 50 };
        var server = new ServerClient();
        var command = new Command("list", "List incidents, newest first, and how many are open.") { status, detector, limit, server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "alerts list", async http =>
        {
            var query = $"api/alerts?limit={result.GetValue(limit).ToString(CultureInfo.InvariantCulture)}"
                + (result.GetValue(status) is { } s ? "&status=" + s : string.Empty)
                + (result.GetValue(detector) is { } d ? "&detector=" + Uri.EscapeDataString(d) : string.Empty);
            if (await ServerClient.SendAsync(http, HttpMethod.Get, query, null, "alerts list", cancellationToken).ConfigureAwait(false) is not { } page)
            {
                return 2;
            }

            TextTable.Write(["ID", "STATUS", "DETECTOR", "SUBJECT", "OPENED", "SUMMARY"], [.. page.GetProperty("incidents").EnumerateArray().Select(incident => new[]
            {
                incident.GetProperty("id").GetString()!,
                incident.GetProperty("status").GetString()! + (incident.GetProperty("acknowledgedAt").ValueKind == JsonValueKind.Null ? string.Empty : " (ack)"),
                incident.GetProperty("detector").GetString()!,
                incident.GetProperty("subject").GetString()!,
                Time(incident.GetProperty("openedAt")),
                incident.GetProperty("summary").GetString()!,
            })]);
            Console.WriteLine($"{page.GetProperty("open").GetInt64()} open.");
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var id = new Option<string>("--id") { Description = "The incident's id (from cairn alerts list).", Required = true };
        var server = new ServerClient();
        var command = new Command("show", "Show one incident with its timeline and deliveries.") { id, server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "alerts show", async http =>
        {
            var (code, body) = await SendAsync(http, HttpMethod.Get, $"api/alerts/{Uri.EscapeDataString(result.GetValue(id)!.Trim())}", null, "alerts show", cancellationToken).ConfigureAwait(false);
            if (body is not { } detail)
            {
                return code;
            }

            var incident = detail.GetProperty("incident");
            Console.WriteLine($"{incident.GetProperty("id").GetString()}  {incident.GetProperty("status").GetString()}  {incident.GetProperty("detector").GetString()}  {incident.GetProperty("subject").GetString()}");
            Console.WriteLine(incident.GetProperty("summary").GetString());
            Console.WriteLine();
            foreach (var entry in detail.GetProperty("timeline").EnumerateArray())
            {
                Console.WriteLine($"{Time(entry.GetProperty("at"))}  {entry.GetProperty("kind").GetString(),-12} {entry.GetProperty("summary").GetString()}");
            }

            foreach (var delivery in detail.GetProperty("deliveries").EnumerateArray())
            {
                Console.WriteLine($"delivery {delivery.GetProperty("kind").GetString()} to {delivery.GetProperty("destination").GetString()}: {delivery.GetProperty("status").GetString()} after {delivery.GetProperty("attempts").GetInt32()} attempt(s)");
            }

            return 0;
        }));
        return command;
    }

    private static Command Acknowledge()
    {
        var id = new Option<string>("--id") { Description = "The incident's id.", Required = true };
        var server = new ServerClient();
        var command = new Command("ack", "Acknowledge an incident (it stays open until its condition clears).") { id, server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "alerts ack", async http =>
        {
            var (code, body) = await SendAsync(http, HttpMethod.Post, $"api/alerts/{Uri.EscapeDataString(result.GetValue(id)!.Trim())}/acknowledge", null, "alerts ack", cancellationToken).ConfigureAwait(false);
            if (body is not { } incident)
            {
                return code;
            }

            Console.WriteLine($"Acknowledged {incident.GetProperty("id").GetString()} ({incident.GetProperty("acknowledgedBy").GetString()}).");
            return 0;
        }));
        return command;
    }

    private static Command Settings()
    {
        var set = new Option<string[]>("--set")
        {
            Description = "name=value to change (repeatable): a number, or text for webhookUrl and webhookSecret (generate: a new one), emailTo as a comma-separated list.",
            AllowMultipleArgumentsPerToken = false,
        };
        var server = new ServerClient();
        var command = new Command("settings", "Print the alert settings (the webhook secret only by its first characters), or change them with --set.") { set, server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "alerts settings", async http =>
        {
            var changes = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var pair in result.GetValue(set) ?? [])
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                if (at <= 0)
                {
                    Console.Error.WriteLine($"cairn alerts settings: '{pair}' is not name=value.");
                    return 2;
                }

                var (name, value) = (pair[..at].Trim(), pair[(at + 1)..].Trim());
                changes[name] = name switch
                {
                    "emailTo" => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    "webhookUrl" or "webhookSecret" => value,
                    _ when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => number,
                    _ => value,
                };
            }

            var answer = changes.Count == 0
                ? await ServerClient.SendAsync(http, HttpMethod.Get, "api/alerts/settings", null, "alerts settings", cancellationToken).ConfigureAwait(false)
                : await ServerClient.SendAsync(http, HttpMethod.Put, "api/alerts/settings", changes, "alerts settings", cancellationToken).ConfigureAwait(false);
            if (answer is not { } settings)
            {
                return 2;
            }

            Console.WriteLine(JsonSerializer.Serialize(settings, Indented));
            if (settings.GetProperty("webhookSecret").ValueKind == JsonValueKind.String)
            {
                Console.WriteLine("The webhook secret above is shown once; store it where the receiver verifies signatures.");
            }

            return 0;
        }));
        return command;
    }

    // A request whose 404 is exit code 1 (any other refusal 2), the refusal in one line.
    private static async Task<(int Code, JsonElement? Body)> SendAsync(HttpClient http, HttpMethod method, string path, object? body, string command, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        using var answer = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        if (response.IsSuccessStatusCode)
        {
            return (0, answer.RootElement.Clone());
        }

        Console.Error.WriteLine($"cairn {command}: {ServerClient.Refusal(response, answer.RootElement)}");
        return (response.StatusCode == System.Net.HttpStatusCode.NotFound ? 1 : 2, null);
    }

    private static string Time(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetDateTimeOffset().ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : string.Empty;
}
