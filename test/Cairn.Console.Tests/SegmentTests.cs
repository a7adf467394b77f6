using System.Net.Http.Json;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The segment list and the segment builder, in the browser.</summary>
public sealed class SegmentTests(ConsoleServer server)
{
    [Fact]
    public async Task TheList_ShowsTheDemoSegmentsWithTheirMemberCounts()
    {
        var page = await server.SignedInAsync(UserRole.Viewer, "/segments");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Segments" })).ToBeVisibleAsync();
        foreach (var id in new[] { "hot-leads", "pricing-hot", "high-value-active" })
        {
            var row = page.Locator($"tr[data-segment='{id}']");
            await Expect(row).ToBeVisibleAsync();
            await Expect(row.Locator("[data-members]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9,]+$"));
        }

        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "New segment", Exact = true })).ToHaveCountAsync(0);
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "segments-list");
    }

    [Fact]
    public async Task TheBuilder_BuildsASegment_PreviewsIt_KeepsTheYamlInSync_AndSavesIt()
    {
        // Two contacts of this test's own plan; one of them performed the event.
        var plan = $"plan-{Guid.NewGuid():N}"[..16];
        var clicked = $"demo_{plan[5..]}";
        await IdentifyAsync($"{plan}-a", new { email = $"{plan}-a@example.com", plan });
        await IdentifyAsync($"{plan}-b", new { email = $"{plan}-b@example.com", plan });
        await server.TrackAsync($"{plan}-a", clicked);

        var page = await server.SignedInAsync(UserRole.Editor, "/segments/new");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New segment" })).ToBeVisibleAsync();
        await page.GetByLabel("Id", new() { Exact = true }).FillAsync($"built-{plan}");
        var first = page.Locator(".condition-leaf").First;
        await first.GetByLabel("Trait", new() { Exact = true }).FillAsync("plan");
        await first.GetByLabel("Value", new() { Exact = true }).FillAsync(plan);
        var count = page.Locator("[data-preview-count]");
        await Expect(count).ToHaveTextAsync("2");
        var yaml = page.GetByLabel("Segment document (YAML)");
        await Expect(yaml).ToContainTextAsync($"value: {plan}");

        await page.GetByLabel("Add", new() { Exact = true }).SelectOptionAsync("performed");
        var second = page.Locator(".condition-leaf").Nth(1);
        await second.GetByLabel("Event", new() { Exact = true }).FillAsync(clicked);
        await Expect(count).ToHaveTextAsync("1");
        await Expect(yaml).ToContainTextAsync($"performed: {clicked}");
        await Expect(page.Locator(".preview-sample")).ToContainTextAsync($"{plan}-a@example.com");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "segment-builder");

        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/segments/built-{plan}$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Built plan {plan[5..]}", Exact = true })).ToBeVisibleAsync();
        var members = page.Locator(".segment-members tbody tr");
        await Expect(members).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Expect(members.GetByRole(AriaRole.Link)).ToHaveCountAsync(1);

        // The YAML edited by hand: the builder follows.
        await yaml.FillAsync($"kind: segment\nid: built-{plan}\nname: Built\ncondition:\n  any:\n    - {{ tag: vip-{plan} }}\n    - {{ stage: customer }}\n");
        await Expect(page.Locator(".condition-group.any")).ToBeVisibleAsync();
        await Expect(page.Locator(".condition-leaf[data-kind='tag']").GetByLabel("Tag", new() { Exact = true })).ToHaveValueAsync($"vip-{plan}");
        await Expect(page.Locator(".condition-leaf[data-kind='stage']").GetByLabel("Stage", new() { Exact = true })).ToHaveValueAsync("customer");
    }

    [Fact]
    public async Task AValidationError_IsShownAtTheConditionItConcerns()
    {
        var page = await server.SignedInAsync(UserRole.Editor, "/segments/new");
        var yaml = page.GetByLabel("Segment document (YAML)");
        await yaml.FillAsync("kind: segment\nid: broken-score\nname: Broken\ncondition:\n  all:\n    - { tag: vip }\n    - { score: lead-score, op: between, value: 5 }\n");
        await Expect(page.Locator(".condition-leaf[data-kind='score']")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator(".condition-leaf[data-kind='score'] .condition-errors")).ToContainTextAsync("between");
        await Expect(page.Locator(".condition-leaf[data-kind='tag'] .condition-errors")).ToHaveCountAsync(0);
        await Accessibility.AssertAccessibleAsync(page);
    }

    [Fact]
    public async Task AViewer_SeesASegmentReadOnly()
    {
        var page = await server.SignedInAsync(UserRole.Viewer, "/segments/high-value-active");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "High-value, active" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save" })).ToHaveCountAsync(0);
        await Expect(page.Locator(".condition-leaf").First.GetByLabel("Kind", new() { Exact = true })).ToBeDisabledAsync();
        await Expect(page.Locator("[data-preview-count]")).ToBeVisibleAsync();
        await Accessibility.AssertAccessibleAsync(page);

        var phone = await server.SignedInAsync(UserRole.Viewer, "/segments/high-value-active", phone: true);
        await Expect(phone.Locator("[data-preview-count]")).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(phone, "segment-builder-phone");
    }

    private async Task IdentifyAsync(string userId, object traits)
    {
        using var response = await server.Ingest.PostAsJsonAsync("/v1/identify", new { userId, traits });
        response.EnsureSuccessStatusCode();
        await server.Services.GetRequiredService<CairnEngine>().WhenIdleAsync(CancellationToken.None);
    }
}
