using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Cairn.Console.Tests;

/// <summary>An axe-core check of the page as it is now: a serious or critical violation fails the test, with what and where.</summary>
public static class Accessibility
{
    public static async Task AssertAccessibleAsync(IPage page)
    {
        // Not into frames: the console's own frames hold rendered message content (a sandboxed e-mail without scripts),
        // which is the template author's, not the console's, and which axe cannot run in.
        var result = await page.RunAxe(new AxeRunOptions { ResultTypes = [ResultType.Violations], Iframes = false });
        var serious = result.Violations.Where(violation => violation.Impact is "serious" or "critical").ToList();
        Assert.True(
            serious.Count == 0,
            $"Accessibility violations on {page.Url}:\n" + string.Join("\n", serious.Select(violation =>
                $"- {violation.Id} ({violation.Impact}): {violation.Help}; at {string.Join(", ", violation.Nodes.Take(3).Select(node => node.Target?.ToString()))}")));
    }
}
