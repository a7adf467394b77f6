using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Core.Contacts;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>Published journeys reacting to events sent through /v1, with durable timers and the outbox.</summary>
public sealed class JourneyRuntimeTests : IAsyncLifetime
{
    private const string Templates = "kind: template\nid: welcome\nchannel: email\nsubject: Welcome\ntext: Welcome aboard\n";
    private const string Welcome = """
        id: welcome
        name: Welcome
        trigger: { event: signed_up, where: [{ property: plan, op: eq, value: pro }] }
        steps:
          - id: hello
            send: { channel: email, template: welcome }
            next: later
          - id: later
            wait: 1h
            next: again
          - id: again
            send: { channel: email, template: welcome }
        exit_when:
          - event: account_closed
        """;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cairn = await TestCairn.StartAsync(time: _time);
        await ApplyAsync("templates/welcome", Templates);
        await ApplyAsync("journeys/welcome", Welcome);
        using var publish = await _cairn.Admin.PostAsync("/api/journeys/welcome/publish", null, Cancel);
        Assert.Equal(HttpStatusCode.OK, publish.StatusCode);
    }

    public async ValueTask DisposeAsync() => await _cairn.DisposeAsync();

    [Fact]
    public async Task EventThroughV1Track_PutsTheMessageInTheOutbox_AndTheTimerSendsTheNextOne()
    {
        await TrackAsync("ann", "signed_up", """{"plan":"pro"}""");
        await TrackAsync("bob", "signed_up", """{"plan":"free"}""");
        var ann = await ContactAsync("ann");
        var bob = await ContactAsync("bob");

        var messages = await MessagesAsync(ann);
        var first = Assert.Single(messages.EnumerateArray());
        Assert.Equal("welcome", first.GetProperty("template").GetString());
        Assert.Equal("email", first.GetProperty("channel").GetString());
        Assert.Equal("queued", first.GetProperty("status").GetString());
        Assert.Empty((await MessagesAsync(bob)).EnumerateArray());

        var journeys = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/journeys", Cancel);
        Assert.Equal("later", journeys.GetProperty("active")[0].GetProperty("step").GetString());
        var waiting = await StatsAsync();
        Assert.Equal(1, waiting.GetProperty("entered").GetInt64());
        Assert.Equal(1, Step(waiting, "later").GetProperty("current").GetInt64());

        // The timer loop runs on the fake clock too; FireDueTimersAsync also waits for what it already took.
        _time.Advance(TimeSpan.FromMinutes(59));
        await _cairn.Timers.FireDueTimersAsync(Cancel);
        Assert.Single((await MessagesAsync(ann)).EnumerateArray());
        _time.Advance(TimeSpan.FromMinutes(1));
        await _cairn.Timers.FireDueTimersAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);
        Assert.Equal(2, (await MessagesAsync(ann)).GetArrayLength());

        var ended = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/journeys", Cancel);
        Assert.Empty(ended.GetProperty("active").EnumerateArray());
        Assert.Equal(1, ended.GetProperty("history")[0].GetProperty("entries").GetInt32());
        var finished = Assert.Single(ended.GetProperty("ended").EnumerateArray());
        Assert.Equal("reached the end", finished.GetProperty("endReason").GetString());
        Assert.Equal(
            ["hello", "later", "again", "end"],
            finished.GetProperty("path").EnumerateArray().Select(entry => entry.GetProperty("to").GetString()));
        var done = await StatsAsync();
        Assert.Equal(1, done.GetProperty("ended").GetInt64());
        Assert.Equal(0, Step(done, "later").GetProperty("current").GetInt64());
        Assert.Equal(1, Step(done, "hello").GetProperty("exits").GetProperty("next").GetInt64());
    }

    [Fact]
    public async Task ApiTrigger_EnrollsAnExistingContact_WithItsPayload_OnceUnderEntryRules()
    {
        await ApplyAsync("journeys/receipt", """
            id: receipt
            name: Receipt
            category: transactional
            trigger: { api: true }
            steps:
              - id: big
                branch:
                  - { when: { payload: total, op: gte, value: 100 }, next: send }
                else: end
              - id: send
                send: { channel: email, template: welcome }
            """);
        (await _cairn.Admin.PostAsync("/api/journeys/receipt/publish", null, Cancel)).Dispose();
        await TrackAsync("eve", "signed_up", """{"plan":"free"}""");

        var first = await EnrollAsync("receipt", """{"userId":"eve","payload":{"total":250}}""");
        Assert.True(first.GetProperty("enrolled").GetBoolean());
        var eve = first.GetProperty("contactId").GetString()!;
        var message = Assert.Single((await MessagesAsync(eve)).EnumerateArray());
        Assert.Equal("receipt", message.GetProperty("journeyId").GetString());
        Assert.Equal("transactional", message.GetProperty("category").GetString());

        var again = await EnrollAsync("receipt", """{"contactId":"__ID__","payload":{"total":250}}""".Replace("__ID__", eve, StringComparison.Ordinal));
        Assert.False(again.GetProperty("enrolled").GetBoolean());
        Assert.Single((await MessagesAsync(eve)).EnumerateArray());

        using var unknown = await _cairn.Admin.PostAsJsonAsync("/api/journeys/receipt/enroll", new { userId = "nobody" }, Cancel);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var eventTriggered = await _cairn.Admin.PostAsJsonAsync("/api/journeys/welcome/enroll", new { userId = "eve" }, Cancel);
        Assert.Equal(HttpStatusCode.Conflict, eventTriggered.StatusCode);
        using var unpublished = await _cairn.Admin.PostAsJsonAsync("/api/journeys/ghost/enroll", new { userId = "eve" }, Cancel);
        Assert.Equal(HttpStatusCode.Conflict, unpublished.StatusCode);
    }

    [Fact]
    public async Task MaxRunTime_EndsTheEnrollment_AndListsItForReview()
    {
        await ApplyAsync("journeys/slow", """
            id: slow
            name: Slow
            trigger: { event: trial_started }
            max_run_time: 1d
            steps:
              - id: long
                wait: 30d
            """);
        (await _cairn.Admin.PostAsync("/api/journeys/slow/publish", null, Cancel)).Dispose();
        await TrackAsync("fay", "trial_started", "{}");
        _time.Advance(TimeSpan.FromDays(1));
        await _cairn.Timers.FireDueTimersAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);

        var review = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/slow/review", Cancel)).EnumerateArray());
        Assert.Equal("maximum run time of 1d reached", review.GetProperty("reason").GetString());
        Assert.Equal(await ContactAsync("fay"), review.GetProperty("contactId").GetString());
    }

    [Fact]
    public async Task DateTrigger_FiresFromTheProfileDate_AndFollowsADateChange()
    {
        await ApplyAsync("journeys/renewal", """
            id: renewal
            name: Renewal
            trigger: { date: { trait: contract_end, days_before: [3], at: "09:00" } }
            entry: { reentry: always }
            steps:
              - id: remind
                send: { channel: email, template: welcome }
            """);
        (await _cairn.Admin.PostAsync("/api/journeys/renewal/publish", null, Cancel)).Dispose();

        // Now is 2026-11-24 09:00 UTC: 2026-11-30 - 3 days at 09:00 is 2026-11-27 09:00.
        await IdentifyAsync("gus", """{"contract_end":"2026-11-30"}""");
        await IdentifyAsync("hal", """{"contract_end":"2026-11-30"}""");
        await IdentifyAsync("hal", """{"contract_end":"2026-12-31"}""");
        _time.Advance(TimeSpan.FromDays(3));
        await _cairn.Timers.FireDueTimersAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);

        var gus = Assert.Single((await MessagesAsync(await ContactAsync("gus"))).EnumerateArray());
        Assert.Equal("renewal", gus.GetProperty("journeyId").GetString());
        Assert.Empty((await MessagesAsync(await ContactAsync("hal"))).EnumerateArray());
    }

    [Fact]
    public async Task DateTrigger_PublishedAfterTheDatesWereSet_ReachesContactsWhoAlreadyHaveThem()
    {
        await IdentifyAsync("ida", """{"contract_end":"2026-11-30"}""");
        await IdentifyAsync("jon", """{"plan":"free"}""");
        await ApplyAsync("journeys/renewal", """
            id: renewal
            name: Renewal
            trigger: { date: { trait: contract_end, days_before: [3], at: "09:00" } }
            steps:
              - id: remind
                send: { channel: email, template: welcome }
            """);
        using var publish = await _cairn.Admin.PostAsync("/api/journeys/renewal/publish", null, Cancel);
        var published = await publish.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("all_contacts", published.GetProperty("rollout").GetProperty("scope").GetString());
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);
        var rollout = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/renewal/rollouts", Cancel)).EnumerateArray());
        Assert.Equal(("done", 2), (rollout.GetProperty("status").GetString(), rollout.GetProperty("processed").GetInt32()));

        _time.Advance(TimeSpan.FromDays(3));
        await _cairn.Timers.FireDueTimersAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);
        Assert.Single((await MessagesAsync(await ContactAsync("ida"))).EnumerateArray());
        Assert.Empty((await MessagesAsync(await ContactAsync("jon"))).EnumerateArray());
    }

    [Fact]
    public async Task Publish_WithAStepMap_MovesWaitingContactsToTheNewVersion_AndTheOthersFinishOnTheirs()
    {
        await TrackAsync("kim", "signed_up", """{"plan":"pro"}""");
        await ApplyAsync("journeys/welcome", Welcome.Replace("name: Welcome", "name: Welcome (v2)", StringComparison.Ordinal));
        (await _cairn.Admin.PostAsync("/api/journeys/welcome/publish", null, Cancel)).Dispose();
        await TrackAsync("lea", "signed_up", """{"plan":"pro"}""");
        await ApplyAsync("journeys/welcome", Welcome.Replace("id: later", "id: pause", StringComparison.Ordinal).Replace("next: later", "next: pause", StringComparison.Ordinal));
        var kimBefore = (await JourneysAsync(await ContactAsync("kim"))).GetProperty("active")[0];

        using var unknown = await PublishAsync("welcome", """{"stepMap":{"nowhere":"pause","later":"missing"}}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        var problem = await unknown.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(
            ["'missing' (the target of 'later') is not a step of the new version", "'nowhere' is not a step of any earlier version"],
            problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/welcome", Cancel)).GetProperty("publishedVersion").GetInt32());

        using var publish = await PublishAsync("welcome", """{"stepMap":{"later":"pause"}}""");
        Assert.Equal(HttpStatusCode.OK, publish.StatusCode);
        var published = await publish.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal((3, "enrolled"), (published.GetProperty("version").GetInt32(), published.GetProperty("rollout").GetProperty("scope").GetString()));
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);

        // Both were waiting at 'later' (on versions 1 and 2): both move, keeping their wake-up time.
        var kim = (await JourneysAsync(await ContactAsync("kim"))).GetProperty("active")[0];
        Assert.Equal((3, "pause"), (kim.GetProperty("version").GetInt32(), kim.GetProperty("step").GetString()));
        Assert.Equal(kimBefore.GetProperty("wakeAt").GetDateTimeOffset(), kim.GetProperty("wakeAt").GetDateTimeOffset());
        Assert.Equal(JourneyStepMigrated, kim.GetProperty("path").EnumerateArray().Last().GetProperty("exit").GetString());
        var rollout = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/welcome/rollouts", Cancel)).EnumerateArray());
        Assert.Equal(("done", 2), (rollout.GetProperty("status").GetString(), rollout.GetProperty("processed").GetInt32()));
        var inventory = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys", Cancel);
        Assert.Equal(2, inventory.EnumerateArray().Single(j => j.GetProperty("id").GetString() == "welcome").GetProperty("active").GetInt64());

        _time.Advance(TimeSpan.FromHours(1));
        await _cairn.Timers.FireDueTimersAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);
        var messages = await MessagesAsync(await ContactAsync("kim"));
        Assert.Equal([3, 1], messages.EnumerateArray().Select(m => m.GetProperty("version").GetInt32()));
        var stats = (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/welcome/stats", Cancel)).GetProperty("versions");
        Assert.Equal(1, Step(stats[0], "later").GetProperty("exits").GetProperty(JourneyStepMigrated).GetInt64());
        Assert.Equal(2, Step(stats[2], "pause").GetProperty("entered").GetInt64());
        Assert.Equal((1, 2), (stats[0].GetProperty("migratedOut").GetInt32(), stats[2].GetProperty("migratedIn").GetInt32()));
        Assert.DoesNotContain(stats[2].GetProperty("steps").EnumerateArray(), step => step.GetProperty("step").GetString() == JourneyStepMigrated);
        Assert.Equal(0, Step(stats[2], "pause").GetProperty("errors").GetInt64());
    }

    [Fact]
    public async Task ExitCriterion_StopsThePendingSend_AndTheTimerDoesNothing()
    {
        await TrackAsync("cem", "signed_up", """{"plan":"pro"}""");
        await TrackAsync("cem", "account_closed", "{}");
        _time.Advance(TimeSpan.FromHours(2));
        await _cairn.Timers.FireDueTimersAsync(Cancel);

        Assert.Single((await MessagesAsync(await ContactAsync("cem"))).EnumerateArray());
        var stats = await StatsAsync();
        Assert.Equal(0, Step(stats, "later").GetProperty("current").GetInt64());
        Assert.Equal(1, Step(stats, "later").GetProperty("exits").GetProperty("ended").GetInt64());
    }

    [Fact]
    public async Task WaitingEnrollments_SurviveARestart_AndContinue()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-journey-restart-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var first = await TestCairn.StartAsync(directory, time: _time))
            {
                await ApplyAsync(first, "templates/welcome", Templates);
                await ApplyAsync(first, "journeys/welcome", Welcome);
                (await first.Admin.PostAsync("/api/journeys/welcome/publish", null, Cancel)).Dispose();
                using var track = await first.Ingest.PostAsJsonAsync("/v1/track", new { userId = "dan", @event = "signed_up", properties = new { plan = "pro" } }, Cancel);
                Assert.Equal(HttpStatusCode.OK, track.StatusCode);
            }

            _time.Advance(TimeSpan.FromHours(1));
            await using var second = await TestCairn.StartAsync(directory, time: _time);
            await second.Timers.FireDueTimersAsync(Cancel);
            await second.Engine.WhenIdleAsync(Cancel);
            var dan = second.Engine.FindContact(IdentityKey.User("dan"))!.Value;
            var messages = (await second.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={dan}", Cancel)).GetProperty("items");
            Assert.Equal(2, messages.GetArrayLength());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task EnrollmentsWaitingAtEveryKindOfStep_SurviveARestart_AndContinue()
    {
        const string Waits = """
            id: waits
            name: Every kind of wait
            trigger: { event: started }
            steps:
              - id: kind
                branch:
                  - { name: wait, when: { payload: properties.kind, op: eq, value: wait }, next: wait }
                  - { name: wait_for, when: { payload: properties.kind, op: eq, value: wait_for }, next: wait_for }
                  - { name: wait_until, when: { payload: properties.kind, op: eq, value: wait_until }, next: wait_until }
                else: wait_until_date
              - id: wait
                wait: 2h
                next: done
              - id: wait_for
                wait_for: { event: clicked, timeout: 2h }
                exits: { happened: done, timed_out: late }
              - id: wait_until
                wait_until: { time: "18:00" }
                next: done
              - id: wait_until_date
                wait_until_date: { trait: renews_on, days_before: 1, at: "12:00" }
                next: done
              - id: done
                send: { channel: email, template: welcome }
              - id: late
                send: { channel: email, template: welcome }
            """;
        var directory = Path.Combine(Path.GetTempPath(), "cairn-journey-waits-" + Guid.NewGuid().ToString("N"));
        string[] users = ["wait", "wait_for", "wait_for_late", "wait_until", "wait_until_date"];
        try
        {
            await using (var first = await TestCairn.StartAsync(directory, time: _time))
            {
                await ApplyAsync(first, "templates/welcome", Templates);
                await ApplyAsync(first, "journeys/waits", Waits);
                (await first.Admin.PostAsync("/api/journeys/waits/publish", null, Cancel)).Dispose();
                using var identify = await first.Ingest.PostAsJsonAsync("/v1/identify", new { userId = "wait_until_date", traits = new { renews_on = "2026-11-25" } }, Cancel);
                foreach (var user in users)
                {
                    using var track = await first.Ingest.PostAsJsonAsync("/v1/track", new { userId = user, @event = "started", properties = new { kind = user.Replace("_late", string.Empty, StringComparison.Ordinal) } }, Cancel);
                    Assert.Equal(HttpStatusCode.OK, track.StatusCode);
                }

                await first.Engine.WhenIdleAsync(Cancel);
                foreach (var user in users)
                {
                    var id = first.Engine.FindContact(IdentityKey.User(user))!.Value;
                    var step = (await first.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{id}/journeys", Cancel)).GetProperty("active")[0].GetProperty("step").GetString();
                    Assert.Equal(user.Replace("_late", string.Empty, StringComparison.Ordinal), step);
                }
            }

            // Now 09:00 on 24 November: after the restart, the click comes at 10:00; the 2 h waits end at 11:00,
            // the date (a day before 25 November, at 12:00 UTC) is already past; 18:00 comes last.
            await using var second = await TestCairn.StartAsync(directory, time: _time);
            _time.Advance(TimeSpan.FromHours(1));
            using (var click = await second.Ingest.PostAsJsonAsync("/v1/track", new { userId = "wait_for", @event = "clicked" }, Cancel))
            {
                Assert.Equal(HttpStatusCode.OK, click.StatusCode);
            }

            var sent = new Dictionary<string, (string Step, DateTimeOffset At)>();
            foreach (var hours in new[] { 1, 1, 6 })
            {
                await second.Engine.WhenIdleAsync(Cancel);
                foreach (var user in users.Where(user => !sent.ContainsKey(user)))
                {
                    var id = second.Engine.FindContact(IdentityKey.User(user))!.Value;
                    var messages = (await second.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={id}", Cancel)).GetProperty("items");
                    if (messages.GetArrayLength() > 0)
                    {
                        sent[user] = (messages[0].GetProperty("stepId").GetString()!, messages[0].GetProperty("createdAt").GetDateTimeOffset());
                    }
                }

                _time.Advance(TimeSpan.FromHours(hours));
                await second.Timers.FireDueTimersAsync(Cancel);
            }

            await second.Engine.WhenIdleAsync(Cancel);
            foreach (var user in users.Where(user => !sent.ContainsKey(user)))
            {
                var id = second.Engine.FindContact(IdentityKey.User(user))!.Value;
                var messages = (await second.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={id}", Cancel)).GetProperty("items");
                sent[user] = (messages[0].GetProperty("stepId").GetString()!, messages[0].GetProperty("createdAt").GetDateTimeOffset());
            }

            var nine = new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
            Assert.Equal(("done", nine.AddHours(1)), sent["wait_for"]);
            Assert.Equal(("done", nine.AddHours(2)), sent["wait"]);
            Assert.Equal(("late", nine.AddHours(2)), sent["wait_for_late"]);
            Assert.Equal(("done", nine.AddHours(3)), sent["wait_until_date"]);
            Assert.Equal(("done", nine.AddHours(9)), sent["wait_until"]);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task TrackAsync(string user, string name, string properties)
    {
        using var response = await _cairn.Ingest.PostAsync(
            "/v1/track",
            new StringContent($$"""{"userId":"{{user}}","event":"{{name}}","properties":{{properties}}}""", Encoding.UTF8, "application/json"),
            Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _cairn.Engine.WhenIdleAsync(Cancel);
    }

    private async Task IdentifyAsync(string user, string traits)
    {
        using var response = await _cairn.Ingest.PostAsync(
            "/v1/identify",
            new StringContent($$"""{"userId":"{{user}}","traits":{{traits}}}""", Encoding.UTF8, "application/json"),
            Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _cairn.Engine.WhenIdleAsync(Cancel);
    }

    private const string JourneyStepMigrated = Core.Journeys.JourneyStep.Migrated;

    private async Task<HttpResponseMessage> PublishAsync(string journey, string body) =>
        await _cairn.Admin.PostAsync($"/api/journeys/{journey}/publish", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);

    private async Task<JsonElement> JourneysAsync(string contactId) =>
        await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{contactId}/journeys", Cancel);

    private async Task<JsonElement> StatsAsync() =>
        (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/welcome/stats", Cancel)).GetProperty("versions")[0];

    private static JsonElement Step(JsonElement version, string step) =>
        version.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("step").GetString() == step);

    private async Task<JsonElement> EnrollAsync(string journey, string body)
    {
        using var response = await _cairn.Admin.PostAsync($"/api/journeys/{journey}/enroll", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }

    private async Task<string> ContactAsync(string user) =>
        (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/lookup?userId={user}", Cancel)).GetProperty("id").GetString()!;

    private async Task<JsonElement> MessagesAsync(string contactId) =>
        (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={contactId}", Cancel)).GetProperty("items");

    private Task ApplyAsync(string path, string yaml) => ApplyAsync(_cairn, path, yaml);

    private static async Task ApplyAsync(TestCairn cairn, string path, string yaml)
    {
        using var response = await cairn.Admin.PutAsync("/api/" + path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
    }
}
