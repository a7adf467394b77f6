using System.Net.Http.Json;
using System.Collections.Concurrent;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary>
/// The real server process, driven the way users drive it: the official Segment SDK, and crashes. Runs once on
/// SQLite and once on PostgreSQL.
/// </summary>
public abstract class EndToEndTests
{
    private static readonly SemaphoreSlim NpmGate = new(1, 1);

    /// <summary>A PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> StorageAsync();

    [Fact]
    public async Task SegmentAnalyticsNode_DeliversIdentifyTrackPageAndGroup()
    {
        await using var server = await CairnProcess.StartAsync(await StorageAsync());
        var run = Guid.NewGuid().ToString("N")[..10];

        var (exitCode, output) = await RunNodeAsync("send.mjs", new Dictionary<string, string>
        {
            ["CAIRN_URL"] = server.Url,
            ["CAIRN_WRITE_KEY"] = CairnProcess.WriteKey,
            ["RUN_ID"] = run,
        });
        Assert.True(exitCode == 0, $"send.mjs failed ({exitCode}): {output}\nserver:\n{server.Output}");

        var contact = await server.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/lookup?userId=sdk-user-{run}", TestContext.Current.CancellationToken);
        Assert.Equal($"Sdk.{run}@example.com", contact.GetProperty("email").GetString());
        Assert.Equal("pro", contact.GetProperty("traits").GetProperty("plan").GetString());
        Assert.Contains($"sdk-anon-{run}", contact.GetProperty("anonymousIds").EnumerateArray().Select(id => id.GetString()));
        Assert.Contains($"acme-{run}", contact.GetProperty("groups").EnumerateArray().Select(id => id.GetString()));

        var events = await server.EventsOfUserAsync($"sdk-user-{run}");
        Assert.Equal(["group", "identify", "page", "track"], events.Select(e => e.GetProperty("type").GetString()).Order(StringComparer.Ordinal));
        var track = events.Single(e => e.GetProperty("type").GetString() == "track");
        Assert.Equal("Order Completed", track.GetProperty("name").GetString());
        Assert.Equal(42.5, track.GetProperty("message").GetProperty("properties").GetProperty("revenue").GetDouble());
        Assert.Equal("Pricing", events.Single(e => e.GetProperty("type").GetString() == "page").GetProperty("name").GetString());
    }

    [Fact]
    public async Task SigKill_MidStream_KeepsEveryAcknowledgedMessageExactlyOnce()
    {
        await using var server = await CairnProcess.StartAsync(await StorageAsync());
        var acknowledged = await SendUntilAsync(server, acknowledgedBatches: 40, interrupt: server.KillAsync);

        await server.StartAsync();
        await AssertExactlyOnceAsync(server, acknowledged);
    }

    [Fact]
    public async Task SigTerm_DrainsAcknowledgedMessages_AndExitsZero()
    {
        await using var server = await CairnProcess.StartAsync(await StorageAsync());
        var exitCode = -1;
        var acknowledged = await SendUntilAsync(server, acknowledgedBatches: 20, interrupt: async () => exitCode = await server.TerminateAsync());
        Assert.True(exitCode == 0, $"cairn exited with {exitCode} on SIGTERM:\n{server.Output}");
        Assert.Contains("Cairn engine stopped", server.Output, StringComparison.Ordinal);

        await server.StartAsync();
        await AssertExactlyOnceAsync(server, acknowledged);
    }

    private const int Users = 12;

    /// <summary>
    /// Three senders post batches of 50 messages until <paramref name="acknowledgedBatches"/> batches are
    /// acknowledged, then <paramref name="interrupt"/> runs while they keep sending. Returns the acknowledged batches.
    /// </summary>
    private static async Task<List<List<Dictionary<string, object>>>> SendUntilAsync(CairnProcess server, int acknowledgedBatches, Func<Task> interrupt)
    {
        var acknowledged = new ConcurrentQueue<List<Dictionary<string, object>>>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var run = Guid.NewGuid().ToString("N")[..8];

        async Task SendAsync(int sender)
        {
            var random = new Random(sender);
            for (var batchNumber = 0; !stop.IsCancellationRequested; batchNumber++)
            {
                var batch = Enumerable.Range(0, 50).Select(i => new Dictionary<string, object>
                {
                    ["type"] = "track",
                    ["messageId"] = $"{run}-{sender}-{batchNumber}-{i}",
                    ["userId"] = $"crash-user-{run}-{random.Next(Users)}",
                    ["event"] = "Item Viewed",
                    ["properties"] = new Dictionary<string, object> { ["sku"] = $"sku-{i}", ["batch"] = batchNumber },
                }).ToList();
                var response = await server.TrySendBatchAsync(batch, CancellationToken.None);
                if (response is { } ok && ok.GetProperty("success").GetBoolean())
                {
                    Assert.Equal(50, ok.GetProperty("accepted").GetInt32() + ok.GetProperty("duplicates").GetInt32());
                    acknowledged.Enqueue(batch);
                    if (acknowledged.Count >= acknowledgedBatches)
                    {
                        enough.TrySetResult();
                    }
                }
            }
        }

        var senders = Enumerable.Range(0, 3).Select(sender => Task.Run(() => SendAsync(sender), TestContext.Current.CancellationToken)).ToList();
        await enough.Task.WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
        await interrupt();
        await stop.CancelAsync();
        await Task.WhenAll(senders);
        return [.. acknowledged.Select(batch => batch.ToList())];
    }

    private static async Task AssertExactlyOnceAsync(CairnProcess server, List<List<Dictionary<string, object>>> acknowledged)
    {
        // Re-sending acknowledged batches stores nothing new.
        foreach (var batch in acknowledged.Take(3))
        {
            var again = await server.TrySendBatchAsync(batch, TestContext.Current.CancellationToken);
            Assert.NotNull(again);
            Assert.Equal(50, again.Value.GetProperty("duplicates").GetInt32());
        }

        var users = acknowledged.SelectMany(batch => batch).Select(message => (string)message["userId"]).Distinct().ToList();
        var stored = new List<string>();
        foreach (var user in users)
        {
            stored.AddRange((await server.EventsOfUserAsync(user)).Select(e => e.GetProperty("messageId").GetString()!));
        }

        var duplicates = stored.GroupBy(id => id).Where(group => group.Count() > 1).Select(group => group.Key).ToList();
        Assert.True(duplicates.Count == 0, $"stored more than once: {string.Join(", ", duplicates.Take(10))}");
        var missing = acknowledged.SelectMany(batch => batch).Select(message => (string)message["messageId"]).Except(stored).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged messages are missing, e.g. {string.Join(", ", missing.Take(10))}\n{server.Output}");
    }

    private static async Task<(int ExitCode, string Output)> RunNodeAsync(string script, IReadOnlyDictionary<string, string> environment)
    {
        var directory = Path.Combine(Repository.Root, "test", "node");
        await NpmGate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (!Directory.Exists(Path.Combine(directory, "node_modules", "@segment", "analytics-node")))
            {
                var (code, output) = await ProcessRunner.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], directory, cancellationToken: TestContext.Current.CancellationToken);
                Assert.True(code == 0, "npm ci failed: " + output);
            }
        }
        finally
        {
            NpmGate.Release();
        }

        return await ProcessRunner.RunAsync("node", [script], directory, environment, TestContext.Current.CancellationToken);
    }
}

/// <summary>The end-to-end tests on the embedded SQLite default.</summary>
public sealed class SqliteEndToEndTests : EndToEndTests
{
    protected override Task<string?> StorageAsync() => Task.FromResult<string?>(null);
}

/// <summary>The end-to-end tests on PostgreSQL.</summary>
public sealed class PostgreSqlEndToEndTests(PostgresFixture postgres) : EndToEndTests
{
    protected override async Task<string?> StorageAsync() => await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
}
