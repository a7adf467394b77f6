using System.Diagnostics;
using System.Globalization;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Messages;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Cairn.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Cairn.Benchmarks;

/// <summary>
/// <c>loadgen segments --contacts N --events E [--data DIR] [--exact]</c>: segment preview latency (estimated, and with
/// --exact also exact) and backfill rate on a
/// SQLite store holding N contacts with E events each (seeded straight into storage; a --data directory that holds events is
/// reused as it is). Previews a condition with an event-window clause and a trait-plus-window one, then saves a
/// windowed segment and times its backfill over every contact.
/// </summary>
internal static class SegmentBenchmark
{
    private static readonly string[] Names = ["$page", "pricing_viewed", "$page", "order_completed", "content_downloaded", "$page", "email_opened"];

    public static async Task<int> RunAsync(string[] args)
    {
        string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var contacts = int.Parse(Option("--contacts") ?? "100000", CultureInfo.InvariantCulture);
        var perContact = int.Parse(Option("--events") ?? "20", CultureInfo.InvariantCulture);
        var owned = Option("--data") is null;
        var data = Option("--data") ?? Path.Combine(Path.GetTempPath(), "cairn-segments-" + Guid.NewGuid().ToString("N"));
        var now = TimeProvider.System.GetUtcNow();
        try
        {
            var store = new SqliteCairnStore(data);
            await store.MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            if (await store.CountEventsAsync(CancellationToken.None).ConfigureAwait(false) == 0)
            {
                var seeding = Stopwatch.StartNew();
                await SeedAsync(store, contacts, perContact, now).ConfigureAwait(false);
                Console.WriteLine($"seeded {contacts:N0} contacts with {perContact} events each in {seeding.Elapsed.TotalSeconds:N1} s");
            }

            var options = Options.Create(new EngineOptions());
            var engine = new CairnEngine(store, TimeProvider.System, options, NullLogger<CairnEngine>.Instance);
            var previewer = new SegmentPreviewer(store, store, TimeProvider.System, options);
            await using var rollouts = new RolloutRunner(engine, store, store, store, TimeProvider.System, NullLogger<RolloutRunner>.Instance);
            var publisher = new DocumentPublisher(store, engine.Journeys, rollouts, TimeProvider.System);
            await engine.StartAsync(CancellationToken.None).ConfigureAwait(false);
            foreach (var (label, yaml) in new[]
            {
                ("window: ordered in the last 30 days", "{ performed: order_completed, within: 30d }"),
                ("trait + window: pro plan, pricing twice in 14 days", "{ all: [ { trait: plan, op: eq, value: pro }, { performed: pricing_viewed, at_least: 2, within: 14d } ] }"),
                ("trait only: pro plan (no history read)", "{ trait: plan, op: eq, value: pro }"),
            })
            {
                var condition = DocumentParser.Parse<ParsedSegment>($"kind: segment\nid: p\nname: P\ncondition: {yaml}", "p").Segment.Condition!;
                foreach (var exact in args.Contains("--exact") ? new[] { false, true } : [false])
                {
                    var times = new List<double>();
                    SegmentPreview? preview = null;
                    for (var run = 0; run < 3; run++)
                    {
                        var watch = Stopwatch.StartNew();
                        preview = await previewer.PreviewSegmentAsync(condition, 20, CancellationToken.None, exact).ConfigureAwait(false);
                        times.Add(watch.Elapsed.TotalMilliseconds);
                    }

                    var count = preview!.Exact ? $"{preview.Count:N0}" : $"~{preview.Count:N0} ± {preview.Margin:N0} (from {preview.Evaluated:N0} sampled)";
                    Console.WriteLine($"preview{(preview.Exact ? " exact" : string.Empty)} [{label}] over {contacts:N0} contacts: {count} match; {times.Order().ElementAt(1):N0} ms (median of 3: {string.Join(", ", times.Select(t => t.ToString("N0", CultureInfo.InvariantCulture)))})");
                }
            }

            var segment = "kind: segment\nid: hot\nname: Hot\ncondition: { performed: pricing_viewed, at_least: 2, within: 40d }";
            var id = "hot-" + TimeProvider.System.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            await store.SaveDraftAsync("segment", id, segment.Replace("id: hot", $"id: {id}", StringComparison.Ordinal), now, CancellationToken.None).ConfigureAwait(false);
            var backfill = Stopwatch.StartNew();
            await publisher.SaveLiveDocumentAsync("segment", id, CancellationToken.None).ConfigureAwait(false);
            await rollouts.RunRolloutsAsync(CancellationToken.None).ConfigureAwait(false);
            var members = (await store.CountSegmentMembersAsync(CancellationToken.None).ConfigureAwait(false)).GetValueOrDefault(id);
            Console.WriteLine($"backfill of a windowed segment over {contacts:N0} contacts: {backfill.Elapsed.TotalSeconds:N1} s = {contacts / backfill.Elapsed.TotalSeconds:N0} contacts/s ({members:N0} members)");
            await engine.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await engine.DisposeAsync().ConfigureAwait(false);
            return 0;
        }
        finally
        {
            if (owned)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static async Task SeedAsync(SqliteCairnStore store, int to, int perContact, DateTimeOffset now)
    {
        string[] plans = ["free", "pro", "team"];
        for (var start = 0; start < to; start += 1000)
        {
            var batch = new CommitBatch();
            for (var i = start; i < Math.Min(start + 1000, to); i++)
            {
                var id = new ContactId(Guid.CreateVersion7());
                var user = $"u{i}";
                var plan = plans[i % 3];
                var since = now.AddDays(-90).ToString("O", CultureInfo.InvariantCulture);
                var identify = $$"""{"type":"identify","userId":"{{user}}","messageId":"{{user}}-id","traits":{"plan":"{{plan}}","email":"{{user}}@example.com"},"timestamp":"{{since}}"}""";
                var state = ContactDecider.Decide(null, new MessageReceived(id, Message(identify)), now).State;
                batch.Identities.Add(new IdentityMapping(IdentityKey.User(user), id));
                for (var e = 0; e < perContact; e++)
                {
                    var name = Names[(i + e) % Names.Length];
                    var at = now.AddHours(-((i * 7 + e * 53) % (60 * 24)));
                    var json = name == "$page"
                        ? $$"""{"type":"page","userId":"{{user}}","messageId":"{{user}}-{{e}}","name":"Docs","properties":{"path":"/docs/{{e}}"},"timestamp":"{{at:O}}"}"""
                        : $$"""{"type":"track","userId":"{{user}}","messageId":"{{user}}-{{e}}","event":"{{name}}","properties":{"revenue":{{e * 10}}},"timestamp":"{{at:O}}"}""";
                    var message = Message(json);
                    state = ContactDecider.Decide(state, new MessageReceived(id, message), now).State;
                    batch.Events.Add(StoredEvent.From(id, message));
                }

                batch.Contacts[id] = state;
            }

            await store.CommitAsync(batch, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static SegmentMessage Message(string json) => BenchmarkData.Message(json, TimeProvider.System.GetUtcNow());
}
