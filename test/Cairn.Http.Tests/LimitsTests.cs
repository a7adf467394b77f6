using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Core.Journeys;
using Cairn.Core.Templates;
using Cairn.Testing;
using static Cairn.Http.Tests.IngestionTests;

namespace Cairn.Http.Tests;

/// <summary>
/// Input limits through the interfaces where the crashes were found: the three requests that ended the server with a
/// stack overflow now get a 422 problem naming the limit and its line, and the server answers the next request; the
/// same files fail <c>cairn validate</c> with one line; segment reference cycles are refused with the cycle named; a
/// template stored before the limits existed fails its sends and previews with the limit instead of crashing.
/// </summary>
public sealed class LimitsTests : IAsyncLifetime
{
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The issue's segment: a condition of 20,000 nested flow sequences.</summary>
    private static readonly string DeepSegment = "kind: segment\nid: deep\nname: Deep\ncondition: " + new string('[', 20_000) + new string(']', 20_000) + "\n";

    /// <summary>The issue's first template: 3,000 nested if blocks.</summary>
    private static readonly string DeepBlocks = "kind: template\nid: deepl\nchannel: email\nsubject: Hi\nhtml: |\n  <p>Hello</p>\n  "
        + string.Concat(Enumerable.Repeat("{% if a %}", 3_000)) + string.Concat(Enumerable.Repeat("{% endif %}", 3_000)) + "\n";

    /// <summary>The issue's second template: one output tag with 50,000 filters.</summary>
    private static readonly string DeepFilters = "kind: template\nid: deepf\nchannel: sms\ntext: \"{{ contact.a" + string.Concat(Enumerable.Repeat(" | plus: 1", 50_000)) + " }}\"\n";

    public async ValueTask InitializeAsync() => _cairn = await TestCairn.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private Task<HttpResponseMessage> PutAsync(string path, string yaml) =>
        _cairn.Admin.PutAsync("/api/" + path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), Cancel);

    /// <summary>The single error of a 422 document problem: its line and message.</summary>
    private static async Task<(int Line, string Message)> InvalidAsync(HttpResponseMessage response)
    {
        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
        return (error.GetProperty("line").GetInt32(), error.GetProperty("message").GetString()!);
    }

    private async Task AssertAliveAsync()
    {
        Assert.Equal(HttpStatusCode.OK, (await _cairn.Anonymous.GetAsync("/healthz", Cancel)).StatusCode);
        using var stored = await PutAsync("segments/pro", "kind: segment\nid: pro\nname: Pro\ncondition: { trait: plan, op: eq, value: pro }\n");
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
    }

    [Fact]
    public async Task TheIssuesDeepSegment_Is422WithTheLimitAndLine_AndTheServerAnswersTheNextRequest()
    {
        Assert.Equal(
            (4, $"lists and mappings nest deeper than the limit of {DocumentLimits.MaxNesting} levels"),
            await InvalidAsync(await PutAsync("segments/deep", DeepSegment)));

        await AssertAliveAsync();
        await AssertProblemAsync(await _cairn.Admin.GetAsync("/api/segments/deep", Cancel), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TheIssuesDeepTemplates_Are422WithTheLimitAndLine_AndTheServerAnswersTheNextRequest()
    {
        Assert.Equal(
            (5, "'html' is beyond a template limit: line 2: blocks nest deeper than 32 levels ('{% if %}' inside 32 open blocks)"),
            await InvalidAsync(await PutAsync("templates/deepl", DeepBlocks)));
        Assert.Equal(
            (4, $"'text' is beyond a template limit: line 1: more than {LiquidLimits.MaxFilters} filters in one expression"),
            await InvalidAsync(await PutAsync("templates/deepf", DeepFilters)));

        await AssertAliveAsync();
        Assert.Empty((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/templates", Cancel)).EnumerateArray());
    }

    [Fact]
    public async Task ConditionsNestedPastTheLimit_InAJourney_Are422WithTheConditionPath()
    {
        var condition = string.Concat(Enumerable.Repeat("{ not: ", DocumentLimits.MaxConditionDepth)) + "{ tag: vip }" + new string('}', DocumentLimits.MaxConditionDepth);
        var journey = $"id: deep\nname: Deep\ntrigger: {{ event: e }}\nsteps:\n  - id: b\n    branch:\n      - {{ name: deep, when: {condition}, next: end }}\n    else: end\n";

        var (line, message) = await InvalidAsync(await PutAsync("journeys/deep", journey));

        Assert.Equal(7, line);
        Assert.Equal($"conditions nest deeper than the limit of 32 levels (at when{string.Concat(Enumerable.Repeat(".not", 32))})", message);
        await AssertAliveAsync();
    }

    [Fact]
    public async Task ASegmentReferringToItself_DirectlyOrThroughOthers_Is422WithTheCycleNamed()
    {
        Assert.Equal(
            (5, "segments refer to each other in a cycle: me -> me"),
            await InvalidAsync(await PutAsync("segments/me", "kind: segment\nid: me\nname: Me\ncondition:\n  any: [{ tag: vip }, { in_segment: me }]\n")));

        await _cairn.PutDocumentAsync("segments/c", "kind: segment\nid: c\nname: C\ncondition: { tag: vip }\n");
        await _cairn.PutDocumentAsync("segments/b", "kind: segment\nid: b\nname: B\ncondition: { in_segment: c }\n");
        await _cairn.PutDocumentAsync("segments/a", "kind: segment\nid: a\nname: A\ncondition: { in_segment: b }\n");
        Assert.Equal(
            (4, "segments refer to each other in a cycle: c -> a -> b -> c"),
            await InvalidAsync(await PutAsync("segments/c", "kind: segment\nid: c\nname: C\ncondition: { in_segment: a }\n")));

        // Nothing was stored: c still holds its first condition, and the server answers.
        var c = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/segments/c", Cancel);
        Assert.Contains("tag: vip", c.GetRawText(), StringComparison.Ordinal);
        await AssertAliveAsync();
    }

    [Fact]
    public async Task ATemplateStoredBeforeTheLimits_FailsItsSendAndPreviewWithTheLimit_AndNothingCrashes()
    {
        await _cairn.PutDocumentAsync("templates/deepf", "kind: template\nid: deepf\nchannel: sms\ntext: \"Hi {{ contact.a }}\"\nsample: { contact: { a: 1 } }\n");
        await _cairn.PutDocumentAsync("journeys/texts", "id: texts\nname: Texts\ntrigger: { event: go }\nsteps:\n  - { id: text, send: { channel: sms, template: deepf } }\n");
        using (var published = await _cairn.Admin.PostAsync("/api/journeys/texts/publish", null, Cancel))
        {
            Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync(Cancel));
        }

        // What an older version stored, written straight to the store as it was then: it parses, and rendering it
        // would recurse 50,000 calls deep.
        await _cairn.Store.SaveDraftAsync("template", "deepf", DeepFilters, TimeProvider.System.GetUtcNow(), Cancel);
        await _cairn.Publisher.SaveLiveDocumentAsync("template", "deepf", Cancel, backfill: false);

        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"phone":"+14155550100","a":1}}""");
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        await _cairn.DeliverAsync();

        var message = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={await _cairn.ContactIdAsync("ann")}", Cancel)).GetProperty("items").EnumerateArray());
        Assert.Equal("failed", message.GetProperty("status").GetString());
        Assert.Equal(
            $"the template 'deepf' no longer passes validation: template deepf v2:4: 'text' is beyond a template limit: line 1: more than {LiquidLimits.MaxFilters} filters in one expression",
            message.GetProperty("lastError").GetString());

        var preview = await AssertProblemAsync(await _cairn.Admin.PostAsJsonAsync("/api/templates/deepf/preview", new { }, Cancel), HttpStatusCode.UnprocessableEntity);
        Assert.Contains($"more than {LiquidLimits.MaxFilters} filters in one expression", preview.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertAliveAsync();
    }

    [Fact]
    public async Task CliValidate_OnTheIssuesFiles_ExitsWithOneLineEach()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-limits-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var segment = Path.Combine(directory, "deep.yaml");
            await File.WriteAllTextAsync(segment, DeepSegment, Cancel);
            var (code, output) = await CairnAsync("validate", segment);
            Assert.Equal(1, code);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(2, lines.Length);
            Assert.Contains($"{segment}:4: lists and mappings nest deeper than the limit of {DocumentLimits.MaxNesting} levels", lines);
            Assert.Contains("1 errors in 1 of 1 files.", lines);

            var template = Path.Combine(directory, "deepf.yaml");
            await File.WriteAllTextAsync(template, DeepFilters, Cancel);
            (code, output) = await CairnAsync("validate", template);
            Assert.Equal(1, code);
            Assert.Contains($"{template}:4: 'text' is beyond a template limit: line 1: more than {LiquidLimits.MaxFilters} filters in one expression", output, StringComparison.Ordinal);

            var cycle = Path.Combine(directory, "cycle");
            Directory.CreateDirectory(cycle);
            await File.WriteAllTextAsync(Path.Combine(cycle, "a.yaml"), "kind: segment\nid: a\nname: A\ncondition: { in_segment: b }\n", Cancel);
            await File.WriteAllTextAsync(Path.Combine(cycle, "b.yaml"), "kind: segment\nid: b\nname: B\ncondition: { in_segment: a }\n", Cancel);
            (code, output) = await CairnAsync("validate", cycle);
            Assert.Equal(1, code);
            Assert.Contains($"{Path.Combine(cycle, "a.yaml")}:4: segments refer to each other in a cycle: a -> b -> a", output, StringComparison.Ordinal);

            // cairn apply names the cycle among its files before it stores anything.
            (code, output) = await CairnAsync("apply", cycle, "--url", "http://127.0.0.1:9", "--api-key", "unused");
            Assert.Equal(1, code);
            Assert.Contains("segments refer to each other in a cycle: a -> b -> a", output, StringComparison.Ordinal);
            Assert.Contains("cairn apply: nothing was applied.", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Task<(int ExitCode, string Output)> CairnAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), .. arguments], cancellationToken: Cancel);
}
