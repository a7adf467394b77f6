using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using static Cairn.Http.Tests.IngestionTests;

namespace Cairn.Http.Tests;

/// <summary>Journeys and templates as documents through the admin API.</summary>
public sealed class JourneyApiTests : IAsyncLifetime
{
    private const string Template = "kind: template\nid: hello\nchannel: email\nsubject: Hello\ntext: \"Hello {{ contact.first_name | default: 'there' }}\"\n";
    private const string Journey = """
        id: greet
        name: Greet
        owner: growth@example.com
        trigger: { event: signed_up }
        entry: { audience: { trait: country, op: eq, value: DE } }
        steps:
          - id: hello
            send: { channel: email, template: hello }
        """;

    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cairn = await TestCairn.StartAsync();

    public async ValueTask DisposeAsync() => await _cairn.DisposeAsync();

    [Fact]
    public async Task Put_ValidatesAgainstStoredTemplates_WithLinesAndSteps()
    {
        var missing = await AssertProblemAsync(await PutAsync("journeys/greet", Journey), HttpStatusCode.UnprocessableEntity);
        var error = Assert.Single(missing.GetProperty("errors").EnumerateArray());
        Assert.Equal("hello", error.GetProperty("step").GetString());
        Assert.Equal(7, error.GetProperty("line").GetInt32());
        Assert.Contains("template 'hello' does not exist", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        using (var template = await PutAsync("templates/hello", Template))
        {
            Assert.Equal(HttpStatusCode.OK, template.StatusCode);
        }

        using var stored = await PutAsync("journeys/greet", Journey);
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        Assert.Equal("true", stored.Headers.GetValues("Cairn-Changed").Single());
        using var again = await PutAsync("journeys/greet", Journey);
        Assert.Equal("false", again.Headers.GetValues("Cairn-Changed").Single());

        var wrongId = await AssertProblemAsync(await PutAsync("journeys/other", Journey), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("sent to 'other'", wrongId.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        using var pdf = new StringContent(Journey, Encoding.UTF8, "application/pdf");
        await AssertProblemAsync(await _cairn.Admin.PutAsync("/api/journeys/greet", pdf, Cancel), HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Publish_CreatesAVersionOnlyWhenTheTextChanged_PauseAndArchive()
    {
        (await PutAsync("templates/hello", Template)).Dispose();
        (await PutAsync("journeys/greet", Journey)).Dispose();

        Assert.Equal((1, true), await PublishAsync("greet"));
        Assert.Equal((1, false), await PublishAsync("greet"));
        (await PutAsync("journeys/greet", Journey.Replace("name: Greet", "name: Greet v2", StringComparison.Ordinal))).Dispose();
        var changed = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/greet", Cancel);
        Assert.True(changed.GetProperty("hasUnpublishedChanges").GetBoolean());
        Assert.Equal((2, true), await PublishAsync("greet"));

        var inventory = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys", Cancel);
        var greet = Assert.Single(inventory.EnumerateArray());
        Assert.Equal("published", greet.GetProperty("status").GetString());
        Assert.Equal("event signed_up", greet.GetProperty("trigger").GetString());
        Assert.True(greet.GetProperty("hasAudience").GetBoolean());
        Assert.Equal("growth@example.com", greet.GetProperty("owner").GetString());
        Assert.Equal(2, greet.GetProperty("publishedVersion").GetInt32());

        using var pause = await _cairn.Admin.PostAsync("/api/journeys/greet/pause", null, Cancel);
        Assert.Equal("paused", (await pause.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("status").GetString());
        using var archive = await _cairn.Admin.PostAsync("/api/journeys/greet/archive", null, Cancel);
        Assert.Equal(HttpStatusCode.OK, archive.StatusCode);
        Assert.Empty((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys", Cancel)).EnumerateArray());
        Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys?archived=true", Cancel)).EnumerateArray());
        await AssertProblemAsync(await _cairn.Admin.PostAsync("/api/journeys/greet/pause", null, Cancel), HttpStatusCode.Conflict);
        await AssertProblemAsync(await _cairn.Admin.PostAsync("/api/journeys/nope/publish", null, Cancel), HttpStatusCode.NotFound);
    }

    private Task<HttpResponseMessage> PutAsync(string path, string yaml) =>
        _cairn.Admin.PutAsync("/api/" + path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), Cancel);

    private async Task<(int Version, bool Created)> PublishAsync(string id)
    {
        using var response = await _cairn.Admin.PostAsync($"/api/journeys/{id}/publish", null, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return (body.GetProperty("version").GetInt32(), body.GetProperty("created").GetBoolean());
    }
}
