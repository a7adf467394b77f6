using System.Text;
using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The audit log page (settings, admins) and a journey's changes under History, in the browser (docs/audit.md).</summary>
public sealed class AuditLogTests(ConsoleServer server)
{
    [Fact]
    public async Task TheAuditLog_FiltersAndShowsAChangesDiff_AndAJourneyShowsItsOwnChanges()
    {
        // A draft copy of the cart-recovery journey, under its own name so no other test's locator finds it; stored and changed through the API, never published, so no test's events enter it.
        var id = $"audit-{Guid.NewGuid():N}"[..18];
        var yaml = File.ReadAllText(Path.Combine(Cairn.Testing.Repository.Root, "examples", "journeys", "cart-recovery.yaml"))
            .Replace("id: cart-recovery", $"id: {id}", StringComparison.Ordinal)
            .Replace("name: Cart recovery", "name: Audited copy", StringComparison.Ordinal);
        foreach (var text in new[] { yaml, yaml.Replace("name: Audited copy", "name: Audited copy, renamed", StringComparison.Ordinal) })
        {
            using var put = await server.Admin.PutAsync($"/api/journeys/{id}", new StringContent(text, Encoding.UTF8, "application/yaml"), TestContext.Current.CancellationToken);
            put.EnsureSuccessStatusCode();
        }

        var page = await server.SignedInAsync(UserRole.Admin, "/settings/audit");
        var filters = page.GetByRole(AriaRole.Form, new() { Name = "Filter the audit log" });
        await filters.GetByLabel("Target kind").FillAsync("journey");
        await filters.GetByLabel("Target id").FillAsync(id);
        await filters.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        var log = page.GetByRole(AriaRole.Region, new() { Name = "Audit entries" });
        await Expect(log.Locator("tbody > tr")).ToHaveCountAsync(2);
        await Expect(log.Locator("tbody > tr").First).ToContainTextAsync("journey.drafted");
        await Expect(log.Locator("tbody > tr").Last).ToContainTextAsync("(new)");
        await log.GetByRole(AriaRole.Button, new() { Name = "Show the change" }).First.ClickAsync();
        var diff = log.GetByLabel("Before and after");
        await Expect(diff.Locator(".diff-removed")).ToHaveTextAsync("- name: Audited copy");
        await Expect(diff.Locator(".diff-added")).ToHaveTextAsync("+ name: Audited copy, renamed");
        await ConsoleServer.ScreenshotAsync(page, "settings-audit-log");
        await Accessibility.AssertAccessibleAsync(page);

        var phone = await server.SignedInAsync(UserRole.Admin, "/settings/audit", phone: true);
        await Expect(phone.GetByRole(AriaRole.Region, new() { Name = "Audit entries" })).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(phone, "settings-audit-log-phone");

        // A viewer is told the log is the admins', and reads the journey's own changes on its page.
        var viewer = await server.SignedInAsync(UserRole.Viewer, "/settings/audit");
        await Expect(viewer.GetByText("Only admins read the audit log.")).ToBeVisibleAsync();
        var journey = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{id}");
        await journey.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
        var changes = journey.GetByRole(AriaRole.List, new() { Name = "Changes to the journey" });
        await Expect(changes.Locator("li")).ToHaveCountAsync(2);
        await Expect(changes).ToContainTextAsync("the configured API key");
        await Expect(changes.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        await ConsoleServer.ScreenshotAsync(journey, "journey-history-changes");
        var journeyPhone = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{id}", phone: true);
        await journeyPhone.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
        await Expect(journeyPhone.GetByRole(AriaRole.List, new() { Name = "Changes to the journey" })).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(journeyPhone, "journey-history-changes-phone");
    }
}
