using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cairn.Benchmarks;

/// <summary>
/// <c>loadgen timers --count N</c>: the timer-firing rate end to end. Starts a server, publishes a journey whose
/// every entry waits 60 s then sends, ingests N entries, stops the server, lets all N timers fall due, starts it
/// again and measures how fast the overdue timers fire (each one: a partition input, the journey decision, an
/// outbox row, the timer row deleted — one transaction per partition batch).
/// </summary>
internal static class TimerBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args is ["--count", var text, ..] ? int.Parse(text, CultureInfo.InvariantCulture) : 20_000;
        var data = Path.Combine(Path.GetTempPath(), "cairn-timers-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (server, url, writeKey) = await LoadGenerator.SpawnServerAsync(postgres: null, data).ConfigureAwait(false);
            using var admin = LoadGenerator.Client(url, "Bearer", "cak_loadgen");
            using var ingest = LoadGenerator.Client(url, "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
            await LoadGenerator.PutAsync(admin, "api/templates/t", "kind: template\nid: t\nchannel: email\nsubject: T\ntext: T\n").ConfigureAwait(false);
            await LoadGenerator.PutAsync(admin, "api/journeys/tick", "id: tick\nname: Tick\ntrigger: { event: tick }\nentry: { reentry: always }\nsteps:\n  - id: w\n    wait: 60s\n    next: s\n  - id: s\n    send: { channel: email, template: t }\n").ConfigureAwait(false);
            (await admin.PostAsync(new Uri("api/journeys/tick/publish", UriKind.Relative), null).ConfigureAwait(false)).EnsureSuccessStatusCode();

            var started = Stopwatch.StartNew();
            for (var from = 0; from < count; from += 500)
            {
                var batch = Enumerable.Range(from, Math.Min(500, count - from)).Select(i => new { type = "track", userId = $"u{i}", @event = "tick", messageId = $"m{i}" });
                (await ingest.PostAsJsonAsync("v1/batch", new { batch }).ConfigureAwait(false)).EnsureSuccessStatusCode();
            }

            var ingested = started.Elapsed;
            Console.WriteLine($"ingested {count:N0} entries in {ingested.TotalSeconds:N1} s ({count / ingested.TotalSeconds:N0}/s), each scheduling a 60 s timer");
            await LoadGenerator.StopAsync(server).ConfigureAwait(false);
            var wait = TimeSpan.FromSeconds(61) - started.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }

            (server, url, _) = await LoadGenerator.SpawnServerAsync(postgres: null, data, writeKey, url).ConfigureAwait(false);
            var firing = Stopwatch.StartNew();
            while (await SentAsync(admin).ConfigureAwait(false) < count)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20)).ConfigureAwait(false);
            }

            Console.WriteLine($"after a restart with all {count:N0} timers overdue: all fired in {firing.Elapsed.TotalSeconds:N2} s = {count / firing.Elapsed.TotalSeconds:N0} timers/s");
            await LoadGenerator.StopAsync(server).ConfigureAwait(false);
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static async Task<long> SentAsync(HttpClient admin)
    {
        var stats = await admin.GetFromJsonAsync<JsonElement>(new Uri("api/journeys/tick/stats", UriKind.Relative)).ConfigureAwait(false);
        return stats.GetProperty("versions")[0].GetProperty("steps").EnumerateArray()
            .Where(step => step.GetProperty("step").GetString() == "s")
            .Select(step => step.GetProperty("entered").GetInt64())
            .FirstOrDefault();
    }
}
