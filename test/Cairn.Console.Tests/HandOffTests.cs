using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The sales hand-off report and acknowledging from the list, in the browser.</summary>
public sealed class HandOffTests(ConsoleServer server)
{
    [Fact]
    public async Task AnMqlHandedToSales_IsListedUnderItsOwner_AndAcknowledgedFromTheList()
    {
        // Fit 35 (company size, industry, role) + a download 10 enters lead nurture; viewing pricing (20) makes it an
        // MQL, which the journey hands to sales: enterprise routing gives it to erin.
        var userId = ContactScenario.NewUserId("lead");
        // A domain of its own: example.com is an account the demo team already owns (olivia), which routing would honour.
        await server.IdentifyAsync(userId, new { email = $"{userId}@{userId}.test", name = "Lead Person", company_size = 5000, industry = "software", role = "vp" });
        await server.TrackAsync(userId, "content_downloaded", new { asset = "guide" });
        await server.TrackAsync(userId, "pricing_viewed");
        var contactId = await server.ContactIdAsync(userId);

        var page = await server.SignedInAsync(UserRole.Editor, "/handoffs?owner=erin");
        var row = page.Locator("tr", new() { Has = page.GetByRole(AriaRole.Link, new() { Name = contactId }) });
        await Expect(row).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table).First).ToContainTextAsync("erin");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "handoffs");

        await row.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(row).ToContainTextAsync("by editor@console.test");
        await Expect(row).ToContainTextAsync("acknowledged");

        await row.GetByRole(AriaRole.Link, new() { Name = contactId }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Lead Person" })).ToBeVisibleAsync();
    }
}
