using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// Lead scoring through the API with a fake clock: a model saved over existing contacts rescores them from their
/// history, each event then scores at once (caps, negative points, fit), decay crosses thresholds exactly when the
/// timer fires, and <c>/api/contacts/{id}/scores</c> explains the number. Run on SQLite and PostgreSQL.
/// </summary>
public abstract class ScoringApiTests
{
    private const string Model = ScoringExamples.Engagement;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    [Fact]
    public async Task SavedModel_RescoresExistingContactsFromHistory_ThenScoresEachEvent_AndExplainsTheScore()
    {
        await using var cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);
        await cairn.SendAsync("identify", """{"userId":"ann","traits":{"company_size":500}}""");
        for (var i = 0; i < 4; i++)
        {
            await cairn.SendAsync("page", """{"userId":"ann","name":"Pricing","properties":{"path":"/pricing"}}""");
        }

        // Saved after the events: the rescore reads them (capped at 30), plus fit.
        using (var saved = await PutAsync(cairn, "engagement", Model))
        {
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        }

        await cairn.Rollouts.RunRolloutsAsync(Cancel);
        await cairn.Engine.WhenIdleAsync(Cancel);
        var status = await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/scoring-models/engagement/status", Cancel);
        Assert.Equal(("done", 1), (status.GetProperty("rescore").GetString(), status.GetProperty("processed").GetInt32()));

        var ann = await cairn.ContactIdAsync("ann");
        var score = await ScoreAsync(cairn, ann);
        Assert.Equal((45.0, 15.0, 30.0, "lead"), (score.GetProperty("score").GetDouble(), score.GetProperty("fit").GetDouble(), score.GetProperty("behaviour").GetDouble(), score.GetProperty("stage").GetString()));
        Assert.Equal("big-company", Assert.Single(score.GetProperty("fitRules").EnumerateArray()).GetProperty("rule").GetString());
        Assert.Equal([10.0, 10.0, 10.0], score.GetProperty("contributions").EnumerateArray().Select(c => c.GetProperty("points").GetDouble()));

        // Ten days later the behaviour is worth half; a demo request (+40) makes an MQL in the same input.
        _time.Advance(TimeSpan.FromDays(10));
        await cairn.SendAsync("track", """{"userId":"ann","event":"demo_requested"}""");
        score = await ScoreAsync(cairn, ann);
        Assert.Equal((15 + 15 + 40.0, "mql"), (score.GetProperty("score").GetDouble(), score.GetProperty("stage").GetString()));
        var newest = score.GetProperty("contributions")[0];
        Assert.Equal(("demo", "demo_requested", 40.0, 40.0), (newest.GetProperty("rule").GetString(), newest.GetProperty("event").GetString(), newest.GetProperty("points").GetDouble(), newest.GetProperty("now").GetDouble()));
        Assert.Equal(5.0, score.GetProperty("contributions")[1].GetProperty("now").GetDouble());

        // Decay alone takes the score back under 50: 15 + 55 * 2^(-t/10d) = 50 at t = 10d * log2(55/35).
        var crossing = _time.GetUtcNow() + TimeSpan.FromDays(10 * Math.Log2(55.0 / 35));
        _time.SetUtcNow(crossing.AddSeconds(-1));
        await cairn.Timers.FireDueTimersAsync(Cancel);
        Assert.DoesNotContain("score_crossed:down", await EventNamesAsync(cairn, ann));
        _time.SetUtcNow(crossing.AddSeconds(1));
        await cairn.Timers.FireDueTimersAsync(Cancel);
        var events = await EventsAsync(cairn, ann);
        var down = events.First(e => e.GetProperty("name").GetString() == "score_crossed");
        var properties = down.GetProperty("message").GetProperty("properties");
        Assert.Equal(("down", 50.0), (properties.GetProperty("direction").GetString(), properties.GetProperty("threshold").GetDouble()));
        Assert.InRange(down.GetProperty("timestamp").GetDateTimeOffset(), crossing, crossing.AddSeconds(1));
        Assert.Equal(
            ["score_crossed", "stage_changed", "score_crossed", "stage_changed", "score_crossed"],
            events.Select(e => e.GetProperty("name").GetString()).Where(name => name is "score_crossed" or "stage_changed").Reverse());

        // An unsubscribe subtracts; the stage stays where the score took it.
        await cairn.SendAsync("track", """{"userId":"ann","event":"unsubscribed"}""");
        score = await ScoreAsync(cairn, ann);
        Assert.Equal("mql", score.GetProperty("stage").GetString());
        Assert.Equal(-20.0, score.GetProperty("contributions")[0].GetProperty("points").GetDouble());
    }

    [Fact]
    public async Task OnePricingView_WithTheExampleModel_CrossesTwenty_AndMakesALead_ThoughItIsProcessedAfterItHappened()
    {
        // The example lead score: 20 points for pricing_viewed, a lead at 20. The SDK sent the event 40 seconds after it
        // happened (sentAt), so it is processed after its own time and decay has already shaved a fraction of a point.
        await using var cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);
        using (var saved = await PutAsync(cairn, "lead-score", await File.ReadAllTextAsync(Path.Combine(Repository.Root, "examples", "scoring", "lead-score.yaml"), Cancel)))
        {
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        }

        var now = _time.GetUtcNow();
        await cairn.SendAsync("track", $$"""{"userId":"pia","event":"pricing_viewed","timestamp":"{{now.AddSeconds(-40):O}}","sentAt":"{{now:O}}"}""");
        var pia = await cairn.ContactIdAsync("pia");
        var crossed = (await EventsAsync(cairn, pia)).Single(e => e.GetProperty("name").GetString() == "score_crossed").GetProperty("message").GetProperty("properties");
        Assert.Equal(("up", 20.0, 20.0), (crossed.GetProperty("direction").GetString(), crossed.GetProperty("threshold").GetDouble(), crossed.GetProperty("score").GetDouble()));
        Assert.Equal("lead", (await ScoreAsync(cairn, pia)).GetProperty("stage").GetString());
        var contact = await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{pia}", Cancel);
        Assert.Equal("lead", contact.GetProperty("traits").GetProperty("lifecycle_stage").GetString());

        // Exactly at 20, decay leaves the threshold the next instant: its timer was due at once, and fires after.
        await cairn.Timers.FireDueTimersAsync(Cancel);
        await cairn.Engine.WhenIdleAsync(Cancel);
        Assert.Equal(["score_crossed:up", "stage_changed:", "score_crossed:down"], (await EventNamesAsync(cairn, pia)).Where(name => name is "score_crossed:up" or "score_crossed:down" or "stage_changed:").Reverse());
        Assert.Equal("lead", (await ScoreAsync(cairn, pia)).GetProperty("stage").GetString());
    }

    [Fact]
    public async Task InvalidModels_AndReferencesToMissingModels_AreRejectedWithEveryError()
    {
        await using var cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);
        using var invalid = await PutAsync(cairn, "broken", "kind: scoring_model\nid: broken\nname: Broken\nrules: [{ id: a, event: x, points: 0 }]\nthresholds: [{ at: 5, stage: hot }]");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(
            ["'points' must not be 0", "the stage 'hot' is not in the lifecycle (subscriber, lead, mql, sql, opportunity, customer, evangelist)"],
            problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("message").GetString()));

        using var segment = await cairn.Admin.PutAsync("/api/segments/hot", new StringContent("kind: segment\nid: hot\nname: Hot\ncondition: { score: engagement, op: gte, value: 50 }", Encoding.UTF8, "application/yaml"), Cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, segment.StatusCode);
        Assert.Contains("there is no scoring model 'engagement'", await segment.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);

        using var missing = await cairn.Admin.GetAsync("/api/scoring-models/nothing", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var saved = await PutAsync(cairn, "engagement", Model);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var list = await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/scoring-models", Cancel);
        var view = Assert.Single(list.EnumerateArray());
        Assert.Equal(("engagement", "10d", 4, 2), (view.GetProperty("id").GetString(), view.GetProperty("halfLife").GetString(), view.GetProperty("rules").GetInt32(), view.GetProperty("fitRules").GetInt32()));

        // A model in use cannot be archived; once nothing reads it, it can.
        using (var hot = await cairn.Admin.PutAsync("/api/segments/hot", new StringContent("kind: segment\nid: hot\nname: Hot\ncondition: { score: engagement, op: gte, value: 50 }", Encoding.UTF8, "application/yaml"), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, hot.StatusCode);
        }

        using (var inUse = await cairn.Admin.PostAsync("/api/scoring-models/engagement/archive", null, Cancel))
        {
            Assert.Equal(HttpStatusCode.Conflict, inUse.StatusCode);
            Assert.Contains("used by segment 'hot'", await inUse.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }

        (await cairn.Admin.PostAsync("/api/segments/hot/archive", null, Cancel)).Dispose();
        using (var archived = await cairn.Admin.PostAsync("/api/scoring-models/engagement/archive", null, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, archived.StatusCode);
        }

        Assert.Empty((await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/scoring-models", Cancel)).EnumerateArray());
        Assert.Empty(cairn.Engine.Journeys.Scoring.Models);
    }

    private static Task<HttpResponseMessage> PutAsync(TestCairn cairn, string id, string yaml) =>
        cairn.Admin.PutAsync($"/api/scoring-models/{id}", new StringContent(yaml, Encoding.UTF8, "application/yaml"), Cancel);

    private static async Task<JsonElement> ScoreAsync(TestCairn cairn, string contact) =>
        Assert.Single((await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{contact}/scores", Cancel)).EnumerateArray());

    private static async Task<List<JsonElement>> EventsAsync(TestCairn cairn, string contact) =>
        [.. (await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{contact}/events?limit=100", Cancel)).GetProperty("items").EnumerateArray()];

    private static async Task<List<string>> EventNamesAsync(TestCairn cairn, string contact) =>
        [.. (await EventsAsync(cairn, contact)).Select(e => $"{e.GetProperty("name").GetString()}:{(e.GetProperty("message").TryGetProperty("properties", out var p) && p.TryGetProperty("direction", out var d) ? d.GetString() : null)}")];
}

public sealed class SqliteScoringApiTests : ScoringApiTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlScoringApiTests(PostgresFixture postgres) : ScoringApiTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
