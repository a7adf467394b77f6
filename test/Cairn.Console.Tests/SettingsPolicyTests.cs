using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The sending policy page: the form and the YAML in sync, saving, errors at their field, read-only for non-admins.</summary>
public sealed class SettingsPolicyTests(ConsoleServer server)
{
    [Fact]
    public async Task AnAdmin_EditsACapInTheForm_SeesTheYamlChange_Saves_AndSeesItAfterAReload()
    {
        var page = await server.SignedInAsync(UserRole.Admin, "/settings/policy");
        var yaml = page.GetByRole(AriaRole.Textbox, new() { Name = "Policy YAML" });
        var max = page.GetByLabel("Cap 2 max");
        await Expect(max).ToHaveValueAsync("8");
        await Expect(yaml).ToContainTextAsync("max: 8, per: week");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "settings-policy");

        // An invalid value comes back as a 422 and is shown at its field.
        await page.GetByLabel("Deferred messages valid for").FillAsync("soon");
        await Expect(yaml).ToContainTextAsync("valid_for: soon");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();
        await Expect(page.Locator("#valid_for-error")).ToContainTextAsync("valid_for");
        await page.GetByRole(AriaRole.Button, new() { Name = "Discard changes" }).ClickAsync();
        await Expect(page.GetByLabel("Deferred messages valid for")).ToHaveValueAsync("3d");

        // Loosening the weekly email cap (other tests send email) shows in the YAML at once, and is saved.
        await max.FillAsync("9");
        await Expect(yaml).ToContainTextAsync("max: 9, per: week");
        await Expect(yaml).ToContainTextAsync("# TCPA practice");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved" })).ToBeVisibleAsync();

        await page.ReloadAsync();
        await Expect(page.GetByLabel("Cap 2 max")).ToHaveValueAsync("9");
        var policy = await server.GetJsonAsync("/api/policy");
        Assert.Equal(9, policy.GetProperty("caps")[1].GetProperty("max").GetInt32());

        // Editing the YAML moves the form.
        var doubleOptIn = page.GetByLabel("Email opt-ins are confirmed by a click (double opt-in)");
        await Expect(doubleOptIn).Not.ToBeCheckedAsync();
        await yaml.ClickAsync();
        await page.Keyboard.PressAsync("Control+Home");
        await page.Keyboard.TypeAsync("double_opt_in: [email]");
        await page.Keyboard.PressAsync("Enter");
        await Expect(doubleOptIn).ToBeCheckedAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Discard changes" }).ClickAsync();
        await Expect(doubleOptIn).Not.ToBeCheckedAsync();
    }

    [Fact]
    public async Task AnEditor_SeesThePolicyReadOnly_AndNoUsersOrKeys()
    {
        var page = await server.SignedInAsync(UserRole.Editor, "/settings/policy");
        await Expect(page.GetByText("Only admins change the sending policy")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Cap 1 max")).ToBeDisabledAsync();
        await Expect(page.GetByLabel("Time zone (for contacts without one)")).ToBeDisabledAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save policy" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add a cap" })).ToHaveCountAsync(0);
        await Accessibility.AssertAccessibleAsync(page);

        await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await Expect(page.GetByText("Only admins manage users.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "API keys" }).ClickAsync();
        await Expect(page.GetByText("Only admins manage keys.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ThePolicy_ReadsAtPhoneWidth()
    {
        var page = await server.SignedInAsync(UserRole.Viewer, "/settings/policy", phone: true);
        await Expect(page.GetByLabel("Cap 1 max")).ToBeVisibleAsync();
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "settings-policy-phone");
    }
}
