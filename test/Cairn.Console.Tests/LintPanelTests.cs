using System.Text;
using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The linter's findings on the journey page (docs/lint.md), in the browser.</summary>
public sealed class LintPanelTests(ConsoleServer server)
{
    [Fact]
    public async Task AJourneyWithFindings_ShowsThemOnItsPage_AndAStepFindingSelectsTheStep()
    {
        // A draft copy of cart recovery on the same trigger and without an owner: never published, so no test's events enter it.
        var id = $"cart-lint-{Guid.NewGuid():N}"[..20];
        var yaml = File.ReadAllText(Path.Combine(Cairn.Testing.Repository.Root, "examples", "journeys", "cart-recovery.yaml"))
            .Replace("id: cart-recovery", $"id: {id}", StringComparison.Ordinal)
            .Replace("name: Cart recovery", "name: Cart lint copy", StringComparison.Ordinal)
            .Replace("owner: growth@example.com\n", string.Empty, StringComparison.Ordinal);
        using (var put = await server.Admin.PutAsync($"/api/journeys/{id}", new StringContent(yaml, Encoding.UTF8, "application/yaml"), TestContext.Current.CancellationToken))
        {
            put.EnsureSuccessStatusCode();
        }

        var lint = await server.GetJsonAsync($"/api/lint?kind=journey&id={id}");
        var codes = lint.GetProperty("findings").EnumerateArray().Select(finding => finding.GetProperty("code").GetString()).ToList();
        Assert.Contains("no-owner", codes);
        Assert.Contains("caps-exceeded", codes);

        var page = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{id}");
        var panel = page.GetByRole(AriaRole.Region, new() { Name = "Lint findings" });
        await Expect(panel).ToBeVisibleAsync();
        await Expect(panel.Locator("li[data-code='no-owner']")).ToContainTextAsync("the journey has no owner");
        // Other tests on the shared server may add caps to the policy, each its own finding: take the daily cap's.
        var daily = panel.Locator("li[data-code='caps-exceeded']", new() { HasTextString = "marketing-daily" });
        await Expect(daily).ToHaveCountAsync(1);
        await ConsoleServer.ScreenshotAsync(page, "journey-lint-findings");

        await daily.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Step" })).ToHaveAttributeAsync("aria-selected", "true");
        await Accessibility.AssertAccessibleAsync(page);

        var phone = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{id}", phone: true);
        await Expect(phone.GetByRole(AriaRole.Region, new() { Name = "Lint findings" })).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(phone, "journey-lint-findings-phone");

        // A journey without findings shows no panel.
        var clean = await server.SignedInAsync(UserRole.Viewer, "/journeys/welcome-by-entry-point");
        await Expect(clean.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
        await Expect(clean.GetByRole(AriaRole.Region, new() { Name = "Lint findings" })).ToHaveCountAsync(0);
    }
}
