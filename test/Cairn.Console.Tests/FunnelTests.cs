using System.Net.Http.Json;
using System.Text;
using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>The journey funnel page, on a journey of its own published through the API and fed with its own events.</summary>
public sealed class FunnelTests(ConsoleServer server)
{
    [Fact]
    public async Task TheFunnel_ShowsEachStepsNumbers_DropOffsByWhy_AndConversions()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var id = $"funnel-{suffix}";
        await PublishAsync(id, suffix);
        await server.TrackAsync($"funnel-pro-{suffix}", $"funnel_{suffix}_start", new { plan = "pro" });
        await server.TrackAsync($"funnel-free-{suffix}", $"funnel_{suffix}_start", new { plan = "free" });
        await server.TrackAsync($"funnel-gone-{suffix}", $"funnel_{suffix}_start", new { plan = "free" });
        await server.TrackAsync($"funnel-free-{suffix}", $"funnel_{suffix}_ordered");
        await server.TrackAsync($"funnel-gone-{suffix}", $"funnel_{suffix}_closed");

        var page = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{id}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Funnel" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Funnel of {id}" })).ToBeVisibleAsync();

        var plan = page.Locator("[data-funnel-step='plan']");
        await Expect(plan.Locator("[data-figure='entered']")).ToHaveTextAsync("3");
        await Expect(plan.Locator("[data-figure='passed']")).ToHaveTextAsync("3");
        await Expect(plan.Locator("[data-figure='median']")).ToHaveTextAsync("< 1 s");
        await Expect(plan).ToContainTextAsync("else → pause: 2 · pro → pro_wait: 1");
        var pause = page.Locator("[data-funnel-step='pause']");
        await Expect(pause.Locator("[data-figure='entered']")).ToHaveTextAsync("2");
        await Expect(pause.Locator("[data-figure='dropped']")).ToHaveTextAsync("2 (exit criterion 1, goal 1)");
        await Expect(pause.Locator("[data-figure='waiting']")).ToHaveTextAsync("0");
        var proWait = page.Locator("[data-funnel-step='pro_wait']");
        await Expect(proWait.Locator("[data-figure='entered']")).ToHaveTextAsync("1");
        await Expect(proWait.Locator("[data-figure='waiting']")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-figure='entries']")).ToHaveTextAsync("3");
        await Expect(page.Locator("[data-figure='converted']")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-figure='rate']")).ToHaveTextAsync("33.3 %");
        await Expect(page.Locator("[data-period]")).ToContainTextAsync("Version v1");
        await Expect(page.Locator(".funnel-chart svg")).ToBeVisibleAsync();

        // The CSV is the same report, one row per step and exit.
        var href = await page.GetByRole(AriaRole.Link, new() { Name = "Download CSV" }).GetAttributeAsync("href");
        Assert.Contains("format=csv", href, StringComparison.Ordinal);
        var csv = await page.Context.APIRequest.GetAsync(href!);
        Assert.Equal(200, csv.Status);
        var lines = (await csv.TextAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Contains(lines, line => line.Contains(",plan,branch,3,3,else,pause,2,", StringComparison.Ordinal));

        // Another period and the version picker answer too.
        await page.GetByLabel("Last 7 days").CheckAsync();
        await Expect(page.Locator("[data-figure='entries']")).ToHaveTextAsync("3");
        await page.GetByRole(AriaRole.Combobox, new() { Name = "Version" }).SelectOptionAsync("1");
        await Expect(plan.Locator("[data-figure='entered']")).ToHaveTextAsync("3");

        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "journeys-funnel");

        var phone = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{id}/funnel", phone: true);
        await Expect(phone.Locator("[data-funnel-step='pause'] [data-figure='dropped']")).ToHaveTextAsync("2 (exit criterion 1, goal 1)");
        await ConsoleServer.ScreenshotAsync(phone, "journeys-funnel-phone");
    }

    private async Task PublishAsync(string id, string suffix)
    {
        var yaml = $$"""
            id: {{id}}
            name: Funnel {{suffix}}
            trigger: { event: funnel_{{suffix}}_start }
            steps:
              - id: plan
                branch:
                  - name: pro
                    when: { payload: properties.plan, op: eq, value: pro }
                    next: pro_wait
                else: pause
              - id: pro_wait
                wait: 2d
                next: end
              - id: pause
                wait: 1d
            exit_when:
              - event: funnel_{{suffix}}_closed
            goal:
              event: funnel_{{suffix}}_ordered
              within: 7d
              exit: true
            """;
        using var put = await server.Admin.PutAsync($"/api/journeys/{id}", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        using var publish = await server.Admin.PostAsync($"/api/journeys/{id}/publish", JsonContent.Create(new { }));
        publish.EnsureSuccessStatusCode();
    }
}
