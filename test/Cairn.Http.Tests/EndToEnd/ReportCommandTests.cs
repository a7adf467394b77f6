using System.Text;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary><c>cairn report funnel</c> as an operator runs it: the real executable against a real server.</summary>
public sealed class ReportCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReportFunnel_PrintsATable_OrTheCsv_AndRefusalsInOneLine()
    {
        await using var server = await CairnProcess.StartAsync(null);
        async Task<(int Code, string Output)> Cairn(params string[] arguments) =>
            await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), .. arguments, "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: Cancel);

        const string Journey = """
            id: cli-funnel
            name: CLI funnel
            trigger: { event: cli_started }
            steps:
              - id: plan
                branch:
                  - name: pro
                    when: { payload: properties.plan, op: eq, value: pro }
                    next: end
                else: linger
              - id: linger
                wait: 2d
            """;
        using (var put = await server.Admin.PutAsync("/api/journeys/cli-funnel", new StringContent(Journey, Encoding.UTF8, "application/yaml"), Cancel))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(Cancel));
        }

        (await server.Admin.PostAsync("/api/journeys/cli-funnel/publish", null, Cancel)).Dispose();
        var sent = await server.TrySendBatchAsync(
            [
                new { type = "track", userId = "cli-1", @event = "cli_started", properties = new { plan = "pro" } },
                new { type = "track", userId = "cli-2", @event = "cli_started", properties = new { plan = "free" } },
            ],
            Cancel);
        Assert.NotNull(sent);

        var (code, output) = await Cairn("report", "funnel", "cli-funnel", "--csv", "--version", "1");
        Assert.True(code == 0, output);
        var lines = output.Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("journey,version,from,to,position,step,kind,entered,passed,exit,exit_to,exit_count,", lines[0], StringComparison.Ordinal);
        Assert.Equal(4, lines.Length);
        Assert.Contains(lines, line => line.Contains(",1,plan,branch,2,2,else,linger,1,", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains(",1,plan,branch,2,2,pro,end,1,", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains(",2,linger,wait,1,0,,,,", StringComparison.Ordinal));

        (code, output) = await Cairn("report", "funnel", "cli-funnel");
        Assert.True(code == 0, output);
        Assert.Matches(@"step\s+kind\s+entered\s+passed\s+exit", output);
        Assert.Matches(@"linger\s+wait\s+1\s+0", output);

        (code, output) = await Cairn("report", "funnel", "nope");
        Assert.Equal(2, code);
        Assert.Equal("cairn report funnel: 404 There is no journey 'nope'.", output.Trim());
        (code, output) = await Cairn("report", "funnel", "cli-funnel", "--version", "abc");
        Assert.Equal(2, code);
        Assert.StartsWith("cairn report funnel: 400 version must be a whole number", output.Trim(), StringComparison.Ordinal);
    }
}
