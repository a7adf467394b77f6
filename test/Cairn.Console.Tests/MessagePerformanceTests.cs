using System.Net;
using System.Text;
using Cairn.Messaging;
using Cairn.Runtime.Storage;
using Cairn.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>
/// Messages › Performance: a journey of the test's own sends three emails; Apple's proxy opens one, a link scanner
/// clicks another, a reader opens and clicks the third through the tracking links; the page shows each figure with
/// the machines apart (and counted on request), the chart, the CSV download, and `cairn report messages` prints it.
/// </summary>
public sealed class MessagePerformanceTests(ConsoleServer server)
{
    private const string Iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

    private static readonly string[] Who = ["reader", "apple", "scanned"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThePageCountsEachOutcome_MachinesApart_WithAChartACsvAndTheCli()
    {
        var journey = ContactScenario.NewUserId("perf");
        var template = journey + "-mail";
        await PutAsync($"/api/templates/{template}", $$"""
            kind: template
            id: {{template}}
            name: Performance {{journey}}
            channel: email
            subject: "Your order"
            html: |
              <html><body><p>Hi there.</p><a href="https://shop.example/orders">Your order</a> <a href="https://shop.example/help">Help</a></body></html>
            """);
        await PutAsync($"/api/journeys/{journey}", $$"""
            id: {{journey}}
            name: Performance {{journey}}
            category: transactional
            trigger: { event: {{journey}}_ordered }
            steps:
              - id: confirm
                send: { channel: email, template: {{template}} }
                next: done
              - id: done
                exit: true
            """);
        using (var publish = await server.Admin.PostAsync($"/api/journeys/{journey}/publish", new StringContent("{}", Encoding.UTF8, "application/json"), Cancel))
        {
            publish.EnsureSuccessStatusCode();
        }

        var users = Who.Select(who => $"{who}-{journey}").ToList();
        foreach (var user in users)
        {
            await server.IdentifyAsync(user, new { email = $"{user}@example.com", first_name = "Pat" });
            await server.TrackAsync(user, $"{journey}_ordered");
        }

        await server.Services.GetRequiredService<MessageDispatcher>().DispatchAsync(Cancel);
        var html = new Dictionary<string, string>();
        foreach (var user in users)
        {
            var mailbox = await server.GetJsonAsync($"/api/dev/mailbox?to={Uri.EscapeDataString($"{user}@example.com")}");
            html[user] = mailbox.GetProperty("messages").EnumerateArray().Single().GetProperty("html").GetString()!;
        }

        // Apple Mail's proxy prefetches one pixel; a security gateway follows the other message's links.
        await GetAsync(Link(html[users[1]], "/t/o/"), "Mozilla/5.0");
        await GetAsync(Link(html[users[2]], "/t/c/"), "Mozilla/5.0 (compatible; Barracuda Sentinel)");

        var today = server.Services.GetRequiredService<TimeProvider>().GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var page = await server.SignedInAsync(UserRole.Viewer, $"/messages/performance?journey={journey}&from={today}&to={today}");
        var row = page.Locator("table.performance-table tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        var cells = row.Locator("th, td");
        await Expect(cells.Nth(0)).ToHaveTextAsync(template);
        await Expect(cells.Nth(1)).ToHaveTextAsync("3");
        await Expect(cells.Nth(2)).ToHaveTextAsync("3100.0 %");
        await Expect(cells.Nth(4)).ToHaveTextAsync("00.0 %");
        await Expect(cells.Nth(9)).ToHaveTextAsync("2");
        await Expect(cells.Nth(10)).ToHaveTextAsync("1");
        await Accessibility.AssertAccessibleAsync(page);

        // The reader opens on the phone and clicks through on the computer, seconds later than any prefetch.
        await GetAsync(Link(html[users[0]], "/t/o/"), Iphone);
        await GetAsync(Link(html[users[0]], "/t/c/"), Chrome);
        await page.ReloadAsync();
        await Expect(cells.Nth(4)).ToHaveTextAsync("133.3 %");
        await Expect(cells.Nth(5)).ToHaveTextAsync("133.3 %");
        await Expect(cells.Nth(6)).ToHaveTextAsync("100.0 %");
        await Expect(page.Locator("table.performance-table tfoot tr th").First).ToHaveTextAsync("total");

        // Counting the machines too: every message opened, the reader's and the scanner's clicks.
        await page.GetByLabel("Count likely machine opens and clicks as opened and clicked").CheckAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("machine=include"));
        await Expect(cells.Nth(4)).ToHaveTextAsync("3100.0 %");
        await Expect(cells.Nth(5)).ToHaveTextAsync("266.7 %");
        await page.GetByLabel("Count likely machine opens and clicks as opened and clicked").UncheckAsync();
        await Expect(cells.Nth(4)).ToHaveTextAsync("133.3 %");

        var chart = page.GetByRole(AriaRole.Img, new() { Name = "Messages sent per day", Exact = false });
        await Expect(chart).ToBeVisibleAsync();
        await Expect(chart.Locator("svg")).ToBeVisibleAsync();
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "messages-performance");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download CSV" }).ClickAsync());
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!, Cancel);
        Assert.StartsWith("from,to,group,sent,delivered,bounced,opened,clicked,", csv, StringComparison.Ordinal);
        Assert.Contains($",{template},3,3,0,1,1,0,0,2,1,1,", csv, StringComparison.Ordinal);

        await page.SetViewportSizeAsync(390, 844);
        await ConsoleServer.ScreenshotAsync(page, "messages-performance-phone");

        // The CLI prints the same report, as a table and as CSV.
        var cairn = typeof(Cairn.Server.ReportCommand).Assembly.Location;
        var arguments = new List<string> { cairn, "report", "messages", "--url", server.Url.ToString(), "--api-key", ConsoleServer.ApiKey, "--journey", journey, "--from", today, "--to", today };
        var (code, table) = await ProcessRunner.RunAsync("dotnet", arguments, cancellationToken: Cancel);
        Assert.True(code == 0, table);
        Assert.Contains(template, table, StringComparison.Ordinal);
        Assert.Contains("machine_opened", table, StringComparison.Ordinal);
        var (csvCode, printed) = await ProcessRunner.RunAsync("dotnet", [.. arguments, "--by", "channel", "--machine", "include", "--csv"], cancellationToken: Cancel);
        Assert.True(csvCode == 0, printed);
        Assert.Contains(",email,3,3,0,3,2,0,0,2,1,1,", printed, StringComparison.Ordinal);
        var (refused, problem) = await ProcessRunner.RunAsync("dotnet", [.. arguments, "--by", "week"], cancellationToken: Cancel);
        Assert.Equal(2, refused);
        Assert.Contains("by must be template, journey, channel or day", problem, StringComparison.Ordinal);
    }

    private async Task PutAsync(string path, string yaml)
    {
        using var put = await server.Admin.PutAsync(path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), Cancel);
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(Cancel));
    }

    private static async Task GetAsync(string url, string userAgent)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await client.SendAsync(request, Cancel);
        Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Redirect, $"{response.StatusCode}");
    }

    private static string Link(string html, string prefix)
    {
        var at = html.IndexOf(prefix, StringComparison.Ordinal);
        Assert.True(at >= 0, $"no {prefix} link");
        var start = html.LastIndexOfAny(['"', '\''], at) + 1;
        var end = html.IndexOfAny(['"', '\''], at);
        return WebUtility.HtmlDecode(html[start..end]);
    }
}
