using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Server;

/// <summary>
/// <c>cairn retention show|set|run</c>: the retention policy of a running server through <c>/api/retention</c>
/// (docs/retention.md). <c>set</c> changes the rules it names and keeps the others; <c>run</c> runs one pass now and
/// prints what it deleted. Exit codes: 0 done, 2 the request could not be made or was refused (the reason in one line on stderr).
/// </summary>
internal static class RetentionCommand
{
    public static Command Create()
    {
        var command = new Command("retention", "Show and change how long events, message bodies, messages and the development mailbox are kept, and run the retention pass.");
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Run());
        return command;
    }

    private static Command Show()
    {
        var server = new ServerClient();
        var command = new Command("show", "Show the policy, each kind's counts (last pass and in all) and the policy's warnings.") { server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "retention show", async http =>
        {
            if (await ServerClient.SendAsync(http, HttpMethod.Get, "api/retention", null, "retention show", cancellationToken).ConfigureAwait(false) is not { } view)
            {
                return 2;
            }

            Write(view);
            return 0;
        }));
        return command;
    }

    private static Command Set()
    {
        var rules = new Argument<string[]>("rules")
        {
            Description = "KIND=DAYS or KIND=keep (events, message_bodies, messages, mailbox …), and events:NAME=DAYS, events:NAME=keep "
                + "(that name is kept forever) or events:NAME=default (the events' default applies), e.g. events=365 \"events:Page Viewed=90\" message_bodies=30.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var file = new Option<FileInfo>("--file") { Description = "Replace the whole policy with this JSON document ({\"events\": {\"days\": 365}} …)." };
        var server = new ServerClient();
        var command = new Command("set", "Change the rules named (the others stay), or replace the whole policy with --file.") { rules, file, server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "retention set", async http =>
        {
            JsonObject policy;
            if (result.GetValue(file) is { } path)
            {
                policy = JsonNode.Parse(await File.ReadAllTextAsync(path.FullName, cancellationToken).ConfigureAwait(false)) as JsonObject
                    ?? throw new JsonException("The policy file holds a JSON object of rules by kind.");
            }
            else
            {
                if (await ServerClient.SendAsync(http, HttpMethod.Get, "api/retention", null, "retention set", cancellationToken).ConfigureAwait(false) is not { } current)
                {
                    return 2;
                }

                policy = JsonNode.Parse(current.GetProperty("policy").GetRawText())!.AsObject();
            }

            foreach (var rule in result.GetValue(rules) ?? [])
            {
                if (Apply(policy, rule) is { } error)
                {
                    Console.Error.WriteLine($"cairn retention set: {error}");
                    return 2;
                }
            }

            if (await ServerClient.SendAsync(http, HttpMethod.Put, "api/retention", policy, "retention set", cancellationToken).ConfigureAwait(false) is not { } view)
            {
                return 2;
            }

            Write(view);
            return 0;
        }));
        return command;
    }

    private static Command Run()
    {
        var server = new ServerClient();
        var command = new Command("run", "Run one retention pass now and print what it deleted.") { server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "retention run", async http =>
        {
            if (await ServerClient.SendAsync(http, HttpMethod.Post, "api/retention/run", null, "retention run", cancellationToken).ConfigureAwait(false) is not { } view)
            {
                return 2;
            }

            foreach (var kind in view.GetProperty("kinds").EnumerateArray().Where(kind => kind.GetProperty("days").ValueKind == JsonValueKind.Number || kind.GetProperty("daysByName").EnumerateObject().Any()))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kind.GetProperty("kind").GetString()}: {kind.GetProperty("lastDeleted").GetInt64():N0} deleted ({kind.GetProperty("totalDeleted").GetInt64():N0} in all)"));
            }

            Console.WriteLine("Pass done.");
            return 0;
        }));
        return command;
    }

    /// <summary>Applies one <c>KIND=DAYS</c> rule to <paramref name="policy"/>; the error in one line, or null.</summary>
    internal static string? Apply(JsonObject policy, string rule)
    {
        var equals = rule.LastIndexOf('=');
        if (equals <= 0)
        {
            return $"'{rule}' is not KIND=DAYS, KIND=keep or events:NAME=DAYS.";
        }

        var (target, value) = (rule[..equals].Trim(), rule[(equals + 1)..].Trim());
        int? days = null;
        if (value is not ("keep" or "default"))
        {
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                return $"'{value}' in '{rule}' is not a number of days, keep or default.";
            }

            days = number;
        }

        var colon = target.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? target : target[..colon];
        if (colon < 0)
        {
            if (value == "default")
            {
                return $"'{rule}': default is for an event name (events:NAME=default).";
            }

            if (days is null)
            {
                policy.Remove(kind);
                return null;
            }

            var existing = policy[kind] as JsonObject ?? [];
            existing["days"] = days;
            policy[kind] = existing.DeepClone();
            return null;
        }

        var name = target[(colon + 1)..];
        var ruleOf = policy[kind] as JsonObject ?? new JsonObject { ["days"] = null };
        var byName = ruleOf["byName"] as JsonObject ?? [];
        if (value == "default")
        {
            byName.Remove(name);
        }
        else
        {
            byName[name] = days;
        }

        ruleOf["byName"] = byName.DeepClone();
        policy[kind] = ruleOf.DeepClone();
        return null;
    }

    private static void Write(JsonElement view)
    {
        var rows = new List<string[]>();
        foreach (var kind in view.GetProperty("kinds").EnumerateArray())
        {
            var days = kind.GetProperty("days");
            rows.Add(
            [
                kind.GetProperty("kind").GetString() ?? string.Empty,
                days.ValueKind == JsonValueKind.Number ? $"{days.GetInt32()} days" : "kept",
                kind.GetProperty("lastDeleted").GetInt64().ToString("N0", CultureInfo.InvariantCulture),
                kind.GetProperty("totalDeleted").GetInt64().ToString("N0", CultureInfo.InvariantCulture),
                Time(kind.GetProperty("lastRunAt")) ?? "never",
            ]);
            foreach (var named in kind.GetProperty("daysByName").EnumerateObject())
            {
                rows.Add([$"  {named.Name}", named.Value.ValueKind == JsonValueKind.Number ? $"{named.Value.GetInt32()} days" : "kept", string.Empty, string.Empty, string.Empty]);
            }
        }

        TextTable.Write(["KIND", "KEPT", "LAST PASS", "TOTAL", "LAST RUN"], rows);
        if (Time(view.GetProperty("nextPassAt")) is { } next)
        {
            Console.WriteLine($"Next pass: {next}.");
        }

        foreach (var warning in view.GetProperty("warnings").EnumerateArray())
        {
            Console.WriteLine($"warning: {warning.GetString()}");
        }
    }

    private static string? Time(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetDateTimeOffset().ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : null;
}
