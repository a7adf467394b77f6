using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Core;
using static Cairn.Http.Tests.IngestionTests;

namespace Cairn.Http.Tests;

/// <summary>
/// The issue's "done means" for lift and experiments: the real server, a stream of contacts where treated contacts convert
/// more than the holdout and arm B beats arm A, and the reports recover the planted lift and winner with intervals that
/// contain the truth.
/// </summary>
public sealed class JourneyLiftApiTests : IAsyncLifetime
{
    private const int Contacts = 800;
    private const double HoldoutRate = 0.10;
    private const double ArmARate = 0.15;
    private const double ArmBRate = 0.40;
    private const string Template = "kind: template\nid: lift-hello\nchannel: email\nsubject: Hello\ntext: Hello\n";
    private const string Journey = """
        id: lift
        name: Lift
        trigger: { event: signed_up }
        entry: { holdout: 30 }
        goal: { event: purchased, within: 30d }
        steps:
          - id: pick
            split: [{ arm: A, percent: 50, next: a }, { arm: B, percent: 50, next: b }]
            experiment: true
          - id: a
            send: { channel: email, template: lift-hello }
            next: linger
          - id: b
            send: { channel: email, template: lift-hello }
            next: linger
          - id: linger
            wait: 40d
        """;

    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cairn = await TestCairn.StartAsync();

    public async ValueTask DisposeAsync() => await _cairn.DisposeAsync();

    [Fact]
    public async Task PlantedLiftAndWinner_AreReportedWithIntervalsThatContainTheTruth()
    {
        await _cairn.PutDocumentAsync("templates/lift-hello", Template);
        await _cairn.PutDocumentAsync("journeys/lift", Journey);
        using (var publish = await _cairn.Admin.PostAsync("/api/journeys/lift/publish", null, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, publish.StatusCode);
        }

        var users = Enumerable.Range(0, Contacts).Select(i => $"lift-user-{i}").ToList();
        await SendBatchAsync(users.Select(user => (object)new { type = "track", messageId = $"{user}-signup", userId = user, @event = "signed_up" }));

        // Each contact's group as the engine drew it (holdout and arms are chosen by a hash of the contact's id, new in
        // every run), then exactly the planted share of each group converts: the observed rates are the planted ones to
        // within rounding, so every interval must contain them in every run. How often an interval covers the truth
        // under sampling noise is the seeded coverage test's question (MeasurementCoverageTests), not this one's.
        var groups = new List<(string User, string Group)>();
        foreach (var user in users)
        {
            Assert.True(ContactId.TryParse(await _cairn.ContactIdAsync(user), out var id));
            var enrollment = (await _cairn.Store.GetContactAsync(id, Cancel))!.Journeys.Active["lift"];
            groups.Add((user, enrollment.Control ? "holdout" : enrollment.Arm!));
        }

        (int N, int X) Plant(string group, double rate, List<object> purchases)
        {
            var members = groups.Where(member => member.Group == group).Select(member => member.User).ToList();
            var converting = (int)Math.Round(rate * members.Count, MidpointRounding.AwayFromZero);
            purchases.AddRange(members.Take(converting).Select(user => (object)new { type = "track", messageId = $"{user}-purchase", userId = user, @event = "purchased", properties = new { revenue = 20 } }));
            return (members.Count, converting);
        }

        var purchases = new List<object>();
        var holdout = Plant("holdout", HoldoutRate, purchases);
        var armA = Plant("A", ArmARate, purchases);
        var armB = Plant("B", ArmBRate, purchases);
        await SendBatchAsync(purchases);

        var treatedN = armA.N + armB.N;
        var trueTreatedRate = ((armA.N * ArmARate) + (armB.N * ArmBRate)) / treatedN;
        var trueLift = trueTreatedRate - HoldoutRate;

        var lift = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/lift/lift", Cancel);
        Assert.Equal(treatedN, lift.GetProperty("treated").GetProperty("entries").GetInt64());
        Assert.Equal(holdout.N, lift.GetProperty("holdout").GetProperty("entries").GetInt64());
        Assert.Equal(armA.X + armB.X, lift.GetProperty("treated").GetProperty("conversions").GetInt64());
        Assert.Equal(holdout.X, lift.GetProperty("holdout").GetProperty("conversions").GetInt64());
        Assert.Equal(30, lift.GetProperty("holdoutPercent").GetDouble());
        Assert.Equal(JsonValueKind.Null, lift.GetProperty("version").ValueKind);
        Assert.True(lift.GetProperty("period").TryGetProperty("from", out _));
        var comparison = lift.GetProperty("comparison");
        var absolute = comparison.GetProperty("absoluteLiftInterval");
        Assert.InRange(trueLift, absolute.GetProperty("lower").GetDouble(), absolute.GetProperty("upper").GetDouble());
        Assert.True(absolute.GetProperty("lower").GetDouble() > 0, "The planted lift is large enough to exclude zero.");
        Assert.True(comparison.GetProperty("pValue").GetDouble() < 0.05);
        var relative = comparison.GetProperty("relativeLiftInterval");
        Assert.InRange((trueTreatedRate / HoldoutRate) - 1, relative.GetProperty("lower").GetDouble(), relative.GetProperty("upper").GetDouble());
        var revenue = comparison.GetProperty("revenueDifferenceInterval");
        Assert.InRange(20 * trueLift, revenue.GetProperty("lower").GetDouble(), revenue.GetProperty("upper").GetDouble());
        Assert.Equal(20.0 * (armA.X + armB.X), lift.GetProperty("treated").GetProperty("revenue").GetDouble());
        var verdict = lift.GetProperty("verdict");
        Assert.Equal("lift", verdict.GetProperty("kind").GetString());
        Assert.StartsWith("Treated contacts convert ", verdict.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("points more than the holdout", verdict.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains(FormattableString.Invariant($"95 % CI +{absolute.GetProperty("lower").GetDouble() * 100:0.0} to +{absolute.GetProperty("upper").GetDouble() * 100:0.0} points"), verdict.GetProperty("text").GetString(), StringComparison.Ordinal);

        var experiments = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/lift/experiments?version=1", Cancel);
        Assert.Equal(1, experiments.GetProperty("version").GetInt32());
        var experiment = Assert.Single(experiments.GetProperty("experiments").EnumerateArray().ToList());
        Assert.Equal("pick", experiment.GetProperty("stepId").GetString());
        Assert.Equal(JsonValueKind.Null, experiment.GetProperty("decision").ValueKind);
        var arms = experiment.GetProperty("arms").EnumerateArray().ToList();
        Assert.Equal(["A", "B"], arms.Select(arm => arm.GetProperty("name").GetString()));
        Assert.Equal([armA.N, armB.N], arms.Select(arm => arm.GetProperty("entries").GetInt32()));
        Assert.Equal([armA.X, armB.X], arms.Select(arm => arm.GetProperty("conversions").GetInt32()));
        Assert.InRange(ArmARate, arms[0].GetProperty("rateInterval").GetProperty("lower").GetDouble(), arms[0].GetProperty("rateInterval").GetProperty("upper").GetDouble());
        Assert.InRange(ArmBRate, arms[1].GetProperty("rateInterval").GetProperty("lower").GetDouble(), arms[1].GetProperty("rateInterval").GetProperty("upper").GetDouble());
        Assert.True(arms[1].GetProperty("probabilityBest").GetDouble() > 0.99);
        Assert.Equal(1, arms[0].GetProperty("probabilityBest").GetDouble() + arms[1].GetProperty("probabilityBest").GetDouble(), 1e-9);
        var versus = arms[1].GetProperty("versusFirst");
        Assert.Equal("A", versus.GetProperty("baseline").GetString());
        Assert.InRange(ArmBRate - ArmARate, versus.GetProperty("differenceInterval").GetProperty("lower").GetDouble(), versus.GetProperty("differenceInterval").GetProperty("upper").GetDouble());
        Assert.True(versus.GetProperty("differenceInterval").GetProperty("lower").GetDouble() > 0);
        Assert.True(experiment.GetProperty("chiSquare").GetProperty("pValue").GetDouble() < 0.05);
        Assert.StartsWith("Arm B converts best", experiment.GetProperty("verdict").GetString(), StringComparison.Ordinal);

        using var csv = await _cairn.Admin.GetAsync("/api/journeys/lift/lift?format=csv", Cancel);
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("journey,from,to,version,group,entries,conversions,rate,rate_lower,rate_upper", lines[0], StringComparison.Ordinal);
        Assert.Equal(["treated", "holdout", "treated - holdout", "treated / holdout - 1"], lines.Skip(1).Select(line => line.Split(',')[4]));
        Assert.StartsWith($"lift,", lines[1], StringComparison.Ordinal);
        Assert.Contains($",all,treated,{treatedN},{armA.X + armB.X},", lines[1], StringComparison.Ordinal);

        using var experimentsCsv = await _cairn.Admin.GetAsync("/api/journeys/lift/experiments?format=csv&version=1", Cancel);
        var armLines = (await experimentsCsv.Content.ReadAsStringAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, armLines.Length);
        Assert.Contains($",1,pick,B,{armB.N},{armB.X},", armLines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadParameters_AreRefused_AndMissingJourneysAndVersionsAreNotFound()
    {
        await _cairn.PutDocumentAsync("templates/lift-hello", Template);
        await _cairn.PutDocumentAsync("journeys/lift", Journey);
        using (await _cairn.Admin.PostAsync("/api/journeys/lift/publish", null, Cancel))
        {
        }

        foreach (var report in new[] { "lift", "experiments" })
        {
            foreach (var query in new[] { "format=xml", "version=abc", "version=0", "version=-1", "version=99999999999", "from=yesterday", "from=2026-11-02&to=2026-11-01", "from=2020-01-01&to=2026-01-01" })
            {
                await AssertProblemAsync(await _cairn.Admin.GetAsync($"/api/journeys/lift/{report}?{query}", Cancel), HttpStatusCode.BadRequest);
            }

            await AssertProblemAsync(await _cairn.Admin.GetAsync($"/api/journeys/nope/{report}", Cancel), HttpStatusCode.NotFound);
            await AssertProblemAsync(await _cairn.Admin.GetAsync($"/api/journeys/lift/{report}?version=2", Cancel), HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task AJourneyWithoutHoldout_SaysSo_AndAnEmptyPeriodHasNotEnoughData()
    {
        await _cairn.PutDocumentAsync("templates/lift-hello", Template);
        await _cairn.PutDocumentAsync("journeys/plain", Journey.Replace("id: lift", "id: plain", StringComparison.Ordinal).Replace("entry: { holdout: 30 }\n", string.Empty, StringComparison.Ordinal));
        await _cairn.PutDocumentAsync("journeys/lift", Journey);
        foreach (var id in new[] { "plain", "lift" })
        {
            using (await _cairn.Admin.PostAsync($"/api/journeys/{id}/publish", null, Cancel))
            {
            }
        }

        var plain = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/plain/lift", Cancel);
        Assert.Equal("no_holdout", plain.GetProperty("verdict").GetProperty("kind").GetString());
        Assert.StartsWith("No holdout: this journey has none", plain.GetProperty("verdict").GetProperty("text").GetString(), StringComparison.Ordinal);

        var empty = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/lift/lift?from=2026-01-01&to=2026-01-31", Cancel);
        Assert.Equal("not_enough_data", empty.GetProperty("verdict").GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("comparison").ValueKind);
        Assert.Equal(0, empty.GetProperty("treated").GetProperty("entries").GetInt64());
        Assert.Equal("2026-01-01T00:00:00+00:00", empty.GetProperty("period").GetProperty("from").GetString());

        var experiments = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/lift/experiments?from=2026-01-01&to=2026-01-31", Cancel);
        var arms = Assert.Single(experiments.GetProperty("experiments").EnumerateArray().ToList()).GetProperty("arms").EnumerateArray().ToList();
        Assert.All(arms, arm => Assert.Equal(0.5, arm.GetProperty("probabilityBest").GetDouble(), 1e-9));
    }

    private async Task SendBatchAsync(IEnumerable<object> messages)
    {
        foreach (var chunk in messages.Chunk(100))
        {
            using var response = await _cairn.Ingest.PostAsJsonAsync("/v1/batch", new { batch = chunk }, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await _cairn.Engine.WhenIdleAsync(Cancel);
    }
}
