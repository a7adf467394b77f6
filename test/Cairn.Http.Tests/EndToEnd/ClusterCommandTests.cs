using System.Net;
using System.Text;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary>
/// Two real <c>cairn serve</c> processes on one SQLite data directory: the second takes every partition over, the first
/// is fenced at its next commit, and <c>cairn cluster</c> shows both sides of it.
/// </summary>
public sealed class ClusterCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASecondServerOnTheSameDirectory_TakesThePartitions_AndCairnClusterShowsTheFirstFenced()
    {
        await using var first = await CairnProcess.StartAsync(null);
        async Task<(int Code, string Output)> Cairn(CairnProcess server, params string[] arguments) =>
            await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), .. arguments, "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: Cancel);

        var (code, output) = await Cairn(first, "cluster");
        Assert.True(code == 0, output);
        Assert.Contains(", ready", output, StringComparison.Ordinal);
        Assert.Matches(@"\(this\)\s+4", output);
        Assert.Equal(4, output.Split('\n').Count(line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^\d+\s+1\s+\S+\s+\S+Z\s+\d+\s*$")));

        await using var second = await CairnProcess.StartAsync(null, dataDirectory: first.DataDirectory);
        using (var refused = await first.Client.PostAsync("/v1/track", new StringContent("""{"userId":"u-1","event":"Viewed","messageId":"m-1"}""", Encoding.UTF8, "application/json"), Cancel))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        (code, output) = await Cairn(first, "cluster");
        Assert.True(code == 0, output);
        Assert.Contains("fenced: Partition ", output, StringComparison.Ordinal);
        Assert.Contains("another Cairn server writes to the same database", output, StringComparison.Ordinal);
        Assert.DoesNotContain("(this)", output, StringComparison.Ordinal);
        Assert.Equal(4, output.Split('\n').Count(line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^\d+\s+2\s+\S+\s+\S+Z\s+-\s*$")));

        (code, output) = await Cairn(second, "cluster");
        Assert.True(code == 0, output);
        Assert.Contains(", ready", output, StringComparison.Ordinal);
        Assert.Matches(@"\(this\)\s+4", output);

        using (var accepted = await second.Client.PostAsync("/v1/track", new StringContent("""{"userId":"u-1","event":"Viewed","messageId":"m-1"}""", Encoding.UTF8, "application/json"), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        // A server that does not answer: one line, exit code 2.
        (code, output) = await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "cluster", "--url", "http://127.0.0.1:1", "--api-key", CairnProcess.ApiKey], cancellationToken: Cancel);
        Assert.Equal(2, code);
        Assert.StartsWith("cairn cluster: ", Assert.Single(output.Trim().Split('\n')), StringComparison.Ordinal);
    }
}
