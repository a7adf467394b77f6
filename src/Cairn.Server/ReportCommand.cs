using System.CommandLine;
using System.Text;

namespace Cairn.Server;

/// <summary>
/// <c>cairn report NAME …</c>: reads one of the server's measurement reports and prints it as an aligned table, or as
/// the server's CSV with <c>--csv</c>. Every report takes <c>--from</c> and <c>--to</c> (dates or ISO times; default the
/// last 30 days). Exit codes: 0 printed, 2 the request could not be made or was refused (the reason in one line).
/// </summary>
internal static class ReportCommand
{
    /// <summary>The reports, each a subcommand: its API path (<c>{journey}</c> for the journey argument) and its options.</summary>
    private static readonly ReportDefinition[] Reports =
    [
        new ReportDefinition("funnel", "A journey's funnel: per step entered, passed by exit, dropped by why, waiting now, median and p90 time in step; conversions of the period's entries.", "api/journeys/{journey}/funnel", ForJourney: true, new ReportOption("version", "version", "The journey version (default: the live one).")),
        new ReportDefinition(
            "messages",
            "Message performance: sent, delivered, bounced, opened, clicked (unique), unsubscribed, complained and their rates per template, journey, channel or day; likely machine opens and clicks apart.",
            "api/reports/messages",
            ForJourney: false,
            new ReportOption("by", "by", "Group by template (default), journey, channel or day."),
            new ReportOption("journey", "journey", "Only this journey's messages."),
            new ReportOption("template", "template", "Only this template's messages."),
            new ReportOption("channel", "channel", "Only this channel's messages (email, sms, push, webhook, in_app)."),
            new ReportOption("machine", "machine", "exclude (default) or include the likely machine opens and clicks in opened and clicked.")),
        new ReportDefinition("lift", "A journey's holdout lift: treated against holdout conversion and revenue per contact, with intervals, p-value and verdict.", "api/journeys/{journey}/lift", ForJourney: true,
            new ReportOption("version", "version", "Only entries on this published version; default every version.")),
        new ReportDefinition("experiments", "A journey's experiment splits: per arm entries, conversions, rate with interval, probability to be best and the tests.", "api/journeys/{journey}/experiments", ForJourney: true,
            new ReportOption("version", "version", "Only entries on this published version; default every version.")),
        new ReportDefinition(
            "attribution",
            "Revenue and conversions credited to journeys, templates or channels under each attribution model, with the unattributed.",
            "api/reports/attribution",
            ForJourney: false,
            new ReportOption("model", "model", "first_touch, last_touch, linear, time_decay, position_based, or all side by side (default)."),
            new ReportOption("by", "by", "Rows per journey (default), template or channel.")),
        new ReportDefinition(
            "control-group",
            "The global control group against everyone else: conversion rate and revenue per contact with 95 % intervals, and the verdict.",
            "api/reports/control-group",
            ForJourney: false),
    ];

    public static Command Create()
    {
        var command = new Command("report", "Print a measurement report (a table, or CSV with --csv).");
        foreach (var report in Reports)
        {
            command.Subcommands.Add(report.Build());
        }

        return command;
    }

    /// <summary>One report: the subcommand's name and help, the API path, whether it reads one journey, its own options.</summary>
    internal sealed record ReportDefinition(string Name, string Description, string Path, bool ForJourney, params ReportOption[] Options)
    {
        public Command Build()
        {
            var journey = new Argument<string>("journey") { Description = "The journey id." };
            var from = new Option<string>("--from") { Description = "Start of the period: a date (2026-11-01) or an ISO time; default 30 days before --to." };
            var to = new Option<string>("--to") { Description = "End of the period (a date counts whole); default now." };
            var csv = new Option<bool>("--csv") { Description = "Print the report as CSV." };
            var server = new ServerClient();
            var options = Options.Select(option => (option, symbol: new Option<string>("--" + option.Name) { Description = option.Description })).ToList();
            var command = new Command(Name, Description) { from, to, csv, server.Url, server.ApiKey };
            if (ForJourney)
            {
                command.Arguments.Add(journey);
            }

            foreach (var (_, symbol) in options)
            {
                command.Options.Add(symbol);
            }

            command.SetAction(async (result, cancellationToken) =>
            {
                using var http = server.Create(result, "report");
                if (http is null)
                {
                    return 2;
                }

                var query = new List<string> { "format=csv" };
                AddQuery(query, "from", result.GetValue(from));
                AddQuery(query, "to", result.GetValue(to));
                foreach (var (option, symbol) in options)
                {
                    AddQuery(query, option.Query, result.GetValue(symbol));
                }

                var path = ForJourney ? Path.Replace("{journey}", Uri.EscapeDataString(result.GetValue(journey)!), StringComparison.Ordinal) : Path;
                try
                {
                    using var response = await http.GetAsync($"{path}?{string.Join('&', query)}", cancellationToken).ConfigureAwait(false);
                    var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        using var problem = System.Text.Json.JsonDocument.Parse(text.Length == 0 ? "null" : text);
                        Console.Error.WriteLine($"cairn report {Name}: {ServerClient.Refusal(response, problem.RootElement)}");
                        return 2;
                    }

                    Console.Write(result.GetValue(csv) ? text : Align(ReadCsv(text)));
                    return 0;
                }
                catch (Exception exception) when (exception is HttpRequestException or System.Text.Json.JsonException or TaskCanceledException)
                {
                    Console.Error.WriteLine($"cairn report {Name}: {exception.Message}");
                    return 2;
                }
            });
            return command;
        }

        private static void AddQuery(List<string> query, string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                query.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }
    }

    /// <summary>An option of one report: <c>--{Name}</c>, sent as the query parameter <paramref name="Query"/>.</summary>
    internal sealed record ReportOption(string Name, string Query, string Description);

    /// <summary>The rows of an RFC 4180 CSV text (quoted fields, doubled quotes, CRLF or LF line ends).</summary>
    internal static List<List<string>> ReadCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
                row = [];
            }
            else
            {
                field.Append(c);
            }
        }

        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>The rows as a table: columns padded to their widest cell, numbers aligned right.</summary>
    internal static string Align(List<List<string>> rows)
    {
        if (rows.Count == 0)
        {
            return string.Empty;
        }

        var columns = rows.Max(row => row.Count);
        var widths = Enumerable.Range(0, columns).Select(column => rows.Max(row => column < row.Count ? row[column].Length : 0)).ToArray();
        var table = new StringBuilder();
        for (var line = 0; line < rows.Count; line++)
        {
            var row = rows[line];
            for (var column = 0; column < row.Count; column++)
            {
                var cell = row[column];
                var numeric = line > 0 && double.TryParse(cell, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);
                table.Append(numeric ? cell.PadLeft(widths[column]) : cell.PadRight(widths[column]));
                table.Append(column < row.Count - 1 ? "  " : string.Empty);
            }

            table.Append('\n');
        }

        return table.ToString();
    }
}
