using System.Net.Http.Json;
using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The retention settings: the policy and last-pass counts, edited by an admin (errors at their field), read by others.</summary>
public sealed class SettingsRetentionTests(ConsoleServer server)
{
    [Fact]
    public async Task AnAdmin_SetsDaysAndAnEventNameRule_SeesAnErrorAtItsField_AndRunsAPass()
    {
        try
        {
            var page = await server.SignedInAsync(UserRole.Admin, "/settings/retention");
            var table = page.GetByRole(AriaRole.Region, new() { Name = "Retention by kind" });
            await Expect(table).ToContainTextAsync("Message bodies");

            await page.GetByLabel("Events: days kept (empty keeps everything)").FillAsync("3650");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add an event name" }).ClickAsync();
            await page.GetByLabel("Event name 1", new() { Exact = true }).FillAsync("Page Viewed");
            await page.GetByLabel("Event name 1: days kept (empty keeps them)").FillAsync("900");

            // Whole messages are kept at least 30 days: the 400 is shown at the field, and nothing is saved.
            await page.GetByLabel("Messages: days kept (empty keeps everything)").FillAsync("10");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save retention policy" }).ClickAsync();
            await Expect(page.Locator("#messages-days-error")).ToContainTextAsync("at least 30 days");
            Assert.Empty((await server.GetJsonAsync("/api/retention")).GetProperty("policy").EnumerateObject());

            await page.GetByLabel("Messages: days kept (empty keeps everything)").FillAsync("3650");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save retention policy" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved" })).ToBeVisibleAsync();
            await Expect(table).ToContainTextAsync("Page Viewed: 900 days");
            await Expect(table).ToContainTextAsync("3650 days");

            await page.GetByRole(AriaRole.Button, new() { Name = "Run a pass now" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Pass done" })).ToBeVisibleAsync();
            await Expect(page.GetByText("Last pass ended")).ToBeVisibleAsync();
            await Accessibility.AssertAccessibleAsync(page);
            await ConsoleServer.ScreenshotAsync(page, "settings-retention");

            var policy = (await server.GetJsonAsync("/api/retention")).GetProperty("policy");
            Assert.Equal(900, policy.GetProperty("events").GetProperty("byName").GetProperty("Page Viewed").GetInt32());
            Assert.Equal(3650, policy.GetProperty("messages").GetProperty("days").GetInt32());
        }
        finally
        {
            // The server is shared: the other tests keep everything.
            (await server.Admin.PutAsJsonAsync("/api/retention", new { }, TestContext.Current.CancellationToken)).Dispose();
        }
    }

    [Fact]
    public async Task AViewer_ReadsThePolicy_AtPhoneWidth_WithoutTheEditor()
    {
        var page = await server.SignedInAsync(UserRole.Viewer, "/settings/retention", phone: true);
        await Expect(page.GetByText("Only admins change the retention policy.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Retention by kind" })).ToContainTextAsync("Dev mailbox");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save retention policy" })).ToHaveCountAsync(0);
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "settings-retention-phone");
    }
}
