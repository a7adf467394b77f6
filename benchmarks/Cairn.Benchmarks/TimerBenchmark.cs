using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cairn.Benchmarks;

/// <summary>
/// <c>loadgen timers [--count N] [--pending P]</c>: the timer-firing rate end to end. Starts a server, publishes a journey whose
/// every entry waits 60 s then sends, ingests N entries, stops the server, lets all N timers fall due, starts it
/// again and measures how fast the overdue timers fire (each one: a partition input, the journey decision, an
/// outbox row, the timer row deleted — one transaction per partition batch). Then, live, it sends N more entries
/// into a journey waiting 5 s at ~2,000 a second and reports the firing lag: each send's decision time after its
/// timer's due time. <c>--pending P</c> adds P timers due in the next 30 days to the store while the server is
/// stopped (rows written straight into the timers table, for contacts that do not exist: they never fall due during
/// the run), so the same rates can be compared with and without millions of timers held.
/// </summary>
internal static class TimerBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = BenchmarkData.Option(args, "--count", 20_000);
        var pending = BenchmarkData.Option(args, "--pending", 0);
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
            if (pending > 0)
            {
                var adding = Stopwatch.StartNew();
                await AddPendingTimersAsync(Path.Combine(data, "cairn.db"), pending).ConfigureAwait(false);
                Console.WriteLine($"added {pending:N0} pending timers (due in the next 30 days) in {adding.Elapsed.TotalSeconds:N0} s; store {Directory.GetFiles(data).Sum(file => new FileInfo(file).Length) / (1024 * 1024):N0} MB");
            }

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

            server.Refresh();
            Console.WriteLine($"after a restart with all {count:N0} timers overdue{(pending > 0 ? $" and {pending:N0} more pending" : string.Empty)}: all fired in {firing.Elapsed.TotalSeconds:N2} s = {count / firing.Elapsed.TotalSeconds:N0} timers/s; server peak RSS {server.PeakWorkingSet64 / (1024 * 1024):N0} MB");

            // Live: entries keep arriving while their 5 s waits fall due; the lag is each send's outbox time after its due time.
            await LoadGenerator.PutAsync(admin, "api/journeys/tock", "id: tock\nname: Tock\ntrigger: { event: tock }\nentry: { reentry: always }\nsteps:\n  - id: w\n    wait: 5s\n    next: s\n  - id: s\n    send: { channel: email, template: t }\n").ConfigureAwait(false);
            (await admin.PostAsync(new Uri("api/journeys/tock/publish", UriKind.Relative), null).ConfigureAwait(false)).EnsureSuccessStatusCode();
            var live = Stopwatch.StartNew();
            for (var from = 0; from < count; from += 100)
            {
                // 100 entries every 50 ms: 2,000 timers falling due per second.
                if (TimeSpan.FromMilliseconds(from / 2.0) - live.Elapsed is { Ticks: > 0 } early)
                {
                    await Task.Delay(early).ConfigureAwait(false);
                }

                var batch = Enumerable.Range(from, Math.Min(100, count - from)).Select(i => new { type = "track", userId = $"v{i}", @event = "tock", messageId = $"n{i}" });
                (await ingest.PostAsJsonAsync("v1/batch", new { batch }).ConfigureAwait(false)).EnsureSuccessStatusCode();
            }

            var lags = await WaitForLagsAsync(Path.Combine(data, "cairn.db"), count).ConfigureAwait(false);
            server.Refresh();
            Console.WriteLine($"live, {count:N0} 5 s waits falling due at ~2,000/s while entries arrive: firing lag (send decided after due) ms p50 {lags[lags.Length / 2]:N1}  p99 {lags[(int)(lags.Length * 0.99)]:N1}  max {lags[^1]:N1}; server peak RSS {server.PeakWorkingSet64 / (1024 * 1024):N0} MB");
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

    /// <summary>
    /// Writes <paramref name="count"/> timers due over the next 30 days, in key order (100,000 a transaction), as the
    /// commit would write a wait's timer.
    /// </summary>
    private static async Task AddPendingTimersAsync(string database, int count)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync().ConfigureAwait(false);
        var from = TimeProvider.System.GetUtcNow().AddDays(1);
        var step = TimeSpan.FromDays(29).Ticks / count;
        for (var start = 0; start < count; start += 100_000)
        {
            await using var transaction = (Microsoft.Data.Sqlite.SqliteTransaction)await connection.BeginTransactionAsync().ConfigureAwait(false);
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO timers (contact_id, enrollment_id, step_id, due_at) VALUES ($contact, $enrollment, 'w', $due)";
            var contact = insert.Parameters.Add("$contact", Microsoft.Data.Sqlite.SqliteType.Text);
            var enrollment = insert.Parameters.Add("$enrollment", Microsoft.Data.Sqlite.SqliteType.Text);
            var due = insert.Parameters.Add("$due", Microsoft.Data.Sqlite.SqliteType.Integer);
            await insert.PrepareAsync().ConfigureAwait(false);
            for (var i = start; i < Math.Min(count, start + 100_000); i++)
            {
                contact.Value = string.Create(CultureInfo.InvariantCulture, $"pending-{i:D9}");
                enrollment.Value = string.Create(CultureInfo.InvariantCulture, $"tick:1:{i:D9}");
                // Microseconds since the epoch, as the store keeps times.
                due.Value = (from.UtcTicks + (step * i) - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
                await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await transaction.CommitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Waits until the tock journey decided all its sends, then reads each one's time after its timer's due time.</summary>
    private static async Task<double[]> WaitForLagsAsync(string database, int count)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync().ConfigureAwait(false);
        for (var attempt = 0; attempt < 600; attempt++)
        {
            await using var command = connection.CreateCommand();
            // Times are microseconds since the epoch; the timer was due 5 s after the entry.
            command.CommandText = "SELECT o.created_at - n.entered_at - 5000000 FROM outbox o JOIN enrollments n ON n.contact_id = o.contact_id AND n.enrollment_id = o.enrollment_id WHERE o.journey_id = 'tock'";
            var lags = new List<double>(count);
            await using (var reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
            {
                while (await reader.ReadAsync().ConfigureAwait(false))
                {
                    lags.Add(reader.GetInt64(0) / 1000.0);
                }
            }

            if (lags.Count >= count)
            {
                return [.. lags.Order()];
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        }

        throw new TimeoutException("the tock journey's sends were not all decided within a minute");
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
