using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary><c>cairn apply</c> against the real server process: journeys as code, idempotent.</summary>
public sealed class ApplyTests
{
    [Fact]
    public async Task ApplyingTheExamplesTwice_PublishesOnce_AndChangesNothingTheSecondTime()
    {
        await using var server = await CairnProcess.StartAsync(null);
        var examples = Path.Combine(Repository.Root, "examples");
        string[] arguments = [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "apply", Path.Combine(examples, "journeys"), Path.Combine(examples, "templates"), "--url", server.Url, "--api-key", CairnProcess.ApiKey];

        var (code, first) = await ProcessRunner.RunAsync("dotnet", arguments, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(code == 0, first);
        Assert.Contains("journey cart-recovery: stored, published version 1", first, StringComparison.Ordinal);
        Assert.Contains("template cart-reminder-sms: stored", first, StringComparison.Ordinal);

        var (again, second) = await ProcessRunner.RunAsync("dotnet", arguments, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(again == 0, second);
        Assert.Equal(7, second.Split('\n').Count(line => line.EndsWith("unchanged, version 1 is current", StringComparison.Ordinal)));
        Assert.DoesNotContain("stored", second, StringComparison.Ordinal);

        var inventory = await server.Admin.GetFromJsonAsync<JsonElement>("/api/journeys", TestContext.Current.CancellationToken);
        Assert.Equal(7, inventory.GetArrayLength());
        Assert.All(inventory.EnumerateArray(), journey => Assert.Equal(1, journey.GetProperty("publishedVersion").GetInt32()));

        var (wrongKey, output) = await ProcessRunner.RunAsync("dotnet", [.. arguments[..^1], "not-the-key"], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, wrongKey);
        Assert.Contains("401", output, StringComparison.Ordinal);
    }
}
