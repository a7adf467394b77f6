using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>Users and roles, API and write keys, and the own password change, in the browser.</summary>
public sealed class SettingsUsersTests(ConsoleServer server)
{
    [Fact]
    public async Task AnAdmin_CreatesAUser_SeesThePasswordOnce_ChangesTheRole_AndDeletesThem()
    {
        var email = $"new-{Guid.NewGuid():N}@console.test";
        var page = await server.SignedInAsync(UserRole.Admin, "/settings/users");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("viewer");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();

        var password = page.GetByLabel($"Password for {email}");
        await Expect(password).ToBeVisibleAsync();
        await Expect(page.GetByText("It is shown only now and cannot be shown again")).ToBeVisibleAsync();
        var generated = await password.TextContentAsync();
        Assert.True(generated is { Length: >= 12 }, generated);
        var role = page.GetByLabel($"Role of {email}");
        await Expect(role).ToHaveValueAsync("viewer");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "settings-users");

        // The generated password signs in.
        using (var browser = new HttpClient { BaseAddress = server.Url })
        using (var signIn = await browser.PostAsJsonAsync("/api/session", new { email, password = generated }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Expect(password).ToHaveCountAsync(0);
        await role.SelectOptionAsync("editor");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"{email}: change the role to editor." })).ToBeVisibleAsync();
        var users = await server.GetJsonAsync("/api/users");
        Assert.Equal("editor", users.EnumerateArray().Single(user => user.GetProperty("email").GetString() == email).GetProperty("role").GetString());

        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = email });
        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(row.GetByText($"Delete {email}?")).ToBeVisibleAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Yes, delete" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"{email} was deleted." })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = email })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task AnAdmin_CreatesAScopedKey_SeesItOnce_SeesItsLastUse_AndARevokedKeyNoLongerWorks()
    {
        var name = $"script {Guid.NewGuid():N}"[..20];
        var page = await server.SignedInAsync(UserRole.Admin, "/settings/keys");
        await Expect(page.GetByText("CAIRN_WRITE_KEY")).ToBeVisibleAsync();
        await page.GetByLabel("Name (what it is for)").FillAsync(name);
        await page.GetByLabel("Scope").SelectOptionAsync("read");
        await Expect(page.GetByLabel("Requests per second (optional)")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var shown = page.GetByLabel($"API key “{name}”");
        await Expect(shown).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy" })).ToBeVisibleAsync();
        var key = (await shown.TextContentAsync())!;
        Assert.StartsWith("cak_", key, StringComparison.Ordinal);
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row).ToContainTextAsync(key[..8] + "…");
        await Expect(row).ToContainTextAsync("read");
        await Expect(row).ToContainTextAsync("never");

        // The read key reads /api but changes nothing; its use shows on the page.
        using var script = new HttpClient { BaseAddress = server.Url };
        script.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using (var works = await script.GetAsync("/api/journeys", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, works.StatusCode);
        }

        using (var refused = await script.PostAsync("/api/journeys/none/pause", null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // An ingest key with a rate limit of its own.
        var ingestName = $"shop {Guid.NewGuid():N}"[..18];
        await page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await page.GetByLabel("Name (what it is for)").FillAsync(ingestName);
        await page.GetByLabel("Scope").SelectOptionAsync("ingest");
        await page.GetByLabel("Requests per second (optional)").FillAsync("200");
        await page.GetByLabel("Burst (optional)").FillAsync("400");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Expect(page.GetByLabel($"Write key “{ingestName}”")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = ingestName })).ToContainTextAsync("200/s, burst 400");

        await page.ReloadAsync();
        await Expect(row.GetByRole(AriaRole.Cell).Nth(4)).Not.ToHaveTextAsync("never");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "settings-keys");

        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(row.GetByText($"Revoke “{name}”? It stops working at once.")).ToBeVisibleAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Yes, revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("Revoked");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Revoke" })).ToHaveCountAsync(0);
        using (var refused = await script.GetAsync("/api/journeys", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var phone = await server.SignedInAsync(UserRole.Admin, "/settings/keys", phone: true);
        await Expect(phone.GetByRole(AriaRole.Row).Filter(new() { HasText = name })).ToContainTextAsync("Revoked");
        await Accessibility.AssertAccessibleAsync(phone);
        await ConsoleServer.ScreenshotAsync(phone, "settings-keys-phone");
    }

    [Fact]
    public async Task AUser_ChangesTheirOwnPassword_AndSignsInWithIt()
    {
        var email = $"account-{Guid.NewGuid():N}@console.test";
        using (var created = await server.Admin.PostAsJsonAsync("/api/users", new { email, role = "viewer", password = ConsoleServer.Password }, TestContext.Current.CancellationToken))
        {
            created.EnsureSuccessStatusCode();
        }

        var page = await SignInAsync(email, ConsoleServer.Password, "/settings/account");
        await Expect(page.GetByText($"Signed in as {email}")).ToBeVisibleAsync();
        await page.GetByLabel("Current password").FillAsync("not my password at all");
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("a brand new passphrase");
        await page.GetByLabel("New password again").FillAsync("a brand new passphrase");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The current password is wrong.");

        await page.GetByLabel("Current password").FillAsync(ConsoleServer.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Your password is changed." })).ToBeVisibleAsync();
        await Accessibility.AssertAccessibleAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        var again = await SignInAsync(email, "a brand new passphrase", "/settings/account");
        await Expect(again.GetByText($"Signed in as {email}")).ToBeVisibleAsync();
    }

    private async Task<IPage> SignInAsync(string email, string password, string path)
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/sign-in?next={Uri.EscapeDataString(path)}");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // The console navigates in the page, with no load event to wait for (waiting for one timed out on a busy CI
        // machine): signed in once the shell's navigation is there, at the page asked for.
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Sections" })).ToBeVisibleAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(System.Text.RegularExpressions.Regex.Escape(path)));
        return page;
    }
}
