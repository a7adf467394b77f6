using Cairn.Runtime.Storage;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The attribution report in the browser: a journey of this test's own sends a message, the contact orders, and every model credits the journey.</summary>
public sealed class AttributionTests(ConsoleServer server)
{
    [Fact]
    public async Task AnOrderAfterAJourneysEmail_IsCreditedToTheJourneyUnderEveryModel_SideBySide()
    {
        var id = ContactScenario.NewUserId("attr");
        await PutAsync($"/api/templates/{id}", $"kind: template\nid: {id}\nchannel: email\nsubject: Deals for you\ntext: Hello");
        await PutAsync($"/api/journeys/{id}", $"id: {id}\nname: Spring deals {id[^6..]}\ncategory: promotional\ntrigger: {{ event: {id}-go }}\nsteps:\n  - id: send\n    send: {{ channel: email, template: {id} }}\n");
        using (var published = await server.Admin.PostAsync($"/api/journeys/{id}/publish", null, TestContext.Current.CancellationToken))
        {
            published.EnsureSuccessStatusCode();
        }

        var userId = ContactScenario.NewUserId("buyer");
        await server.IdentifyAsync(userId, new { email = $"{userId}@example.com" });
        await server.TrackAsync(userId, $"{id}-go");

        // The dispatcher delivers the email shortly after (the outbox refreshes itself); then the contact orders.
        var page = await server.SignedInAsync(UserRole.Viewer, $"/messages?journey={id}&status=delivered");
        await Expect(page.Locator("table.messages-table tbody tr")).ToHaveCountAsync(1);
        await server.TrackAsync(userId, "order_completed", new { revenue = 123.45 });

        await page.GotoAsync("/reports/attribution");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Attribution", Exact = true })).ToBeVisibleAsync();
        var row = page.Locator("table.attribution-table tbody tr", new() { HasText = $"Spring deals {id[^6..]}" });
        await Expect(row.Locator("td")).ToHaveCountAsync(5);
        for (var model = 0; model < 5; model++)
        {
            await Expect(row.Locator("td").Nth(model)).ToContainTextAsync("123.45");
        }

        await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "Position-based (40/20/40)" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("Revenue credited per journey") })).ToBeVisibleAsync();
        await Expect(page.Locator(".echart svg")).ToHaveCountAsync(1);

        // One model, by channel; the period and the choices live in the address, and the CSV link follows them.
        var filters = page.GetByRole(AriaRole.Form, new() { Name = "Attribution period and grouping" });
        await filters.GetByLabel("Model").SelectOptionAsync("last_touch");
        await filters.GetByLabel("Rows per").SelectOptionAsync("channel");
        await Expect(page).ToHaveURLAsync(new Regex("model=last_touch"));
        await Expect(page.Locator("table.attribution-table thead th")).ToHaveTextAsync(["Channel", "Last touch"]);
        await Expect(filters.GetByRole(AriaRole.Link, new() { Name = "Download CSV" })).ToHaveAttributeAsync("href", new Regex("model=last_touch.*by=channel.*format=csv"));
        await filters.GetByLabel("Model").SelectOptionAsync(string.Empty);
        await filters.GetByLabel("Rows per").SelectOptionAsync(string.Empty);
        await Expect(row.Locator("td")).ToHaveCountAsync(5);
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "reports-attribution");

        await page.SetViewportSizeAsync(390, 844);
        await ConsoleServer.ScreenshotAsync(page, "reports-attribution-phone");
        await Accessibility.AssertAccessibleAsync(page);

        // A bad period is the server's problem in words, not a blank page.
        await page.GotoAsync("/reports/attribution?from=2026-12-31&to=2026-01-01");
        await Expect(page.GetByText("must be before", new() { Exact = false })).ToBeVisibleAsync();
    }

    private async Task PutAsync(string path, string yaml)
    {
        using var put = await server.Admin.PutAsync(path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), TestContext.Current.CancellationToken);
        put.EnsureSuccessStatusCode();
    }
}
