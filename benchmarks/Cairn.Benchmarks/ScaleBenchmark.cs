using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Cairn.Benchmarks;

/// <summary>
/// <c>loadgen scale [--contacts N] [--events E] [--data DIR]</c>: memory at scale. On <c>cairn serve</c> (SQLite, the
/// demo workspace) it publishes five journeys that every identified contact enters and waits 30 days in, and five
/// date-triggered journeys on a renewal date (each schedules its own timer), then identifies N contacts: N contacts in
/// five active enrollments each, with ten pending timers each. It reports the server's RSS after seeding, after a
/// restart with everything pending, and while E events over all the contacts (uniformly, so nearly every profile is
/// loaded) go through — each event also reaching the contact's enrollments. <c>--data</c> keeps the seeded store for
/// another run (seeding is skipped when it is there).
/// </summary>
internal static class ScaleBenchmark
{
    private const int Journeys = 5;

    public static async Task<int> RunAsync(string[] args)
    {
        var contacts = BenchmarkData.Option(args, "--contacts", 1_000_000);
        var events = BenchmarkData.Option(args, "--events", 500_000);
        var keep = args.SkipWhile(a => a != "--data").Skip(1).FirstOrDefault();
        var data = keep ?? Path.Combine(Path.GetTempPath(), "cairn-scale-" + Guid.NewGuid().ToString("N"));
        var seeded = File.Exists(Path.Combine(data, "cairn.db"));
        Process? server = null;
        try
        {
            (server, var url, var writeKey) = await LoadGenerator.SpawnServerAsync(null, data, writeKey: "cwk_scale").ConfigureAwait(false);
            using var admin = LoadGenerator.Client(url, "Bearer", "cak_loadgen");
            using var ingest = LoadGenerator.Client(url, "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
            if (!seeded)
            {
                await LoadGenerator.PutAsync(admin, "api/templates/scale", "kind: template\nid: scale\nchannel: email\nsubject: Hello\ntext: Hello\n").ConfigureAwait(false);
                for (var k = 0; k < Journeys; k++)
                {
                    await LoadGenerator.PutAsync(admin, $"api/journeys/scale-wait-{k}", $"id: scale-wait-{k}\nname: Scale wait {k}\ntrigger: {{ event: $identify }}\nsteps:\n  - id: wait\n    wait: {30 + k}d\n    next: send\n  - id: send\n    send: {{ channel: email, template: scale }}\n").ConfigureAwait(false);
                    await LoadGenerator.PutAsync(admin, $"api/journeys/scale-date-{k}", $"id: scale-date-{k}\nname: Scale renewal {k}\ntrigger: {{ date: {{ trait: renewal_date, days_before: [{10 * (k + 1)}], at: \"09:00\" }} }}\nsteps:\n  - id: send\n    send: {{ channel: email, template: scale }}\n").ConfigureAwait(false);
                }

                foreach (var id in Enumerable.Range(0, Journeys).SelectMany(k => (string[])[$"scale-wait-{k}", $"scale-date-{k}"]))
                {
                    (await admin.PostAsync(new Uri($"api/journeys/{id}/publish", UriKind.Relative), null).ConfigureAwait(false)).EnsureSuccessStatusCode();
                }

                var renewal = TimeProvider.System.GetUtcNow().AddDays(200).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                var clock = Stopwatch.StartNew();
                await SendAllAsync(ingest, contacts, 8, 500, (body, i) => body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"identify\",\"messageId\":\"seed-{i}\",\"userId\":\"s{i}\",\"traits\":{{\"email\":\"s{i}@example.com\",\"first_name\":\"P{i}\",\"renewal_date\":\"{renewal}\"}}}}")).ConfigureAwait(false);
                Console.WriteLine($"seeded {contacts:N0} contacts in {clock.Elapsed.TotalSeconds:N0} s ({contacts / clock.Elapsed.TotalSeconds:N0}/s); server RSS now {Rss(server):N0} MB");
            }

            var (pendingTimers, activeEnrollments, storedContacts) = await CountAsync(Path.Combine(data, "cairn.db")).ConfigureAwait(false);
            Console.WriteLine($"store: {storedContacts:N0} contacts, {activeEnrollments:N0} active enrollments, {pendingTimers:N0} pending timers; {Directory.GetFiles(data).Sum(file => new FileInfo(file).Length) / (1024 * 1024):N0} MB on disk");

            // A fresh process with everything pending: what holding it costs.
            await LoadGenerator.StopAsync(server).ConfigureAwait(false);
            (server, url, _) = await LoadGenerator.SpawnServerAsync(null, data, writeKey, url).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            Console.WriteLine($"restarted with {pendingTimers:N0} pending timers: RSS {Rss(server):N0} MB after 10 s");

            // Events over every contact: each loads the profile with its five enrollments and reaches their journeys.
            long peak = 0;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
                while (await tick.WaitForNextTickAsync(sampling.Token).ConfigureAwait(false))
                {
                    peak = Math.Max(peak, Rss(server));
                }
            });
            var run = Guid.NewGuid().ToString("N")[..8];
            var random = new Random(7);
            var driven = Stopwatch.StartNew();
            using var ingestAgain = LoadGenerator.Client(url, "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
            await SendAllAsync(ingestAgain, events, 8, 250, (body, i) =>
            {
                int contact;
                lock (random)
                {
                    contact = random.Next(contacts);
                }

                body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"track\",\"messageId\":\"{run}-{i}\",\"userId\":\"s{contact}\",\"event\":\"feature_used\",\"properties\":{{\"feature\":\"f{i % 40}\"}}}}");
            }).ConfigureAwait(false);
            var seconds = driven.Elapsed.TotalSeconds;
            await sampling.CancelAsync().ConfigureAwait(false);
            await sampler.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            Console.WriteLine($"{events:N0} events over the {contacts:N0} contacts in {seconds:N0} s ({events / seconds:N0}/s): peak RSS {peak:N0} MB, {Rss(server):N0} MB at the end");
            return 0;
        }
        finally
        {
            if (server is not null)
            {
                await LoadGenerator.StopAsync(server).ConfigureAwait(false);
            }

            SqliteConnection.ClearAllPools();
            if (keep is null && Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    /// <summary>Posts <paramref name="total"/> messages in batches from <paramref name="clients"/> clients; every batch must be accepted whole.</summary>
    internal static async Task SendAllAsync(HttpClient ingest, int total, int clients, int batchSize, Action<StringBuilder, int> append)
    {
        var next = -1;
        var batches = (total + batchSize - 1) / batchSize;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var body = new StringBuilder(batchSize * 200);
            for (var batch = Interlocked.Increment(ref next); batch < batches; batch = Interlocked.Increment(ref next))
            {
                body.Clear().Append("{\"batch\":[");
                for (var i = batch * batchSize; i < Math.Min(total, (batch + 1) * batchSize); i++)
                {
                    append(body.Append(i == batch * batchSize ? string.Empty : ","), i);
                }

                using var content = new StringContent(body.Append("]}").ToString(), Encoding.UTF8, "application/json");
                using var response = await ingest.PostAsync(new Uri("v1/batch", UriKind.Relative), content).ConfigureAwait(false);
                var result = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>().ConfigureAwait(false);
                if (!response.IsSuccessStatusCode || result.GetProperty("rejected").GetArrayLength() > 0)
                {
                    throw new InvalidOperationException($"batch {batch} was not accepted: {result}");
                }
            }
        }))).ConfigureAwait(false);
    }

    private static async Task<(long Timers, long Enrollments, long Contacts)> CountAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync().ConfigureAwait(false);
        async Task<long> ScalarAsync(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(await command.ExecuteScalarAsync().ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        return (
            await ScalarAsync("SELECT COUNT(*) FROM timers").ConfigureAwait(false),
            await ScalarAsync("SELECT COUNT(*) FROM enrollments WHERE ended_at IS NULL").ConfigureAwait(false),
            await ScalarAsync("SELECT COUNT(*) FROM contacts WHERE merged_into IS NULL").ConfigureAwait(false));
    }

    private static long Rss(Process server)
    {
        server.Refresh();
        return server.HasExited ? 0 : server.WorkingSet64 / (1024 * 1024);
    }
}
