using System.Net.Http.Json;
using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The development mailbox: an email a demo journey sent is listed and opens in a sandboxed frame.</summary>
public sealed class SettingsMailboxTests(ConsoleServer server)
{
    [Fact]
    public async Task TheMailbox_ListsAnEmailAJourneySent_AndOpensIt()
    {
        // The demo's welcome journey emails whoever signs up.
        var userId = $"mailbox-{Guid.NewGuid():N}";
        var email = $"{userId}@example.com";
        using (var identified = await server.Ingest.PostAsJsonAsync("/v1/identify", new { userId, traits = new { email, first_name = "Robin" } }, TestContext.Current.CancellationToken))
        {
            identified.EnsureSuccessStatusCode();
        }

        await server.TrackAsync(userId, "signed_up");

        var page = await server.SignedInAsync(UserRole.Viewer, "/settings/mailbox");
        await Expect(page.GetByText("No SMTP server is configured: email lands in this mailbox.")).ToBeVisibleAsync();
        await page.GetByLabel("Recipient").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = email });
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Expect(row).ToContainTextAsync("email");

        await row.GetByRole(AriaRole.Button).ClickAsync();
        var frame = page.Locator("iframe.mail-frame");
        await Expect(frame).ToHaveAttributeAsync("sandbox", "");
        await Expect(page.FrameLocator("iframe.mail-frame").Locator("body")).Not.ToBeEmptyAsync();
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "settings-mailbox");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Text" }).ClickAsync();
        await Expect(page.Locator("pre.mail-text")).Not.ToBeEmptyAsync();
    }
}
