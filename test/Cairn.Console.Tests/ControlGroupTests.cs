using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>
/// The control-group report in the browser. The shared server's policy keeps no global control group (one would hold back
/// other tests' promotions), so the page says so and shows everyone else's conversion with its interval drawn.
/// </summary>
public sealed class ControlGroupTests(ConsoleServer server)
{
    [Fact]
    public async Task TheReport_ShowsBothGroups_TheIntervalsDrawn_AndTheVerdict_ForThePeriodChosen()
    {
        var userId = ContactScenario.NewUserId("control");
        await server.IdentifyAsync(userId, new { email = $"{userId}@example.com" });
        await server.TrackAsync(userId, "order_completed", new { revenue = 80 });

        var page = await server.SignedInAsync(UserRole.Viewer, "/reports/control-group");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Global control group" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("There is no global control group");
        await Expect(page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^Everyone else") })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^Conversion rate: Control group") })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^Revenue per contact: ") })).ToBeVisibleAsync();

        // Today only: the address keeps the period, the report states it and the CSV follows it.
        var today = server.Services.GetRequiredService<TimeProvider>().GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var filters = page.GetByRole(AriaRole.Form, new() { Name = "Control-group period" });
        await filters.GetByLabel("From").FillAsync(today);
        await filters.GetByLabel("To").FillAsync(today);
        await Expect(page).ToHaveURLAsync(new Regex($"from={today}&to={today}"));
        await Expect(filters.GetByRole(AriaRole.Link, new() { Name = "Download CSV" })).ToHaveAttributeAsync("href", $"/api/reports/control-group?from={today}&to={today}&format=csv");
        var converters = page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^Everyone else") }).Locator("td").Nth(1);
        await Expect(converters).Not.ToHaveTextAsync("0");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "reports-control-group");

        await page.SetViewportSizeAsync(390, 844);
        await ConsoleServer.ScreenshotAsync(page, "reports-control-group-phone");
        await Accessibility.AssertAccessibleAsync(page);
    }
}
