using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// The retention policy over HTTP (<c>/api/retention</c>) on a fake clock: nothing is deleted until a policy says so,
/// a bad policy is a 400 with its fields and changes nothing, a policy shorter than a live segment's window is stored
/// with a warning, and a pass deletes the old events (by name too) and keeps the recent ones, with its counts.
/// </summary>
public abstract class RetentionApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time, engine: engine => engine.RetentionPause = TimeSpan.Zero);

        // Only the passes a test runs: the hourly pass, woken when a test moves the clock, would otherwise race them for the rows.
        await _cairn.Services.GetRequiredService<Cairn.Runtime.Retention.RetentionRunner>().StopAsync(Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected abstract Task<string?> PostgresAsync();

    [Fact]
    public async Task Get_WithNoPolicy_KeepsEverything()
    {
        var view = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/retention", Cancel);

        Assert.Empty(view.GetProperty("policy").EnumerateObject());
        Assert.Equal(["events", "message_bodies", "messages", "mailbox", "audit"], view.GetProperty("kinds").EnumerateArray().Select(kind => kind.GetProperty("kind").GetString()));
        Assert.All(view.GetProperty("kinds").EnumerateArray(), kind => Assert.Equal(JsonValueKind.Null, kind.GetProperty("days").ValueKind));
    }

    [Fact]
    public async Task Put_ABadPolicy_Is400WithItsFields_AndChangesNothing()
    {
        using var bad = await PutAsync("""{"events":{"days":0,"byName":{"Page Viewed":"soon"}},"nope":{"days":3},"messages":{"days":10},"mailbox":{"days":7,"extra":1}}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(
            ["$.events.byName.Page Viewed", "$.events.days", "$.mailbox.extra", "$.messages.days", "$.nope"],
            problem.GetProperty("errors").EnumerateObject().Select(error => error.Name).Order(StringComparer.Ordinal));

        using var notJson = await PutAsync("{\"events\":");
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        using var deep = await PutAsync(string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200));
        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);

        var view = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/retention", Cancel);
        Assert.Empty(view.GetProperty("policy").EnumerateObject());
    }

    [Fact]
    public async Task Put_ShorterThanALiveSegmentsWindow_IsStored_WithAWarning()
    {
        await _cairn.PutDocumentAsync("segments/browsers", "kind: segment\nid: browsers\nname: Browsers\ncondition: { performed: Page Viewed, at_least: 3, within: 180d }");

        using var response = await PutAsync("""{"events":{"days":365,"byName":{"Page Viewed":90}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var view = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var warning = Assert.Single(view.GetProperty("warnings").EnumerateArray()).GetString();
        Assert.Contains("Segment 'browsers' reads 'Page Viewed' over 180 days, longer than the 90 days", warning, StringComparison.Ordinal);
        Assert.Equal(90, view.GetProperty("policy").GetProperty("events").GetProperty("byName").GetProperty("Page Viewed").GetInt32());
    }

    [Fact]
    public async Task Run_DeletesOldEvents_ByNameToo_KeepsRecentOnes_AndCounts()
    {
        foreach (var (name, count) in new[] { ("Page Viewed", 3), ("Order Completed", 2), ("Signed Up", 1) })
        {
            for (var i = 0; i < count; i++)
            {
                await _cairn.SendAsync("track", $$"""{"userId":"u-1","event":"{{name}}","messageId":"old-{{name}}-{{i}}"}""");
            }
        }

        _time.Advance(TimeSpan.FromDays(100));
        await _cairn.SendAsync("track", """{"userId":"u-1","event":"Page Viewed","messageId":"new-1"}""");
        var before = await _cairn.Store.CountEventsAsync(Cancel);
        using (var put = await PutAsync("""{"events":{"days":60,"byName":{"Page Viewed":90,"Order Completed":null}}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var run = await _cairn.Admin.PostAsync("/api/retention/run", null, Cancel);

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var view = await run.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var events = view.GetProperty("kinds").EnumerateArray().Single(kind => kind.GetProperty("kind").GetString() == "events");
        Assert.Equal((4, 4), (events.GetProperty("lastDeleted").GetInt64(), events.GetProperty("totalDeleted").GetInt64()));
        Assert.Equal(_time.GetUtcNow(), events.GetProperty("lastRunAt").GetDateTimeOffset());
        Assert.Equal(_time.GetUtcNow().AddHours(1), view.GetProperty("nextPassAt").GetDateTimeOffset());
        Assert.Equal(before - 4, await _cairn.Store.CountEventsAsync(Cancel));
        Assert.NotNull(await _cairn.Store.GetEventAsync("old-Order Completed-0", Cancel));
        Assert.NotNull(await _cairn.Store.GetEventAsync("new-1", Cancel));
        Assert.Null(await _cairn.Store.GetEventAsync("old-Page Viewed-0", Cancel));
    }

    [Fact]
    public async Task Run_StripsOldMessageBodies_AndKeepsTheRows()
    {
        await _cairn.PutDocumentAsync("templates/hello", "kind: template\nid: hello\nchannel: email\nsubject: Hello\ntext: Hello there");
        await _cairn.PutDocumentAsync("journeys/hello", "id: hello\nname: Hello\ntrigger: { event: go }\nsteps:\n  - id: send\n    send: { channel: email, template: hello }\n");
        (await _cairn.Admin.PostAsync("/api/journeys/hello/publish", null, Cancel)).Dispose();
        await _cairn.SendAsync("identify", """{"userId":"u-2","traits":{"email":"bea@example.com"}}""");
        await _cairn.SendAsync("track", """{"userId":"u-2","event":"go","properties":{"secret":"kept until retention"}}""");
        await _cairn.DeliverAsync();
        _time.Advance(TimeSpan.FromDays(40));
        using (var put = await PutAsync("""{"message_bodies":{"days":30}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var run = await _cairn.Admin.PostAsync("/api/retention/run", null, Cancel);

        var view = await run.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(1, view.GetProperty("kinds").EnumerateArray().Single(kind => kind.GetProperty("kind").GetString() == "message_bodies").GetProperty("lastDeleted").GetInt64());
        var messages = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/messages", Cancel);
        var message = Assert.Single(messages.GetProperty("items").EnumerateArray());
        Assert.Equal("delivered", message.GetProperty("status").GetString());
        var stored = await _cairn.Store.GetMessageAsync(message.GetProperty("messageId").GetString()!, Cancel);
        Assert.Null(stored!.Payload);
    }

    [Fact]
    public async Task Run_DeletesAuditEntriesOlderThanTheAuditLogsDays_AndKeepsTheRest()
    {
        await _cairn.PutDocumentAsync("templates/old", "kind: template\nid: old\nchannel: email\nsubject: Old\ntext: Old");
        _time.Advance(TimeSpan.FromDays(400));
        await _cairn.PutDocumentAsync("templates/new", "kind: template\nid: new\nchannel: email\nsubject: New\ntext: New");
        using (var put = await PutAsync("""{"audit":{"days":365}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var run = await _cairn.Admin.PostAsync("/api/retention/run", null, Cancel);

        var view = await run.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(1, view.GetProperty("kinds").EnumerateArray().Single(kind => kind.GetProperty("kind").GetString() == "audit").GetProperty("lastDeleted").GetInt64());
        var audit = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/audit?targetKind=template", Cancel);
        Assert.Equal("new", Assert.Single(audit.GetProperty("entries").EnumerateArray()).GetProperty("target").GetProperty("id").GetString());
        var settings = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/audit?action=settings.changed", Cancel);
        Assert.Equal("retention", Assert.Single(settings.GetProperty("entries").EnumerateArray()).GetProperty("target").GetProperty("id").GetString());
    }

    private Task<HttpResponseMessage> PutAsync(string json) =>
        _cairn.Admin.PutAsync("/api/retention", new StringContent(json, Encoding.UTF8, "application/json"), Cancel);
}

public sealed class SqliteRetentionApiTests : RetentionApiTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlRetentionApiTests(PostgresFixture postgres) : RetentionApiTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
