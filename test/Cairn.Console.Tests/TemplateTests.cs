using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The template editor, in the browser: live previews of unsaved edits, SMS facts, render errors, test sends.</summary>
public sealed class TemplateTests(ConsoleServer server)
{
    [Fact]
    public async Task AnEmailTemplate_PreviewsItsUnsavedSubject_AtDesktopAndMobileWidths()
    {
        var page = await server.SignedInAsync(UserRole.Editor, "/templates/cart-reminder-1");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Cart reminder 1" })).ToBeVisibleAsync();
        var subject = page.Locator("[data-part='subject']");
        await Expect(subject).ToHaveTextAsync("You left something in your cart");

        await page.GetByLabel("Subject", new() { Exact = true }).FillAsync("Still thinking it over, {{ contact.first_name | default: 'friend' }}?");
        await Expect(subject).ToContainTextAsync("Still thinking it over, ");
        await Expect(page.Locator(".email-frame")).ToHaveAttributeAsync("sandbox", "");
        await Expect(page.FrameLocator(".email-frame").Locator("body")).ToContainTextAsync("Return to your cart");
        await AssertLaidOutAtAndFitsAsync(page, 1000);
        await Expect(page.Locator("[data-scale]")).ToContainTextAsync("shown at");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "template-email");

        await page.GetByLabel("Mobile (375 px)").CheckAsync();
        await Expect(page.Locator(".email-frame")).ToHaveAttributeAsync("data-width", "mobile");
        await AssertLaidOutAtAndFitsAsync(page, 375);

        var phone = await server.SignedInAsync(UserRole.Viewer, "/templates/cart-reminder-1", phone: true);
        await Expect(phone.Locator("[data-part='subject']")).ToHaveTextAsync("You left something in your cart");
        await phone.GetByLabel("Mobile (375 px)").CheckAsync();
        await AssertLaidOutAtAndFitsAsync(phone, 375);
        await ConsoleServer.ScreenshotAsync(phone, "template-email-phone");
    }

    /// <summary>
    /// The email is laid out at <paramref name="width"/> CSS pixels (what a reader at that width gets) and shown whole
    /// inside the preview panel, scaled down when the panel is narrower, never cut off.
    /// </summary>
    private static async Task AssertLaidOutAtAndFitsAsync(IPage page, int width)
    {
        var frame = page.Locator(".email-frame");
        Assert.Equal(width, await frame.EvaluateAsync<int>("frame => frame.offsetWidth"));
        var shown = (await frame.BoundingBoxAsync())!;
        var panel = (await page.Locator(".email-frame-box").BoundingBoxAsync())!;
        Assert.InRange(shown.X, panel.X, panel.X + panel.Width);
        Assert.InRange(shown.X + shown.Width, panel.X, panel.X + panel.Width + 0.5);
    }

    [Fact]
    public async Task AnSmsTemplate_ShowsItsEncodingAndSegments()
    {
        var page = await server.SignedInAsync(UserRole.Editor, "/templates/cart-reminder-sms");
        var facts = page.Locator("[data-sms]");
        await Expect(facts).ToContainTextAsync("GSM-7");
        await Expect(facts).ToContainTextAsync("1 segment");

        // An emoji makes it UCS-2.
        await page.GetByLabel("Text", new() { Exact = true }).FillAsync("Your cart 🛒 is waiting, {{ contact.first_name | default: 'friend' }}. Reply STOP to opt out.");
        await Expect(facts).ToContainTextAsync("UCS-2");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "template-sms");
    }

    [Fact]
    public async Task ALiquidError_IsShownWithItsLine()
    {
        var page = await server.SignedInAsync(UserRole.Editor, "/templates/cart-reminder-2");
        await Expect(page.Locator("[data-part='subject']")).ToBeVisibleAsync();
        await page.GetByLabel("Subject", new() { Exact = true }).FillAsync("Hi {{ contact.nickname }}");
        var error = page.Locator(".template-field[data-field='subject'] .field-errors");
        await Expect(error).ToContainTextAsync(new System.Text.RegularExpressions.Regex("Line [0-9]+: .*contact.nickname"));
        await Expect(page.Locator(".render-error")).ToContainTextAsync("contact.nickname");
        await Accessibility.AssertAccessibleAsync(page);
    }

    [Fact]
    public async Task ATestSend_LandsInTheDevelopmentMailbox()
    {
        var to = $"qa-{Guid.NewGuid():N}@example.com";
        var page = await server.SignedInAsync(UserRole.Editor, "/templates/cart-reminder-1");
        await Expect(page.Locator("[data-part='subject']")).ToBeVisibleAsync();
        await page.GetByLabel("Email address").FillAsync(to);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send test" }).ClickAsync();
        await Expect(page.Locator("[data-test-send]")).ToContainTextAsync("development mailbox");

        var mailbox = await server.GetJsonAsync($"/api/dev/mailbox?to={Uri.EscapeDataString(to)}");
        var message = Assert.Single(mailbox.GetProperty("messages").EnumerateArray());
        Assert.Equal("[Test] You left something in your cart", message.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task TheList_ShowsTheDemoTemplates()
    {
        var page = await server.SignedInAsync(UserRole.Viewer, "/templates");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Cart reminder (SMS)" })).ToBeVisibleAsync();
        await Accessibility.AssertAccessibleAsync(page);
    }
}
