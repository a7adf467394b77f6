using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// The example lead-nurture journey, lead-score model and sales-conversation segment with a sales team whose alerts
/// go to a real HTTP endpoint: scripted events raise the score, the stage becomes MQL, the routed owner's alert
/// arrives with the timeline and the score contributions, nurturing stops; round-robin, account matching,
/// acknowledgement by API and by CRM event, SLA escalation to the manager, and the hand-off report. Run on SQLite
/// and PostgreSQL.
/// </summary>
public abstract class HandOffTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    [Fact]
    public async Task LeadNurture_HandsMqlsToTheirRoutedOwner_AtARealEndpoint_WithTimelineAndScores_ThenTheSlaRuns()
    {
        await using var hook = await RecordingEndpoint.StartAsync();
        await using var cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);
        await ApplyAsync(cairn, "templates/nurture-education-1.yaml", "templates/nurture-education-2.yaml", "scoring/lead-score.yaml", "segments/sales-conversation.yaml", "journeys/lead-nurture.yaml");
        await cairn.PutDocumentAsync("sales-teams/sales", $"""
            kind: sales_team
            id: sales
            name: Sales
            webhook: {hook.Url}/team
            sla: 4h
            escalation: manager
            owners:
              - {"{"} id: mia, name: Mia Chen, webhook: "{hook.Url}/mia" {"}"}
              - {"{"} id: olivia, name: Olivia Park, manager: mia, accounts: [acme.com] {"}"}
              - {"{"} id: omar, name: Omar Haddad, manager: mia {"}"}
            routing:
              - name: emea
                when: {"{"} trait: country, op: in, value: [DE, FR] {"}"}
                owners: [olivia, omar]
            """);
        await cairn.Rollouts.RunRolloutsAsync(Cancel);

        // Fit 25 (company size, industry) + content 10 = a lead; pricing (+20) the next day = an MQL, handed off at once.
        foreach (var (user, email, country) in new[] { ("lea", "lea@acme.com", "US"), ("ben", "ben@globex.com", "DE"), ("cat", "cat@initech.com", "FR") })
        {
            await cairn.SendAsync("identify", $$$"""{"userId":"{{{user}}}","traits":{"email":"{{{email}}}","company_size":200,"industry":"software","country":"{{{country}}}"}}""");
            await cairn.SendAsync("track", $$$"""{"userId":"{{{user}}}","event":"content_downloaded","properties":{"asset":"seo-guide"}}""");
        }

        _time.Advance(TimeSpan.FromDays(1));
        foreach (var user in new[] { "lea", "ben", "cat" })
        {
            await cairn.SendAsync("page", $$$"""{"userId":"{{{user}}}","name":"Pricing","properties":{"path":"/pricing"}}""");
            await cairn.SendAsync("track", $$$"""{"userId":"{{{user}}}","event":"pricing_viewed","properties":{"plan":"team"}}""");
        }

        // The delivery loop may get there first; a pass waits for it, then delivers whatever is still due.
        await cairn.DeliverAsync();
        var alerts = hook.Received.ToList();
        Assert.Equal(3, alerts.Count);
        Assert.All(alerts, alert => Assert.Equal("/team", alert.Path));
        var lea = alerts.Single(alert => alert.Body.GetProperty("contact").GetProperty("userId").GetString() == "lea").Body;
        Assert.Equal(("handoff", "olivia", "account acme.com"), (lea.GetProperty("kind").GetString(), lea.GetProperty("owner").GetProperty("id").GetString(), lea.GetProperty("handoff").GetProperty("routedBy").GetString()));
        // The score made her an MQL; the journey's next step, in the same input, marked her SQL.
        Assert.Equal("sql", lea.GetProperty("contact").GetProperty("stage").GetString());
        var timeline = lea.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains("pricing_viewed", timeline);
        Assert.Contains("content_downloaded", timeline);
        Assert.Contains("stage_changed", timeline);
        var score = Assert.Single(lea.GetProperty("scores").EnumerateArray());
        Assert.Equal(["pricing-viewed", "content-downloaded"], score.GetProperty("contributions").EnumerateArray().Select(c => c.GetProperty("rule").GetString()));
        Assert.True(score.GetProperty("score").GetDouble() >= 50);

        // Round-robin within the emea rule: ben and cat go to different owners.
        var emea = alerts.Where(alert => alert.Body.GetProperty("handoff").GetProperty("routedBy").GetString() == "rule emea")
            .ToDictionary(alert => alert.Body.GetProperty("contact").GetProperty("userId").GetString()!, alert => alert.Body.GetProperty("owner").GetProperty("id").GetString());
        Assert.Equal(["ben", "cat"], emea.Keys.Order());
        Assert.Equal(["olivia", "omar"], emea.Values.Order());

        // Nurturing stopped for the handed-off leads: no second education email, ever.
        _time.Advance(TimeSpan.FromHours(1));
        var leaId = await cairn.ContactIdAsync("lea");
        var leaHandOff = lea.GetProperty("handoff").GetProperty("id").GetString()!;
        using (var ack = await cairn.Admin.PostAsync($"/api/handoffs/{Uri.EscapeDataString(leaHandOff)}/ack", null, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            var acknowledged = await ack.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            Assert.Equal(("acknowledged", "api", 3600.0), (acknowledged.GetProperty("status").GetString(), acknowledged.GetProperty("acknowledgedBy").GetString(), acknowledged.GetProperty("secondsToAcknowledge").GetDouble()));
        }

        await cairn.SendAsync("track", """{"userId":"cat","event":"deal_stage_changed","properties":{"stage":"discovery"}}""");

        // Ben's owner lets the SLA run out: his manager is alerted at her own endpoint.
        _time.Advance(TimeSpan.FromHours(3));
        await cairn.Timers.FireDueTimersAsync(Cancel);
        await cairn.DeliverAsync();
        var escalation = hook.Received.Last();
        Assert.Equal(("/mia", "escalation", "ben"), (escalation.Path, escalation.Body.GetProperty("kind").GetString(), escalation.Body.GetProperty("contact").GetProperty("userId").GetString()));
        Assert.Equal(emea["ben"], escalation.Body.GetProperty("escalatedFrom").GetProperty("id").GetString());

        var report = await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/handoffs", Cancel);
        var summary = report.GetProperty("summary");
        Assert.Equal((3, 2, 1, 1), (summary.GetProperty("total").GetInt32(), summary.GetProperty("acknowledged").GetInt32(), summary.GetProperty("breached").GetInt32(), summary.GetProperty("escalated").GetInt32()));
        var breached = Assert.Single((await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/handoffs?status=breached", Cancel)).GetProperty("items").EnumerateArray());
        Assert.Equal(("open", "mia"), (breached.GetProperty("status").GetString(), breached.GetProperty("escalatedTo").GetString()));
        var cat = Assert.Single((await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/handoffs?contactId={await cairn.ContactIdAsync("cat")}", Cancel)).GetProperty("items").EnumerateArray());
        Assert.Equal("deal_stage_changed", cat.GetProperty("acknowledgedBy").GetString());

        // A later lead from ben's company goes to ben's owner: account matching.
        await cairn.SendAsync("identify", """{"userId":"dan","traits":{"email":"dan@globex.com","company_size":200,"industry":"software","country":"US"}}""");
        await cairn.SendAsync("track", """{"userId":"dan","event":"content_downloaded"}""");
        await cairn.SendAsync("track", """{"userId":"dan","event":"pricing_viewed"}""");
        var dan = Assert.Single((await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/handoffs?contactId={await cairn.ContactIdAsync("dan")}", Cancel)).GetProperty("items").EnumerateArray());
        Assert.Equal((emea["ben"], "account globex.com"), (dan.GetProperty("owner").GetString(), dan.GetProperty("routedBy").GetString()));

        _time.Advance(TimeSpan.FromDays(20));
        await cairn.Timers.FireDueTimersAsync(Cancel);
        var messages = (await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={leaId}", Cancel)).GetProperty("items");
        Assert.Equal(["nurture-education-1"], messages.EnumerateArray().Where(m => m.GetProperty("channel").GetString() == "email").Select(m => m.GetProperty("template").GetString()));
        var alert = messages.EnumerateArray().Single(m => m.GetProperty("channel").GetString() == "owner");
        Assert.Equal(("sent", 1), (alert.GetProperty("status").GetString(), alert.GetProperty("attempts").GetInt32()));
    }

    [Fact]
    public async Task AFailingEndpoint_IsRetriedWithBackoff_AndTheTeamIsRejectedWhenInvalid()
    {
        await using var hook = await RecordingEndpoint.StartAsync(failures: 2);
        await using var cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);
        using (var invalid = await cairn.Admin.PutAsync("/api/sales-teams/broken", new StringContent("kind: sales_team\nid: broken\nname: Broken\nwebhook: not-a-url\nowners: [{ id: a, manager: nobody }]\nrouting: [{ name: all, owners: [b] }, { name: busy, when: { performed: demo_requested, within: 7d }, owners: [a] }]", Encoding.UTF8, "application/yaml"), Cancel))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
            var errors = (await invalid.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("message").GetString()).ToList();
            Assert.Contains("'webhook' must be an absolute http(s) URL, not 'not-a-url'", errors);
            Assert.Contains("owner 'a' has the manager 'nobody', who is not in the team", errors);
            Assert.Contains("the routing rule 'all' names 'b', who is not in the team's owners", errors);
            Assert.Contains("a routing rule's 'when' is a condition over the profile (traits, tags, stage, score, consent, in_segment); put event history in a segment and use in_segment", errors);
        }

        await ApplyAsync(cairn, "templates/nurture-education-1.yaml", "templates/nurture-education-2.yaml", "scoring/lead-score.yaml", "segments/sales-conversation.yaml", "journeys/lead-nurture.yaml");
        await cairn.PutDocumentAsync("sales-teams/sales", $"kind: sales_team\nid: sales\nname: Sales\nwebhook: {hook.Url}/team\nowners: [{{ id: sam }}]\nrouting: [{{ name: all, owners: [sam] }}]");
        await cairn.SendAsync("identify", """{"userId":"lea","traits":{"email":"lea@acme.com","company_size":200,"industry":"software"}}""");
        await cairn.SendAsync("track", """{"userId":"lea","event":"content_downloaded"}""");
        await cairn.SendAsync("track", """{"userId":"lea","event":"pricing_viewed"}""");

        var lea = await cairn.ContactIdAsync("lea");
        await cairn.DeliverAsync();
        var alert = (await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={lea}", Cancel)).GetProperty("items").EnumerateArray().Single(m => m.GetProperty("channel").GetString() == "owner");
        Assert.Equal(("queued", 1, "webhook: HTTP 503 Service Unavailable"), (alert.GetProperty("status").GetString(), alert.GetProperty("attempts").GetInt32(), alert.GetProperty("lastError").GetString()));

        _time.Advance(TimeSpan.FromMinutes(1));
        await cairn.DeliverAsync();
        Assert.Empty(hook.Received);
        _time.Advance(TimeSpan.FromMinutes(2));
        await cairn.DeliverAsync();
        alert = (await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={lea}", Cancel)).GetProperty("items").EnumerateArray().Single(m => m.GetProperty("channel").GetString() == "owner");
        Assert.Equal(("sent", 3), (alert.GetProperty("status").GetString(), alert.GetProperty("attempts").GetInt32()));
        Assert.Single(hook.Received);
    }

    [Fact]
    public async Task AnOwnerWithoutAWebhook_GetsTheAlertByEmail()
    {
        await using var cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);
        await ApplyAsync(cairn, "templates/nurture-education-1.yaml", "templates/nurture-education-2.yaml", "scoring/lead-score.yaml", "segments/sales-conversation.yaml", "journeys/lead-nurture.yaml");
        await cairn.PutDocumentAsync("sales-teams/sales", "kind: sales_team\nid: sales\nname: Sales\nowners: [{ id: sam, name: Sam Reyes, email: sam@sales.example.com }]\nrouting: [{ name: all, owners: [sam] }]");
        await cairn.SendAsync("identify", """{"userId":"lea","traits":{"email":"lea@acme.com","name":"Lea Park","company_size":200,"industry":"software"}}""");
        await cairn.SendAsync("track", """{"userId":"lea","event":"content_downloaded"}""");
        await cairn.SendAsync("track", """{"userId":"lea","event":"pricing_viewed"}""");
        await cairn.DeliverAsync();

        var mail = (await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox?to=sam@sales.example.com", Cancel)).GetProperty("messages").EnumerateArray().Single();
        Assert.Equal("New lead: Lea Park", mail.GetProperty("subject").GetString());
        var text = mail.GetProperty("text").GetString()!;
        Assert.Contains("Lead: Lea Park <lea@acme.com>", text, StringComparison.Ordinal);
        Assert.Contains("pricing_viewed", text, StringComparison.Ordinal);
        Assert.Contains("Score lead-score:", text, StringComparison.Ordinal);
        var lea = await cairn.ContactIdAsync("lea");
        var alert = (await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={lea}", Cancel)).GetProperty("items").EnumerateArray().Single(m => m.GetProperty("channel").GetString() == "owner");
        Assert.Equal(("sent", "sam@sales.example.com"), (alert.GetProperty("status").GetString(), alert.GetProperty("recipient").GetString()));
    }

    [Fact]
    public async Task TheReport_PagesTheListWithACursor_WhileTheSummaryCountsTheWholeWindow()
    {
        await using var cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);
        var batch = new Cairn.Runtime.Storage.CommitBatch();
        batch.HandOffs.AddRange(Enumerable.Range(0, 7).Select(i => new Cairn.Runtime.Storage.HandOffRecord(
            $"h-{i}", new Cairn.Core.ContactId(Guid.CreateVersion7()), "sales", i % 2 == 0 ? "mia" : "omar", "round_robin", null, "j", T0.AddMinutes(-i), T0.AddMinutes(-i).AddHours(4))));
        batch.HandOffAcknowledgements.Add(new Cairn.Runtime.Storage.HandOffAcknowledgement("h-2", T0.AddMinutes(8), "api"));
        await cairn.Store.CommitAsync(batch, Cancel);

        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = await cairn.Admin.GetFromJsonAsync<JsonElement>("/api/handoffs?status=open&limit=2" + (cursor is null ? string.Empty : $"&cursor={Uri.EscapeDataString(cursor)}"), Cancel);
            Assert.Equal((7, 6, 1, 600.0), (page.GetProperty("summary").GetProperty("total").GetInt32(), page.GetProperty("summary").GetProperty("open").GetInt32(), page.GetProperty("summary").GetProperty("acknowledged").GetInt32(), page.GetProperty("summary").GetProperty("timeToAcknowledge").GetProperty("medianSeconds").GetDouble()));
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(["h-0", "h-1", "h-3", "h-4", "h-5", "h-6"], ids);
        using var refused = await cairn.Admin.GetAsync("/api/handoffs?cursor=forged", Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    private static async Task ApplyAsync(TestCairn cairn, params string[] examples)
    {
        foreach (var example in examples)
        {
            var kind = example.Split('/')[0] switch { "scoring" => "scoring-models", var other => other };
            var id = Path.GetFileNameWithoutExtension(example);
            await cairn.PutDocumentAsync($"{kind}/{id}", await File.ReadAllTextAsync(Path.Combine(Repository.Root, "examples", example), Cancel));
            if (kind == "journeys")
            {
                (await cairn.Admin.PostAsync($"/api/journeys/{id}/publish", null, Cancel)).Dispose();
            }
        }
    }
}

public sealed class SqliteHandOffTests : HandOffTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlHandOffTests(PostgresFixture postgres) : HandOffTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
