using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests.Reports;

/// <summary>
/// The global control group and attribution over HTTP: promotions held back from the control group (transactional
/// messages still sent), the decision saying why, the control-group report, attribution of a conversion to the message
/// sent before it under every model, and hostile parameters refused.
/// </summary>
public sealed class AttributionApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 15, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cairn = await TestCairn.StartAsync(time: _time);
        foreach (var (journey, category) in new[] { ("promo", "promotional"), ("receipt", "transactional") })
        {
            await _cairn.PutDocumentAsync($"templates/{journey}", $"kind: template\nid: {journey}\nchannel: email\nsubject: \"{journey}\"\ntext: \"Hello from {journey}\"");
            await _cairn.PutDocumentAsync($"journeys/{journey}", $"id: {journey}\nname: The {journey}\ncategory: {category}\ntrigger: {{ event: go }}\nentry: {{ reentry: always }}\nsteps:\n  - id: send\n    send: {{ channel: email, template: {journey} }}\n");
            (await _cairn.Admin.PostAsync($"/api/journeys/{journey}/publish", null, Cancel)).Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private Task PolicyAsync(int percent) => _cairn.PutDocumentAsync("policy", $"kind: policy\nid: default\nmeasurement:\n  global_control_group: {percent}\n");

    private async Task<(string Held, string Reached, int InControl)> ContactsAsync(int count)
    {
        var ids = new List<(string User, ContactId Id)>();
        for (var i = 0; i < count; i++)
        {
            await _cairn.SendAsync("identify", $$$"""{"userId":"u{{{i}}}","traits":{"email":"u{{{i}}}@example.com"}}""");
            ids.Add(($"u{i}", ContactId.TryParse(await _cairn.ContactIdAsync($"u{i}"), out var id) ? id : throw new InvalidOperationException()));
        }

        bool InGroup(ContactId id) => ContactBucket.Of(id) >= 5_000;
        return (ids.First(pair => InGroup(pair.Id)).User, ids.First(pair => !InGroup(pair.Id)).User, ids.Count(pair => InGroup(pair.Id)));
    }

    private async Task<List<JsonElement>> MessagesOfAsync(string user) =>
        [.. (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={await _cairn.ContactIdAsync(user)}", Cancel)).GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task TheControlGroup_GetsNoPromotion_StillItsReceipt_AndTheReportComparesItWithEveryoneElse()
    {
        await PolicyAsync(50);
        var (held, reached, inControl) = await ContactsAsync(20);
        foreach (var user in new[] { held, reached })
        {
            await _cairn.SendAsync("track", $$"""{"userId":"{{user}}","event":"go"}""");
        }

        await _cairn.DeliverAsync();
        var heldMessages = await MessagesOfAsync(held);
        var promo = heldMessages.Single(message => message.GetProperty("journeyId").GetString() == "promo");
        Assert.Equal("suppressed", promo.GetProperty("status").GetString());
        Assert.StartsWith("global control group", promo.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        var decision = JsonDocument.Parse(promo.GetProperty("decision").GetString()!).RootElement;
        Assert.Contains(decision.GetProperty("checks").EnumerateArray(), check => check.GetProperty("check").GetString() == "global control group" && check.GetProperty("result").GetString() == "blocked");
        Assert.Equal("delivered", heldMessages.Single(message => message.GetProperty("journeyId").GetString() == "receipt").GetProperty("status").GetString());
        Assert.All(await MessagesOfAsync(reached), message => Assert.Equal("delivered", message.GetProperty("status").GetString()));

        // The one held back converts for 10.00, the one reached twice for 30.00 and 20.00.
        _time.Advance(TimeSpan.FromHours(1));
        await _cairn.SendAsync("track", $$$"""{"userId":"{{{held}}}","event":"order_completed","properties":{"revenue":10}}""");
        await _cairn.SendAsync("track", $$$"""{"userId":"{{{reached}}}","event":"order_completed","properties":{"revenue":"30.00"}}""");
        await _cairn.SendAsync("track", $$$"""{"userId":"{{{reached}}}","event":"order_completed","properties":{"revenue":20}}""");

        var report = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/reports/control-group?from=2026-11-24&to=2026-11-24", Cancel);
        Assert.Equal((50.0, 5_000), (report.GetProperty("percent").GetDouble(), report.GetProperty("firstBucket").GetInt32()));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), report.GetProperty("to").GetDateTimeOffset());
        var control = report.GetProperty("control");
        var others = report.GetProperty("others");
        Assert.Equal((inControl, 1L, 1L, 10m), (control.GetProperty("contacts").GetInt32(), control.GetProperty("converters").GetInt64(), control.GetProperty("conversions").GetInt64(), control.GetProperty("revenue").GetDecimal()));
        Assert.Equal((20 - inControl, 1L, 2L, 50m), (others.GetProperty("contacts").GetInt32(), others.GetProperty("converters").GetInt64(), others.GetProperty("conversions").GetInt64(), others.GetProperty("revenue").GetDecimal()));
        Assert.Equal(1.0 / inControl, control.GetProperty("conversionRate").GetDouble(), 12);
        var interval = control.GetProperty("conversionRateInterval");
        Assert.InRange(1.0 / inControl, interval.GetProperty("lower").GetDouble(), interval.GetProperty("upper").GetDouble());
        Assert.Equal((1.0 / (20 - inControl)) - (1.0 / inControl), report.GetProperty("conversionRate").GetProperty("absolute").GetDouble(), 12);
        Assert.Equal(10.0 / inControl, control.GetProperty("revenuePerContact").GetDouble(), 9);
        Assert.StartsWith("No clear difference yet", report.GetProperty("verdict").GetString(), StringComparison.Ordinal);

        using var csv = await _cairn.Admin.GetAsync("/api/reports/control-group?from=2026-11-24&to=2026-11-24&format=csv", Cancel);
        var lines = (await csv.Content.ReadAsStringAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(("text/csv", 4), (csv.Content.Headers.ContentType?.MediaType, lines.Length));
        Assert.StartsWith("from,to,percent,group,contacts,converters", lines[0], StringComparison.Ordinal);
        Assert.Contains(",control,", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConversion_IsCreditedToTheMessageSentBeforeIt_UnderEveryModel_AndOneWithoutTouchIsUnattributed()
    {
        await PolicyAsync(0);
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"email":"ann@example.com"}}""");
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"email":"bob@example.com"}}""");
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        await _cairn.DeliverAsync();
        _time.Advance(TimeSpan.FromHours(2));
        await _cairn.SendAsync("track", """{"userId":"ann","event":"order_completed","properties":{"revenue":42.5}}""");
        await _cairn.SendAsync("track", """{"userId":"bob","event":"order_completed","properties":{"revenue":7.25}}""");

        var report = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/reports/attribution?from=2026-11-24&to=2026-11-24", Cancel);
        Assert.Equal((2L, 49.75m, 1L, 7.25m), (report.GetProperty("conversions").GetInt64(), report.GetProperty("revenue").GetDecimal(), report.GetProperty("unattributed").GetInt64(), report.GetProperty("unattributedRevenue").GetDecimal()));
        Assert.Equal(["first_touch", "last_touch", "linear", "time_decay", "position_based"], report.GetProperty("models").EnumerateArray().Select(model => model.GetString()));
        Assert.Equal(("journey", "order_completed", "7d"), (report.GetProperty("by").GetString(), report.GetProperty("conversionEvent").GetString(), report.GetProperty("lookback").GetString()));

        // Both journeys' messages went out before the order: each model shares 42.50 between them.
        var rows = report.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["promo", "receipt"], rows.Select(row => row.GetProperty("key").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal("The promo", rows.Single(row => row.GetProperty("key").GetString() == "promo").GetProperty("name").GetString());
        for (var model = 0; model < 5; model++)
        {
            Assert.Equal(42.5m, rows.Sum(row => row.GetProperty("credits")[model].GetProperty("revenue").GetDecimal()));
            Assert.Equal(1.0, rows.Sum(row => row.GetProperty("credits")[model].GetProperty("conversions").GetDouble()), 9);
        }

        var linear = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/reports/attribution?model=linear&by=channel&from=2026-11-24&to=2026-11-24", Cancel);
        var email = Assert.Single(linear.GetProperty("rows").EnumerateArray());
        Assert.Equal(("email", "linear", 42.5m), (email.GetProperty("key").GetString(), email.GetProperty("credits")[0].GetProperty("model").GetString(), email.GetProperty("credits")[0].GetProperty("revenue").GetDecimal()));

        using var csv = await _cairn.Admin.GetAsync("/api/reports/attribution?model=last_touch&by=template&from=2026-11-24&to=2026-11-24&format=csv", Cancel);
        var lines = (await csv.Content.ReadAsStringAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("from,to,model,template,name,conversions,revenue,share_of_attributed_revenue", lines[0]);
        Assert.Contains(lines, line => line.Contains(",last_touch,,(unattributed),1,7.25,", StringComparison.Ordinal));
        Assert.EndsWith(",all,,(total),2,49.75,", lines[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/reports/attribution?model=w_shaped", "model must be one of")]
    [InlineData("/api/reports/attribution?by=country", "by must be journey, template or channel")]
    [InlineData("/api/reports/attribution?from=2026-13-01", "from must be a date")]
    [InlineData("/api/reports/attribution?from=2026-11-20&to=2026-11-01", "must be before")]
    [InlineData("/api/reports/attribution?format=xml", "format must be json or csv")]
    [InlineData("/api/reports/control-group?from=2020-01-01&to=2026-01-01", "at most")]
    [InlineData("/api/reports/control-group?to=yesterday", "to must be a date")]
    [InlineData("/api/reports/control-group?format=%3Dcmd", "format must be json or csv")]
    public async Task HostileParameters_AreRefusedWithAProblem(string url, string detail)
    {
        using var response = await _cairn.Admin.GetAsync(url, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
