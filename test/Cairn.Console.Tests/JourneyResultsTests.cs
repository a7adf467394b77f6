using System.Text;
using Cairn.Runtime.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>A journey's results page: the holdout lift with its interval drawn, the arms compared, the CSV downloads.</summary>
public sealed class JourneyResultsTests(ConsoleServer server)
{
    private const int Contacts = 100;

    [Fact]
    public async Task ThePlantedLiftAndWinner_AreShownWithTheirIntervals_AndTheVerdicts()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var journey = $"results-{tag}";
        await PutAsync($"templates/{journey}-hello", $"kind: template\nid: {journey}-hello\nchannel: email\nsubject: Hello\ntext: Hello\n");
        await PutAsync($"journeys/{journey}", $$"""
            id: {{journey}}
            name: Results {{tag}}
            trigger: { event: results_signup_{{tag}} }
            entry: { holdout: 50 }
            goal: { event: results_purchase_{{tag}}, within: 30d }
            steps:
              - id: subject_line
                split: [{ arm: A, percent: 50, next: hello }, { arm: B, percent: 50, next: hello }]
                experiment: true
              - id: hello
                send: { channel: email, template: {{journey}}-hello }
                next: linger
              - id: linger
                wait: 40d
            """);
        using (var publish = await server.Admin.PostAsync($"/api/journeys/{journey}/publish", null, TestContext.Current.CancellationToken))
        {
            publish.EnsureSuccessStatusCode();
        }

        // Holdout contacts convert 1 in 10, arm A 2 in 10, arm B 6 in 10, in the order they come.
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var index = 0; index < Contacts; index++)
        {
            var user = $"{journey}-{index}";
            await server.TrackAsync(user, $"results_signup_{tag}");
            var contact = await server.GetJsonAsync($"/api/contacts/lookup?userId={user}");
            var journeys = await server.GetJsonAsync($"/api/contacts/{contact.GetProperty("id").GetString()}/journeys");
            var enrollment = journeys.GetProperty("active").EnumerateArray().Single(e => e.GetProperty("journey").GetString() == journey);
            var group = enrollment.GetProperty("control").GetBoolean() ? "holdout" : enrollment.GetProperty("arm").GetString()!;
            var nth = seen[group] = seen.GetValueOrDefault(group) + 1;
            var converts = group switch { "holdout" => nth % 10 == 0, "A" => nth % 10 is 1 or 6, _ => nth % 10 is not (0 or 3 or 5 or 8) };
            if (converts)
            {
                await server.TrackAsync(user, $"results_purchase_{tag}", new { revenue = 25 });
            }
        }

        var page = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{journey}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Results", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Results of Results {tag}" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("lift-verdict")).ToContainTextAsync("Treated contacts convert");
        await Expect(page.GetByTestId("lift-verdict")).ToContainTextAsync("points more than the holdout");
        var groups = page.GetByTestId("lift-table");
        await Expect(groups.GetByRole(AriaRole.Row).Filter(new() { HasText = "Holdout" }).GetByRole(AriaRole.Cell).First).ToHaveTextAsync(seen["holdout"].ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(groups.GetByRole(AriaRole.Row).Filter(new() { HasText = "Treated" }).GetByRole(AriaRole.Cell).First).ToHaveTextAsync((seen["A"] + seen["B"]).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Absolute lift \\+") })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("experiment-verdict")).ToContainTextAsync("Arm B converts best");
        var arms = page.GetByTestId("arms-table");
        await Expect(arms.GetByRole(AriaRole.Row).Filter(new() { HasText = "B" }).Last.GetByRole(AriaRole.Cell).First).ToHaveTextAsync(seen["B"].ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Arm A: .*; Arm B: ") })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Download CSV" }).First).ToHaveAttributeAsync("href", $"/api/journeys/{journey}/lift?format=csv");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "journeys-results");

        // Version 1 only, picked from the list: the same contacts, stated as version 1.
        await page.GetByLabel("Version").SelectOptionAsync("1");
        await Expect(page.Locator(".results-period").First).ToContainTextAsync("version 1");

        // The CSV the link names, read with the viewer's session.
        var csv = await page.APIRequest.GetAsync($"/api/journeys/{journey}/experiments?format=csv&version=1");
        Assert.True(csv.Ok);
        var rows = (await csv.TextAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["A", "B"], rows.Skip(1).Select(row => row.Split(',')[5]));

        var phone = await server.SignedInAsync(UserRole.Viewer, $"/journeys/{journey}/results", phone: true);
        await Expect(phone.GetByTestId("experiment-verdict")).ToContainTextAsync("Arm B converts best");
        await Accessibility.AssertAccessibleAsync(phone);
        await ConsoleServer.ScreenshotAsync(phone, "journeys-results-phone");
    }

    private async Task PutAsync(string path, string yaml)
    {
        using var response = await server.Admin.PutAsync("/api/" + path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
