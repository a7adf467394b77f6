using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;

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
        var cached = new Option<int?>("--cached-contacts") { Description = "How many contact profiles to keep in memory (CAIRN_CACHED_CONTACTS; default 50000, about 1 GB with a few enrollments each)." };
        var noDemo = new Option<bool>("--no-demo") { Description = "Start with an empty workspace (by default an empty store is given the demo workspace: the example journeys, templates and contacts)." };
        var command = new Command("serve", "Run Cairn: ingestion, the admin API and the engine.") { urls, data, postgres, partitions, cached, noDemo };
        command.SetAction(async (result, _) =>
        {
            var partitionText = Settings.Environment("PARTITIONS");
            var cachedText = Settings.Environment("CACHED_CONTACTS");
            var options = new ServeOptions(
                result.GetValue(urls) ?? Settings.Environment("URLS") ?? Settings.DefaultUrls,
                result.GetValue(data) ?? Settings.Environment("DATA") ?? Settings.DefaultData,
                result.GetValue(postgres) ?? Settings.Environment("POSTGRES"),
                result.GetValue(partitions) ?? (partitionText is null ? 8 : int.Parse(partitionText, CultureInfo.InvariantCulture)),
                Settings.Environment("WRITE_KEY"),
                Settings.Environment("API_KEY"),
                Demo: !result.GetValue(noDemo),
                CachedContacts: result.GetValue(cached) ?? (cachedText is null ? 50_000 : int.Parse(cachedText, CultureInfo.InvariantCulture)));
            if (options.Partitions is < 1 or > 1024)
            {
                await Console.Error.WriteLineAsync("cairn serve: --partitions must be between 1 and 1024.").ConfigureAwait(false);
                return 2;
            }

            if (options.CachedContacts < 0)
            {
                await Console.Error.WriteLineAsync("cairn serve: --cached-contacts must be 0 or more.").ConfigureAwait(false);
                return 2;
            }

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
}
