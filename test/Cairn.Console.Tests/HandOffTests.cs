using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The sales hand-off report and acknowledging from the list, in the browser.</summary>
public sealed class HandOffTests(ConsoleServer server)
{
    [Fact]
    public async Task AnMqlHandedToSales_IsListedUnderItsOwner_AndAcknowledgedFromTheList()
    {
        // Fit 35 (company size, industry, role) + a download 10 enters lead nurture; viewing pricing (20) makes it an
        // MQL, which the journey hands to sales: enterprise routing gives it to erin.
        var userId = ContactScenario.NewUserId("lead");
        // A domain of its own: example.com is an account the demo team already owns (olivia), which routing would honour.
        await server.IdentifyAsync(userId, new { email = $"{userId}@{userId}.test", name = "Lead Person", company_size = 5000, industry = "software", role = "vp" });
        await server.TrackAsync(userId, "content_downloaded", new { asset = "guide" });
        await server.TrackAsync(userId, "pricing_viewed");
        var contactId = await server.ContactIdAsync(userId);

        var page = await server.SignedInAsync(UserRole.Editor, "/handoffs?owner=erin");
        var row = page.Locator("tr", new() { Has = page.GetByRole(AriaRole.Link, new() { Name = contactId }) });
        await Expect(row).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table).First).ToContainTextAsync("erin");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "handoffs");

        await row.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(row).ToContainTextAsync("by editor@console.test");
        await Expect(row).ToContainTextAsync("acknowledged");

        await row.GetByRole(AriaRole.Link, new() { Name = contactId }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Lead Person" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task TheList_ShowsFiftyHandOffs_ThenLoadsTheRest_WhileTheSummaryCountsThemAll()
    {
        // Hand-offs of an owner of this test alone, written to the store as the engine would.
        var owner = ContactScenario.NewUserId("pager");
        var now = server.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var batch = new CommitBatch();
        batch.HandOffs.AddRange(Enumerable.Range(0, 60).Select(i => new HandOffRecord(
            $"{owner}-{i:D2}", new Cairn.Core.ContactId(Guid.CreateVersion7()), "sales", owner, "round_robin", null, "lead-nurture", now.AddMinutes(-i), now.AddMinutes(-i).AddHours(4))));
        await server.Services.GetRequiredService<ICairnStore>().CommitAsync(batch, TestContext.Current.CancellationToken);

        var page = await server.SignedInAsync(UserRole.Viewer, $"/handoffs?owner={owner}", phone: true);
        var rows = page.Locator(".handoffs-table tbody tr");
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(page.GetByLabel("Summary")).ToContainTextAsync("60");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Showing the newest 50 hand-offs" })).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(page, "handoffs-phone");

        await page.GetByRole(AriaRole.Button, new() { Name = "Load more hand-offs" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(60);
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "End of the list (60 shown)" })).ToBeVisibleAsync();
        await Expect(rows.Last).ToContainTextAsync("not yet");
        await Accessibility.AssertAccessibleAsync(page);
    }
}
