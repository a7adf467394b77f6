using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>Sign-in, sign-out and a lost session, in the browser.</summary>
public sealed class SignInTests(ConsoleServer server)
{
    [Fact]
    public async Task AnUnsignedVisitor_IsSentToSignIn_AndBackToThePageAfterwards()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync("/journeys");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/sign-in\\?next=%2Fjourneys"));
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "sign-in");

        await page.GetByLabel("E-mail").FillAsync(ConsoleServer.EmailOf(UserRole.Editor));
        await page.GetByLabel("Password").FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The e-mail address or the password is wrong.");

        await page.GetByLabel("Password").FillAsync(ConsoleServer.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/journeys$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Journeys" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/sign-in"));
    }

    [Fact]
    public async Task ALostSession_SendsTheUserToSignIn()
    {
        var page = await server.SignedInAsync(UserRole.Viewer, "/journeys");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Journeys" })).ToBeVisibleAsync();
        await page.Context.ClearCookiesAsync();
        await page.GotoAsync("/journeys");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/sign-in\\?next="));
    }
}
