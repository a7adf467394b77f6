using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cairn.Http;
using Cairn.Runtime;
using Cairn.Storage.PostgreSql;
using Cairn.Storage.Sqlite;
using Spectre.Console;

namespace Cairn.Server;

/// <summary>
/// <c>cairn import FILE</c>: imports a CSV or NDJSON file into a running server (<c>--url</c>) or directly into a
/// data directory or PostgreSQL database, with a progress bar and a per-line report of rejected rows.
/// Exit codes: 0 everything imported, 1 some rows rejected, 2 the import could not run.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "A .csv (header row; userId/anonymousId columns, the rest traits) or .ndjson file of Segment messages." };
        var url = new Option<string>("--url") { Description = "A running Cairn server to import into (with --write-key)." };
        var writeKey = new Option<string>("--write-key") { Description = "The write key for --url (default CAIRN_WRITE_KEY)." };
        var data = new Option<string>("--data") { Description = "Import directly into this SQLite data directory (the server must not be running on it)." };
        var postgres = new Option<string>("--postgres") { Description = "Import directly into this PostgreSQL database." };
        var format = new Option<ImportFormat?>("--format") { Description = "csv or ndjson (default: from the file extension)." };
        var command = new Command("import", "Import contacts (CSV) or Segment messages (NDJSON).") { file, url, writeKey, data, postgres, format };
        command.SetAction(async (result, cancellationToken) =>
        {
            try
            {
                var path = result.GetValue(file)!;
                var targets = new[] { result.GetValue(url), result.GetValue(data), result.GetValue(postgres) }.Count(value => value is not null);
                if (targets > 1)
                {
                    return Fail("give only one of --url, --data or --postgres");
                }

                if (!path.Exists)
                {
                    return Fail($"{path.FullName} does not exist");
                }

                if ((result.GetValue(format) ?? ImportReader.FormatOf(path.Name)) is not { } chosen)
                {
                    return Fail("cannot tell the format from the file name; pass --format csv or --format ndjson");
                }

                var summary = result.GetValue(url) is { } server
                    ? await ImportRemoteAsync(path, chosen, server, result.GetValue(writeKey) ?? Settings.Environment("WRITE_KEY"), cancellationToken).ConfigureAwait(false)
                    : await ImportLocalAsync(path, chosen, result.GetValue(data) ?? Settings.DefaultData, result.GetValue(postgres), cancellationToken).ConfigureAwait(false);
                Report(summary);
                return summary.Rejected.Count == 0 ? 0 : 1;
            }
            catch (ImportFailedException exception)
            {
                return Fail(exception.Message);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or HttpRequestException or DecoderFallbackException or System.Data.Common.DbException)
            {
                return Fail(exception.Message);
            }
        });
        return command;
    }

    private static async Task<ImportSummary> ImportRemoteAsync(FileInfo path, ImportFormat format, string server, string? writeKey, CancellationToken cancellationToken)
    {
        if (writeKey is null)
        {
            throw new ImportFailedException("--url needs --write-key (or CAIRN_WRITE_KEY)");
        }

        using var http = new HttpClient { BaseAddress = new Uri(server.TrimEnd('/') + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        return await RunAsync(path, format, (messages, token) => SendAsync(http, messages, token), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<BatchResult> SendAsync(HttpClient http, IReadOnlyList<string> messages, CancellationToken cancellationToken)
    {
        using var content = new StringContent("{\"batch\":[" + string.Join(',', messages) + "]}", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("v1/batch", content, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
        var root = document.RootElement;
        if (response.IsSuccessStatusCode)
        {
            return root.Deserialize<BatchResult>(JsonSerializerOptions.Web)!;
        }

        if (root.TryGetProperty("rejected", out var rejected))
        {
            return new BatchResult(0, 0, rejected.Deserialize<List<RejectedMessage>>(JsonSerializerOptions.Web)!);
        }

        var detail = root.TryGetProperty("detail", out var text) ? text.GetString() : response.ReasonPhrase;
        throw new ImportFailedException($"the server answered {(int)response.StatusCode}: {detail}");
    }

    private static async Task<ImportSummary> ImportLocalAsync(FileInfo path, ImportFormat format, string dataDirectory, string? postgres, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var cairn = services.AddCairn();
        if (postgres is not null)
        {
            cairn.UsePostgreSql(postgres);
        }
        else
        {
            cairn.UseSqlite(dataDirectory);
        }

        services.AddSingleton<BatchIngestor>();
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<CairnEngine>();
        var timers = provider.GetRequiredService<TimerPump>();
        var rollouts = provider.GetRequiredService<RolloutRunner>();
        await engine.StartAsync(cancellationToken).ConfigureAwait(false);
        await timers.StartAsync(cancellationToken).ConfigureAwait(false);
        await rollouts.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var ingestor = provider.GetRequiredService<BatchIngestor>();
            var summary = await RunAsync(path, format, Importer.InProcess(ingestor), cancellationToken).ConfigureAwait(false);
            await engine.WhenIdleAsync(cancellationToken).ConfigureAwait(false);
            return summary;
        }
        finally
        {
            // As the host does: the loops stop before the engine drains.
            await rollouts.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await timers.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await engine.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<ImportSummary> RunAsync(
        FileInfo path,
        ImportFormat format,
        Func<IReadOnlyList<string>, CancellationToken, Task<BatchResult>> send,
        CancellationToken cancellationToken)
    {
        var total = CountLines(path);
        ImportSummary? summary = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"Importing {path.Name}", maxValue: Math.Max(total, 1));
                using var reader = new StreamReader(path.FullName, new UTF8Encoding(false, throwOnInvalidBytes: true));
                summary = await Importer.RunAsync(
                    ImportReader.Read(reader, format),
                    send,
                    new Progress<int>(done => task.Value = done),
                    cancellationToken).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return summary!;
    }

    private static long CountLines(FileInfo path)
    {
        using var stream = path.OpenRead();
        var buffer = new byte[64 * 1024];
        long lines = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return lines;
    }

    private static void Report(ImportSummary summary)
    {
        var table = new Table().AddColumns("Imported", "Already present", "Rejected");
        table.AddRow(summary.Imported.ToString(System.Globalization.CultureInfo.InvariantCulture), summary.Duplicates.ToString(System.Globalization.CultureInfo.InvariantCulture), summary.Rejected.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        foreach (var rejection in summary.Rejected.Take(100))
        {
            AnsiConsole.MarkupLineInterpolated(System.Globalization.CultureInfo.InvariantCulture, $"[red]line {rejection.Line}[/]: {rejection.Reason}");
        }

        if (summary.Rejected.Count > 100)
        {
            AnsiConsole.WriteLine($"… and {summary.Rejected.Count - 100} more rejected rows.");
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"cairn import: {message}");
        return 2;
    }

    private sealed class ImportFailedException(string message) : Exception(message);
}
