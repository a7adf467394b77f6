using System.Net.Http.Json;
using System.Collections.Concurrent;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary>
/// The real server process, driven the way users drive it: the official Segment SDK, RudderStack's Node SDK, and crashes. Runs once on
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
    public async Task RudderStackNodeSdk_GzippedBatchesDeclaredAsForms_AreStoredExactlyOnceWithTheirProperties()
    {
        await using var server = await CairnProcess.StartAsync(await StorageAsync());
        var run = Guid.NewGuid().ToString("N")[..10];

        var (exitCode, output) = await RunNodeAsync("rudderstack-send.mjs", new Dictionary<string, string>
        {
            ["CAIRN_URL"] = server.Url,
            ["CAIRN_WRITE_KEY"] = CairnProcess.WriteKey,
            ["RUN_ID"] = run,
        });
        Assert.True(exitCode == 0, $"rudderstack-send.mjs failed ({exitCode}): {output}\nserver:\n{server.Output}");

        // What @rudderstack/rudder-sdk-node 3.1.1 really sends (seen by the script's forwarding proxy): every batch is a
        // POST to /v1/batch, gzipped (Content-Encoding: gzip, on by default), declared application/x-www-form-urlencoded
        // (axios's default for a byte buffer: the SDK sets no Content-Type), with the write key as the basic auth user and
        // an empty password; messages carry the client's time as originalTimestamp (no timestamp) and a uuid messageId.
        var requests = JsonDocument.Parse(output.Split('\n').Single(line => line.StartsWith("REQUESTS ", StringComparison.Ordinal))["REQUESTS ".Length..]).RootElement;
        Assert.True(requests.GetArrayLength() >= 2, "the SDK should have sent more than one batch (flushAt 3): " + requests);
        var basic = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(CairnProcess.WriteKey + ":"));
        foreach (var request in requests.EnumerateArray())
        {
            var headers = request.GetProperty("headers");
            Assert.Equal(("POST", "/v1/batch"), (request.GetProperty("method").GetString(), request.GetProperty("path").GetString()));
            Assert.Equal("application/x-www-form-urlencoded", headers.GetProperty("content-type").GetString());
            Assert.Equal("gzip", headers.GetProperty("content-encoding").GetString());
            Assert.Equal(basic, headers.GetProperty("authorization").GetString());
            Assert.Equal(200, request.GetProperty("status").GetInt32());
        }

        var sent = requests.EnumerateArray().SelectMany(request => request.GetProperty("body").GetProperty("batch").EnumerateArray()).ToList();
        Assert.Equal(6, sent.Count);
        Assert.All(sent, message => Assert.True(message.TryGetProperty("originalTimestamp", out _) && !message.TryGetProperty("timestamp", out _)));

        // Every event the SDK sent is on the server exactly once, with its properties.
        var contact = await server.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/lookup?userId=rudder-user-{run}", TestContext.Current.CancellationToken);
        Assert.Equal($"Rudder.{run}@example.com", contact.GetProperty("email").GetString());
        Assert.Equal("team", contact.GetProperty("traits").GetProperty("plan").GetString());
        Assert.Contains($"acme-{run}", contact.GetProperty("groups").EnumerateArray().Select(id => id.GetString()));
        var events = await server.EventsOfUserAsync($"rudder-user-{run}");
        Assert.Equal(
            sent.Select(message => message.GetProperty("messageId").GetString()).Order(StringComparer.Ordinal),
            events.Select(e => e.GetProperty("messageId").GetString()).Order(StringComparer.Ordinal));
        foreach (var message in sent.Where(message => message.TryGetProperty("properties", out _)))
        {
            var stored = events.Single(e => e.GetProperty("messageId").GetString() == message.GetProperty("messageId").GetString());
            Assert.True(
                JsonElement.DeepEquals(message.GetProperty("properties"), stored.GetProperty("message").GetProperty("properties")),
                $"{message.GetProperty("properties")} was stored as {stored.GetProperty("message").GetProperty("properties")}");
        }

        var order = events.Single(e => e.GetProperty("name").GetString() == "Order Completed");
        Assert.Equal(2, order.GetProperty("message").GetProperty("properties").GetProperty("items")[0].GetProperty("quantity").GetInt32());

        // The client's originalTimestamp is the event's time (corrected for clock skew by sentAt): an hour ago, not now.
        var cart = events.Single(e => e.GetProperty("name").GetString() == "Cart Viewed");
        var age = cart.GetProperty("receivedAt").GetDateTimeOffset() - cart.GetProperty("timestamp").GetDateTimeOffset();
        Assert.InRange(age, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
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
    public async Task SigKill_WhileSendingThousandsOfEmails_DeliversEachExactlyOnce()
    {
        const int Contacts = 2000;
        var cancel = TestContext.Current.CancellationToken;
        await using var sink = await SmtpSink.StartAsync(dedupe: true);
        await using var server = await CairnProcess.StartAsync(await StorageAsync(), environment: new Dictionary<string, string>
        {
            ["CAIRN_SMTP_HOST"] = "127.0.0.1",
            ["CAIRN_WORKSPACE_ADDRESS"] = "Cairn Labs, 12 Rue Oberkampf, 75011 Paris",
            ["CAIRN_SMTP_PORT"] = sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CAIRN_SMTP_SECURITY"] = "none",
            ["CAIRN_SMTP_CONNECTIONS"] = "4",
            ["CAIRN_SMTP_RATE"] = "1500",
        });
        await PutAsync(server, "templates/hello", "kind: template\nid: hello\nchannel: email\nsubject: \"Hello {{ contact.first_name }}\"\ntext: \"Welcome aboard, {{ contact.first_name }}.\"\nsample: { contact: { first_name: Sam } }");
        await PutAsync(server, "journeys/welcome", "id: welcome\nname: Welcome\ncategory: transactional\ntrigger: { event: signed_up }\nsteps:\n  - id: hello\n    send: { channel: email, template: hello }\n    next: done\n  - id: done\n    exit: true\n");
        (await server.Admin.PostAsync("/api/journeys/welcome/publish", null, cancel)).Dispose();

        var run = Guid.NewGuid().ToString("N")[..8];
        for (var start = 0; start < Contacts; start += 100)
        {
            var batch = Enumerable.Range(start, 100).SelectMany(n => new object[]
            {
                new { type = "identify", userId = $"u{n}-{run}", traits = new { email = $"u{n}-{run}@example.com", first_name = $"U{n}" } },
                new { type = "track", userId = $"u{n}-{run}", @event = "signed_up" },
            });
            Assert.NotNull(await server.TrySendBatchAsync(batch, cancel));
        }

        // Kill the server while it is in the middle of sending.
        await sink.WaitForAsync(Contacts / 4, TimeSpan.FromSeconds(60));
        await server.KillAsync();
        var atKill = sink.Files.Count;
        Assert.InRange(atKill, Contacts / 4, Contacts - 1);

        await server.StartAsync();
        await sink.WaitForAsync(Contacts, TimeSpan.FromSeconds(120));
        await Eventually.HoldsAsync(
            async () => await CountAsync(server, "queued") + await CountAsync(server, "sending") == 0,
            TimeSpan.FromSeconds(30),
            () => "messages were still queued or sending after every email arrived:\n" + server.Output,
            cancel);

        // Every message arrived once: one per contact, no Message-ID twice. Resends of messages the crash caught
        // between the server's acceptance and Cairn's record went out under the same Message-ID, and were dropped.
        Assert.Equal(Contacts, sink.Files.Count);
        Assert.Equal(Contacts, sink.MessageIds.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(Contacts, sink.Messages.Select(message => message.To.Mailboxes.Single().Address).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(0, await CountAsync(server, "queued") + await CountAsync(server, "sending") + await CountAsync(server, "failed"));
        Assert.All(sink.Duplicates, id => Assert.Contains(id, sink.MessageIds));
        TestContext.Current.SendDiagnosticMessage($"{atKill} of {Contacts} emails were accepted when the server was killed; {sink.Duplicates.Count} were sent again after the restart and dropped by Message-ID.");
    }

    private static async Task PutAsync(CairnProcess server, string path, string yaml)
    {
        using var response = await server.Admin.PutAsync("/api/" + path, new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml"), TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static async Task<int> CountAsync(CairnProcess server, string status) =>
        (await server.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?status={status}&limit=1000", TestContext.Current.CancellationToken)).GetProperty("items").GetArrayLength();

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
            if (!Directory.Exists(Path.Combine(directory, "node_modules", "@segment", "analytics-node"))
                || !Directory.Exists(Path.Combine(directory, "node_modules", "@rudderstack", "rudder-sdk-node")))
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
