using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Time.Testing;
using static Cairn.Http.Tests.IngestionTests;

namespace Cairn.Http.Tests.Reports;

/// <summary>
/// <c>GET /api/journeys/{id}/funnel</c> on the in-process server with a fake clock: a journey with waits, a branch, an exit
/// criterion, a goal and a maximum run time driven over five days, every figure checked, by period and version, as JSON
/// and CSV, and the refusals.
/// </summary>
public sealed class FunnelApiTests : IAsyncLifetime
{
    private const string Template = "kind: template\nid: hello\nchannel: email\nsubject: Hello\ntext: Hello\n";
    private const string Journey = """
        id: onboard
        name: Onboard
        trigger: { event: signed_up }
        steps:
          - id: hello
            send: { channel: email, template: hello }
            next: pause
          - id: pause
            wait: 1d
            next: plan
          - id: plan
            branch:
              - name: pro
                when: { payload: properties.plan, op: eq, value: pro }
                next: pro_mail
            else: nudge
          - id: pro_mail
            send: { channel: email, template: hello }
            next: end
          - id: nudge
            wait_for:
              event: app_opened
              timeout: 3d
            exits:
              happened: end
              timed_out: end
        exit_when:
          - event: account_closed
        goal:
          event: order_completed
          within: 7d
          exit: true
        max_run_time: 3d
        """;

    private static readonly DateTimeOffset Monday = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Monday);
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cairn = await TestCairn.StartAsync(time: _time);
        await _cairn.PutDocumentAsync("templates/hello", Template);
        await _cairn.PutDocumentAsync("journeys/onboard", Journey);
        using var publish = await _cairn.Admin.PostAsync("/api/journeys/onboard/publish", null, Cancel);
        Assert.Equal(HttpStatusCode.OK, publish.StatusCode);
    }

    public async ValueTask DisposeAsync() => await _cairn.DisposeAsync();

    [Fact]
    public async Task Funnel_CountsEveryStep_ByDayPeriodAndVersion()
    {
        await DriveAsync();

        var funnel = await FunnelAsync("from=2026-11-02&to=2026-11-06");
        Assert.Equal(1, funnel.GetProperty("version").GetInt32());
        Assert.Equal(1, funnel.GetProperty("liveVersion").GetInt32());
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero), funnel.GetProperty("from").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 11, 7, 0, 0, 0, TimeSpan.Zero), funnel.GetProperty("to").GetDateTimeOffset());
        Assert.Contains("nearest-rank", funnel.GetProperty("resolution").GetString(), StringComparison.Ordinal);

        var steps = funnel.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(["hello", "pause", "plan", "pro_mail", "nudge"], steps.Select(step => step.GetProperty("step").GetString()));

        var hello = steps[0];
        AssertStep(hello, "send", entered: 7, passed: 7, waiting: 0, [("next", "pause", 7)]);
        AssertDrops(hello, total: 0, criterion: 0, goal: 0, expired: 0, error: 0, suppressed: 1);
        AssertTime(hello.GetProperty("timeInStep"), 7, TimeSpan.Zero, TimeSpan.Zero);

        var pause = steps[1];
        AssertStep(pause, "wait", entered: 7, passed: 5, waiting: 0, [("next", "plan", 5)]);
        AssertDrops(pause, total: 2, criterion: 1, goal: 1, expired: 0, error: 0, suppressed: 0);
        AssertTime(pause.GetProperty("timeInStep"), 5, TimeSpan.FromDays(1), TimeSpan.FromDays(1));

        var plan = steps[2];
        AssertStep(plan, "branch", entered: 5, passed: 5, waiting: 0, [("else", "nudge", 4), ("pro", "pro_mail", 1)]);
        AssertDrops(plan, total: 0, criterion: 0, goal: 0, expired: 0, error: 0, suppressed: 0);

        AssertStep(steps[3], "send", entered: 1, passed: 1, waiting: 0, [("next", "end", 1)]);

        var nudge = steps[4];
        AssertStep(nudge, "wait_for", entered: 4, passed: 1, waiting: 1, [("happened", "end", 1)]);
        AssertDrops(nudge, total: 2, criterion: 0, goal: 1, expired: 1, error: 0, suppressed: 0);
        AssertTime(nudge.GetProperty("timeInStep"), 1, TimeSpan.FromHours(5), TimeSpan.FromHours(5));

        var conversions = funnel.GetProperty("conversions");
        Assert.Equal(7, conversions.GetProperty("entries").GetInt64());
        Assert.Equal(2, conversions.GetProperty("converted").GetInt64());
        Assert.Equal(2.0 / 7, conversions.GetProperty("rate").GetDouble(), 12);
        var days = conversions.GetProperty("days").EnumerateArray()
            .Select(day => (day.GetProperty("day").GetString(), day.GetProperty("entries").GetInt64(), day.GetProperty("converted").GetInt64(), day.GetProperty("rate").ValueKind == JsonValueKind.Null ? (double?)null : day.GetProperty("rate").GetDouble()))
            .ToList();
        Assert.Equal(
            [("2026-11-02", 4L, 1L, 0.25), ("2026-11-03", 2L, 1L, 0.5), ("2026-11-04", 0L, 0L, null), ("2026-11-05", 1L, 0L, 0.0), ("2026-11-06", 0L, 0L, null)],
            days);
        AssertTime(conversions.GetProperty("timeToConvert"), 2, TimeSpan.FromHours(3), TimeSpan.FromDays(2));

        // One day: only what happened on 3 November (the moves of that day, the conversions of that day's entries).
        var tuesday = await FunnelAsync("from=2026-11-03&to=2026-11-03&version=1");
        var oneDay = tuesday.GetProperty("steps").EnumerateArray().ToDictionary(step => step.GetProperty("step").GetString()!);
        AssertStep(oneDay["hello"], "send", entered: 2, passed: 2, waiting: 0, [("next", "pause", 2)]);
        AssertDrops(oneDay["hello"], total: 0, criterion: 0, goal: 0, expired: 0, error: 0, suppressed: 0);
        AssertStep(oneDay["pause"], "wait", entered: 2, passed: 2, waiting: 0, [("next", "plan", 2)]);
        AssertStep(oneDay["plan"], "branch", entered: 2, passed: 2, waiting: 0, [("else", "nudge", 1), ("pro", "pro_mail", 1)]);
        AssertStep(oneDay["nudge"], "wait_for", entered: 1, passed: 1, waiting: 1, [("happened", "end", 1)]);
        Assert.Equal(2, tuesday.GetProperty("conversions").GetProperty("entries").GetInt64());
        Assert.Equal(1, tuesday.GetProperty("conversions").GetProperty("converted").GetInt64());
        Assert.Single(tuesday.GetProperty("conversions").GetProperty("days").EnumerateArray());

        // A period given as times is widened to the whole UTC days it touches, and says so.
        var widened = await FunnelAsync("from=2026-11-03T10:00:00Z&to=2026-11-03T11:00:00Z");
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero), widened.GetProperty("from").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 11, 4, 0, 0, 0, TimeSpan.Zero), widened.GetProperty("to").GetDateTimeOffset());

        // A new version becomes the default; it has no enrollments yet; version 1 keeps its figures.
        await _cairn.PutDocumentAsync("journeys/onboard", Journey.Replace("name: Onboard", "name: Onboard v2", StringComparison.Ordinal));
        using (var publish = await _cairn.Admin.PostAsync("/api/journeys/onboard/publish", null, Cancel))
        {
            Assert.True(publish.IsSuccessStatusCode, await publish.Content.ReadAsStringAsync(Cancel));
        }

        var live = await FunnelAsync("from=2026-11-02&to=2026-11-06");
        Assert.Equal(2, live.GetProperty("version").GetInt32());
        Assert.Equal([2, 1], live.GetProperty("versions").EnumerateArray().Select(v => v.GetInt32()));
        Assert.All(live.GetProperty("steps").EnumerateArray(), step => Assert.Equal(0, step.GetProperty("entered").GetInt64()));
        Assert.Equal(0, live.GetProperty("conversions").GetProperty("entries").GetInt64());
        var first = await FunnelAsync("from=2026-11-02&to=2026-11-06&version=1");
        Assert.Equal(7, first.GetProperty("steps")[0].GetProperty("entered").GetInt64());

        // The old stats endpoint still counts every move.
        var stats = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/onboard/stats", Cancel);
        Assert.Equal(7, stats.GetProperty("versions")[0].GetProperty("entered").GetInt64());
    }

    [Fact]
    public async Task Funnel_AsCsv_IsOneRowPerStepAndExit()
    {
        await DriveAsync();

        using var response = await _cairn.Admin.GetAsync("/api/journeys/onboard/funnel?from=2026-11-02&to=2026-11-06&format=csv", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            "journey,version,from,to,position,step,kind,entered,passed,exit,exit_to,exit_count,dropped,dropped_exit_criterion,dropped_goal,dropped_expired,dropped_error,suppressed_sends,moved_to_other_version,waiting_now,time_in_step_n,median_low_s,median_high_s,p90_low_s,p90_high_s,period_entries,period_converted,period_conversion_rate",
            lines[0]);
        Assert.Equal(7, lines.Length);
        Assert.Equal("onboard,1,2026-11-02T00:00:00Z,2026-11-07T00:00:00Z,1,hello,send,7,7,next,pause,7,0,0,0,0,0,1,0,0,7,0,1,0,1,7,2,0.285714", lines[1]);
        Assert.StartsWith("onboard,1,2026-11-02T00:00:00Z,2026-11-07T00:00:00Z,3,plan,branch,5,5,else,nudge,4,", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("onboard,1,2026-11-02T00:00:00Z,2026-11-07T00:00:00Z,3,plan,branch,5,5,pro,pro_mail,1,", lines[4], StringComparison.Ordinal);
        Assert.StartsWith("onboard,1,2026-11-02T00:00:00Z,2026-11-07T00:00:00Z,5,nudge,wait_for,4,1,happened,end,1,2,0,1,1,0,0,0,1,1,", lines[6], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/journeys/onboard/funnel?version=abc", HttpStatusCode.BadRequest)]
    [InlineData("/api/journeys/onboard/funnel?version=0", HttpStatusCode.BadRequest)]
    [InlineData("/api/journeys/onboard/funnel?version=-1", HttpStatusCode.BadRequest)]
    [InlineData("/api/journeys/onboard/funnel?version=99999999999", HttpStatusCode.BadRequest)]
    [InlineData("/api/journeys/onboard/funnel?version=1.5", HttpStatusCode.BadRequest)]
    [InlineData("/api/journeys/onboard/funnel?version=7", HttpStatusCode.NotFound)]
    [InlineData("/api/journeys/onboard/funnel?from=yesterday", HttpStatusCode.BadRequest)]
    [InlineData("/api/journeys/onboard/funnel?from=2026-11-05&to=2026-11-01", HttpStatusCode.BadRequest)]
    [InlineData("/api/journeys/onboard/funnel?from=2020-01-01&to=2026-11-01", HttpStatusCode.BadRequest)]
    [InlineData("/api/journeys/onboard/funnel?format=xml", HttpStatusCode.BadRequest)]
    [InlineData("/api/journeys/nope/funnel", HttpStatusCode.NotFound)]
    [InlineData("/api/journeys/Bad%20Id%3Cscript%3E/funnel", HttpStatusCode.NotFound)]
    public async Task Funnel_RefusesBadParameters_WithAProblem(string path, HttpStatusCode status) =>
        await AssertProblemAsync(await _cairn.Admin.GetAsync(path, Cancel), status);

    [Fact]
    public async Task Funnel_OfAVeryLongJourneyId_IsNotFound_AndDoesNotEchoIt()
    {
        var problem = await AssertProblemAsync(await _cairn.Admin.GetAsync($"/api/journeys/{new string('a', 3000)}/funnel", Cancel), HttpStatusCode.NotFound);
        Assert.True(problem.GetProperty("detail").GetString()!.Length < 200);
    }

    /// <summary>
    /// Five days of onboarding. 2 Nov 09:00: a (pro), b, c, d sign up; c closes the account at 10:00 (exit criterion at
    /// pause); a's hello is suppressed at 11:00; d orders at 12:00 (goal at pause, 3 h). 3 Nov: a and b pass pause at
    /// 09:00 (a to pro_mail and the end, b to nudge); e and g sign up at 12:00; b opens the app at 14:00 (nudge passed after
    /// 5 h). 4 Nov 12:00: e and g reach nudge. 5 Nov: f signs up at 10:00; g orders at 12:00 (goal at nudge, 2 days after
    /// entry). 6 Nov: f reaches nudge at 10:00 and waits; e's maximum run time of 3 days ends it at nudge at 12:00.
    /// </summary>
    private async Task DriveAsync()
    {
        foreach (var (user, plan) in new[] { ("a", "pro"), ("b", "free"), ("c", "free"), ("d", "free") })
        {
            await TrackAsync(user, "signed_up", $$"""{"plan":"{{plan}}"}""");
        }

        await At(Monday.AddHours(1));
        await TrackAsync("c", "account_closed", "{}");
        await At(Monday.AddHours(2));
        var a = await _cairn.ContactIdAsync("a");
        await TrackAsync("a", "message_suppressed", $$"""{"message_id":"{{a}}:onboard:1:hello","reason":"unsubscribed"}""");
        await At(Monday.AddHours(3));
        await TrackAsync("d", "order_completed", "{}");

        await At(Monday.AddDays(1).AddHours(3));
        await TrackAsync("e", "signed_up", """{"plan":"free"}""");
        await TrackAsync("g", "signed_up", """{"plan":"free"}""");
        await At(Monday.AddDays(1).AddHours(5));
        await TrackAsync("b", "app_opened", "{}");

        await At(Monday.AddDays(3).AddHours(1));
        await TrackAsync("f", "signed_up", """{"plan":"free"}""");
        await At(Monday.AddDays(3).AddHours(3));
        await TrackAsync("g", "order_completed", "{}");
        await At(Monday.AddDays(4).AddHours(4));
    }

    private async Task At(DateTimeOffset until) => await _cairn.AdvanceAsync(_time, until);

    private async Task TrackAsync(string user, string name, string properties)
    {
        var timestamp = _time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        await _cairn.SendAsync("track", $$"""{"userId":"{{user}}","event":"{{name}}","properties":{{properties}},"timestamp":"{{timestamp}}"}""");
    }

    private async Task<JsonElement> FunnelAsync(string query)
    {
        using var response = await _cairn.Admin.GetAsync("/api/journeys/onboard/funnel?" + query, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static void AssertStep(JsonElement step, string kind, long entered, long passed, long waiting, (string Exit, string To, long Count)[] exits)
    {
        Assert.Equal(kind, step.GetProperty("kind").GetString());
        Assert.Equal(entered, step.GetProperty("entered").GetInt64());
        Assert.Equal(passed, step.GetProperty("passed").GetInt64());
        Assert.Equal(waiting, step.GetProperty("waitingNow").GetInt64());
        Assert.Equal(
            exits,
            step.GetProperty("exits").EnumerateArray().Select(exit => (exit.GetProperty("exit").GetString()!, exit.GetProperty("to").GetString()!, exit.GetProperty("count").GetInt64())).ToArray());
    }

    private static void AssertDrops(JsonElement step, long total, long criterion, long goal, long expired, long error, long suppressed)
    {
        var dropped = step.GetProperty("dropped");
        Assert.Equal(
            (total, criterion, goal, expired, error, suppressed),
            (dropped.GetProperty("total").GetInt64(), dropped.GetProperty("exitCriterion").GetInt64(), dropped.GetProperty("goal").GetInt64(),
                dropped.GetProperty("expired").GetInt64(), dropped.GetProperty("error").GetInt64(), dropped.GetProperty("suppressed").GetInt64()));
    }

    /// <summary>The count, and the median and p90 each the bucket of the exact value given (whose bounds contain it).</summary>
    private static void AssertTime(JsonElement time, long count, TimeSpan median, TimeSpan p90)
    {
        Assert.Equal(count, time.GetProperty("count").GetInt64());
        foreach (var (name, value) in new[] { ("median", median), ("p90", p90) })
        {
            var range = time.GetProperty(name);
            var bucket = DurationBuckets.Of(value);
            Assert.Equal(DurationBuckets.Low(bucket).TotalSeconds, range.GetProperty("lowSeconds").GetDouble());
            Assert.Equal(DurationBuckets.High(bucket)!.Value.TotalSeconds, range.GetProperty("highSeconds").GetDouble());
            Assert.InRange(value.TotalSeconds, range.GetProperty("lowSeconds").GetDouble(), range.GetProperty("highSeconds").GetDouble() - 0.001);
        }
    }
}
