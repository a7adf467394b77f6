using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Http.Tests;

/// <summary>The audit log through the API: what is recorded (and what is not), who, the filters, paging, the diff, erasure.</summary>
public sealed class AuditApiTests : IAsyncLifetime
{
    private const string Template = "kind: template\nid: hello\nchannel: email\nsubject: Hello\ntext: \"Hello there\"\n";
    private const string Journey = "id: greet\nname: Greet\ntrigger: { event: signed_up }\nsteps:\n  - id: hello\n    send: { channel: email, template: hello }\n";

    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cairn = await TestCairn.StartAsync();

    public async ValueTask DisposeAsync() => await _cairn.DisposeAsync();

    [Fact]
    public async Task AJourneysChanges_AreRecordedWithWhoAndTheDiff_AndItsHistoryShowsThem()
    {
        using (var created = await _cairn.Admin.PostAsJsonAsync("/api/users", new { email = "ed@test.local", role = "editor", password = AccessTests.Session.DefaultPassword }, Cancel))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var editor = await AccessTests.Session.StartAsync(_cairn, "ed@test.local");
        Assert.Equal(HttpStatusCode.OK, (await editor.SendAsync(HttpMethod.Put, "/api/templates/hello", Template, "application/yaml")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await editor.SendAsync(HttpMethod.Put, "/api/journeys/greet", Journey, "application/yaml")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await editor.SendAsync(HttpMethod.Put, "/api/journeys/greet", Journey, "application/yaml")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await editor.SendAsync(HttpMethod.Put, "/api/journeys/greet", "id: greet\nname: Broken\n", "application/yaml")).StatusCode);
        var changed = Journey.Replace("name: Greet", "name: Greet everyone", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await editor.SendAsync(HttpMethod.Put, "/api/journeys/greet", changed, "application/yaml")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await editor.SendAsync(HttpMethod.Post, "/api/journeys/greet/publish")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await editor.SendAsync(HttpMethod.Post, "/api/journeys/greet/publish")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await editor.SendAsync(HttpMethod.Post, "/api/journeys/greet/pause")).StatusCode);
        using (var resumed = await _cairn.Admin.PostAsync("/api/journeys/greet/resume", null, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }

        // The unchanged apply, the refused document and the publish of an unchanged draft are not recorded.
        var history = await GetAsync("/api/audit?targetKind=journey&targetId=greet");
        var entries = history.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(
            ["journey.resumed", "journey.paused", "journey.published", "journey.drafted", "journey.drafted"],
            entries.Select(entry => entry.GetProperty("action").GetString()));
        var byEditor = entries[1];
        Assert.Equal(("user", "ed@test.local"), (byEditor.GetProperty("actor").GetProperty("kind").GetString(), byEditor.GetProperty("actor").GetProperty("name").GetString()));
        Assert.Equal("journey.paused: journey 'greet', published → paused", byEditor.GetProperty("summary").GetString());
        Assert.Equal(("configured-key", 200), (entries[0].GetProperty("actor").GetProperty("kind").GetString(), entries[0].GetProperty("status").GetInt32()));
        Assert.Equal("journey.published: journey 'greet', version 1", entries[2].GetProperty("summary").GetString());
        Assert.Equal("journey.drafted: journey 'greet' (new)", entries[4].GetProperty("summary").GetString());

        // The second draft's entry has the document before and after, and their diff.
        var detail = await GetAsync($"/api/audit/{entries[3].GetProperty("id").GetInt64()}");
        Assert.Equal(Journey, detail.GetProperty("before").GetString());
        Assert.Equal(changed, detail.GetProperty("after").GetString());
        var diff = detail.GetProperty("diff").EnumerateArray().Where(line => line.GetProperty("kind").GetString() != "same").Select(line => $"{line.GetProperty("kind").GetString()} {line.GetProperty("text").GetString()}");
        Assert.Equal(["removed name: Greet", "added name: Greet everyone"], diff);
        Assert.Equal(changed, (await GetAsync($"/api/audit/{entries[2].GetProperty("id").GetInt64()}")).GetProperty("after").GetString());

        // The journey's history is the same entries, for a viewer too; the whole log is the admins'.
        using (var created = await _cairn.Admin.PostAsJsonAsync("/api/users", new { email = "vi@test.local", role = "viewer", password = AccessTests.Session.DefaultPassword }, Cancel))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var viewer = await AccessTests.Session.StartAsync(_cairn, "vi@test.local");
        using var own = await viewer.SendAsync(HttpMethod.Get, "/api/journeys/greet/history");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(entries.Select(entry => entry.GetProperty("id").GetInt64()), (await own.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("entries").EnumerateArray().Select(entry => entry.GetProperty("id").GetInt64()));
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.SendAsync(HttpMethod.Get, "/api/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await editor.SendAsync(HttpMethod.Get, "/api/audit")).StatusCode);
    }

    [Fact]
    public async Task TheLog_FiltersAndPagesWithACursor_AndRefusesBadInput()
    {
        await _cairn.PutDocumentAsync("templates/hello", Template);
        for (var i = 0; i < 5; i++)
        {
            await _cairn.PutDocumentAsync("templates/hello", Template.Replace("Hello there", $"Hello {i}", StringComparison.Ordinal));
        }

        var ids = new List<long>();
        string? cursor = null;
        do
        {
            var page = await GetAsync("/api/audit?action=template.*&limit=2" + (cursor is null ? string.Empty : "&cursor=" + cursor));
            ids.AddRange(page.GetProperty("entries").EnumerateArray().Select(entry => entry.GetProperty("id").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null && ids.Count < 100);

        Assert.Equal(6, ids.Count);
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Empty((await GetAsync("/api/audit?action=journey.")).GetProperty("entries").EnumerateArray());
        Assert.Equal(6, (await GetAsync("/api/audit?actor=CAIRN_API_KEY&from=2000-01-01")).GetProperty("entries").GetArrayLength());
        Assert.Empty((await GetAsync("/api/audit?to=2000-01-01")).GetProperty("entries").EnumerateArray());

        var first = await GetAsync("/api/audit?limit=2");
        var other = first.GetProperty("nextCursor").GetString();
        foreach (var bad in new[] { "limit=0", "limit=501", "from=yesterday", "cursor=forged", $"cursor={other}&action=template.saved", "actor=" + new string('x', 300) })
        {
            using var response = await _cairn.Admin.GetAsync("/api/audit?" + bad, Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        using var missing = await _cairn.Admin.GetAsync("/api/audit/999999", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task SignInsKeysExportsAndErasures_AreRecorded_AndAnErasureRedactsTheEntriesAboutThePerson()
    {
        var client = _cairn.CreateClient();
        using (var refused = await client.PostAsJsonAsync("/api/session", new { email = TestCairn.AdminEmail, password = "not the password" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var unknown = await client.PostAsJsonAsync("/api/session", new { email = "stranger@test.local", password = "not the password" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        }

        var admin = await AccessTests.Session.StartAsync(_cairn, TestCairn.AdminEmail, TestCairn.AdminPassword);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.SendAsync(HttpMethod.Delete, "/api/session")).StatusCode);

        // A key created, then revoked from a known address (the test server has no remote address of its own).
        using var key = await _cairn.Admin.PostAsJsonAsync("/api/keys", new { kind = "admin", name = "crm sync" }, Cancel);
        var keyId = (await key.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("record").GetProperty("id").GetString();
        var server = (Microsoft.AspNetCore.TestHost.TestServer)_cairn.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>();
        var revoked = await server.SendAsync(
            context =>
            {
                context.Request.Method = "DELETE";
                context.Request.Path = "/api/keys/" + keyId;
                context.Request.Headers.Authorization = "Bearer " + TestCairn.ApiKey;
                context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.9");
            },
            Cancel);
        Assert.Equal(StatusCodes.Status204NoContent, revoked.Response.StatusCode);

        await _cairn.SendAsync("identify", """{"userId":"u-ann","traits":{"email":"ann@example.com","first_name":"Ann"}}""");
        var ann = await _cairn.ContactIdAsync("u-ann");
        using (var export = await _cairn.Admin.GetAsync("/api/exports?email=ann@example.com", Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        }

        using (var traits = await _cairn.Admin.PatchAsync($"/api/contacts/{ann}/traits", new StringContent("""{"plan":"pro"}""", Encoding.UTF8, "application/json"), Cancel))
        {
            Assert.True(traits.IsSuccessStatusCode, await traits.Content.ReadAsStringAsync(Cancel));
        }

        var entries = (await GetAsync("/api/audit")).GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(
            ["contact.traits_changed", "contact.exported", "key.revoked", "key.created", "user.signed_out", "user.signed_in", "user.sign_in_refused"],
            entries.Select(entry => entry.GetProperty("action").GetString()));
        var exported = entries[1];
        Assert.Equal(("contact", ann), (exported.GetProperty("target").GetProperty("kind").GetString(), exported.GetProperty("target").GetProperty("id").GetString()));
        Assert.DoesNotContain("ann@example.com", exported.GetProperty("summary").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("Created an admin key 'crm sync'", entries[3].GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal(("user", TestCairn.AdminEmail, "anonymous"), (entries[5].GetProperty("actor").GetProperty("kind").GetString(), entries[5].GetProperty("actor").GetProperty("name").GetString(), entries[6].GetProperty("actor").GetProperty("kind").GetString()));
        Assert.Equal(401, entries[6].GetProperty("status").GetInt32());
        Assert.Equal(("203.0.113.9", "configured-key", 204, keyId), (entries[2].GetProperty("ipAddress").GetString(), entries[2].GetProperty("actor").GetProperty("kind").GetString(), entries[2].GetProperty("status").GetInt32(), entries[2].GetProperty("target").GetProperty("id").GetString()));

        using (var erase = await _cairn.Admin.PostAsJsonAsync("/api/erasures", new { email = "ann@example.com", reason = "ticket 7 from ann@example.com" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, erase.StatusCode);
        }

        var after = (await GetAsync("/api/audit")).GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(entries.Count + 1, after.Count);
        var erased = after[0];
        Assert.Equal(("contact.erased", ann), (erased.GetProperty("action").GetString(), erased.GetProperty("target").GetProperty("id").GetString()));
        Assert.DoesNotContain("ann@example.com", erased.GetRawText(), StringComparison.OrdinalIgnoreCase);
        foreach (var redacted in after.Where(entry => entry.GetProperty("target").ValueKind == JsonValueKind.Object && entry.GetProperty("target").GetProperty("id").GetString() == ann).Skip(1))
        {
            Assert.Equal("[redacted: the contact was erased]", redacted.GetProperty("summary").GetString());
            Assert.Equal(JsonValueKind.String, redacted.GetProperty("redactedAt").ValueKind);
        }

        // Staff are not data subjects: the signed-in admin's e-mail stays.
        Assert.Equal(TestCairn.AdminEmail, after[^2].GetProperty("actor").GetProperty("name").GetString());
    }

    private async Task<JsonElement> GetAsync(string path)
    {
        using var response = await _cairn.Admin.GetAsync(path, Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }
}
