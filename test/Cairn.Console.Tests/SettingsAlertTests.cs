using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>Settings › Alerts: an admin changes thresholds and destinations (errors at their field, nothing saved on a bad value), rotates the webhook secret (shown once); others see only that admins do.</summary>
public sealed class SettingsAlertTests(ConsoleServer server)
{
    [Fact]
    public async Task AnAdmin_ChangesAThresholdAndTheWebhook_SeesAnErrorAtItsField_AndGeneratesASecretShownOnce()
    {
        var before = await server.GetJsonAsync("/api/alerts/settings");
        try
        {
            var page = await server.SignedInAsync(UserRole.Admin, "/alerts");
            await page.GetByRole(AriaRole.Link, new() { Name = "Alert settings" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Uri(server.Url, "/settings/alerts").ToString());
            var complaint = page.GetByLabel("Complaint rate (fraction of sent)");
            await Expect(complaint).ToHaveValueAsync(Number(before, "complaintRate"));
            await Expect(page.Locator("#complaintRate-help")).ToContainTextAsync("reported as spam");

            // Text that is not a number is refused before anything is sent.
            var lag = page.GetByLabel("Timer lag (minutes)");
            await lag.FillAsync("soon");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save alert settings" }).ClickAsync();
            await Expect(page.Locator("#timerMaxLagMinutes-error")).ToHaveTextAsync("a number");
            await lag.FillAsync(Number(before, "timerMaxLagMinutes"));

            // A complaint rate above 1 is a 400 with the error at its field, and nothing of the change is saved.
            const string Hook = "http://127.0.0.1:9/cairn-alerts";
            await page.GetByLabel("Opening deviation (σ)").FillAsync("5.5");
            await page.GetByLabel("Webhook URL").FillAsync(Hook);
            await complaint.FillAsync("2");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save alert settings" }).ClickAsync();
            await Expect(page.Locator("#complaintRate-error")).ToContainTextAsync("at most 1");
            await Expect(page.Locator("#timerMaxLagMinutes-error")).ToHaveCountAsync(0);
            await Expect(complaint).ToHaveAttributeAsync("aria-invalid", "true");
            var unchanged = await server.GetJsonAsync("/api/alerts/settings");
            Assert.Equal(before.GetProperty("journeySigma").GetDouble(), unchanged.GetProperty("journeySigma").GetDouble());
            Assert.Equal(before.GetProperty("complaintRate").GetDouble(), unchanged.GetProperty("complaintRate").GetDouble());
            Assert.Equal(before.GetProperty("webhookUrl").ToString(), unchanged.GetProperty("webhookUrl").ToString());

            await complaint.FillAsync("0.002");
            await Expect(page.Locator("#complaintRate-help")).ToContainTextAsync("Now 0.2 %");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save alert settings" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved" })).ToBeVisibleAsync();
            await Expect(page.Locator("#complaintRate-error")).ToHaveCountAsync(0);
            await Expect(page.Locator("#webhook-secret-hint")).ToContainTextAsync("whsec_");

            // A new secret is shown once, with a copy button; afterwards only its first characters.
            var hintBefore = (await server.GetJsonAsync("/api/alerts/settings")).GetProperty("webhookSecretHint").GetString();
            await page.GetByRole(AriaRole.Button, new() { Name = "Generate a new secret" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true }).ClickAsync();
            var shown = page.GetByLabel("New webhook secret", new() { Exact = true });
            await Expect(shown).ToContainTextAsync("whsec_");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy" })).ToBeVisibleAsync();
            var secret = await shown.InnerTextAsync();
            Assert.NotEqual(hintBefore, secret[..10] + "…");
            await Expect(page.Locator("#webhook-secret-hint")).ToContainTextAsync(secret[..10]);
            await Accessibility.AssertAccessibleAsync(page);
            await ConsoleServer.ScreenshotAsync(page, "settings-alerts");

            var after = await server.GetJsonAsync("/api/alerts/settings");
            Assert.Equal(5.5, after.GetProperty("journeySigma").GetDouble());
            Assert.Equal(0.002, after.GetProperty("complaintRate").GetDouble());
            Assert.Equal(Hook, after.GetProperty("webhookUrl").GetString());
            Assert.Equal(secret[..10] + "…", after.GetProperty("webhookSecretHint").GetString());
            Assert.Equal(JsonValueKind.Null, after.GetProperty("webhookSecret").ValueKind);
            Assert.Equal(before.GetProperty("resolveAfter").GetInt32(), after.GetProperty("resolveAfter").GetInt32());

            await page.ReloadAsync();
            await Expect(page.Locator("#webhook-secret-hint")).ToContainTextAsync(secret[..10]);
            await Expect(page.GetByLabel("New webhook secret", new() { Exact = true })).ToHaveCountAsync(0);
            await Expect(page.GetByText(secret)).ToHaveCountAsync(0);
            await Expect(page.GetByLabel("Opening deviation (σ)")).ToHaveValueAsync("5.5");

            // The same form at phone width.
            var phone = await server.SignedInAsync(UserRole.Admin, "/settings/alerts", phone: true);
            await Expect(phone.GetByLabel("Webhook URL")).ToHaveValueAsync(Hook);
            await Accessibility.AssertAccessibleAsync(phone);
            await ConsoleServer.ScreenshotAsync(phone, "settings-alerts-phone");
        }
        finally
        {
            // The server is shared: the other tests see the thresholds and destinations as they were.
            (await server.Admin.PutAsJsonAsync("/api/alerts/settings", new
            {
                journeySigma = before.GetProperty("journeySigma").GetDouble(),
                complaintRate = before.GetProperty("complaintRate").GetDouble(),
                webhookUrl = before.GetProperty("webhookUrl").GetString() ?? "",
            }, TestContext.Current.CancellationToken)).Dispose();
        }
    }

    [Fact]
    public async Task AnEditor_SeesThatOnlyAdminsSeeTheAlertSettings()
    {
        var page = await server.SignedInAsync(UserRole.Editor, "/settings/alerts", phone: true);
        await Expect(page.GetByText("Only admins see and change the alert settings.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save alert settings" })).ToHaveCountAsync(0);
        await Expect(page.GetByLabel("Webhook URL")).ToHaveCountAsync(0);

        var alerts = await server.SignedInAsync(UserRole.Editor, "/alerts");
        await Expect(alerts.GetByRole(AriaRole.Heading, new() { Name = "Alerts", Level = 1 })).ToBeVisibleAsync();
        await Expect(alerts.GetByRole(AriaRole.Link, new() { Name = "Alert settings" })).ToHaveCountAsync(0);
        await Accessibility.AssertAccessibleAsync(page);
    }

    private static string Number(JsonElement settings, string name) =>
        settings.GetProperty(name).GetDouble().ToString(CultureInfo.InvariantCulture);
}
