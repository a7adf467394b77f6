using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Cairn.Benchmarks;

/// <summary>
/// <c>loadgen workload [--contacts N] [--events N] [--concurrency C] [--batch B] [--segments S] [--rate R] [--smoke] [--keep]
/// [--sweep R1,R2,… --out PATH] [--limits] [--postgres] [--bare]</c>: the
/// realistic end-to-end run. Starts a loopback SMTP server (test/node/smtp-sink.mjs) and <c>cairn serve</c> on a
/// fresh SQLite directory with the demo workspace (the seven example journeys, their templates, two scoring models,
/// the policy with caps and quiet hours, seven segments) plus generated segments up to S, all live; drives exactly N
/// events over N contacts with Zipf-distributed activity (identifies with traits, page views, pricing views, feature
/// use, downloads, sign-ups, carts, orders, tickets) through <c>/v1/batch</c>; then reads the store to check that
/// every acknowledged event is there, and reports ingest rate, acknowledgement latency, event → send-decision latency
/// (a message decided on the triggering event itself: its outbox row's time minus the event's arrival), messages
/// decided and delivered, server CPU and peak RSS, and bytes on disk per event.
/// <c>--rate</c> offers that many events/s instead of as many as the server takes; <c>--sweep</c> runs each rate on a
/// fresh server and writes the table (CSV) and a plot (PNG) of throughput and p99 latency as load rises.
/// <c>--postgres</c> runs the server on PostgreSQL instead (a throwaway cluster started from the installed binaries,
/// a fresh database per run). <c>--limits</c> then measures the machine's limits with the same events (<see cref="MachineLimits"/>).
/// <c>--smoke</c> (CI): exit 1 when a request failed, an acknowledged event is missing, or the server logged an
/// error or died — never for speed. <c>--keep</c> leaves the SQLite directory behind (its path printed) to study.
/// <c>--bare</c> starts the server without the demo workspace and adds no segments: ingestion with no journeys,
/// segments, scoring or policy live (identity resolution, the profile and the event log only).
/// </summary>
internal static class WorkloadBenchmark
{
    private static readonly (int Weight, string Kind)[] Mix =
    [
        (8, "identify"), (40, "page"), (8, "pricing_viewed"), (12, "feature_used"), (5, "content_downloaded"),
        (4, "signed_up"), (6, "cart_abandoned"), (4, "order_completed"), (4, "email_opened"), (3, "setup_completed"),
        (2, "project_created"), (1, "demo_requested"), (2, "ticket_opened"), (1, "ticket_closed"),
    ];

    private static readonly string[] Industries = ["software", "retail", "finance", "health", "media", "education"];
    private static readonly string[] Countries = ["US", "GB", "DE", "FR", "NL", "ES", "CA", "AU"];
    private static readonly string[] Plans = ["free", "starter", "pro", "enterprise"];

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = new Settings(
            BenchmarkData.Option(args, "--contacts", 100_000),
            BenchmarkData.Option(args, "--events", 200_000),
            BenchmarkData.Option(args, "--concurrency", 8),
            BenchmarkData.Option(args, "--batch", 250),
            BenchmarkData.Option(args, "--segments", 50),
            BenchmarkData.Option(args, "--rate", 0),
            args.Contains("--smoke"),
            Keep: args.Contains("--keep"),
            Bare: args.Contains("--bare"));
        if (settings.Bare)
        {
            settings = settings with { Segments = 0 };
        }

        await using var postgres = args.Contains("--postgres") ? new Cairn.Testing.PostgresFixture() : null;
        settings = settings with { Postgres = postgres };
        if (args.SkipWhile(a => a != "--sweep").Skip(1).FirstOrDefault() is not { } sweep)
        {
            var outcome = await RunOnceAsync(settings).ConfigureAwait(false);
            if (args.Contains("--limits"))
            {
                await MeasureLimitsAsync(settings, outcome.EventsPerSecond).ConfigureAwait(false);
            }

            return !settings.Smoke || outcome.Healthy ? 0 : 1;
        }

        // As load rises: each offered rate on a fresh server; the table and the plot go where --out says.
        var points = new List<(int Offered, Outcome Outcome)>();
        foreach (var rate in sweep.Split(',').Select(text => int.Parse(text, CultureInfo.InvariantCulture)))
        {
            Console.WriteLine($"--- offered {rate:N0} events/s");
            points.Add((rate, await RunOnceAsync(settings with { Rate = rate }).ConfigureAwait(false)));
        }

        var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? "load";
        await File.WriteAllLinesAsync(output + ".csv", ["offered_events_per_s,achieved_events_per_s,ack_p99_ms,decision_p50_ms,decision_p99_ms", .. points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Offered},{p.Outcome.EventsPerSecond:F0},{p.Outcome.AckP99:F1},{p.Outcome.DecisionP50:F1},{p.Outcome.DecisionP99:F1}"))]).ConfigureAwait(false);
        LoadPlot.Write(output + ".png", points.Select(p => (p.Offered, p.Outcome.EventsPerSecond, p.Outcome.DecisionP99, p.Outcome.AckP99)).ToList(), settings.Segments);
        Console.WriteLine($"wrote {output}.csv and {output}.png");
        return points.All(p => p.Outcome.Healthy) ? 0 : 1;
    }

    /// <summary>
    /// <c>--limits</c>: the same events through the same clients to an endpoint that only parses them, then inserted raw
    /// into a fresh database with the same durability; Cairn's rate as a ratio to each.
    /// </summary>
    private static async Task MeasureLimitsAsync(Settings settings, double cairn)
    {
        Console.WriteLine("--- limits of this machine, with the same events");
        var (server, url) = await MachineLimits.SpawnNullServerAsync().ConfigureAwait(false);
        Drive parsed;
        try
        {
            parsed = await DriveAsync(url, "unused", settings with { Rate = 0 }, "n" + Guid.NewGuid().ToString("N")[..8], server).ConfigureAwait(false);
        }
        finally
        {
            await LoadGenerator.StopAsync(server).ConfigureAwait(false);
        }

        var nullRate = parsed.Accepted / parsed.Elapsed.TotalSeconds;
        Console.WriteLine($"(a) {MachineLimits.Ratio("HTTP endpoint that parses the batch and stores nothing", nullRate, cairn)}; ack p99 {Percentile(parsed.Acks, 0.99):N1} ms, {parsed.Cpu.TotalSeconds / parsed.Elapsed.TotalSeconds:N2} cores");
        if (settings.Postgres is { } postgres)
        {
            var rawPostgres = await MachineLimits.RawPostgresInsertsAsync(postgres, settings.Total, settings.BatchSize, settings.Contacts, AppendMessage).ConfigureAwait(false);
            Console.WriteLine($"(b) {MachineLimits.Ratio($"raw inserts into PostgreSQL (synchronous_commit on), {settings.BatchSize} per transaction in one round trip", rawPostgres, cairn)}");
        }

        var raw = await MachineLimits.RawInsertsAsync(settings.Total, settings.BatchSize, settings.Contacts, AppendMessage).ConfigureAwait(false);
        Console.WriteLine($"({(settings.Postgres is null ? "b" : "c")}) {MachineLimits.Ratio($"raw inserts into SQLite (WAL, synchronous=FULL), {settings.BatchSize} per transaction", raw, cairn)}");
    }

    // Rate 0 drives as fast as the server acknowledges.
    /// <summary>
    /// One run's settings: <paramref name="Postgres"/> runs the server on a fresh database of that cluster instead of
    /// SQLite; <paramref name="Keep"/> leaves the SQLite directory behind to study; <paramref name="Bare"/> starts it
    /// without the demo workspace.
    /// </summary>
    private sealed record Settings(int Contacts, int Total, int Concurrency, int BatchSize, int Segments, int Rate, bool Smoke, Cairn.Testing.PostgresFixture? Postgres = null, bool Keep = false, bool Bare = false);

    /// <summary>What one run measured, and whether the server stayed healthy (every event kept, no error).</summary>
    private sealed record Outcome(double EventsPerSecond, double AckP99, double DecisionP50, double DecisionP99, bool Healthy);

    private static async Task<Outcome> RunOnceAsync(Settings settings)
    {
        var (contacts, total, concurrency, batchSize, segments, rate, smoke, postgres, keep, bare) = settings;
        var database = postgres is null ? null : await postgres.CreateDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
        var data = Path.Combine(Path.GetTempPath(), "cairn-workload-" + Guid.NewGuid().ToString("N"));
        var mail = Path.Combine(Path.GetTempPath(), "cairn-workload-mail-" + Guid.NewGuid().ToString("N"));
        await Prerequisites.ServerAsync().ConfigureAwait(false);
        var started = await Prerequisites.StartSmtpSinkAsync(mail).ConfigureAwait(false);
        using var sink = started.Sink;
        var port = started.Port;
        Process? server = null;
        var errors = new List<string>();
        try
        {
            (server, var url, var writeKey) = await LoadGenerator.SpawnServerAsync(database, data, environment: new Dictionary<string, string>
            {
                ["CAIRN_SMTP_HOST"] = "127.0.0.1",
                ["CAIRN_WORKSPACE_ADDRESS"] = "Cairn Labs, 12 Rue Oberkampf, 75011 Paris",
                ["CAIRN_SMTP_PORT"] = port,
                ["CAIRN_SMTP_SECURITY"] = "none",
            }, errors: errors, demo: !bare).ConfigureAwait(false);
            using var admin = LoadGenerator.Client(url, "Bearer", "cak_loadgen");
            var live = (await admin.GetFromJsonAsync<System.Text.Json.JsonElement>("api/segments").ConfigureAwait(false)).GetArrayLength();
            for (var index = live; index < segments; index++)
            {
                await LoadGenerator.PutAsync(admin, $"api/segments/load-{index}", $"kind: segment\nid: load-{index}\nname: Load {index}\ncondition: {SegmentCondition(index)}\n").ConfigureAwait(false);
            }

            var segmentCount = (await admin.GetFromJsonAsync<System.Text.Json.JsonElement>("api/segments").ConfigureAwait(false)).GetArrayLength();
            Console.WriteLine(bare
                ? $"workspace: empty (no journeys, segments, scoring models or policy); {(database is null ? "SQLite" : "PostgreSQL")}"
                : $"workspace: the demo's 7 journeys, 2 scoring models and policy, {segmentCount} live segments; email to a loopback SMTP server; {(database is null ? "SQLite" : "PostgreSQL")}");

            var run = "w" + Guid.NewGuid().ToString("N")[..8];
            Console.WriteLine($"driving {total:N0} events over {contacts:N0} contacts: {concurrency} clients × batches of {batchSize}…");
            var sinceStart = Stopwatch.StartNew();
            var (accepted, failedRequests, acks, elapsed, cpu, peakRss) = await DriveAsync(url, writeKey, settings, run, server).ConfigureAwait(false);

            // Let delivery drain a little, then read the store (WAL: readable while the server runs).
            await Task.Delay(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            await using var store = database is null
                ? (System.Data.Common.DbConnection)new SqliteConnection($"Data Source={Path.Combine(data, "cairn.db")};Mode=ReadOnly")
                : new Npgsql.NpgsqlConnection(database);
            await store.OpenAsync().ConfigureAwait(false);
            var report = await ReadStoreAsync(store, run).ConfigureAwait(false);
            var delivered = Directory.Exists(mail) ? Directory.GetFiles(mail, "*.eml").Length : 0;
            var deliveredIn = sinceStart.Elapsed;
            var alive = !server.HasExited;
            var bytes = database is null ? Directory.GetFiles(data).Sum(file => new FileInfo(file).Length) : report.DatabaseBytes;

            Console.WriteLine($"ingest: {accepted:N0} events acknowledged in {elapsed.TotalSeconds:N1} s = {accepted / elapsed.TotalSeconds:N0} events/s; failed requests: {failedRequests:N0}");
            if (acks.Length > 0)
            {
                Console.WriteLine($"ack latency ms (per batch of {batchSize}): p50 {Percentile(acks, 0.50):N1}  p95 {Percentile(acks, 0.95):N1}  p99 {Percentile(acks, 0.99):N1}  max {acks[^1]:N1}");
            }

            if (report.Decisions.Length > 0)
            {
                Console.WriteLine($"event → send decision ms ({report.Decisions.Length:N0} messages decided on their triggering event): p50 {Percentile(report.Decisions, 0.50):N1}  p95 {Percentile(report.Decisions, 0.95):N1}  p99 {Percentile(report.Decisions, 0.99):N1}  max {report.Decisions[^1]:N1}");
            }

            Console.WriteLine($"messages: {report.Messages:N0} decided ({string.Join(", ", report.ByStatus.Select(pair => $"{pair.Value:N0} {pair.Key}"))}); {delivered:N0} emails received by the SMTP server in the {deliveredIn.TotalSeconds:N0} s since the first event ({delivered / deliveredIn.TotalSeconds:N0}/s, as fast as journeys decided them)");
            Console.WriteLine($"server: CPU {cpu.TotalSeconds:N1} s over {elapsed.TotalSeconds:N1} s ({cpu.TotalSeconds / elapsed.TotalSeconds:N2} cores), peak RSS {peakRss / (1024 * 1024):N0} MB; {bytes / (double)Math.Max(1, report.Stored):N0} bytes on disk per event ({bytes / (1024 * 1024):N0} MB)");
            Console.WriteLine($"disk per event by table and index (largest first): {string.Join(", ", (await DiskByTableAsync(store, database is null ? Path.Combine(data, "cairn.db") : null).ConfigureAwait(false)).Select(pair => $"{pair.Name} {pair.Bytes / (double)Math.Max(1, report.Stored):N0}"))}"
                + (database is null ? $"; write-ahead log {(new FileInfo(Path.Combine(data, "cairn.db-wal")) is { Exists: true } wal ? wal.Length / (double)Math.Max(1, report.Stored) : 0):N0}" : string.Empty));
            Console.WriteLine($"stored: {report.Stored:N0} of {accepted:N0} acknowledged events; server {(alive ? "running" : "DIED")}, {errors.Count} error lines in its log");
            foreach (var line in errors.Take(10))
            {
                Console.WriteLine("  " + line);
            }

            var healthy = failedRequests == 0 && report.Stored == accepted && accepted == total && alive && errors.Count == 0;
            if (smoke)
            {
                Console.WriteLine(healthy ? "smoke load: passed" : "smoke load: FAILED");
            }

            return new Outcome(
                accepted / elapsed.TotalSeconds,
                acks.Length > 0 ? Percentile(acks, 0.99) : 0,
                report.Decisions.Length > 0 ? Percentile(report.Decisions, 0.50) : 0,
                report.Decisions.Length > 0 ? Percentile(report.Decisions, 0.99) : 0,
                healthy);
        }
        finally
        {
            if (server is not null)
            {
                await LoadGenerator.StopAsync(server).ConfigureAwait(false);
            }

            sink.Kill();
            SqliteConnection.ClearAllPools();
            if (keep && Directory.Exists(data))
            {
                Console.WriteLine($"kept: {data}");
            }

            foreach (var directory in keep ? (string[])[mail] : [data, mail])
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }
    }

    /// <summary>What driving a target measured: acknowledged events, failed requests, sorted ack latencies (ms).</summary>
    private sealed record Drive(long Accepted, long FailedRequests, double[] Acks, TimeSpan Elapsed, TimeSpan Cpu, long PeakRss);

    /// <summary>
    /// Posts the run's events to <c>/v1/batch</c> at <paramref name="url"/> from the settings' clients (paced when a
    /// rate is set), sampling the target process's RSS, and measures what it acknowledged.
    /// </summary>
    private static async Task<Drive> DriveAsync(string url, string writeKey, Settings settings, string run, Process server)
    {
        var (contacts, total, concurrency, batchSize, _, rate, _, _, _, _) = settings;
        using var ingest = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromMinutes(2) };
        ingest.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        var zipf = new Zipf(contacts, 1.05);
        var batches = (total + batchSize - 1) / batchSize;
        var next = -1;
        long accepted = 0;
        long failedRequests = 0;
        var latencies = new List<double>[concurrency];
        var cpuBefore = server.TotalProcessorTime;
        long peakRss = 0;
        var clock = Stopwatch.StartNew();

        async Task ClientAsync(int client)
        {
            var random = new Random(client * 7919 + 17);
            var mine = latencies[client] = [];
            var body = new StringBuilder(batchSize * 400);
            for (var batch = Interlocked.Increment(ref next); batch < batches; batch = Interlocked.Increment(ref next))
            {
                var count = Math.Min(batchSize, total - (batch * batchSize));
                if (rate > 0 && TimeSpan.FromSeconds((double)batch * batchSize / rate) - clock.Elapsed is { Ticks: > 0 } early)
                {
                    await Task.Delay(early).ConfigureAwait(false);
                }

                body.Clear().Append("{\"batch\":[");
                for (var i = 0; i < count; i++)
                {
                    AppendMessage(body.Append(i == 0 ? string.Empty : ","), random, zipf.Next(random), $"{run}-{batch}-{i}");
                }

                body.Append("]}");
                using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/json");
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await ingest.PostAsync("v1/batch", content).ConfigureAwait(false);
                    var result = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>().ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode || result.GetProperty("rejected").GetArrayLength() > 0)
                    {
                        Interlocked.Increment(ref failedRequests);
                        continue;
                    }

                    Interlocked.Add(ref accepted, result.GetProperty("accepted").GetInt32());
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failedRequests);
                }
            }
        }

        var clients = Enumerable.Range(0, concurrency).Select(client => Task.Run(() => ClientAsync(client))).ToList();
        using (var sampler = new PeriodicTimer(TimeSpan.FromMilliseconds(250)))
        {
            while (!clients.All(task => task.IsCompleted) && await sampler.WaitForNextTickAsync().ConfigureAwait(false))
            {
                if (!server.HasExited)
                {
                    server.Refresh();
                    peakRss = Math.Max(peakRss, server.WorkingSet64);
                }
            }
        }

        await Task.WhenAll(clients).ConfigureAwait(false);
        var elapsed = clock.Elapsed;
        server.Refresh();
        var cpu = server.TotalProcessorTime - cpuBefore;
        var acks = latencies.SelectMany(list => list).Order().ToArray();
        return new Drive(accepted, failedRequests, acks, elapsed, cpu, peakRss);
    }

    /// <summary>A generated segment: trait conditions, event windows and both, over the workload's names.</summary>
    private static string SegmentCondition(int index) => (index % 5) switch
    {
        0 => $"{{ trait: plan, op: eq, value: {Plans[index % Plans.Length]} }}",
        1 => $"{{ performed: {Mix[1 + (index % (Mix.Length - 1))].Kind}, at_least: {1 + (index % 3)}, within: {7 + index}d }}",
        2 => $"{{ all: [ {{ trait: industry, op: eq, value: {Industries[index % Industries.Length]} }}, {{ performed: feature_used, within: {14 + index}d }} ] }}",
        3 => $"{{ any: [ {{ trait: country, op: in, value: [{Countries[index % Countries.Length]}, {Countries[(index + 3) % Countries.Length]}] }}, {{ trait: company_size, op: gte, value: {50 * (1 + (index % 8))} }} ] }}",
        _ => $"{{ all: [ {{ performed: pricing_viewed, within: {3 + (index % 10)}d }}, {{ not: {{ performed: order_completed, within: 30d }} }} ] }}",
    };

    private static void AppendMessage(StringBuilder body, Random random, int contact, string messageId)
    {
        var user = $"user-{contact}";
        var roll = random.Next(Mix.Sum(entry => entry.Weight));
        var kind = Mix[0].Kind;
        foreach (var (weight, name) in Mix)
        {
            if (roll < weight)
            {
                kind = name;
                break;
            }

            roll -= weight;
        }

        switch (kind)
        {
            case "identify":
                body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"identify\",\"messageId\":\"{messageId}\",\"userId\":\"{user}\",\"traits\":{{\"email\":\"{user}@example.com\",\"first_name\":\"Person{contact}\",\"plan\":\"{Plans[contact % Plans.Length]}\",\"company_size\":{10 * (1 + (contact % 100))},\"industry\":\"{Industries[contact % Industries.Length]}\",\"country\":\"{Countries[contact % Countries.Length]}\",\"role\":\"{(contact % 4 == 0 ? "manager" : "engineer")}\",\"ltv_tier\":\"{(contact % 5 == 0 ? "high" : "low")}\"}}}}");
                break;
            case "page":
                var path = random.Next(10) == 0 ? "/pricing" : $"/docs/{random.Next(500)}";
                body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"page\",\"messageId\":\"{messageId}\",\"userId\":\"{user}\",\"name\":\"Docs\",\"properties\":{{\"path\":\"{path}\",\"referrer\":\"https://search.example/\"}},\"context\":{{\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64)\",\"ip\":\"203.0.113.{contact % 250}\"}}}}");
                break;
            default:
                var properties = kind switch
                {
                    "order_completed" => $"{{\"order_id\":\"{messageId}\",\"revenue\":{random.Next(500, 50000) / 100.0},\"currency\":\"EUR\"}}",
                    "cart_abandoned" => $"{{\"cart_value\":{random.Next(20, 400)},\"items\":{random.Next(1, 6)}}}",
                    "signed_up" => $"{{\"source\":\"{(random.Next(3) == 0 ? "webinar" : "seo-guide")}\"}}",
                    _ => $"{{\"feature\":\"f{random.Next(40)}\"}}",
                };
                body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"track\",\"messageId\":\"{messageId}\",\"userId\":\"{user}\",\"event\":\"{kind}\",\"properties\":{properties}}}");
                break;
        }
    }

    /// <summary>
    /// What the store holds of the run: its events, the messages decided and their statuses, and the arrival → decision
    /// time of messages decided on their triggering event (the trigger's message id is in the message's payload).
    /// </summary>
    private static async Task<(long Stored, long Messages, SortedDictionary<string, long> ByStatus, double[] Decisions, long DatabaseBytes)> ReadStoreAsync(System.Data.Common.DbConnection connection, string run)
    {
        var postgres = connection is Npgsql.NpgsqlConnection;
        void AddRun(System.Data.Common.DbCommand command)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "run";
            parameter.Value = run + "-%";
            command.Parameters.Add(parameter);
        }

        async Task<long> ScalarAsync(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            if (sql.Contains("@run", StringComparison.Ordinal))
            {
                AddRun(command);
            }

            return Convert.ToInt64(await command.ExecuteScalarAsync().ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        var stored = await ScalarAsync("SELECT COUNT(*) FROM events WHERE message_id LIKE @run").ConfigureAwait(false);
        var messages = await ScalarAsync("SELECT COUNT(*) FROM outbox WHERE journey_id NOT LIKE '$%'").ConfigureAwait(false);
        var byStatus = new SortedDictionary<string, long>(StringComparer.Ordinal);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT status, COUNT(*) FROM outbox WHERE journey_id NOT LIKE '$%' GROUP BY status";
            await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                byStatus[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        var decisions = new List<double>();
        await using (var command = connection.CreateCommand())
        {
            // A message decided in the same input as its enrollment's entry was decided on the triggering event (later
            // steps wait for a timer or another event). SQLite keeps microseconds since the epoch.
            command.CommandText = $"""
                SELECT {(postgres ? "(EXTRACT(EPOCH FROM o.created_at - e.received_at) * 1000000)::bigint" : "o.created_at - e.received_at")} FROM outbox o
                JOIN enrollments n ON n.contact_id = o.contact_id AND n.enrollment_id = o.enrollment_id AND n.entered_at = o.created_at
                JOIN events e ON e.message_id = {(postgres ? "o.payload::jsonb ->> 'messageId'" : "json_extract(o.payload, '$.messageId')")}
                WHERE e.message_id LIKE @run
                """;
            AddRun(command);
            await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                decisions.Add(reader.GetInt64(0) / 1000.0);
            }
        }

        var bytes = postgres ? await ScalarAsync("SELECT pg_database_size(current_database())").ConfigureAwait(false) : 0;
        return (stored, messages, byStatus, [.. decisions.Order()], bytes);
    }

    /// <summary>
    /// The store's twelve largest tables and indexes with their bytes: PostgreSQL's relation sizes; SQLite's dbstat table,
    /// read by the <c>sqlite3</c> shell (the bundled SQLite has no dbstat), none when the shell is missing.
    /// </summary>
    private static async Task<List<(string Name, long Bytes)>> DiskByTableAsync(System.Data.Common.DbConnection connection, string? sqliteFile)
    {
        const string Sqlite = "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 12";
        var sizes = new List<(string, long)>();
        if (sqliteFile is not null)
        {
            try
            {
                using var shell = Process.Start(new ProcessStartInfo("sqlite3", ["-readonly", sqliteFile, Sqlite]) { RedirectStandardOutput = true, UseShellExecute = false })!;
                var output = await shell.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
                await shell.WaitForExitAsync().ConfigureAwait(false);
                foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var parts = line.Split('|');
                    sizes.Add((parts[0], long.Parse(parts[1], CultureInfo.InvariantCulture)));
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // No sqlite3 shell: no breakdown.
            }

            return sizes;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i') ORDER BY 2 DESC LIMIT 12";
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            sizes.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return sizes;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
