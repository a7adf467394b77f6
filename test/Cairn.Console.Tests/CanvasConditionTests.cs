using System.Net.Http.Json;
using System.Text;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using YamlDotNet.RepresentationModel;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>
/// Editing on the journey canvas (connecting exits by dragging, conditions through the condition builder) and event
/// filters (<c>where</c>) in the segment builder, in the browser; each test on its own journey or segment.
/// </summary>
public sealed class CanvasConditionTests(ConsoleServer server)
{
    [Fact]
    public async Task DraggingAnExitOntoAStep_ConnectsThem_OnTheCanvas_InTheYaml_AndInTheSavedDraft()
    {
        var id = await CreateJourneyAsync("drag");
        var page = await server.SignedInAsync(UserRole.Editor, $"/journeys/{id}");
        var edge = page.Locator("[data-testid='rf__edge-wait_a:next']");
        var from = page.Locator(".react-flow__node[data-id='wait_a'] .react-flow__handle.source[data-handleid='next']");
        var to = page.Locator(".react-flow__node[data-id='wait_b'] .react-flow__handle.target");
        await Expect(from).ToBeVisibleAsync();
        await Expect(to).ToBeVisibleAsync();
        await Expect(edge).ToHaveCountAsync(0);

        var start = await CentreAsync(from);
        var end = await CentreAsync(to);
        await page.Mouse.MoveAsync(start.X, start.Y);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((start.X + end.X) / 2, (start.Y + end.Y) / 2 + 20, new() { Steps = 8 });
        await page.Mouse.MoveAsync(end.X, end.Y, new() { Steps = 8 });
        await page.Mouse.UpAsync();

        await Expect(edge).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Tab, new() { Name = "YAML" }).ClickAsync();
        await Expect(page.Locator(".code-editor")).ToContainTextAsync("next: wait_b");

        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Draft saved" })).ToBeVisibleAsync();
        var saved = await DraftAsync(id);
        Assert.Equal("wait_b", Scalar(Step(saved, "wait_a"), "next"));
        Assert.Equal("wait_b", Scalar(Step(saved, "check"), "else"));
    }

    [Fact]
    public async Task ABranchCondition_EditedThroughTheForm_ChangesTheYaml_TheYamlChangesTheForm_AndTheDraftIsSaved()
    {
        var id = await CreateJourneyAsync("branch");
        var page = await server.SignedInAsync(UserRole.Editor, $"/journeys/{id}");
        await ConsoleServer.OpenStepAsync(page, "check");
        var when = page.Locator(".condition-field-group[data-condition='when']");
        await Expect(when.GetByLabel("Trait", new() { Exact = true })).ToHaveValueAsync("plan");
        await when.GetByLabel("Trait", new() { Exact = true }).FillAsync("tier");
        await when.GetByLabel("Operator", new() { Exact = true }).SelectOptionAsync("in");
        await when.GetByLabel("Values (comma-separated)", new() { Exact = true }).FillAsync("gold, platinum");
        await when.ScrollIntoViewIfNeededAsync();
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "journeys-condition-form");

        await page.GetByRole(AriaRole.Tab, new() { Name = "YAML" }).ClickAsync();
        var yaml = page.GetByLabel($"The journey document {id} in YAML");
        await Expect(page.Locator(".code-editor")).ToContainTextAsync("when: { trait: tier, op: in, value: [ gold, platinum ] }");

        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Draft saved" })).ToBeVisibleAsync();
        var when1 = (YamlMappingNode)((YamlMappingNode)((YamlSequenceNode)Step(await DraftAsync(id), "check")["branch"]).Children[0])["when"];
        Assert.Equal("tier", Scalar(when1, "trait"));
        Assert.Equal("in", Scalar(when1, "op"));
        string[] values = ["gold", "platinum"];
        Assert.Equal(values, ((YamlSequenceNode)when1["value"]).Children.Select(value => ((YamlScalarNode)value).Value ?? ""));

        // The YAML edited by hand: the form follows; a condition it does not know stays as written, as raw YAML.
        await yaml.FillAsync(JourneyYaml(id, "{ event: canvas_branch }", "{ trait: ltv, op: gte, value: 500 }"));
        await page.GetByRole(AriaRole.Tab, new() { Name = "Step" }).ClickAsync();
        await ConsoleServer.OpenStepAsync(page, "check");
        await Expect(when.GetByLabel("Trait", new() { Exact = true })).ToHaveValueAsync("ltv");
        await Expect(when.GetByLabel("Operator", new() { Exact = true })).ToHaveValueAsync("gte");
        await Expect(when.GetByLabel("Value", new() { Exact = true })).ToHaveValueAsync("500");
        await when.GetByRole(AriaRole.Button, new() { Name = "Edit as YAML" }).ClickAsync();
        await Expect(when.GetByLabel("when (YAML)")).ToHaveValueAsync("trait: ltv\nop: gte\nvalue: 500");

        var phone = await server.SignedInAsync(UserRole.Editor, $"/journeys/{id}", phone: true);
        await ConsoleServer.OpenStepAsync(phone, "check");
        await phone.Locator(".condition-field-group[data-condition='when']").ScrollIntoViewIfNeededAsync();
        await Expect(phone.Locator(".condition-field-group[data-condition='when']").GetByLabel("Trait", new() { Exact = true })).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(phone, "journeys-condition-form-phone");
    }

    [Fact]
    public async Task TheJourneyPanel_EditsTheTriggersEventFilters_AndKeepsKeysTheFormDoesNotKnow()
    {
        var id = await CreateJourneyAsync("trigger", "exit_when:\n  - { in_segment: hot-leads }\n");
        var page = await server.SignedInAsync(UserRole.Editor, $"/journeys/{id}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Journey", Exact = true })).ToBeVisibleAsync();
        var exitWhen = page.Locator(".condition-field-group[data-condition='exit_when']");
        await Expect(exitWhen.GetByLabel("Segment", new() { Exact = true })).ToHaveValueAsync("hot-leads");
        var trigger = page.Locator("[data-field='trigger'] .condition-field-group[data-condition='where']");
        await trigger.GetByRole(AriaRole.Button, new() { Name = "+ Add a property filter" }).ClickAsync();
        await trigger.GetByLabel("Property", new() { Exact = true }).FillAsync("cart.value");
        await trigger.GetByLabel("Operator", new() { Exact = true }).SelectOptionAsync("gte");
        await trigger.GetByLabel("Value", new() { Exact = true }).FillAsync("50");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "journeys-journey-panel");

        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Draft saved" })).ToBeVisibleAsync();
        var where = (YamlMappingNode)((YamlMappingNode)(await DraftAsync(id))["trigger"])["where"];
        Assert.Equal("cart.value", Scalar(where, "property"));
        Assert.Equal("gte", Scalar(where, "op"));
        Assert.Equal("50", Scalar(where, "value"));

        // A key the form has no field for is named and kept while the form edits the rest.
        await page.GetByRole(AriaRole.Tab, new() { Name = "YAML" }).ClickAsync();
        await page.GetByLabel($"The journey document {id} in YAML").FillAsync(
            JourneyYaml(id, "{ event: canvas_trigger, where: { property: cart.value, op: gte, value: 50 } }", "{ trait: plan, op: eq, value: gold }")
            + "exit_when:\n  - { in_segment: hot-leads, note: kept }\n");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Step" }).ClickAsync();
        await Expect(exitWhen.Locator(".condition-other-keys")).ToContainTextAsync("note");
        await exitWhen.ScrollIntoViewIfNeededAsync();
        await ConsoleServer.ScreenshotAsync(page, "journeys-journey-panel-exit");
        await trigger.GetByLabel("Value", new() { Exact = true }).FillAsync("75");
        await page.GetByRole(AriaRole.Tab, new() { Name = "YAML" }).ClickAsync();
        await Expect(page.Locator(".code-editor")).ToContainTextAsync("value: 75");
        await Expect(page.Locator(".code-editor")).ToContainTextAsync("{ in_segment: hot-leads, note: kept }");
    }

    [Fact]
    public async Task ASegmentsEventFilter_BuiltThroughTheForm_IsPreviewed_Saved_AndReadBack()
    {
        var plan = $"where-{Guid.NewGuid():N}"[..16];
        var ordered = $"order_{plan[6..]}";
        await IdentifyAsync($"{plan}-a", new { email = $"{plan}-a@example.com", plan });
        await IdentifyAsync($"{plan}-b", new { email = $"{plan}-b@example.com", plan });
        await server.TrackAsync($"{plan}-a", ordered, new { amount = 80 });
        await server.TrackAsync($"{plan}-b", ordered, new { amount = 10 });

        var page = await server.SignedInAsync(UserRole.Editor, "/segments/new");
        await page.GetByLabel("Id", new() { Exact = true }).FillAsync($"filtered-{plan}");
        var first = page.Locator(".condition-leaf").First;
        await first.GetByLabel("Value", new() { Exact = true }).FillAsync(plan);
        await page.GetByLabel("Add", new() { Exact = true }).SelectOptionAsync("performed");
        var performed = page.Locator(".condition-leaf[data-kind='performed']");
        await performed.GetByLabel("Event", new() { Exact = true }).FillAsync(ordered);
        var count = page.Locator("[data-preview-count]");
        await Expect(count).ToHaveTextAsync("2");

        await performed.GetByRole(AriaRole.Button, new() { Name = "+ Add a property filter" }).ClickAsync();
        var filter = performed.Locator(".condition-filter").First;
        await filter.GetByLabel("Property", new() { Exact = true }).FillAsync("amount");
        await filter.GetByLabel("Operator", new() { Exact = true }).SelectOptionAsync("gte");
        await filter.GetByLabel("Value", new() { Exact = true }).FillAsync("50");
        var yaml = page.GetByLabel("Segment document (YAML)");
        await Expect(yaml).ToContainTextAsync("where: { property: amount, op: gte, value: 50 }");
        await Expect(count).ToHaveTextAsync("1");
        await Expect(page.Locator(".preview-sample")).ToContainTextAsync($"{plan}-a@example.com");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "segment-builder-where");

        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/segments/filtered-{plan}$"));
        var saved = await server.GetJsonAsync($"/api/segments/filtered-{plan}");
        var condition = (YamlMappingNode)Parse(saved.GetProperty("document").GetString()!)["condition"];
        var where = (YamlMappingNode)((YamlMappingNode)((YamlSequenceNode)condition["all"]).Children[1])["where"];
        Assert.Equal("amount", Scalar(where, "property"));
        Assert.Equal("gte", Scalar(where, "op"));
        Assert.Equal("50", Scalar(where, "value"));

        // Read back in a fresh page: the filter is a row of the form again; removing it removes the where.
        var again = await server.SignedInAsync(UserRole.Editor, $"/segments/filtered-{plan}");
        var row = again.Locator(".condition-leaf[data-kind='performed'] .condition-filter");
        await Expect(row.GetByLabel("Property", new() { Exact = true })).ToHaveValueAsync("amount");
        await Expect(row.GetByLabel("Value", new() { Exact = true })).ToHaveValueAsync("50");
        await row.GetByRole(AriaRole.Button, new() { Name = "Remove the filter on amount" }).ClickAsync();
        await Expect(again.GetByLabel("Segment document (YAML)")).Not.ToContainTextAsync("where:");
    }

    /// <summary>A new draft journey of this test's own: a branch whose case leads to wait_a (which ends) and whose else leads to wait_b.</summary>
    private async Task<string> CreateJourneyAsync(string purpose, string tail = "")
    {
        var id = $"canvas-{purpose}-{Guid.NewGuid():N}"[..24];
        var yaml = JourneyYaml(id, $"{{ event: canvas_{purpose} }}", "{ trait: plan, op: eq, value: gold }") + tail;
        using var put = await server.Admin.PutAsync($"/api/journeys/{id}", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        put.EnsureSuccessStatusCode();
        return id;
    }

    private static string JourneyYaml(string id, string trigger, string when) => $"""
        id: {id}
        name: Canvas {id}
        trigger: {trigger}
        steps:
          - id: check
            branch:
              - name: gold
                when: {when}
                next: wait_a
            else: wait_b
          - id: wait_a
            wait: 1h
          - id: wait_b
            wait: 2h

        """;

    /// <summary>The journey's draft as the server stores it.</summary>
    private async Task<YamlMappingNode> DraftAsync(string id)
    {
        var journey = await server.GetJsonAsync($"/api/journeys/{id}");
        return Parse(journey.GetProperty("document").GetString()!);
    }

    private static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlMappingNode Step(YamlMappingNode journey, string id) =>
        ((YamlSequenceNode)journey["steps"]).Children.Cast<YamlMappingNode>().Single(step => Scalar(step, "id") == id);

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    private static async Task<(float X, float Y)> CentreAsync(ILocator locator)
    {
        var box = await locator.BoundingBoxAsync() ?? throw new InvalidOperationException("The handle has no box.");
        return (box.X + (box.Width / 2), box.Y + (box.Height / 2));
    }

    private async Task IdentifyAsync(string userId, object traits)
    {
        using var response = await server.Ingest.PostAsJsonAsync("/v1/identify", new { userId, traits });
        response.EnsureSuccessStatusCode();
        await server.Services.GetRequiredService<CairnEngine>().WhenIdleAsync(CancellationToken.None);
    }
}
