using System.Net.Http.Json;
using System.Text;
using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>
/// The "done means", in one browser session: an admin signs in, opens cart recovery on the canvas and sees its
/// live numbers, adds a step, simulates the draft on the last week's events, publishes, sends an event over HTTP the
/// way curl would, and watches the contact move into the new version. On a copy of cart recovery with its own trigger
/// event and a name of its own ("First session …"), so the other tests' cart recovery, and the rows they look for by
/// its name, stay as the demo made them.
/// </summary>
public sealed class FirstSessionTests(ConsoleServer server)
{
    [Fact]
    public async Task SignIn_Canvas_AddAStep_Simulate_Publish_AndWatchAContactMove()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (id, trigger) = ($"cart-first-{suffix}", $"cart_abandoned_{suffix}");
        var yaml = File.ReadAllText(Path.Combine(Cairn.Testing.Repository.Root, "examples", "journeys", "cart-recovery.yaml"))
            .Replace("id: cart-recovery", $"id: {id}", StringComparison.Ordinal)
            .Replace("name: Cart recovery", $"name: First session {suffix}", StringComparison.Ordinal)
            .Replace("event: cart_abandoned", $"event: {trigger}", StringComparison.Ordinal);
        using (var put = await server.Admin.PutAsync($"/api/journeys/{id}", new StringContent(yaml, Encoding.UTF8, "application/yaml"), TestContext.Current.CancellationToken))
        {
            put.EnsureSuccessStatusCode();
        }

        using (var publish = await server.Admin.PostAsync($"/api/journeys/{id}/publish", JsonContent.Create(new { }), TestContext.Current.CancellationToken))
        {
            publish.EnsureSuccessStatusCode();
        }

        // Last week's shoppers: their carts are what the simulation replays and what the live numbers count.
        for (var shopper = 0; shopper < 3; shopper++)
        {
            await server.TrackAsync($"first-{suffix}-{shopper}", trigger, new { cart_value = 40 + shopper });
        }

        var page = await server.SignedInAsync(UserRole.Admin, "/journeys");
        await page.GetByRole(AriaRole.Link, new() { Name = $"First session {suffix}" }).ClickAsync();
        await Expect(EnteredTotal(page)).ToHaveTextAsync("3");

        await ConsoleServer.OpenStepAsync(page, "email_final");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Add a step" }).GetByRole(AriaRole.Button, new() { Name = "Wait", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-step='wait_1']")).ToContainTextAsync("wait 1 h");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Draft saved" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "Simulate" }).ClickAsync();
        await page.GetByLabel("Period", new() { Exact = true }).SelectOptionAsync("7d");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run simulation" }).ClickAsync();
        var entered = page.Locator(".card").Filter(new() { HasText = "Entered the journey" });
        await Expect(entered).ToContainTextAsync("3");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "wait_1", Exact = true })).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(page, "first-session-simulate");

        await page.GetByRole(AriaRole.Button, new() { Name = "Publish…" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Added (1)");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Publish now" }).ClickAsync();
        await Expect(dialog).ToContainTextAsync("Published version v2.");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();

        // What `curl -u "$CAIRN_WRITE_KEY:" …/v1/track` does; the contact enters version 2.
        var newcomer = $"first-{suffix}-new";
        await server.TrackAsync(newcomer, trigger, new { cart_value = 99 });
        var contactId = (await server.GetJsonAsync($"/api/contacts/lookup?userId={newcomer}")).GetProperty("id").GetString();
        await page.GotoAsync($"/contacts/{contactId}");
        var path = page.GetByRole(AriaRole.List, new() { Name = $"Path through {id}" });
        await Expect(path).ToContainTextAsync("wait_1h");
        await Expect(page.Locator(".enrollment-head").Filter(new() { HasText = id })).ToContainTextAsync("v2");

        await page.GotoAsync($"/journeys/{id}");
        await Expect(EnteredTotal(page)).ToHaveTextAsync("4");
    }

    /// <summary>The canvas header's count of contacts that entered the journey (every version).</summary>
    private static ILocator EnteredTotal(IPage page) =>
        page.GetByLabel("Journey totals").Locator("div").Filter(new() { Has = page.GetByText("entered", new() { Exact = true }) }).Locator(".value");
}
