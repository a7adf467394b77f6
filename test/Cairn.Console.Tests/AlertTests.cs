using System.Net.Http.Json;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The alerts bell in the navigation and the Alerts page: the incidents, one's timeline, acknowledging it.</summary>
public sealed class AlertTests(ConsoleServer server)
{
    [Fact]
    public async Task TheBell_CountsOpenIncidents_AndTheAlertsPage_ShowsTheTimeline_AndAcknowledges()
    {
        // Incidents written to the store as the watcher writes them; the watcher of this shared server is told to wait
        // a hundred clear passes before it resolves one, so it leaves them open while the test looks.
        using (var settings = await server.Admin.PutAsJsonAsync("/api/alerts/settings", new { resolveAfter = 100 }, TestContext.Current.CancellationToken))
        {
            settings.EnsureSuccessStatusCode();
        }

        var now = server.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        string Timeline(params (int Minutes, string Kind, string Summary)[] entries) =>
            System.Text.Json.JsonSerializer.Serialize(entries.Select(entry => new { at = now.AddMinutes(entry.Minutes).ToString("O"), kind = entry.Kind, summary = entry.Summary }));
        var drop = new AlertIncident(
            $"inc_drop_{suffix}", "journey_entries", $"welcome-{suffix}", AlertStatus.Open,
            $"Journey 'welcome-{suffix}' had 0 entries in the hour from 02:00 UTC, a drop from the usual 31 (-5.6 σ)",
            now.AddMinutes(-50), now.AddMinutes(-1), null, null, null, 0, "{\"observed\":0,\"expected\":31}",
            Timeline((-50, "opened", "Journey had 0 entries, a drop from the usual 31"), (-10, "observed", "Journey had 2 entries, a drop from the usual 31")));
        var complaints = new AlertIncident(
            $"inc_spam_{suffix}", "complaint_rate", $"email-{suffix}", AlertStatus.Resolved,
            "The email complaint rate is 0.1% (2 of 2,000 sent in the last 24 h; the threshold is 0.3%)",
            now.AddHours(-5), now.AddHours(-2), now.AddHours(-2), null, null, 2, "{\"rate\":0.001}",
            Timeline((-300, "opened", "The email complaint rate is 0.45% (9 of 2,000 sent)"), (-120, "resolved", "The email complaint rate is 0.1%")));
        await server.Services.GetRequiredService<IAlertStore>().SaveAlertPassAsync(new AlertPassWrite([drop, complaints], [], [], new Dictionary<string, string>()), TestContext.Current.CancellationToken);
        var open = (await server.GetJsonAsync("/api/alerts?status=open&limit=1")).GetProperty("open").GetInt32();

        var page = await server.SignedInAsync(UserRole.Editor, "/alerts");
        var bell = page.GetByRole(AriaRole.Navigation, new() { Name = "Sections" }).GetByRole(AriaRole.Link, new() { Name = "Alerts" });
        await Expect(bell).ToContainTextAsync(open.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = drop.Summary })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = complaints.Summary })).ToBeVisibleAsync();
        await Accessibility.AssertAccessibleAsync(page);

        await page.GetByRole(AriaRole.Link, new() { Name = drop.Summary }).ClickAsync();
        var detail = page.GetByRole(AriaRole.Region, new() { Name = "Incident" });
        await Expect(detail).ToContainTextAsync("a drop from the usual 31");
        await Expect(detail.Locator(".alert-timeline li")).ToHaveCountAsync(2);
        await ConsoleServer.ScreenshotAsync(page, "alerts");

        await detail.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(detail.Locator(".alert-timeline li")).ToHaveCountAsync(3);
        await Expect(detail).ToContainTextAsync("Acknowledged by editor@console.test");
        await Expect(detail.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" })).ToHaveCountAsync(0);

        // A viewer on a phone reads the same list, without the button.
        var phone = await server.SignedInAsync(UserRole.Viewer, $"/alerts/{complaints.Id}", phone: true);
        var resolved = phone.GetByRole(AriaRole.Region, new() { Name = "Incident" });
        await Expect(resolved).ToContainTextAsync("resolved");
        await Expect(resolved.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" })).ToHaveCountAsync(0);
        await Accessibility.AssertAccessibleAsync(phone);
        await ConsoleServer.ScreenshotAsync(phone, "alerts-phone");
    }
}
