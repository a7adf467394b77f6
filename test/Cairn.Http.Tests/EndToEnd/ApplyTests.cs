using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary><c>cairn apply</c> against the real server process: journeys as code, idempotent.</summary>
public sealed class ApplyTests
{
    [Fact]
    public async Task ApplyingTheExamplesTwice_PublishesOnce_ChangesNothingTheSecondTime_AndTheJourneysReactToEvents()
    {
        await using var server = await CairnProcess.StartAsync(null);
        var examples = Path.Combine(Repository.Root, "examples");
        string[] arguments = [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "apply", Path.Combine(examples, "journeys"), Path.Combine(examples, "templates"), "--url", server.Url, "--api-key", CairnProcess.ApiKey];

        var (code, first) = await ProcessRunner.RunAsync("dotnet", arguments, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(code == 0, first);
        Assert.Contains("journey cart-recovery: stored, published version 1", first, StringComparison.Ordinal);
        Assert.Contains("template cart-reminder-sms: stored", first, StringComparison.Ordinal);

        var (again, second) = await ProcessRunner.RunAsync("dotnet", arguments, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(again == 0, second);
        Assert.Equal(7, second.Split('\n').Count(line => line.EndsWith("unchanged, version 1 is current", StringComparison.Ordinal)));
        Assert.DoesNotContain("stored", second, StringComparison.Ordinal);

        var inventory = await server.Admin.GetFromJsonAsync<JsonElement>("/api/journeys", TestContext.Current.CancellationToken);
        Assert.Equal(7, inventory.GetArrayLength());
        Assert.All(inventory.EnumerateArray(), journey => Assert.Equal(1, journey.GetProperty("publishedVersion").GetInt32()));

        // An applied, published journey reacts to an event sent through /v1/track: the outbox has its message.
        using (var track = await server.Client.PostAsJsonAsync("/v1/track", new { userId = "e2e-signup", @event = "signed_up", properties = new { source = "seo-guide" } }, TestContext.Current.CancellationToken))
        {
            Assert.True(track.IsSuccessStatusCode, server.Output);
        }

        var contact = await server.Admin.GetFromJsonAsync<JsonElement>("/api/contacts/lookup?userId=e2e-signup", TestContext.Current.CancellationToken);
        var messages = (await server.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={contact.GetProperty("id").GetString()}", TestContext.Current.CancellationToken)).GetProperty("items");
        var message = Assert.Single(messages.EnumerateArray());
        Assert.Equal("welcome-guide", message.GetProperty("template").GetString());
        Assert.Equal("welcome-by-entry-point", message.GetProperty("journeyId").GetString());

        var (wrongKey, output) = await ProcessRunner.RunAsync("dotnet", [.. arguments[..^1], "not-the-key"], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, wrongKey);
        Assert.Contains("401", output, StringComparison.Ordinal);

        // Version 2 renames the two-day wait: --step-map moves the contact waiting there, keeping its wake-up time.
        var contactId = contact.GetProperty("id").GetString();
        var directory = Directory.CreateTempSubdirectory("cairn-apply-").FullName;
        try
        {
            var v2 = Path.Combine(directory, "welcome.yaml");
            var text = await File.ReadAllTextAsync(Path.Combine(examples, "journeys", "welcome-by-entry-point.yaml"), TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(v2, text.Replace("day_2", "two_days", StringComparison.Ordinal), TestContext.Current.CancellationToken);
            string[] apply = [arguments[0], "apply", v2, "--url", server.Url, "--api-key", CairnProcess.ApiKey];

            var (bad, refused) = await ProcessRunner.RunAsync("dotnet", [.. apply, "--step-map", "day_2=nowhere"], cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(1, bad);
            Assert.Contains("'nowhere' (the target of 'day_2') is not a step of the new version", refused, StringComparison.Ordinal);

            var (moved, movedOutput) = await ProcessRunner.RunAsync("dotnet", [.. apply, "--step-map", "day_2=two_days", "--wait"], cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(moved == 0, movedOutput);
            Assert.Contains("published version 2, moving enrollments (day_2 -> two_days)", movedOutput, StringComparison.Ordinal);
            Assert.Contains("journey welcome-by-entry-point: rollout done, 1 contacts visited", movedOutput, StringComparison.Ordinal);
            var journeys = await server.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{contactId}/journeys", TestContext.Current.CancellationToken);
            var enrollment = journeys.GetProperty("active").EnumerateArray().Single(e => e.GetProperty("journey").GetString() == "welcome-by-entry-point");
            Assert.Equal((2, "two_days"), (enrollment.GetProperty("version").GetInt32(), enrollment.GetProperty("step").GetString()));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task StaticList_AppliedAsADocument_IsFilledAndEmptiedByCairnList_FromCsv_AndCairnEraseErasesAMember()
    {
        await using var server = await CairnProcess.StartAsync(null);
        var cancel = TestContext.Current.CancellationToken;
        var directory = Directory.CreateTempSubdirectory("cairn-list-").FullName;
        try
        {
            var list = Path.Combine(directory, "webinar.yaml");
            await File.WriteAllTextAsync(list, "kind: segment\nid: webinar-attendees\nname: Webinar attendees (uploaded)\nstatic: true\n", cancel);
            var cairn = Path.Combine(AppContext.BaseDirectory, "cairn.dll");
            var (applied, applyOutput) = await ProcessRunner.RunAsync("dotnet", [cairn, "apply", list, "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: cancel);
            Assert.True(applied == 0, applyOutput);
            Assert.Contains("segment webinar-attendees: stored", applyOutput, StringComparison.Ordinal);

            foreach (var (user, email) in new[] { ("ann", "ann@example.com"), ("bob", "bob@example.com") })
            {
                using var identify = await server.Client.PostAsJsonAsync("/v1/identify", new { userId = user, traits = new { email } }, cancel);
                Assert.True(identify.IsSuccessStatusCode, server.Output);
            }

            var csv = Path.Combine(directory, "attendees.csv");
            await File.WriteAllTextAsync(csv, "userId,email,company\nann,,Acme\n,bob@EXAMPLE.com,Globex\nzed,,Nowhere\n", cancel);
            var (added, addOutput) = await ProcessRunner.RunAsync("dotnet", [cairn, "list", "add", "webinar-attendees", csv, "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: cancel);
            Assert.True(added == 1, addOutput);
            Assert.Contains("2 added, 0 removed; the list has 2 members.", addOutput, StringComparison.Ordinal);
            Assert.Contains("attendees.csv line 4: no contact has userId 'zed'", addOutput, StringComparison.Ordinal);

            var members = await server.Admin.GetFromJsonAsync<JsonElement>("/api/segments/webinar-attendees/members", cancel);
            Assert.Equal(["uploaded", "uploaded"], members.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("reason").GetString()));

            await File.WriteAllTextAsync(csv, "email\nann@example.com\n", cancel);
            var (removed, removeOutput) = await ProcessRunner.RunAsync("dotnet", [cairn, "list", "remove", "webinar-attendees", csv, "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: cancel);
            Assert.True(removed == 0, removeOutput);
            Assert.Contains("0 added, 1 removed; the list has 1 members.", removeOutput, StringComparison.Ordinal);

            var (refused, refusedOutput) = await ProcessRunner.RunAsync("dotnet", [cairn, "list", "add", "no-such-list", csv, "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: cancel);
            Assert.Equal(2, refused);
            Assert.Contains("cairn list: 404 There is no segment 'no-such-list'.", refusedOutput, StringComparison.Ordinal);

            // cairn erase: Bob (still on the list) is erased by his email; asked again, there is nobody to erase.
            string[] erase = [cairn, "erase", "--email", "bob@example.com", "--reason", "ticket 7", "--url", server.Url, "--api-key", CairnProcess.ApiKey];
            var (erased, eraseOutput) = await ProcessRunner.RunAsync("dotnet", erase, cancellationToken: cancel);
            Assert.True(erased == 0, eraseOutput);
            Assert.Matches(@"Erased contact \S+: 1 contacts, \d+ events, 1 identities, 1 segment_members \(erasure \S+\)\.", eraseOutput);
            Assert.Equal(0, (await server.Admin.GetFromJsonAsync<JsonElement>("/api/segments/webinar-attendees/members", cancel)).GetProperty("items").GetArrayLength());
            var (again, againOutput) = await ProcessRunner.RunAsync("dotnet", erase, cancellationToken: cancel);
            Assert.Equal(1, again);
            Assert.Contains("cairn erase: 404 No contact has this email.", againOutput, StringComparison.Ordinal);
            var (both, bothOutput) = await ProcessRunner.RunAsync("dotnet", [cairn, "erase", "--email", "a@example.com", "--user-id", "ann", "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: cancel);
            Assert.Equal(2, both);
            Assert.Contains("cairn erase: give exactly one of --contact-id, --user-id, --email or --phone", bothOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Serve_OnAnEmptyStore_StartsWithTheDemoWorkspace_OnceOnly()
    {
        await using var server = await CairnProcess.StartAsync(null, demo: true);
        var cancel = TestContext.Current.CancellationToken;
        Assert.Contains("Demo workspace: 7 journeys and 23 templates published, 7 live segments, 2 scoring models,", server.Output, StringComparison.Ordinal);
        Assert.Equal(7, (await server.Admin.GetFromJsonAsync<JsonElement>("/api/segments", cancel)).GetArrayLength());
        Assert.Equal("America/New_York", (await server.Admin.GetFromJsonAsync<JsonElement>("/api/policy", cancel)).GetProperty("timeZone").GetString());

        var inventory = await server.Admin.GetFromJsonAsync<JsonElement>("/api/journeys", cancel);
        Assert.Equal(7, inventory.GetArrayLength());
        Assert.All(inventory.EnumerateArray(), journey => Assert.Equal("published", journey.GetProperty("status").GetString()));
        Assert.True(inventory.EnumerateArray().Sum(journey => journey.GetProperty("active").GetInt64()) > 0);

        // The lead score made lea an MQL as she viewed pricing: her hand-off alert is in the outbox with her timeline.
        var lea = await server.Admin.GetFromJsonAsync<JsonElement>("/api/contacts/lookup?userId=lea", cancel);
        var score = Assert.Single((await server.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{lea.GetProperty("id").GetString()}/scores", cancel)).EnumerateArray(), model => model.GetProperty("model").GetString() == "lead-score");
        Assert.Equal(("lead-score", "sql"), (score.GetProperty("model").GetString(), score.GetProperty("stage").GetString()));
        Assert.True(score.GetProperty("score").GetDouble() >= 50, score.ToString());
        var messages = (await server.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={lea.GetProperty("id").GetString()}", cancel)).GetProperty("items");
        var alert = Assert.Single(messages.EnumerateArray(), message => message.GetProperty("channel").GetString() == "owner");
        Assert.Contains("pricing_viewed", alert.GetProperty("payload").GetString(), StringComparison.Ordinal);

        var events = await server.Admin.GetFromJsonAsync<JsonElement>("/api/contacts?limit=1000", cancel);
        var contacts = events.GetProperty("items").GetArrayLength();
        Assert.Equal(0, await server.TerminateAsync());
        await server.StartAsync();
        Assert.Equal(contacts, (await server.Admin.GetFromJsonAsync<JsonElement>("/api/contacts?limit=1000", cancel)).GetProperty("items").GetArrayLength());
        Assert.Equal(7, (await server.Admin.GetFromJsonAsync<JsonElement>("/api/journeys", cancel)).GetArrayLength());
    }
}
