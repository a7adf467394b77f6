using System.Net;
using System.Text;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary><c>cairn report lift</c> and <c>cairn report experiments</c> against the real server process.</summary>
public sealed class LiftReportCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LiftAndExperiments_PrintAlignedTables_OrCsv_AndRefusalsExitWith2()
    {
        await using var server = await CairnProcess.StartAsync(null);
        await PutAsync(server, "templates/cli-hello", "kind: template\nid: cli-hello\nchannel: email\nsubject: Hello\ntext: Hello\n");
        await PutAsync(server, "journeys/cli-lift", """
            id: cli-lift
            name: CLI lift
            trigger: { event: signed_up }
            entry: { holdout: 20 }
            goal: { event: purchased, within: 30d }
            steps:
              - id: pick
                split: [{ arm: A, percent: 50, next: hello }, { arm: B, percent: 50, next: hello }]
                experiment: true
              - id: hello
                send: { channel: email, template: cli-hello }
                next: linger
              - id: linger
                wait: 40d
            """);
        using (var publish = await server.Admin.PostAsync("/api/journeys/cli-lift/publish", null, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, publish.StatusCode);
        }

        var signups = Enumerable.Range(0, 60).Select(i => (object)new { type = "track", messageId = $"cli-{i}-in", userId = $"cli-{i}", @event = "signed_up" });
        var purchases = Enumerable.Range(0, 60).Where(i => i % 3 == 0).Select(i => (object)new { type = "track", messageId = $"cli-{i}-buy", userId = $"cli-{i}", @event = "purchased", properties = new { revenue = 30 } });
        Assert.NotNull(await server.TrySendBatchAsync(signups, Cancel));
        Assert.NotNull(await server.TrySendBatchAsync(purchases, Cancel));

        var (code, table) = await CairnAsync(server, "report", "lift", "cli-lift");
        Assert.True(code == 0, table);
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("journey", lines[0], StringComparison.Ordinal);
        Assert.Contains("revenue_per_contact", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, line => line.StartsWith("cli-lift", StringComparison.Ordinal) && line.Contains("treated", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("holdout", StringComparison.Ordinal));

        var (csvCode, csv) = await CairnAsync(server, "report", "experiments", "cli-lift", "--version", "1", "--csv");
        Assert.True(csvCode == 0, csv);
        var rows = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("journey,from,to,version,step,arm,entries,conversions,rate", rows[0], StringComparison.Ordinal);
        Assert.Equal(["A", "B"], rows.Skip(1).Select(row => row.Split(',')[5]));
        var (_, liftCsv) = await CairnAsync(server, "report", "lift", "cli-lift", "--csv");
        var groups = liftCsv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(row => row.Split(',')).ToDictionary(cells => cells[4], cells => int.Parse(cells[5], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(60, groups["treated"] + groups["holdout"]);
        Assert.Equal(groups["treated"], rows.Skip(1).Sum(row => int.Parse(row.Split(',')[6], System.Globalization.CultureInfo.InvariantCulture)));

        var (missing, refusal) = await CairnAsync(server, "report", "lift", "nope");
        Assert.Equal(2, missing);
        Assert.Contains("There is no journey 'nope'", refusal, StringComparison.Ordinal);
        var (bad, badRefusal) = await CairnAsync(server, "report", "experiments", "cli-lift", "--version", "zero");
        Assert.Equal(2, bad);
        Assert.Contains("version must be a published version number", badRefusal, StringComparison.Ordinal);
    }

    private static async Task PutAsync(CairnProcess server, string path, string yaml)
    {
        using var response = await server.Admin.PutAsync("/api/" + path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
    }

    private static Task<(int ExitCode, string Output)> CairnAsync(CairnProcess server, params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), .. arguments, "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: Cancel);
}
