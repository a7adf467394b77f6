using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The outbox with its filters, a message's story page, and the suppression list, in the browser.</summary>
public sealed class MessageTests(ConsoleServer server)
{
    [Fact]
    public async Task TheOutboxFiltersByStatusChannelAndTemplate_AndOpensAMessageStory()
    {
        var userId = ContactScenario.NewUserId("outbox");
        await server.IdentifyAsync(userId, new { email = $"{userId}@example.com", name = "Outbox Person" });
        await server.TrackAsync(userId, "signed_up", new { source = "seo-guide" });
        var contactId = await server.ContactIdAsync(userId);

        var page = await server.SignedInAsync(UserRole.Editor, "/messages");
        var filters = page.GetByRole(AriaRole.Form, new() { Name = "Filter messages" });
        await filters.GetByLabel("Channel").SelectOptionAsync("email");
        await filters.GetByLabel("Template").FillAsync("welcome-guide");
        await filters.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        var row = page.Locator("tr", new() { Has = page.Locator($"a[href='/contacts/{contactId}']") });

        // The dispatcher delivers the welcome email to the development mailbox shortly after; the outbox refreshes itself.
        await filters.GetByLabel("Status").SelectOptionAsync("delivered");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("status=delivered"));
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "messages-outbox");

        await filters.GetByLabel("Template").FillAsync("no-such-template");
        await filters.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(page.GetByText("No message matches these filters.")).ToBeVisibleAsync();
        await filters.GetByLabel("Template").FillAsync("welcome-guide");
        await filters.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Message story" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Decision trail" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Cleared to send", new() { Exact = false })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task TheOutboxFiltersByJourneyOnTheServer_InALinkThatSurvivesReload_AndLoadsTheNextPage()
    {
        // 60 sent messages of a journey of this test's own (sent: the dispatcher leaves them alone), one a second.
        var journey = ContactScenario.NewUserId("paging");
        var contact = new Cairn.Core.ContactId(Guid.CreateVersion7());
        var start = server.Services.GetRequiredService<TimeProvider>().GetUtcNow().AddHours(-2);
        var batch = new CommitBatch();
        batch.Outbox.AddRange(Enumerable.Range(0, 60).Select(i => new OutboxMessage(
            $"{journey}:{i:00}", contact, journey, 1, $"{journey}:1", $"step-{i:00}", "email", "paging-template", "promotional", 50, Cairn.Core.MessageStatus.Sent, start.AddSeconds(i))));
        await server.Services.GetRequiredService<ICairnStore>().CommitAsync(batch, TestContext.Current.CancellationToken);

        var page = await server.SignedInAsync(UserRole.Viewer, "/messages");
        var filters = page.GetByRole(AriaRole.Form, new() { Name = "Filter messages" });
        await filters.GetByLabel("Journey").FillAsync(journey);
        await filters.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"journey={journey}"));
        var rows = page.Locator("table.messages-table tbody tr");
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(rows.First).ToContainTextAsync("step-59");

        // The link survives a reload: the same filtered first page.
        await page.ReloadAsync();
        await Expect(filters.GetByLabel("Journey")).ToHaveValueAsync(journey);
        await Expect(rows).ToHaveCountAsync(50);

        await page.GetByRole(AriaRole.Button, new() { Name = "Load more messages" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(60);
        await Expect(rows.Last).ToContainTextAsync("step-00");
        await Expect(page.GetByText("End of the list (60 shown)")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Load more messages" })).ToHaveCountAsync(0);
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "messages-outbox-paged");

        await page.SetViewportSizeAsync(390, 844);
        await ConsoleServer.ScreenshotAsync(page, "messages-outbox-phone");
    }

    [Fact]
    public async Task AnEditorSuppressesAnAddress_WhichTheListShowsMasked_AndRemovesIt()
    {
        var local = ContactScenario.NewUserId("supp");
        var address = $"{local}@{local}.example";
        var page = await server.SignedInAsync(UserRole.Editor, "/messages/suppressions");
        var add = page.GetByRole(AriaRole.Form, new() { Name = "Suppress an address" });
        await add.GetByLabel("Email address").FillAsync(address);
        await add.GetByLabel("Reason").FillAsync("asked not to be emailed");
        await add.GetByRole(AriaRole.Button, new() { Name = "Suppress" }).ClickAsync();
        await add.GetByLabel("Email address").FillAsync(string.Empty);

        var masked = $"s***@{local}.example";
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = masked })).ToBeVisibleAsync();
        await Expect(page.Locator("table")).Not.ToContainTextAsync(address);
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "suppressions");

        var remove = page.GetByRole(AriaRole.Form, new() { Name = "Remove an address" });
        await remove.GetByLabel("Address or phone").FillAsync(address);
        await remove.GetByRole(AriaRole.Button, new() { Name = "Remove from the list" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = masked })).ToHaveCountAsync(0);
    }
}
