using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Testing;
using static Cairn.Http.Tests.IngestionTests;

namespace Cairn.Http.Tests;

/// <summary>Keys, health, the OpenAPI document and the <c>cairn</c> command line.</summary>
public sealed class HostTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Keys_AreGeneratedOnce_Printed_AndStillValidAfterRestart()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-keys-" + Guid.NewGuid().ToString("N"));
        try
        {
            string writeKey;
            string apiKey;
            await using (var first = await TestCairn.StartAsync(directory, configuredKeys: false))
            {
                Assert.Equal(2, first.Announcements.Count);
                writeKey = KeyIn(first.Announcements, "cwk_");
                apiKey = KeyIn(first.Announcements, "cak_");
            }

            await using var second = await TestCairn.StartAsync(directory, configuredKeys: false);
            Assert.Empty(second.Announcements);
            using var ingest = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = Json("""{"userId":"k","event":"E"}""") };
            ingest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
            using var ingested = await second.Anonymous.SendAsync(ingest, Cancel);
            Assert.Equal(HttpStatusCode.OK, ingested.StatusCode);
            using var admin = new HttpRequestMessage(HttpMethod.Get, "/api/contacts/lookup?userId=k");
            admin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            using var found = await second.Anonymous.SendAsync(admin, Cancel);
            Assert.Equal(HttpStatusCode.OK, found.StatusCode);

            // The configured test keys are not valid on this server.
            await AssertProblemAsync(await second.Admin.GetAsync("/api/contacts", Cancel), HttpStatusCode.Unauthorized);
            var stored = await second.Store.GetApiKeysAsync(Cancel);
            Assert.DoesNotContain(stored, key => key.Hash.Contains(writeKey, StringComparison.Ordinal) || key.Hash == writeKey);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Health_Readiness_AndOpenApi_AreServed()
    {
        await using var cairn = await TestCairn.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await cairn.Anonymous.GetAsync("/healthz", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cairn.Anonymous.GetAsync("/readyz", Cancel)).StatusCode);
        var document = await cairn.Anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Cancel);
        var paths = document.GetProperty("paths").EnumerateObject().Select(path => path.Name).ToList();
        Assert.Contains("/v1/batch", paths);
        Assert.Contains("/v1/identify", paths);
        Assert.Contains("/api/contacts/{id}/events", paths);
        Assert.Contains("/api/imports", paths);
    }

    [Fact]
    public async Task RolloutLog_NamesTheKindOfDocument()
    {
        // A segment and a scoring model are rolled out over existing contacts; the log said "Rollout of journey …" for both.
        await using var cairn = await TestCairn.StartAsync();
        await cairn.SendAsync("identify", """{"userId":"ann","traits":{"company_size":500}}""");
        var examples = Path.Combine(Repository.Root, "examples");
        await cairn.PutDocumentAsync("scoring-models/lead-score", await File.ReadAllTextAsync(Path.Combine(examples, "scoring", "lead-score.yaml"), Cancel));
        await cairn.PutDocumentAsync("segments/hot-leads", await File.ReadAllTextAsync(Path.Combine(examples, "segments", "hot-leads.yaml"), Cancel));
        await cairn.Rollouts.RunRolloutsAsync(Cancel);

        var rollouts = cairn.Logs.Lines.Where(line => line.StartsWith("Rollout of ", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
            ["Rollout of scoring model lead-score version 1 done: 1 contacts visited", "Rollout of segment hot-leads version 1 done: 1 contacts visited"],
            rollouts);
    }

    [Fact]
    public async Task Readiness_Is503_OnceTheEngineStops()
    {
        await using var cairn = await TestCairn.StartAsync();
        await cairn.Engine.StopAsync(Cancel);
        await AssertProblemAsync(await cairn.Anonymous.GetAsync("/readyz", Cancel), HttpStatusCode.ServiceUnavailable);
        using var refused = await PostJsonAsync(cairn.Ingest, "/v1/track", """{"userId":"late","event":"E"}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task CliImport_IntoADataDirectory_ReportsLinesAndExitCodes()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var good = Path.Combine(directory, "good.csv");
            await File.WriteAllTextAsync(good, "user_id,email,plan\nx-1,x1@example.com,pro\nx-2,x2@example.com,free\n", Cancel);
            var bad = Path.Combine(directory, "bad.ndjson");
            await File.WriteAllTextAsync(bad, "{\"type\":\"track\",\"userId\":\"x-1\",\"event\":\"Paid\"}\n{\"type\":\"track\",\"userId\":\"x-1\"}\n", Cancel);
            var data = Path.Combine(directory, "data");

            var (code, output) = await CairnAsync("import", good, "--data", data);
            Assert.True(code == 0, output);
            Assert.Contains("Imported", output, StringComparison.Ordinal);

            (code, output) = await CairnAsync("import", bad, "--data", data);
            Assert.True(code == 1, output);
            Assert.Contains("line 2", output, StringComparison.Ordinal);

            (code, output) = await CairnAsync("import", Path.Combine(directory, "missing.csv"), "--data", data);
            Assert.Equal(2, code);
            Assert.Contains("does not exist", output, StringComparison.Ordinal);

            (code, _) = await CairnAsync("serve", "--no-such-option");
            Assert.NotEqual(0, code);

            // A port already taken: one clear line and exit code 2, no stack trace.
            using var occupied = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            occupied.Start();
            var port = ((System.Net.IPEndPoint)occupied.LocalEndpoint).Port;
            (code, output) = await CairnAsync("serve", "--urls", $"http://127.0.0.1:{port}", "--data", Path.Combine(directory, "busy"));
            Assert.Equal(2, code);
            Assert.Contains("cairn serve: Failed to bind", output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);

            await using var cairn = await TestCairn.StartAsync(data);
            var contact = await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/contacts/lookup?userId=x-1", Cancel);
            Assert.Equal("pro", contact.GetProperty("traits").GetProperty("plan").GetString());
            Assert.Equal(2, contact.GetProperty("eventCount").GetInt64());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task CliValidate_AcceptsTheExamples_AndReportsErrorsWithFileAndLine()
    {
        var examples = Path.Combine(Repository.Root, "examples");
        var (code, output) = await CairnAsync("validate", examples);
        Assert.True(code == 0, output);
        Assert.Contains("Valid: 7 journeys, 23 templates, 7 segments, 2 scoring models, 1 sales team, 1 policy.\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", output, StringComparison.Ordinal);

        var directory = Path.Combine(Path.GetTempPath(), "cairn-validate-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var broken = Path.Combine(directory, "broken.yaml");
            await File.WriteAllTextAsync(broken, "id: broken\nname: Broken\ntrigger: { event: x }\nsteps:\n  - id: a\n    wait: 1h\n    next: nowhere\n", Cancel);
            (code, output) = await CairnAsync("validate", broken);
            Assert.Equal(1, code);
            Assert.Contains($"{broken}:7: step 'a': exit 'next' leads to the unknown step 'nowhere'", output, StringComparison.Ordinal);

            (code, output) = await CairnAsync("validate", Path.Combine(directory, "absent.yaml"));
            Assert.Equal(2, code);
            Assert.Contains("does not exist", output, StringComparison.Ordinal);

            // A policy that lets promotional SMS go without an opt-in is valid, with a warning.
            var policy = Path.Combine(directory, "policy.yaml");
            await File.WriteAllTextAsync(policy, "kind: policy\nid: default\ntime_zone: America/New_York\nquiet_hours:\n  - { channel: sms, from: \"21:00\", to: \"08:00\" }\n", Cancel);
            (code, output) = await CairnAsync("validate", policy);
            Assert.True(code == 0, output);
            Assert.Contains($"{policy}:1: warning: promotional SMS can go to contacts who never opted in: add sms to require_opt_in", output, StringComparison.Ordinal);
            Assert.Contains("Valid: 0 journeys, 0 templates, 0 segments, 0 scoring models, 0 sales teams, 1 policy. 1 warning.", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// The golden suite: each example stream's simulation must print exactly its recorded trace
    /// (examples/streams/*.expected.txt). After an intended change, rerun with CAIRN_UPDATE_GOLDEN=1 and review the diff.
    /// </summary>
    [Theory]
    [MemberData(nameof(Streams))]
    public async Task GoldenTraces_OfTheExampleStreams(string stream, string to)
    {
        var examples = Path.Combine(Repository.Root, "examples");
        string[] arguments =
        [
            "simulate", Path.Combine(examples, "journeys"), Path.Combine(examples, "templates"), Path.Combine(examples, "scoring"), Path.Combine(examples, "segments"),
            "--events", ExampleStreams.Events(stream),
            .. ExampleStreams.Profiles(stream) is { } profiles ? ["--profiles", profiles] : Array.Empty<string>(),
            "--to", to,
        ];
        var (code, output) = await CairnAsync(arguments);
        Assert.True(code == 0, output);
        var golden = ExampleStreams.Expected(stream);
        if (Environment.GetEnvironmentVariable("CAIRN_UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(golden, output, Cancel);
        }

        Assert.Equal(await File.ReadAllTextAsync(golden, Cancel), output);
    }

    public static TheoryData<string, string> Streams() => [.. ExampleStreams.All.Select(stream => (stream.Name, stream.To))];

    [Fact]
    public async Task CliSimulate_PrintsPathsAndMessages_ByteForByteTheSameEachRun()
    {
        var examples = Path.Combine(Repository.Root, "examples");
        string[] arguments =
        [
            "simulate", Path.Combine(examples, "journeys"), Path.Combine(examples, "templates"),
            "--events", Path.Combine(examples, "streams", "cart-recovery.ndjson"),
            "--profiles", Path.Combine(examples, "streams", "cart-recovery.profiles.ndjson"),
            "--to", "2026-11-20T00:00:00Z",
        ];
        var (code, first) = await CairnAsync(arguments);
        Assert.True(code == 0, first);
        Assert.Contains("sends email 'cart-final-incentive'", first, StringComparison.Ordinal);
        Assert.Contains("ended: goal reached (order_completed)", first, StringComparison.Ordinal);
        var (_, second) = await CairnAsync(arguments);
        Assert.Equal(first, second);

        // Bob has no phone: his SMS is undeliverable, as on the server (it was reported sent); his open names another
        // message, and the output says why it was not counted; Dan's, exported without a message id, names the template.
        Assert.Contains("2026-11-02T15:05:00Z  cart-recovery:1              sms 'cart-reminder-sms' undeliverable: the contact has no phone number in E.164 form\n", first, StringComparison.Ordinal);
        Assert.Contains("2026-11-02T12:00:00Z  cart-recovery:1              email_opened not counted by opened_email_1: its message_id \"not-ours\" is not the message step 'email_1' sent\n", first, StringComparison.Ordinal);
        Assert.Contains("2026-11-02T12:30:00Z  cart-recovery:1              opened_email_1 -happened-> wait_until_24h: email_opened happened\n", first, StringComparison.Ordinal);
        Assert.Contains(
            """
            Messages:
              email cart-final                         sent               2
              email cart-final-incentive               sent               1
              email cart-reminder-1                    sent               4
              email cart-reminder-2                    sent               3
              sms cart-reminder-sms                    sent               2
              sms cart-reminder-sms                    undeliverable      1

            Not counted by a correlated wait_for: 1 recorded event (each with the reason on its contact's timeline).

            """.ReplaceLineEndings("\n"),
            first,
            StringComparison.Ordinal);

        var (jsonCode, json) = await CairnAsync([.. arguments, "--json"]);
        Assert.Equal(0, jsonCode);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(4, document.RootElement.GetProperty("contacts").GetArrayLength());
        Assert.Equal(4, document.RootElement.GetProperty("steps").GetProperty("cart-recovery/email_1").GetInt32());
        var bob = document.RootElement.GetProperty("contacts").EnumerateArray().Single(c => c.GetProperty("key").GetString() == "bob");
        var bobSms = bob.GetProperty("deliveries").EnumerateArray().Single(d => d.GetProperty("channel").GetString() == "sms");
        Assert.Equal(("undeliverable", "the contact has no phone number in E.164 form"), (bobSms.GetProperty("outcome").GetString(), bobSms.GetProperty("reason").GetString()));
        Assert.Contains(document.RootElement.GetProperty("messages").EnumerateArray(), m => m.GetProperty("template").GetString() == "sms cart-reminder-sms" && m.GetProperty("outcome").GetString() == "undeliverable" && m.GetProperty("count").GetInt32() == 1);

        var directory = Path.Combine(Path.GetTempPath(), "cairn-simulate-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var bad = Path.Combine(directory, "bad.ndjson");
            await File.WriteAllTextAsync(bad, "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"x\"}\n", Cancel);
            (code, var output) = await CairnAsync("simulate", examples, "--events", bad);
            Assert.Equal(1, code);
            Assert.Contains("bad.ndjson:1: every message needs a 'timestamp'", output, StringComparison.Ordinal);

            // The suppression list: Ann's address hard-bounced before; her emails are suppressed, with the list's reason.
            var list = Path.Combine(directory, "suppressed.txt");
            await File.WriteAllTextAsync(list, "# exported from the previous provider\nANN@example.com,hard bounce\n", Cancel);
            (code, output) = await CairnAsync([.. arguments, "--suppressions", list]);
            Assert.True(code == 0, output);
            Assert.Contains("2026-11-02T11:00:00Z  cart-recovery:1              email 'cart-reminder-1' suppressed: the address is on the suppression list (hard bounce)\n", output, StringComparison.Ordinal);
            Assert.Contains("  email cart-reminder-1                    suppressed         1\n", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task CliSimulate_WithAPolicy_PassesEverySendThroughTheOrchestrator()
    {
        var examples = Path.Combine(Repository.Root, "examples");
        var directory = Directory.CreateTempSubdirectory("cairn-simulate-policy-").FullName;
        try
        {
            // Bob (New York, the policy's default zone) opts in to texts, abandons a cart in the evening and unsubscribes
            // from email the next morning.
            var events = Path.Combine(directory, "events.ndjson");
            await File.WriteAllLinesAsync(
                events,
                [
                    """{"type":"identify","userId":"bob","traits":{"phone":"+12125550102","consent":{"sms":"opted_in"}},"timestamp":"2026-11-02T22:00:00Z"}""",
                    """{"type":"track","userId":"bob","event":"cart_abandoned","properties":{"cart_value":45},"timestamp":"2026-11-02T22:30:00Z"}""",
                    """{"type":"identify","userId":"bob","traits":{"unsubscribed":true},"timestamp":"2026-11-03T14:00:00Z"}""",
                ],
                Cancel);
            string[] arguments =
            [
                "simulate", Path.Combine(examples, "journeys"), Path.Combine(examples, "templates"), Path.Combine(examples, "scoring"), Path.Combine(examples, "segments"), Path.Combine(examples, "policy"),
                "--events", events, "--profiles", Path.Combine(examples, "streams", "cart-recovery.profiles.ndjson"), "--to", "2026-11-10T00:00:00Z",
            ];
            var (code, output) = await CairnAsync(arguments);
            Assert.True(code == 0, output);

            // The SMS due at 22:30 local waits for 08:00; the emails after the unsubscribe are not sent.
            Assert.Contains("2026-11-03T03:30:00Z  cart-recovery:1              sms 'cart-reminder-sms' deferred to 2026-11-03T13:00:00Z: quiet hours (21:00–08:00 America/New_York)", output, StringComparison.Ordinal);
            Assert.Contains("2026-11-03T13:00:00Z  cart-recovery:1              sms 'cart-reminder-sms' sent", output, StringComparison.Ordinal);
            Assert.Contains("email 'cart-reminder-2' suppressed: the contact opted out of email (offers)", output, StringComparison.Ordinal);
            Assert.EndsWith("Held back (by the orchestrator or the suppression list):\n  deferred sms cart-reminder-sms                        1\n  suppressed email cart-final                           1\n  suppressed email cart-reminder-2                      1\n", output, StringComparison.Ordinal);

            var (_, json) = await CairnAsync([.. arguments, "--json"]);
            using var document = JsonDocument.Parse(json);
            var bob = document.RootElement.GetProperty("contacts").EnumerateArray().Single(c => c.GetProperty("key").GetString() == "bob");
            Assert.Equal(["cart-reminder-1", "cart-reminder-sms"], bob.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("template").GetString()));
            Assert.Equal(["deferred", "suppressed", "suppressed"], bob.GetProperty("heldBack").EnumerateArray().Select(m => m.GetProperty("decision").GetString()));

            // Without the policy, the same stream sends all four.
            var (_, unorchestrated) = await CairnAsync([.. arguments, "--no-policy"]);
            Assert.DoesNotContain("Held back", unorchestrated, StringComparison.Ordinal);
            Assert.Contains("sends email 'cart-final'", unorchestrated, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A setting out of range, malformed or missing stops <c>cairn serve</c> before anything starts: one line, exit code 2.</summary>
    [Theory]
    [InlineData("--partitions 0", "", "--partitions (CAIRN_PARTITIONS, Engine:Partitions) must be from 1 to 1024, not 0.")]
    [InlineData("", "CAIRN_PARTITIONS=many", "CAIRN_PARTITIONS must be a whole number, not 'many'.")]
    [InlineData("", "CAIRN_SMTP_HOST=127.0.0.1|CAIRN_SMTP_PORT=70000|CAIRN_WORKSPACE_ADDRESS=Cairn Labs, 12 Rue Oberkampf, 75011 Paris", "CAIRN_SMTP_PORT (Messaging:Smtp:Port) must be from 1 to 65535, not 70000.")]
    [InlineData("", "CAIRN_SMTP_HOST=127.0.0.1", "CAIRN_WORKSPACE_ADDRESS (Messaging:WorkspaceAddress) must be the sender's real postal address once CAIRN_SMTP_HOST is set")]
    [InlineData("", "CAIRN_PUBLIC_URL=/relative", "CAIRN_PUBLIC_URL (Messaging:PublicUrl) must be an absolute http(s) address, not '/relative'.")]
    [InlineData("", "CAIRN_SMTP_SECURITY=sometimes", "CAIRN_SMTP_SECURITY must be auto, none, starttls, tls, not 'sometimes'.")]
    [InlineData("", "CAIRN_Messaging__BatchSize=0", "Messaging:BatchSize must be from 1 to 10000, not 0.")]
    public async Task CliServe_WithABadSetting_StopsWithOneLineAndExitCode2(string arguments, string environment, string reason)
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-settings-" + Guid.NewGuid().ToString("N"));
        try
        {
            var variables = environment.Split('|', StringSplitOptions.RemoveEmptyEntries)
                .Select(pair => pair.Split('=', 2))
                .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
            var (code, output) = await ProcessRunner.RunAsync(
                "dotnet",
                [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "serve", "--urls", "http://127.0.0.1:0", "--data", directory, "--no-demo", .. arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)],
                environment: variables,
                cancellationToken: Cancel);
            Assert.True(code == 2, output);
            var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("cairn serve: ", line, StringComparison.Ordinal);
            Assert.Contains(reason, line, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static string KeyIn(IEnumerable<string> announcements, string prefix)
    {
        var line = Assert.Single(announcements, text => text.Contains(prefix, StringComparison.Ordinal));
        var start = line.IndexOf(prefix, StringComparison.Ordinal);
        return new string([.. line[start..].TakeWhile(c => !char.IsWhiteSpace(c))]);
    }

    private static Task<(int ExitCode, string Output)> CairnAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), .. arguments], cancellationToken: Cancel);
}
