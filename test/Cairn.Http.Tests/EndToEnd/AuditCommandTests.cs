using System.Text;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary><c>cairn audit</c> as an operator runs it: the real executable against a real server (a real remote address).</summary>
public sealed class AuditCommandTests
{
    private const string Template = "kind: template\nid: hello\nchannel: email\nsubject: Hello\ntext: \"Hello there\"\n";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Audit_ListsFiltersAndShowsTheDiff_WithOneLineErrors()
    {
        await using var server = await CairnProcess.StartAsync(null);
        async Task<(int Code, string Output)> Cairn(params string[] arguments) =>
            await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), .. arguments, "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: Cancel);

        foreach (var text in new[] { Template, Template.Replace("Hello there", "Hello again", StringComparison.Ordinal) })
        {
            using var put = await server.Admin.PutAsync("/api/templates/hello", new StringContent(text, Encoding.UTF8, "application/yaml"), Cancel);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(Cancel));
        }

        var (code, output) = await Cairn("audit", "--target", "template:hello", "--since", "1h");
        Assert.True(code == 0, output);
        var lines = output.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^ID\s+TIME\s+ACTOR\s+ACTION\s+TARGET\s+SUMMARY", lines[0]);
        Assert.Matches(@"^\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s+CAIRN_API_KEY\s+template\.saved\s+template:hello\s+template\.saved: template 'hello'$", lines[1].TrimEnd());
        Assert.EndsWith("(new)", lines[2].TrimEnd(), StringComparison.Ordinal);

        (code, output) = await Cairn("audit", "--action", "template.*", "--limit", "1", "--json");
        Assert.True(code == 0, output);
        var entry = Assert.Single(JsonDocument.Parse(output).RootElement.EnumerateArray());
        Assert.Equal("127.0.0.1", entry.GetProperty("ipAddress").GetString());
        var id = entry.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);

        (code, output) = await Cairn("audit", "show", id);
        Assert.True(code == 0, output);
        Assert.Contains("- text: \"Hello there\"", output, StringComparison.Ordinal);
        Assert.Contains("+ text: \"Hello again\"", output, StringComparison.Ordinal);

        (code, output) = await Cairn("audit", "--since", "last tuesday");
        Assert.Equal((2, "cairn audit: --since must be an ISO 8601 time or a duration such as 24h or 7d"), (code, output.Trim()));
        (code, output) = await Cairn("audit", "show", "999999");
        Assert.Equal((1, "cairn audit show: 404 There is no audit entry '999999'."), (code, output.Trim()));
        (code, output) = await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "audit", "--url", server.Url, "--api-key", "cak_wrong"], cancellationToken: Cancel);
        Assert.Equal(2, code);
        Assert.StartsWith("cairn audit: 401", output.Trim(), StringComparison.Ordinal);
    }
}
