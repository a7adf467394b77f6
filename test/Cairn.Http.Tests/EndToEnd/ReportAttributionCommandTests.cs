using System.Net.Http.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary><c>cairn report attribution</c> and <c>cairn report control-group</c> against the real server process.</summary>
public sealed class ReportAttributionCommandTests
{
    [Fact]
    public async Task TheReports_PrintAsATable_OrCsv_AndARefusedOptionExitsWith2()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await CairnProcess.StartAsync(null);
        using (var order = await server.Client.PostAsJsonAsync("/v1/track", new { userId = "cli-buyer", @event = "order_completed", properties = new { revenue = 12.5 } }, cancel))
        {
            Assert.True(order.IsSuccessStatusCode, server.Output);
        }

        string[] Cairn(params string[] arguments) => [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "report", .. arguments, "--url", server.Url, "--api-key", CairnProcess.ApiKey];

        // The order is committed before the track call is answered: no message touched it, so it is unattributed.
        var (code, table) = await ProcessRunner.RunAsync("dotnet", Cairn("attribution", "--by", "channel", "--model", "last_touch"), cancellationToken: cancel);
        Assert.True(code == 0, table);
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^from\s+to\s+model\s+channel\s+name\s+conversions\s+revenue", lines[0]);
        Assert.Contains(lines, line => line.Contains("last_touch", StringComparison.Ordinal) && line.Contains("(unattributed)", StringComparison.Ordinal) && line.Contains("12.5", StringComparison.Ordinal));

        var (csvCode, csv) = await ProcessRunner.RunAsync("dotnet", Cairn("attribution", "--csv"), cancellationToken: cancel);
        Assert.True(csvCode == 0, csv);
        Assert.StartsWith("from,to,model,journey,name,conversions,revenue,share_of_attributed_revenue", csv, StringComparison.Ordinal);

        var (controlCode, control) = await ProcessRunner.RunAsync("dotnet", Cairn("control-group"), cancellationToken: cancel);
        Assert.True(controlCode == 0, control);
        Assert.Matches(@"\bcontrol\b", control);
        Assert.Matches(@"\bothers\b", control);

        var (refused, message) = await ProcessRunner.RunAsync("dotnet", Cairn("attribution", "--model", "w_shaped"), cancellationToken: cancel);
        Assert.Equal(2, refused);
        Assert.Contains("model must be one of", message, StringComparison.Ordinal);
    }
}
