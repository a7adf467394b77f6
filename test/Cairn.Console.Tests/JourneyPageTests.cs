using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The journeys inventory and the journey canvas, in the browser.</summary>
public sealed class JourneyPageTests(ConsoleServer server)
{
    [Fact]
    public async Task Inventory_ListsCartRecovery_WithItsNumbers()
    {
        await server.TrackAsync($"inventory-{Guid.NewGuid():N}", "cart_abandoned", new { cart_value = 80 });
        var page = await server.SignedInAsync(UserRole.Viewer, "/journeys");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = "Cart recovery" }) });
        await Expect(row).ToContainTextAsync("published");
        await Expect(row).ToContainTextAsync("growth@example.com");
        await Expect(row.Locator("[data-entries]")).ToHaveTextAsync(new Regex("^[1-9][0-9,]* / [1-9][0-9,]*$"));

        // At 1,280 px every column is on screen, for a viewer and for an editor with the actions column.
        Assert.Equal("fits", await page.Locator(".table-scroll").EvaluateAsync<string>("box => box.scrollWidth <= box.clientWidth ? 'fits' : `${box.scrollWidth} > ${box.clientWidth}`"));
        var editor = await server.SignedInAsync(UserRole.Editor, "/journeys");
        await Expect(editor.GetByRole(AriaRole.Button, new() { Name = "Pause Cart recovery", Exact = true })).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(editor, "journeys-list-editor");
        Assert.Equal("fits", await editor.Locator(".table-scroll").EvaluateAsync<string>("box => box.scrollWidth <= box.clientWidth ? 'fits' : `${box.scrollWidth} > ${box.clientWidth}`"));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Pause Cart recovery" })).ToHaveCountAsync(0);
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "journeys-list");

        var phone = await server.SignedInAsync(UserRole.Viewer, "/journeys", phone: true);
        await Expect(phone.GetByRole(AriaRole.Link, new() { Name = "Cart recovery" })).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(phone, "journeys-list-phone");
    }

    [Fact]
    public async Task AnEditor_PausesAndResumesAJourney()
    {
        var (id, name) = await CopyOfCartRecoveryAsync("pause");
        var page = await server.SignedInAsync(UserRole.Editor, "/journeys");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = name }) });
        await row.GetByRole(AriaRole.Button, new() { Name = $"Pause {name}" }).ClickAsync();
        await Expect(row).ToContainTextAsync("paused");
        Assert.Equal("paused", (await server.GetJsonAsync($"/api/journeys/{id}")).GetProperty("status").GetString());
        await row.GetByRole(AriaRole.Button, new() { Name = $"Resume {name}" }).ClickAsync();
        await Expect(row).ToContainTextAsync("published");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = $"Pause {name}" })).ToBeVisibleAsync();
        await Accessibility.AssertAccessibleAsync(page);
    }

    [Fact]
    public async Task TheCanvas_ShowsCartRecoverysSteps_WithLiveNumbers_AndAViewerCannotEdit()
    {
        await server.TrackAsync($"canvas-{Guid.NewGuid():N}", "cart_abandoned", new { cart_value = 120 });
        var page = await server.SignedInAsync(UserRole.Viewer, "/journeys/cart-recovery");
        var wait = page.Locator("[data-step='wait_1h']");
        await Expect(wait).ToContainTextAsync("wait 1 h");
        await Expect(wait.Locator("dd").Nth(1)).ToHaveTextAsync(new Regex("^[1-9]"));
        await Expect(page.Locator("[data-step='email_1']")).ToContainTextAsync("send email cart-reminder-1");
        await Expect(page.Locator("[data-step='tier']")).ToContainTextAsync("branch: high value");
        await Expect(page.Locator(".trigger-node")).ToContainTextAsync("when cart_abandoned happens");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Add a step" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Publish…" })).ToHaveCountAsync(0);

        await ConsoleServer.OpenStepAsync(page, "wait_1h");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Wait wait_1h" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Delete step wait_1h" })).ToHaveCountAsync(0);
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "journeys-canvas");

        var phone = await server.SignedInAsync(UserRole.Viewer, "/journeys/cart-recovery", phone: true);
        await Expect(phone.Locator("[data-step='wait_1h']")).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(phone, "journeys-canvas-phone");
    }

    [Fact]
    public async Task AnEditor_AddsAStep_SeesItInTheYaml_SavesAndPublishesWithTheDiff()
    {
        var (id, _) = await CopyOfCartRecoveryAsync("edit");
        var page = await server.SignedInAsync(UserRole.Editor, $"/journeys/{id}");
        await ConsoleServer.OpenStepAsync(page, "email_final");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Add a step" }).GetByRole(AriaRole.Button, new() { Name = "Wait", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-step='wait_1']")).ToContainTextAsync("wait 1 h");
        await page.GetByLabel("wait", new() { Exact = true }).FillAsync("2h");
        await Expect(page.Locator("[data-step='wait_1']")).ToContainTextAsync("wait 2 h");

        await page.GetByRole(AriaRole.Tab, new() { Name = "YAML" }).ClickAsync();
        // The comments of the document survive the canvas's edits; CodeMirror draws only the lines in view, so go to the end for the new step.
        await Expect(page.Locator(".code-editor")).ToContainTextAsync("# Cart recovery");
        await page.Locator(".code-editor .cm-content").ClickAsync();
        await page.Keyboard.PressAsync("Control+End");
        await Expect(page.Locator(".code-editor")).ToContainTextAsync("id: wait_1");
        await Expect(page.Locator(".code-editor")).ToContainTextAsync("next: wait_1");

        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Draft saved" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Publish…" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Added (1)");
        await Expect(dialog).ToContainTextAsync("wait_1");
        await Expect(dialog).ToContainTextAsync("Changed (1)");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "journeys-publish");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Publish now" }).ClickAsync();
        await Expect(dialog).ToContainTextAsync("Published version v2.");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
        await Expect(page.Locator(".version").First).ToContainTextAsync($"v2");
        await Expect(page.Locator(".version").First).ToContainTextAsync(ConsoleServer.EmailOf(UserRole.Editor));
        await Expect(page.Locator(".version").First).ToContainTextAsync("+ wait_1");
    }

    [Fact]
    public async Task AServerValidationError_AppearsOnItsStep()
    {
        var (id, _) = await CopyOfCartRecoveryAsync("invalid");
        var page = await server.SignedInAsync(UserRole.Editor, $"/journeys/{id}");
        await ConsoleServer.OpenStepAsync(page, "email_2");
        await page.GetByLabel("template", new() { Exact = true }).FillAsync("no-such-template");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        var node = page.Locator("[data-step='email_2']");
        await Expect(node).ToHaveClassAsync(new Regex("invalid"));
        await Expect(node.Locator(".step-error")).ToContainTextAsync("no-such-template");
        await Expect(page.Locator(".step-panel").GetByRole(AriaRole.Alert)).ToContainTextAsync("no-such-template");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "journeys-canvas-error");
    }

    /// <summary>A published copy of the demo's cart recovery under a new id and name, for a test that changes it.</summary>
    private async Task<(string Id, string Name)> CopyOfCartRecoveryAsync(string purpose)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (id, name) = ($"cart-{purpose}-{suffix}", $"Cart {purpose} {suffix}");
        var yaml = File.ReadAllText(Path.Combine(Cairn.Testing.Repository.Root, "examples", "journeys", "cart-recovery.yaml"))
            .Replace("id: cart-recovery", $"id: {id}", StringComparison.Ordinal)
            .Replace("name: Cart recovery", $"name: {name}", StringComparison.Ordinal)
            .Replace("event: cart_abandoned", $"event: cart_{purpose}_{suffix}", StringComparison.Ordinal);
        using var put = await server.Admin.PutAsync($"/api/journeys/{id}", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        put.EnsureSuccessStatusCode();
        using var publish = await server.Admin.PostAsync($"/api/journeys/{id}/publish", JsonContent.Create(new { }));
        publish.EnsureSuccessStatusCode();
        return (id, name);
    }
}
