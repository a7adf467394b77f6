using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;

namespace Cairn.Benchmarks;

/// <summary>
/// <c>loadgen email --count N [--connections C]</c>: delivery throughput to a real SMTP server on loopback (the
/// smtp-server npm package the tests use, <c>test/node/smtp-sink.mjs</c>; installed by <see cref="Prerequisites"/>
/// when missing). Starts the sink and a server pointed at it, publishes a journey that sends one
/// templated email per event, ingests N events and reports the rate at which the sink received them: each email is
/// rendered (Liquid), composed (MIME, tracked links, unsubscribe headers), claimed, sent over a pooled SMTP
/// connection and recorded, with its <c>email_sent</c> event committed on the contact's timeline.
/// </summary>
internal static class EmailBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = BenchmarkData.Option(args, "--count", 5_000);
        var connections = BenchmarkData.Option(args, "--connections", 8);
        var data = Path.Combine(Path.GetTempPath(), "cairn-email-" + Guid.NewGuid().ToString("N"));
        var mail = Path.Combine(Path.GetTempPath(), "cairn-sink-" + Guid.NewGuid().ToString("N"));
        await Prerequisites.ServerAsync().ConfigureAwait(false);
        var started = await Prerequisites.StartSmtpSinkAsync(mail).ConfigureAwait(false);
        using var sink = started.Sink;
        var port = started.Port;
        Process? server = null;
        try
        {
            (server, var url, var writeKey) = await LoadGenerator.SpawnServerAsync(null, data, environment: new Dictionary<string, string>
            {
                ["CAIRN_SMTP_HOST"] = "127.0.0.1",
                ["CAIRN_WORKSPACE_ADDRESS"] = "Cairn Labs, 12 Rue Oberkampf, 75011 Paris",
                ["CAIRN_SMTP_PORT"] = port,
                ["CAIRN_SMTP_SECURITY"] = "none",
                ["CAIRN_SMTP_CONNECTIONS"] = connections.ToString(CultureInfo.InvariantCulture),
            }).ConfigureAwait(false);
            using var admin = LoadGenerator.Client(url, "Bearer", "cak_loadgen");
            using var ingest = LoadGenerator.Client(url, "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
            await LoadGenerator.PutAsync(admin, "api/templates/receipt", "kind: template\nid: receipt\nchannel: email\nsubject: \"Your order {{ event.order_id }}\"\nhtml: \"<html><body><p>Hi {{ contact.first_name }}, thanks for order {{ event.order_id }} ({{ event.total }}).</p><p><a href='https://shop.example.com/orders/{{ event.order_id }}'>See your order</a></p></body></html>\"\nsample: { contact: { first_name: Sam }, event: { order_id: 1, total: 10 } }").ConfigureAwait(false);
            await LoadGenerator.PutAsync(admin, "api/journeys/receipt", "id: receipt\nname: Receipt\ncategory: transactional\ntrigger: { event: order_completed }\nentry: { reentry: always }\nsteps:\n  - id: send\n    send: { channel: email, template: receipt }\n").ConfigureAwait(false);
            (await admin.PostAsync(new Uri("api/journeys/receipt/publish", UriKind.Relative), null).ConfigureAwait(false)).EnsureSuccessStatusCode();

            var clock = Stopwatch.StartNew();
            for (var from = 0; from < count; from += 250)
            {
                var batch = Enumerable.Range(from, Math.Min(250, count - from)).SelectMany(i => new object[]
                {
                    new { type = "identify", userId = $"u{i}", traits = new { email = $"u{i}@example.com", first_name = $"U{i}" } },
                    new { type = "track", userId = $"u{i}", @event = "order_completed", properties = new { order_id = i, total = 10 + (i % 90) } },
                });
                (await ingest.PostAsJsonAsync("v1/batch", new { batch }).ConfigureAwait(false)).EnsureSuccessStatusCode();
            }

            var ingested = clock.Elapsed;
            TimeSpan? first = null;
            while (Received(mail) < count)
            {
                if (first is null && Received(mail) > 0)
                {
                    first = clock.Elapsed;
                }

                if (clock.Elapsed > TimeSpan.FromMinutes(10))
                {
                    throw new TimeoutException($"only {Received(mail)} of {count} emails arrived in 10 minutes");
                }

                await Task.Delay(10).ConfigureAwait(false);
            }

            var done = clock.Elapsed;
            first ??= TimeSpan.Zero;
            Console.WriteLine($"ingested {count:N0} orders in {ingested.TotalSeconds:N2} s; the SMTP server received {count:N0} emails between {first.Value.TotalSeconds:N2} s and {done.TotalSeconds:N2} s");
            Console.WriteLine($"delivery: {count / (done - first.Value).TotalSeconds:N0} emails/s over {connections} SMTP connections; end to end (first event to last email): {count / done.TotalSeconds:N0} emails/s");
            return 0;
        }
        finally
        {
            if (server is not null)
            {
                await LoadGenerator.StopAsync(server).ConfigureAwait(false);
            }

            sink.Kill();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var directory in (string[])[data, mail])
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }
    }

    private static int Received(string directory) => Directory.Exists(directory) ? Directory.GetFiles(directory, "*.eml").Length : 0;
}
