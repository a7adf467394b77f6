using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Cairn.Benchmarks;

/// <summary>
/// <c>loadgen reports --data DIR [--entries E] [--runs N]</c>: how fast the measurement reports answer on a large store.
/// DIR is a store seeded by <c>loadgen scale</c> (1,000,000 contacts s0…s999999), optionally grown with more events
/// (docs/benchmarks-reports.md says how). On <c>cairn serve</c> it turns on a 5 % global control group, publishes a
/// journey with a 10 % holdout, an A/B experiment and a goal, enters E contacts into it (default 200,000) and converts
/// about one in nine with revenue; then it asks each report N times (default 20) over 30 and 90 days and prints the
/// first, median, p95 and slowest answer. Seeding is skipped when the journey is already there.
/// </summary>
internal static class ReportBenchmark
{
    private const string Journey = "report-scale";

    public static async Task<int> RunAsync(string[] args)
    {
        var data = args.SkipWhile(a => a != "--data").Skip(1).FirstOrDefault()
            ?? throw new ArgumentException("loadgen reports needs --data DIR (a store seeded by loadgen scale)");
        var entries = BenchmarkData.Option(args, "--entries", 200_000);
        var runs = BenchmarkData.Option(args, "--runs", 20);
        var (server, url, writeKey) = await LoadGenerator.SpawnServerAsync(null, data, writeKey: "cwk_scale").ConfigureAwait(false);
        try
        {
            using var admin = LoadGenerator.Client(url, "Bearer", "cak_loadgen");
            using var ingest = LoadGenerator.Client(url, "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
            using (var existing = await admin.GetAsync(new Uri($"api/journeys/{Journey}", UriKind.Relative)).ConfigureAwait(false))
            {
                if (!existing.IsSuccessStatusCode)
                {
                    await SeedAsync(admin, ingest, entries).ConfigureAwait(false);
                }
            }

            Console.WriteLine(await DescribeAsync(Path.Combine(data, "cairn.db")).ConfigureAwait(false));
            string[] reports =
            [
                $"api/journeys/{Journey}/funnel",
                $"api/journeys/{Journey}/lift",
                $"api/journeys/{Journey}/experiments",
                "api/reports/messages?by=template",
                "api/reports/messages?by=day",
                "api/reports/attribution?model=all&by=journey",
                "api/reports/control-group",
            ];
            foreach (var days in (int[])[30, 90, 730])
            {
                var from = TimeProvider.System.GetUtcNow().AddDays(-days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                foreach (var report in reports)
                {
                    var path = report + (report.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "from=" + from;
                    var times = new List<double>();
                    for (var run = 0; run < runs; run++)
                    {
                        var clock = Stopwatch.StartNew();
                        using var response = await admin.GetAsync(new Uri(path, UriKind.Relative)).ConfigureAwait(false);
                        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                        times.Add(clock.Elapsed.TotalMilliseconds);
                        if (!response.IsSuccessStatusCode)
                        {
                            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {body}");
                        }
                    }

                    var sorted = times.Order().ToList();
                    Console.WriteLine($"{days} days  {report}: first {times[0]:N0} ms; p50 {sorted[sorted.Count / 2]:N0} ms, p95 {sorted[(int)Math.Ceiling(sorted.Count * 0.95) - 1]:N0} ms, max {sorted[^1]:N0} ms");
                }
            }

            return 0;
        }
        finally
        {
            await LoadGenerator.StopAsync(server).ConfigureAwait(false);
            SqliteConnection.ClearAllPools();
        }
    }

    private static async Task SeedAsync(HttpClient admin, HttpClient ingest, int entries)
    {
        var policy = await File.ReadAllTextAsync(Path.Combine(BenchmarkData.Root, "examples", "policy", "policy.yaml")).ConfigureAwait(false);
        await LoadGenerator.PutAsync(admin, "api/policy", policy.TrimEnd() + "\nmeasurement:\n  global_control_group: 5\n").ConfigureAwait(false);
        foreach (var arm in (string[])["a", "b"])
        {
            await LoadGenerator.PutAsync(admin, $"api/templates/report-{arm}", $"kind: template\nid: report-{arm}\nchannel: email\nsubject: Offer {arm}\ntext: Hello {{{{ contact.first_name }}}}\n").ConfigureAwait(false);
        }

        await LoadGenerator.PutAsync(admin, $"api/journeys/{Journey}", $$"""
            id: {{Journey}}
            name: Report scale
            trigger: { event: report_entry }
            entry: { holdout: 10 }
            goal: { event: order_completed, within: 7d }
            steps:
              - id: subject
                split: [{ arm: a, percent: 50, next: send_a }, { arm: b, percent: 50, next: send_b }]
                experiment: true
              - id: send_a
                send: { channel: email, template: report-a }
                next: wait
              - id: send_b
                send: { channel: email, template: report-b }
                next: wait
              - id: wait
                wait: 3d
            """).ConfigureAwait(false);
        (await admin.PostAsync(new Uri($"api/journeys/{Journey}/publish", UriKind.Relative), null).ConfigureAwait(false)).EnsureSuccessStatusCode();
        var clock = Stopwatch.StartNew();
        var run = Guid.NewGuid().ToString("N")[..8];
        await ScaleBenchmark.SendAllAsync(ingest, entries, 8, 250, (body, i) =>
            body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"track\",\"messageId\":\"{run}-e{i}\",\"userId\":\"s{i}\",\"event\":\"report_entry\"}}")).ConfigureAwait(false);
        var orders = entries / 9;
        await ScaleBenchmark.SendAllAsync(ingest, orders, 8, 250, (body, i) =>
            body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"track\",\"messageId\":\"{run}-o{i}\",\"userId\":\"s{i * 9}\",\"event\":\"order_completed\",\"properties\":{{\"revenue\":{20 + (i % 180)}}}}}")).ConfigureAwait(false);
        Console.WriteLine($"seeded {entries:N0} entries and {orders:N0} orders in {clock.Elapsed.TotalSeconds:N0} s");
    }

    private static async Task<string> DescribeAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync().ConfigureAwait(false);
        async Task<long> CountAsync(string table)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {table}";
            return Convert.ToInt64(await command.ExecuteScalarAsync().ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        return $"store: {await CountAsync("contacts").ConfigureAwait(false):N0} contacts, {await CountAsync("events").ConfigureAwait(false):N0} events, {await CountAsync("enrollments").ConfigureAwait(false):N0} enrollments, {await CountAsync("outbox").ConfigureAwait(false):N0} messages";
    }
}
