using System.Net.Http.Json;
using System.Text;
using Cairn.Runtime.Storage;
using Cairn.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>Simulating a journey's draft in the browser: over the last 24 hours of recorded events, and over an uploaded file.</summary>
public sealed class SimulationTests(ConsoleServer server)
{
    [Fact]
    public async Task TheLast24Hours_ShowPerStepNumbers_MessagesPerTemplate_AndAStepsContactsWithTheirPaths()
    {
        // Three shoppers identified with an email address the day before the period, whose addresses hard-bounced since.
        var shopper = "sim-" + Guid.NewGuid().ToString("N")[..8];
        for (var index = 0; index < 3; index++)
        {
            var email = $"{shopper}-{index}@example.com";
            using var identified = await server.Ingest.PostAsJsonAsync("/v1/identify", new { userId = $"{shopper}-{index}", traits = new { email }, timestamp = TimeProvider.System.GetUtcNow().AddHours(-25) }, TestContext.Current.CancellationToken);
            identified.EnsureSuccessStatusCode();
            using var suppressed = await server.Admin.PostAsJsonAsync("/api/suppressions", new { address = email, reason = "550 mailbox unavailable" }, TestContext.Current.CancellationToken);
            suppressed.EnsureSuccessStatusCode();
            await server.TrackAsync($"{shopper}-{index}", "cart_abandoned", new { cart_value = 80 + index });
        }

        var page = await server.SignedInAsync(UserRole.Viewer, "/journeys/cart-recovery/simulate");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Simulate Cart recovery" })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Period", new() { Exact = true })).ToHaveValueAsync("24h");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run simulation" }).ClickAsync();

        var steps = page.Locator(".simulation-steps");
        await Expect(steps).ToBeVisibleAsync();
        var wait = steps.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Button, new() { Name = "wait_1h" }) });
        await Expect(wait.Locator("td").Nth(1)).Not.ToHaveTextAsync("0");
        var messages = page.GetByRole(AriaRole.Region, new() { Name = "Messages per template" });
        await Expect(messages).ToContainTextAsync("cart-reminder-1");
        await Expect(messages).ToContainTextAsync("email");
        // Their first reminder is held back by the suppression list, with the reason, on the template's row.
        var held = page.GetByRole(AriaRole.Region, new() { Name = "Held back", Exact = true });
        var bounced = held.GetByRole(AriaRole.Row).Filter(new() { HasText = "suppression list: hard bounce" }).Filter(new() { HasText = "cart-reminder-1" });
        await Expect(bounced).ToHaveCountAsync(1);
        await Expect(bounced.GetByRole(AriaRole.Cell).Nth(1)).ToHaveTextAsync("suppressed");
        await Expect(bounced.GetByRole(AriaRole.Cell).Nth(3)).Not.ToHaveTextAsync("0");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "simulate-period");

        await page.GetByRole(AriaRole.Button, new() { Name = "email_1", Exact = true }).PressAsync("Enter");
        var contacts = page.GetByRole(AriaRole.Region, new() { Name = "Contacts at email_1" });
        await Expect(contacts).ToBeVisibleAsync();
        var path = contacts.GetByRole(AriaRole.List, new() { Name = $"Path of {shopper}-0" });
        await Expect(path.GetByRole(AriaRole.Listitem).First).ToContainTextAsync("wait_1h");
        await Expect(path).ToContainTextAsync("email_1");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "email_1", Exact = true })).ToHaveAttributeAsync("aria-pressed", "true");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "simulate-step-contacts");

        await contacts.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(contacts).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task AnUploadedFile_IsReplayed_AndItsUnreadableLinesAreNamed()
    {
        var streams = Path.Combine(Repository.Root, "examples", "streams");
        var lines = File.ReadAllLines(Path.Combine(streams, "cart-recovery.profiles.ndjson")).Concat(["{not json"]).Concat(File.ReadAllLines(Path.Combine(streams, "cart-recovery.ndjson")));
        var page = await server.SignedInAsync(UserRole.Editor, "/journeys/cart-recovery/simulate", phone: true);
        await page.GetByLabel("An uploaded NDJSON file").CheckAsync();
        await page.GetByLabel("NDJSON file", new() { Exact = true }).SetInputFilesAsync(new FilePayload { Name = "cart.ndjson", MimeType = "application/x-ndjson", Buffer = Encoding.UTF8.GetBytes(string.Join('\n', lines)) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Run simulation" }).ClickAsync();

        await Expect(page.GetByText("Uploaded events replayed")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "unreadable line" })).ToContainTextAsync("Line 5: not valid JSON");
        var entered = page.Locator(".card").Filter(new() { HasText = "Entered the journey" });
        await Expect(entered.Locator(".value")).ToHaveTextAsync("4");
        await page.GetByRole(AriaRole.Button, new() { Name = "tier", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Contacts at tier" })).ToContainTextAsync("ann");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "simulate-upload-phone");
    }
}
