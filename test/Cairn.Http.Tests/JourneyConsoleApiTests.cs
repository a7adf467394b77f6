using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using static Cairn.Http.Tests.IngestionTests;

namespace Cairn.Http.Tests;

/// <summary>What the console's journey pages read and do: resume, the version history with publishers, recent activity, the schema.</summary>
public sealed class JourneyConsoleApiTests : IAsyncLifetime
{
    private const string Template = "kind: template\nid: hello\nchannel: email\nsubject: Hello\ntext: Hello\n";
    private const string Journey = """
        id: greet
        name: Greet
        trigger: { event: signed_up }
        steps:
          - id: hello
            send: { channel: email, template: hello }
        """;

    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cairn = await TestCairn.StartAsync();

    public async ValueTask DisposeAsync() => await _cairn.DisposeAsync();

    [Fact]
    public async Task Resume_TakesAPausedJourneyBackToPublished_AndOnlyAPausedOne()
    {
        await PublishGreetAsync();
        await AssertProblemAsync(await _cairn.Admin.PostAsync("/api/journeys/greet/resume", null, Cancel), HttpStatusCode.Conflict);

        using var pause = await _cairn.Admin.PostAsync("/api/journeys/greet/pause", null, Cancel);
        Assert.Equal("paused", (await pause.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("status").GetString());
        using var resume = await _cairn.Admin.PostAsync("/api/journeys/greet/resume", null, Cancel);
        Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        var resumed = await resume.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("published", resumed.GetProperty("status").GetString());
        Assert.Equal(1, resumed.GetProperty("publishedVersion").GetInt32());

        await AssertProblemAsync(await _cairn.Admin.PostAsync("/api/journeys/nope/resume", null, Cancel), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Versions_SayWhoPublishedEach_NewestFirst()
    {
        await PublishGreetAsync();
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("journeys/greet", Journey.Replace("name: Greet", "name: Greet them", StringComparison.Ordinal))).StatusCode);
        using (await _cairn.Admin.PostAsync("/api/journeys/greet/publish", null, Cancel))
        {
        }

        var versions = (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/greet/versions", Cancel)).EnumerateArray().ToList();
        Assert.Equal([2, 1], versions.Select(v => v.GetProperty("version").GetInt32()));
        Assert.All(versions, v => Assert.Equal("CAIRN_API_KEY", v.GetProperty("publishedBy").GetString()));
        Assert.Contains("Greet them", versions[0].GetProperty("document").GetString(), StringComparison.Ordinal);
        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/journeys/nope/versions", Cancel), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Activity_AndSchema_Answer()
    {
        await PublishGreetAsync();
        var activity = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/activity", Cancel);
        Assert.Equal(JsonValueKind.Array, activity.ValueKind);

        using var schema = await _cairn.Admin.GetAsync("/api/schemas/journey", Cancel);
        Assert.Equal(HttpStatusCode.OK, schema.StatusCode);
        var body = JsonDocument.Parse(await schema.Content.ReadAsStringAsync(Cancel)).RootElement;
        Assert.Equal(JsonValueKind.Array, body.GetProperty("$defs").GetProperty("step").GetProperty("oneOf").ValueKind);
    }

    private async Task PublishGreetAsync()
    {
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("templates/hello", Template)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("journeys/greet", Journey)).StatusCode);
        using var publish = await _cairn.Admin.PostAsync("/api/journeys/greet/publish", null, Cancel);
        Assert.Equal(HttpStatusCode.OK, publish.StatusCode);
    }

    private Task<HttpResponseMessage> PutAsync(string path, string yaml) =>
        _cairn.Admin.PutAsync("/api/" + path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), Cancel);
}
