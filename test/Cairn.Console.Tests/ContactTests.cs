using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The contact search and the contact 360 page, with a message's story, in the browser.</summary>
public sealed class ContactTests(ConsoleServer server)
{
    [Fact]
    public async Task SearchFindsTheContact_AndItsPageShowsProfileJourneyTimelineAndTheMessageStory()
    {
        var userId = ContactScenario.NewUserId("c360");
        var email = $"{userId}@example.com";
        await server.IdentifyAsync(userId, new { email, name = "Ada Lovelace", plan = "pro", company_size = 120 });
        await server.TrackAsync(userId, "signed_up", new { source = "homepage" });
        for (var index = 0; index < 30; index++)
        {
            await server.TrackAsync(userId, "page_viewed", new { path = $"/docs/{index}" });
        }

        var page = await server.SignedInAsync(UserRole.Editor, "/contacts");
        await page.GetByLabel("Search by").SelectOptionAsync("email");
        await page.GetByLabel("Search for").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var found = page.GetByRole(AriaRole.Link, new() { Name = "Ada Lovelace" });
        await Expect(found).ToBeVisibleAsync();
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "contacts-search");

        await found.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Ada Lovelace", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText(userId, new() { Exact = true }).First).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "pro", Exact = true })).ToBeVisibleAsync();
        var path = page.GetByRole(AriaRole.List, new() { Name = "Path through welcome-by-entry-point" });
        await Expect(path).ToContainTextAsync("welcome_home");

        // The timeline pages by 25: scrolling to its end loads the older events.
        var timeline = page.GetByRole(AriaRole.List, new() { Name = "Events and messages, newest first" });
        await Expect(timeline.Locator("li.timeline-event")).ToHaveCountAsync(25);
        await page.GetByText("Load older events").ScrollIntoViewIfNeededAsync();
        await Expect(page.GetByText("The beginning of this contact's timeline.")).ToBeVisibleAsync();
        Assert.True(await timeline.Locator("li.timeline-event").CountAsync() > 30);
        await page.Mouse.WheelAsync(0, -100_000);
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "contact-360");

        // The welcome email's story: the orchestrator's decision in words, and the content in a sandboxed frame.
        await timeline.GetByRole(AriaRole.Button, new() { Name = "Open story" }).First.ClickAsync();
        var story = page.GetByRole(AriaRole.Dialog, new() { Name = "Message story" });
        await Expect(story.GetByText("Cleared to send", new() { Exact = false })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(story.Locator("ol.checks li").First).ToBeVisibleAsync();
        var frame = story.Locator("iframe.email-frame");
        await Expect(frame).ToHaveAttributeAsync("sandbox", "");
        await ConsoleServer.ScreenshotAsync(page, "message-story");
        await story.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(story).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task AnEditorSetsATraitAndRecordsConsent_AndTraitSearchFindsTheContact()
    {
        var userId = ContactScenario.NewUserId("edit");
        await server.IdentifyAsync(userId, new { email = $"{userId}@example.com", name = "Grace Hopper" });
        var contactId = await server.ContactIdAsync(userId);

        var page = await server.SignedInAsync(UserRole.Editor, $"/contacts/{contactId}");
        var traits = page.GetByRole(AriaRole.Form, new() { Name = "Set a trait" });
        await traits.GetByLabel("Trait").FillAsync("tier");
        await traits.GetByLabel("Value").FillAsync(userId);
        await traits.GetByRole(AriaRole.Button, new() { Name = "Set trait" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = userId, Exact = true })).ToBeVisibleAsync();

        var consent = page.GetByRole(AriaRole.Form, new() { Name = "Record consent" });
        await consent.GetByLabel("Channel").SelectOptionAsync("sms");
        await consent.GetByLabel("Answer").SelectOptionAsync("opted_out");
        await consent.GetByLabel("Proof").FillAsync("asked on the phone");
        await consent.GetByRole(AriaRole.Button, new() { Name = "Record consent" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "opted_out" })).ToBeVisibleAsync();
        await page.GetByText("History").ClickAsync();
        await Expect(page.GetByText("asked on the phone").Last).ToBeVisibleAsync();

        await page.GotoAsync($"/contacts?by=trait&q=tier&value={userId.ToUpperInvariant()}");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Grace Hopper" })).ToBeVisibleAsync();
        await Expect(page.GetByText($"1 contact with tier = “{userId.ToUpperInvariant()}”.")).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(page, "contacts-trait-search");

        // The text search finds her by part of her email, from the index.
        await page.GotoAsync($"/contacts?by=text&q={userId[2..]}");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Grace Hopper" })).ToBeVisibleAsync();
        await Accessibility.AssertAccessibleAsync(page);
    }

    [Fact]
    public async Task AViewerSeesNoEditingOrExport_AnAdminExportsTheData_AndErasesAfterTypingTheEmail()
    {
        var userId = ContactScenario.NewUserId("erase");
        var email = $"{userId}@example.com";
        await server.IdentifyAsync(userId, new { email, name = "Erase Me" });
        var contactId = await server.ContactIdAsync(userId);

        var viewer = await server.SignedInAsync(UserRole.Viewer, $"/contacts/{contactId}");
        await Expect(viewer.GetByRole(AriaRole.Heading, new() { Name = "Erase Me" })).ToBeVisibleAsync();
        await Expect(viewer.GetByRole(AriaRole.Form, new() { Name = "Set a trait" })).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Erase…" })).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Link, new() { Name = "Export data (ZIP)" })).ToHaveCountAsync(0);

        // The admin downloads the person's data: a ZIP with the README and the JSON document about them.
        var admin = await server.SignedInAsync(UserRole.Admin, $"/contacts/{contactId}");
        await Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Erase Me" })).ToBeVisibleAsync();
        await Accessibility.AssertAccessibleAsync(admin);
        await ConsoleServer.ScreenshotAsync(admin, "contact-360-export");
        var download = await admin.RunAndWaitForDownloadAsync(() => admin.GetByRole(AriaRole.Link, new() { Name = "Export data (ZIP)" }).ClickAsync());
        Assert.Equal($"cairn-export-{contactId}.zip", download.SuggestedFilename);
        using (var zip = System.IO.Compression.ZipFile.OpenRead(await download.PathAsync()))
        {
            Assert.Equal(["README.txt", "export.json"], zip.Entries.Select(entry => entry.FullName));
            using var json = new StreamReader(zip.GetEntry("export.json")!.Open());
            Assert.Contains(email, await json.ReadToEndAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        var page = await server.SignedInAsync(UserRole.Admin, $"/contacts/{contactId}", phone: true);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Erase Me" })).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(page, "contact-360-phone");
        await page.GetByRole(AriaRole.Button, new() { Name = "Erase…" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Erase this contact?" });
        var confirm = dialog.GetByRole(AriaRole.Button, new() { Name = "Erase for good" });
        await Expect(confirm).ToBeDisabledAsync();
        await dialog.GetByLabel("to confirm").FillAsync(email);
        await confirm.ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/contacts$"));
        using var gone = await server.Admin.GetAsync($"/api/contacts/{contactId}", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
    }
}
