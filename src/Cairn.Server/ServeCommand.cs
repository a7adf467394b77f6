using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Cairn.Server;

/// <summary><c>cairn serve</c>: runs the engine and the HTTP API.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = $"Where to listen (CAIRN_URLS; default {Settings.DefaultUrls})." };
        var data = new Option<string>("--data") { Description = $"The SQLite data directory (CAIRN_DATA; default {Settings.DefaultData})." };
        var postgres = new Option<string>("--postgres") { Description = "Use PostgreSQL with this connection string instead of SQLite (CAIRN_POSTGRES)." };
        var partitions = new Option<int?>("--partitions") { Description = "How many partitions (single writers) to run (CAIRN_PARTITIONS; default 8)." };
        var cached = new Option<int?>("--cached-contacts") { Description = "How many contact profiles to keep in memory (CAIRN_CACHED_CONTACTS; default 50000; about 13 KB each at the peak for a profile in five enrollments)." };
        var noDemo = new Option<bool>("--no-demo") { Description = "Start with an empty workspace (by default an empty store is given the demo workspace: the example journeys, templates and contacts)." };
        var command = new Command("serve", "Run Cairn: ingestion, the admin API and the engine.") { urls, data, postgres, partitions, cached, noDemo };
        command.SetAction(async (result, _) =>
        {
            // The environment (CAIRN_*), then the command line, which wins; each option sets its configuration key.
            var settings = Settings.Load(Environment.GetEnvironmentVariables(), new Dictionary<string, string?>
            {
                ["Urls"] = result.GetValue(urls),
                ["Data"] = result.GetValue(data),
                ["Postgres"] = result.GetValue(postgres),
                ["Engine:Partitions"] = result.GetValue(partitions)?.ToString(CultureInfo.InvariantCulture),
                ["Engine:CachedContacts"] = result.GetValue(cached)?.ToString(CultureInfo.InvariantCulture),
            });
            var options = new ServeOptions(
                settings["Urls"] ?? Settings.DefaultUrls,
                settings["Data"] ?? Settings.DefaultData,
                settings["Postgres"],
                Partitions: null,
                settings["Keys:WriteKey"],
                settings["Keys:ApiKey"],
                Demo: !result.GetValue(noDemo),
                CachedContacts: null,
                Settings: settings);
            return await RunAsync(CairnWebApp.Build(options), options, Console.Out, Console.Error).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Runs the application until it is stopped (0). A start-up failure is one line on <paramref name="error"/> and
    /// exit code 2; a stop requested while starting (SIGTERM during the demo workspace) is a normal stop. Either way
    /// the host has disposed its services, and they stop their background work before releasing what it uses.
    /// </summary>
    internal static async Task<int> RunAsync(WebApplication app, ServeOptions options, TextWriter output, TextWriter error)
    {
        // Read before running: a host whose start failed has disposed its services, the lifetime's provider with them.
        var lifetime = app.Lifetime;
        lifetime.ApplicationStarted.Register(() => output.WriteLine($"Cairn listening on {options.Urls} ({options.StorageDescription}). Ctrl-C stops it."));
        try
        {
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (Exception exception) when (Invalid(exception) is { } reasons)
        {
            // A setting out of range, malformed or missing (checked before anything starts): what to fix, on one line.
            await error.WriteLineAsync($"cairn serve: {string.Join(" ", reasons)}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception exception) when (exception is IOException or DbException or UnauthorizedAccessException or SocketException)
        {
            // Start-up failures (port in use, database unreachable, data directory not writable): one line, no trace.
            await error.WriteLineAsync($"cairn serve: {exception.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Asked to stop (SIGTERM, Ctrl-C) before the start finished: the service being started gave up, as asked.
            return 0;
        }
    }

    /// <summary>The failures of an options validation at start-up (one, or several at once), or null for any other exception.</summary>
    private static List<string>? Invalid(Exception exception) => exception switch
    {
        OptionsValidationException invalid => invalid.Failures.ToList(),
        AggregateException { InnerExceptions: var inner } when inner.Count > 0 && inner.All(item => item is OptionsValidationException) =>
            inner.Cast<OptionsValidationException>().SelectMany(item => item.Failures).ToList(),
        _ => null,
    };
}