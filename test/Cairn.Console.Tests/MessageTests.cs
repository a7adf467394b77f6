using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The outbox with its filters, a message's story page, and the suppression list, in the browser.</summary>
public sealed class MessageTests(ConsoleServer server)
{
    [Fact]
    public async Task TheOutboxFiltersByStatusChannelAndTemplate_AndOpensAMessageStory()
    {
        var userId = ContactScenario.NewUserId("outbox");
        await server.IdentifyAsync(userId, new { email = $"{userId}@example.com", name = "Outbox Person" });
        await server.TrackAsync(userId, "signed_up", new { source = "seo-guide" });
        var contactId = await server.ContactIdAsync(userId);

        var page = await server.SignedInAsync(UserRole.Editor, "/messages");
        await page.GetByLabel("Channel").SelectOptionAsync("email");
        await page.GetByLabel("Template").FillAsync("welcome-guide");
        var filters = page.GetByRole(AriaRole.Form, new() { Name = "Filter messages" });
        var row = page.Locator("tr", new() { Has = page.Locator($"a[href='/contacts/{contactId}']") });

        // The dispatcher delivers the welcome email to the development mailbox shortly after; the outbox refreshes itself.
        await filters.GetByLabel("Status").SelectOptionAsync("delivered");
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "messages-outbox");

        await filters.GetByLabel("Template").FillAsync("no-such-template");
        await Expect(row).ToHaveCountAsync(0);
        await filters.GetByLabel("Template").FillAsync("welcome-guide");
        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Message story" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Decision trail" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Cleared to send", new() { Exact = false })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AnEditorSuppressesAnAddress_WhichTheListShowsMasked_AndRemovesIt()
    {
        var local = ContactScenario.NewUserId("supp");
        var address = $"{local}@{local}.example";
        var page = await server.SignedInAsync(UserRole.Editor, "/messages/suppressions");
        var add = page.GetByRole(AriaRole.Form, new() { Name = "Suppress an address" });
        await add.GetByLabel("Email address").FillAsync(address);
        await add.GetByLabel("Reason").FillAsync("asked not to be emailed");
        await add.GetByRole(AriaRole.Button, new() { Name = "Suppress" }).ClickAsync();
        await add.GetByLabel("Email address").FillAsync(string.Empty);

        var masked = $"s***@{local}.example";
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = masked })).ToBeVisibleAsync();
        await Expect(page.Locator("table")).Not.ToContainTextAsync(address);
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "suppressions");

        var remove = page.GetByRole(AriaRole.Form, new() { Name = "Remove an address" });
        await remove.GetByLabel("Address or phone").FillAsync(address);
        await remove.GetByRole(AriaRole.Button, new() { Name = "Remove from the list" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = masked })).ToHaveCountAsync(0);
    }
}
