using System.Text.Json.Nodes;
using Cairn.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// The console's typed API client is generated from <c>src/Cairn.Console/openapi/v1.json</c>: this keeps that copy equal to
/// what the server describes, so a renamed field fails the console's type check rather than a user.
/// <c>CAIRN_UPDATE_OPENAPI=1</c> rewrites the copy instead of failing.
/// </summary>
public sealed class OpenApiSnapshotTests
{
    [Fact]
    public async Task TheConsolesCopyOfTheOpenApiDocument_IsTheServers()
    {
        await using var cairn = await TestCairn.StartAsync();
        var served = JsonNode.Parse(await cairn.Anonymous.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken))!.AsObject();
        served.Remove("servers");
        var path = Path.Combine(Repository.Root, "src", "Cairn.Console", "openapi", "v1.json");
        var text = served.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (Environment.GetEnvironmentVariable("CAIRN_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, text, TestContext.Current.CancellationToken);
        }

        var committed = JsonNode.Parse(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        Assert.True(
            JsonNode.DeepEquals(served, committed),
            "src/Cairn.Console/openapi/v1.json differs from the server's /openapi/v1.json: run the tests once with CAIRN_UPDATE_OPENAPI=1 and commit the file (the console's build then type-checks against it).");
    }
}
