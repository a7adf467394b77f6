using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// Live segments through the API: backfill, incremental membership on events and traits, flips by time, journeys on
/// entry, static lists and archiving. Run on SQLite and PostgreSQL.
/// </summary>
public abstract class SegmentApiTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task NewSegment_IsBackfilled_ThenFollowsTraitChangesAtOnce()
    {
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"plan":"pro"}}""");
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"plan":"free"}}""");

        var saved = await PutAsync("pro", "kind: segment\nid: pro\nname: Pro plan\ncondition: { trait: plan, op: eq, value: pro }");
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);

        var status = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/segments/pro/status", Cancel);
        Assert.Equal(("done", 2, 1), (status.GetProperty("backfill").GetString(), status.GetProperty("processed").GetInt32(), status.GetProperty("members").GetInt32()));
        var ann = await _cairn.ContactIdAsync("ann");
        var member = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/segments/pro/members", Cancel)).GetProperty("items").EnumerateArray());
        Assert.Equal(ann, member.GetProperty("contactId").GetString());
        Assert.Equal("segment pro saved (version 1)", member.GetProperty("reason").GetString());

        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"plan":"free"}}""");
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"plan":"pro"}}""");
        Assert.Empty((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/segments", Cancel)).EnumerateArray());
        var bob = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{await _cairn.ContactIdAsync("bob")}/segments", Cancel)).EnumerateArray());
        Assert.Equal(("pro", "identify set plan"), (bob.GetProperty("segment").GetString(), bob.GetProperty("reason").GetString()));

        var events = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/events", Cancel);
        Assert.Equal(
            ["segment_exited", "segment_entered"],
            events.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("name").GetString()).Where(name => name!.StartsWith("segment_", StringComparison.Ordinal)));

        var list = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/segments", Cancel);
        Assert.Equal(1, Assert.Single(list.EnumerateArray()).GetProperty("members").GetInt32());
    }

    [Fact]
    public async Task WindowedSegment_EntersOnTheEvent_TriggersAJourney_AndLeavesWhenTheWindowPasses()
    {
        await _cairn.PutDocumentAsync("templates/hot", "kind: template\nid: hot\nchannel: email\nsubject: Hot\ntext: Hot\n");
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("pricing-hot", """
            kind: segment
            id: pricing-hot
            name: Pricing twice in a week
            condition: { performed: pricing_viewed, at_least: 2, within: 7d }
            """)).StatusCode);
        await _cairn.PutDocumentAsync("journeys/hot-lead", """
            id: hot-lead
            name: Hot lead
            trigger: { segment_entered: pricing-hot }
            steps:
              - id: hello
                send: { channel: email, template: hot }
            """);
        (await _cairn.Admin.PostAsync("/api/journeys/hot-lead/publish", null, Cancel)).Dispose();
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);

        await _cairn.SendAsync("track", """{"userId":"cem","event":"pricing_viewed"}""");
        _time.Advance(TimeSpan.FromDays(1));
        await _cairn.SendAsync("track", """{"userId":"cem","event":"pricing_viewed"}""");
        var cem = await _cairn.ContactIdAsync("cem");
        var entered = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{cem}/segments", Cancel)).EnumerateArray());
        Assert.Equal("performed pricing_viewed", entered.GetProperty("reason").GetString());
        var message = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={cem}", Cancel)).GetProperty("items").EnumerateArray());
        Assert.Equal("hot-lead", message.GetProperty("journeyId").GetString());

        // The first view leaves the window 7 days after it: the timer fires then, not a scan.
        _time.Advance(TimeSpan.FromDays(6));
        await _cairn.Timers.FireDueTimersAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);
        Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{cem}/segments", Cancel)).EnumerateArray());
        _time.Advance(TimeSpan.FromSeconds(1));
        await _cairn.Timers.FireDueTimersAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);
        Assert.Empty((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{cem}/segments", Cancel)).EnumerateArray());
    }

    [Fact]
    public async Task HistoryClauses_SeeEveryEarlierEvent_AcrossBatches_WithTheirPropertiesWhereAClauseReadsThem()
    {
        // Each send is its own batch: the second and third inputs find the contact's history held from the first.
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("big-spender", """
            kind: segment
            id: big-spender
            name: Spent 100 in a month
            condition: { aggregate: sum, of: revenue, event: order_completed, within: 30d, op: gte, value: 100 }
            """)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("pricing-fan", """
            kind: segment
            id: pricing-fan
            name: Pricing page twice, and a feature used
            condition: { all: [ { performed: $page, at_least: 2, where: { property: path, op: eq, value: /pricing } }, { performed: feature_used, within: 7d } ] }
            """)).StatusCode);
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);

        await _cairn.SendAsync("track", """{"userId":"dee","event":"order_completed","properties":{"revenue":60}}""");
        await _cairn.SendAsync("page", """{"userId":"dee","name":"Pricing","properties":{"path":"/pricing"}}""");
        await _cairn.SendAsync("page", """{"userId":"dee","name":"Docs","properties":{"path":"/docs"}}""");
        await _cairn.SendAsync("track", """{"userId":"dee","event":"feature_used"}""");
        var dee = await _cairn.ContactIdAsync("dee");
        Assert.Empty(await SegmentsOfAsync(dee));

        _time.Advance(TimeSpan.FromDays(2));
        await _cairn.SendAsync("track", """{"userId":"dee","event":"order_completed","properties":{"revenue":50}}""");
        Assert.Equal(["big-spender"], await SegmentsOfAsync(dee));
        await _cairn.SendAsync("page", """{"userId":"dee","name":"Pricing","properties":{"path":"/pricing"}}""");
        Assert.Equal(["big-spender", "pricing-fan"], await SegmentsOfAsync(dee));

        // A segment saved later reads properties the earlier ones did not: the histories held are read again.
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("docs-reader", """
            kind: segment
            id: docs-reader
            name: Read the docs
            condition: { all: [ { performed: $page, where: { property: path, op: eq, value: /docs } }, { performed: feature_used, at_least: 2, within: 7d } ] }
            """)).StatusCode);
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);
        await _cairn.SendAsync("track", """{"userId":"dee","event":"feature_used"}""");
        Assert.Equal(["big-spender", "docs-reader", "pricing-fan"], await SegmentsOfAsync(dee));
    }

    [Fact]
    public async Task HistoryClauses_AfterAMerge_CountTheEventsHandedOverFromTheMergedProfile()
    {
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("pricing-keen", """
            kind: segment
            id: pricing-keen
            name: Pricing three times in a week
            condition: { performed: pricing_viewed, at_least: 3, within: 7d }
            """)).StatusCode);
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);

        // Both profiles' histories are read (and held) before the merge; afterwards the survivor's must include both.
        await _cairn.SendAsync("track", """{"userId":"fay","event":"pricing_viewed"}""");
        await _cairn.SendAsync("track", """{"anonymousId":"visitor-9","event":"pricing_viewed"}""");
        await _cairn.SendAsync("identify", """{"userId":"fay","anonymousId":"visitor-9","traits":{"plan":"pro"}}""");
        await _cairn.Engine.WhenIdleAsync(Cancel);
        var fay = await _cairn.ContactIdAsync("fay");
        Assert.Empty(await SegmentsOfAsync(fay));

        await _cairn.SendAsync("track", """{"userId":"fay","event":"pricing_viewed"}""");
        await _cairn.Engine.WhenIdleAsync(Cancel);
        Assert.Equal(["pricing-keen"], await SegmentsOfAsync(await _cairn.ContactIdAsync("fay")));
    }

    [Fact]
    public async Task HistoryClauses_OnAHistoryFarLongerThanAnyCache_SeeEveryOrder_TheFirstOccurrence_AndTheYearsRevenue()
    {
        // Page views are read too (a segment counts them), and this contact has far more of them than orders.
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("browsing", "kind: segment\nid: browsing\nname: Browsing\ncondition: { performed: $page, at_least: 5, within: 7d }")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("loyal", "kind: segment\nid: loyal\nname: Four orders in a year\ncondition: { performed: order_completed, at_least: 4, within: 365d }")).StatusCode);
        await _cairn.PutDocumentAsync("templates/vip", "kind: template\nid: vip\nchannel: email\nsubject: VIP\ntext: VIP\n");
        await _cairn.PutDocumentAsync("templates/thanks", "kind: template\nid: thanks\nchannel: email\nsubject: Thanks\ntext: Thanks\n");
        foreach (var template in (string[])["vip", "thanks"])
        {
            (await _cairn.Admin.PostAsync($"/api/templates/{template}/publish", null, Cancel)).Dispose();
        }

        await _cairn.PutDocumentAsync("journeys/order-thanks", """
            id: order-thanks
            name: Thank the buyer
            trigger: { event: order_completed }
            entry: { reentry: always }
            steps:
              - id: loyal
                branch:
                  - { when: { performed: order_completed, at_least: 4, within: 365d }, next: vip }
                else: thanks
              - id: vip
                send: { channel: email, template: vip }
                next: done
              - id: thanks
                send: { channel: email, template: thanks }
                next: done
              - id: done
                exit: true
            """);
        (await _cairn.Admin.PostAsync("/api/journeys/order-thanks/publish", null, Cancel)).Dispose();
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);

        // A year: a sign-up, three orders, then 1,500 page views; then a fourth order today.
        var now = _time.GetUtcNow();
        string Track(string name, DateTimeOffset at, string properties = "{}") =>
            $$"""{"type":"track","userId":"gus","event":"{{name}}","properties":{{properties}},"timestamp":"{{at:O}}"}""";
        var year = new List<string> { Track("signed_up", now.AddDays(-360)) };
        year.AddRange(new[] { -300, -250, -200 }.Select(days => Track("order_completed", now.AddDays(days), """{"revenue":100}""")));
        year.AddRange(Enumerable.Range(0, 1500).Select(i => $$"""{"type":"page","userId":"gus","name":"Docs","properties":{"path":"/docs/{{i}}"},"timestamp":"{{now.AddDays(-190).AddHours(3 * i):O}}"}"""));
        foreach (var chunk in year.Chunk(500))
        {
            using var response = await _cairn.Ingest.PostAsync("/v1/batch", new StringContent($$"""{"batch":[{{string.Join(",", chunk)}}]}""", Encoding.UTF8, "application/json"), Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await _cairn.Engine.WhenIdleAsync(Cancel);
        }

        await _cairn.SendAsync("track", """{"userId":"gus","event":"order_completed","properties":{"revenue":100}}""");
        var gus = await _cairn.ContactIdAsync("gus");
        Assert.Equal(["browsing", "loyal"], await SegmentsOfAsync(gus));
        var messages = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={gus}", Cancel)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["thanks", "thanks", "thanks", "vip"], messages.Select(m => m.GetProperty("template").GetString()).Order(StringComparer.Ordinal));

        // Segments saved now are backfilled from the whole year: the sign-up is its oldest event, the orders sum to 400.
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("early", "kind: segment\nid: early\nname: Signed up over 300 days ago\ncondition: { first_performed: signed_up, before: 300d }")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("spent-400", "kind: segment\nid: spent-400\nname: 400 in a year\ncondition: { aggregate: sum, of: revenue, event: order_completed, within: 365d, op: gte, value: 400 }")).StatusCode);
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);
        Assert.Equal(["browsing", "early", "loyal", "spent-400"], await SegmentsOfAsync(gus));

        // A scoring model saved now scores every order, not the ones among the newest events.
        using (var model = await _cairn.Admin.PutAsync("/api/scoring-models/buyer", new StringContent("kind: scoring_model\nid: buyer\nname: Buyer\nrules: [{ id: order, event: order_completed, points: 10 }]", Encoding.UTF8, "application/yaml"), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        }

        await _cairn.Rollouts.RunRolloutsAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);
        var score = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{gus}/scores", Cancel)).EnumerateArray());
        Assert.Equal(40.0, score.GetProperty("score").GetDouble());

        // The first order leaves the year: out of both, at that moment.
        _time.SetUtcNow(now.AddDays(65).AddSeconds(1));
        await _cairn.Timers.FireDueTimersAsync(Cancel);
        await _cairn.Engine.WhenIdleAsync(Cancel);
        Assert.Equal(["early"], await SegmentsOfAsync(gus));
    }

    private async Task<string[]> SegmentsOfAsync(string contactId) =>
        [.. (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{contactId}/segments", Cancel)).EnumerateArray().Select(entry => entry.GetProperty("segment").GetString()!).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Preview_CountsWithoutSaving_AndCyclesAreRefused()
    {
        await _cairn.SendAsync("identify", """{"userId":"dee","traits":{"plan":"free","email":"dee@example.com"}}""");
        await _cairn.SendAsync("identify", """{"userId":"eve","traits":{"plan":"pro"}}""");
        using var preview = await _cairn.Admin.PostAsync("/api/segments/preview", new StringContent("""{"condition":{"trait":"plan","op":"eq","value":"free"}}""", Encoding.UTF8, "application/json"), Cancel);
        var result = await preview.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(1, result.GetProperty("count").GetInt32());
        Assert.Equal("dee@example.com", Assert.Single(result.GetProperty("sample").EnumerateArray()).GetProperty("email").GetString());
        Assert.Empty((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/segments", Cancel)).EnumerateArray());

        Assert.Equal(HttpStatusCode.OK, (await PutAsync("a", "kind: segment\nid: a\nname: A\ncondition: { trait: plan, op: exists }")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("b", "kind: segment\nid: b\nname: B\ncondition: { in_segment: a }")).StatusCode);
        using var cycle = await PutAsync("a", "kind: segment\nid: a\nname: A\ncondition: { in_segment: b }");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, cycle.StatusCode);
        Assert.Contains("cycle: a -> b -> a", await cycle.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        using var unknown = await PutAsync("c", "kind: segment\nid: c\nname: C\ncondition: { in_segment: nowhere }");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
    }

    [Fact]
    public async Task StaticList_TakesMembersThroughTheApi_AndSegmentsReferringToItFollow()
    {
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"email":"ann@example.com","plan":"pro"}}""");
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"email":"bob@example.com","plan":"free"}}""");
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("vip", "kind: segment\nid: vip\nname: VIP list\nstatic: true")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("vip-pro", "kind: segment\nid: vip-pro\nname: VIPs on pro\ncondition: [{ in_segment: vip }, { trait: plan, op: eq, value: pro }]")).StatusCode);
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);

        using var add = await _cairn.Admin.PostAsync("/api/segments/vip/members", new StringContent("""{"add":[{"userId":"ann"},{"email":"bob@example.com"},{"userId":"nobody"},{"phone":"1"}]}""", Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        var result = await add.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal((2, 0, 2), (result.GetProperty("added").GetInt32(), result.GetProperty("removed").GetInt32(), result.GetProperty("members").GetInt32()));
        Assert.Equal(
            ["add[2]: no contact has userId 'nobody'", "add[3]: an entry is an object with a contactId, userId or email"],
            result.GetProperty("rejected").EnumerateArray().Select(r => $"{r.GetProperty("row").GetString()}: {r.GetProperty("reason").GetString()}"));

        var ann = await _cairn.ContactIdAsync("ann");
        var annSegments = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/segments", Cancel)).EnumerateArray().ToList();
        Assert.Equal([("vip", "added through the API"), ("vip-pro", "added through the API")], annSegments.Select(s => (s.GetProperty("segment").GetString(), s.GetProperty("reason").GetString())));
        var bob = await _cairn.ContactIdAsync("bob");
        Assert.Equal(["vip"], (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{bob}/segments", Cancel)).EnumerateArray().Select(s => s.GetProperty("segment").GetString()));

        // Removing ann from the list takes her out of the segment built on it, in the same input.
        using var remove = await _cairn.Admin.PostAsync("/api/segments/vip/members", new StringContent($$"""{"remove":[{"contactId":"{{ann}}"}]}""", Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(1, (await remove.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("removed").GetInt32());
        Assert.Empty((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/segments", Cancel)).EnumerateArray());
        var events = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/events", Cancel);
        Assert.Equal(2, events.GetProperty("items").EnumerateArray().Count(e => e.GetProperty("name").GetString() == "segment_exited"));

        using var conditioned = await _cairn.Admin.PostAsync("/api/segments/vip-pro/members", new StringContent("""{"add":[{"userId":"ann"}]}""", Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.Conflict, conditioned.StatusCode);
        using var preview = await _cairn.Admin.PostAsync("/api/segments/preview", new StringContent("kind: segment\nid: x\nname: X\nstatic: true", Encoding.UTF8, "application/yaml"), Cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, preview.StatusCode);

        // Archiving: refused while another segment builds on the list; then its members leave it.
        using (var inUse = await _cairn.Admin.PostAsync("/api/segments/vip/archive", null, Cancel))
        {
            Assert.Equal(HttpStatusCode.Conflict, inUse.StatusCode);
            Assert.Contains("used by segment 'vip-pro'", await inUse.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }

        (await _cairn.Admin.PostAsync("/api/segments/vip-pro/archive", null, Cancel)).Dispose();
        using (var archived = await _cairn.Admin.PostAsync("/api/segments/vip/archive", null, Cancel))
        {
            Assert.Equal(1, (await archived.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("membersRemoved").GetInt32());
        }

        Assert.Empty((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{bob}/segments", Cancel)).EnumerateArray());
        Assert.Equal(0, (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/segments/vip/status", Cancel)).GetProperty("members").GetInt32());
        Assert.Empty((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/segments", Cancel)).EnumerateArray());
    }

    [Fact]
    public async Task ConsentSegment_FollowsConsentGivenAndWithdrawnThroughTheApi()
    {
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"email":"ann@example.com"}}""");
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("newsletter", "kind: segment\nid: newsletter\nname: Newsletter subscribers\ncondition: { consent: email, group: newsletter }")).StatusCode);
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);
        var ann = await _cairn.ContactIdAsync("ann");

        using (var given = await _cairn.Admin.PutAsync($"/api/contacts/{ann}/consent", new StringContent("""{"channel":"email","group":"newsletter","state":"opted_in","source":"form-7","proof":"Yes, send me the newsletter"}""", Encoding.UTF8, "application/json"), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, given.StatusCode);
            var consent = Assert.Single((await given.Content.ReadFromJsonAsync<JsonElement>(Cancel)).EnumerateArray());
            Assert.Equal(("email", "newsletter", "opted_in", "form-7"), (consent.GetProperty("channel").GetString(), consent.GetProperty("group").GetString(), consent.GetProperty("state").GetString(), consent.GetProperty("source").GetString()));
        }

        var member = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/segments", Cancel)).EnumerateArray());
        Assert.Equal("consent email:newsletter: opted in (form-7)", member.GetProperty("reason").GetString());

        // Withdrawing consent for the whole channel covers the group: she leaves at once.
        _time.Advance(TimeSpan.FromMinutes(1));
        using (var withdrawn = await _cairn.Admin.PutAsync($"/api/contacts/{ann}/consent", new StringContent("""{"channel":"email","state":"opted_out","source":"unsubscribe-link"}""", Encoding.UTF8, "application/json"), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        }

        Assert.Empty((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/segments", Cancel)).EnumerateArray());
        var events = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/events", Cancel)).GetProperty("items").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Equal(2, events.Count(name => name == "consent_changed"));

        using var invalid = await _cairn.Admin.PutAsync($"/api/contacts/{ann}/consent", new StringContent("""{"channel":"fax","state":"opted_in"}""", Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task Preview_OfHistoryConditions_CountsFromTheStoredEvents_WithAndWithoutTheirProperties()
    {
        await _cairn.SendAsync("track", """{"userId":"big","event":"order_completed","properties":{"revenue":120}}""");
        await _cairn.SendAsync("track", """{"userId":"small","event":"order_completed","properties":{"revenue":30}}""");
        await _cairn.SendAsync("page", """{"userId":"small","name":"Home","properties":{"path":"/"}}""");

        async Task<(int Count, string Users)> PreviewAsync(string condition)
        {
            using var response = await _cairn.Admin.PostAsync("/api/segments/preview", new StringContent($$"""{"condition":{{condition}}}""", Encoding.UTF8, "application/json"), Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            return (body.GetProperty("count").GetInt32(), string.Join(",", body.GetProperty("sample").EnumerateArray().Select(c => c.GetProperty("userId").GetString()).Order(StringComparer.Ordinal)));
        }

        Assert.Equal((2, "big,small"), await PreviewAsync("""{"performed":"order_completed","within":"1d"}"""));
        Assert.Equal((1, "big"), await PreviewAsync("""{"performed":"order_completed","where":{"property":"revenue","op":"gt","value":50}}"""));
        Assert.Equal((1, "big"), await PreviewAsync("""{"aggregate":"sum","of":"revenue","event":"order_completed","within":"30d","op":"gte","value":100}"""));
        Assert.Equal((1, "small"), await PreviewAsync("""{"last_performed":"$page","within":"1h"}"""));
    }

    private async Task<HttpResponseMessage> PutAsync(string id, string yaml) =>
        await _cairn.Admin.PutAsync($"/api/segments/{id}", new StringContent(yaml, Encoding.UTF8, "application/yaml"), Cancel);
}

public sealed class SqliteSegmentApiTests : SegmentApiTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlSegmentApiTests(PostgresFixture postgres) : SegmentApiTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
