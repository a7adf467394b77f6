using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Cairn.Core.Journeys.Engine;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>A split's mode on the journey canvas: fixed, winner pending, the decided winner, a bandit's weights.</summary>
public sealed class SplitModeTests(ConsoleServer server)
{
    [Fact]
    public async Task TheCanvas_ShowsEachSplitsMode_TheDecidedWinner_AndABanditsWeights()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var id = $"splits-{suffix}";
        await PublishAsync(id, $"""
            id: {id}
            name: Split modes {suffix}
            trigger: {"{"} event: split_modes_{suffix} {"}"}
            entry: {"{"} reentry: always {"}"}
            steps:
              - id: timing
                split:
                  - {"{"} arm: morning, percent: 50, next: offer {"}"}
                  - {"{"} arm: evening, percent: 50, next: offer {"}"}
                winner: {"{"} metric: goal, after: 7d, min_per_arm: 500 {"}"}
              - id: offer
                split:
                  - {"{"} arm: discount, percent: 50, next: hold {"}"}
                  - {"{"} arm: no_discount, percent: 50, next: hold {"}"}
              - id: hold
                wait: 7d
                next: end
            goal: {"{"} event: order_completed, within: 7d {"}"}
            """);
        var bandit = $"bandit-{suffix}";
        await PublishAsync(bandit, $"""
            id: {bandit}
            name: Bandit {suffix}
            trigger: {"{"} event: bandit_{suffix} {"}"}
            entry: {"{"} reentry: always {"}"}
            steps:
              - id: subject
                split:
                  - {"{"} arm: short, percent: 50, next: hold {"}"}
                  - {"{"} arm: long, percent: 50, next: hold {"}"}
                mode: bandit
                floor: 10
              - id: hold
                wait: 7d
                next: end
            goal: {"{"} event: order_completed, within: 7d {"}"}
            """);

        var page = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{id}");
        await Expect(page.Locator("[data-step='timing'] [data-split-mode]")).ToHaveTextAsync("winner pending · after 7d, 500 per arm");
        await Expect(page.Locator("[data-step='offer'] [data-split-mode]")).ToHaveTextAsync("fixed split");

        // A winner recorded (as the split runner records one), then a refresh: the card names it and when.
        var decision = new SplitDecision("evening", new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero), SplitModes.AutomaticWinner, [new ArmCount("morning", 520, 26), new ArmCount("evening", 515, 52)]);
        await server.Services.GetRequiredService<ISplitStore>().RecordSplitDecisionAsync(new StoredSplitDecision(new SplitKey(id, 1, "timing"), decision), TestContext.Current.CancellationToken);
        await server.Services.GetRequiredService<SplitRunner>().RefreshAsync(TestContext.Current.CancellationToken);
        await page.ReloadAsync();
        await Expect(page.Locator("[data-step='timing'] [data-split-mode]")).ToHaveTextAsync(new Regex("^winner: evening · 30 Nov 2026$"));
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "journeys-split-modes");

        var banditPage = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{bandit}");
        await Expect(banditPage.Locator("[data-step='subject'] [data-split-mode]")).ToHaveTextAsync(new Regex(@"^bandit · short \d+% · long \d+%$"));
        var phone = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{id}", phone: true);
        await Expect(phone.Locator("[data-step='timing'] [data-split-mode]")).ToHaveTextAsync(new Regex("^winner: evening"));
        await ConsoleServer.ScreenshotAsync(phone, "journeys-split-modes-phone");
    }

    private async Task PublishAsync(string id, string yaml)
    {
        using var put = await server.Admin.PutAsync($"/api/journeys/{id}", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        using var publish = await server.Admin.PostAsync($"/api/journeys/{id}/publish", JsonContent.Create(new { }));
        Assert.True(publish.IsSuccessStatusCode, await publish.Content.ReadAsStringAsync());
    }
}
