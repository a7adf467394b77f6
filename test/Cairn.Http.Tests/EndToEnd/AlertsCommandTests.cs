using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary><c>cairn alerts</c> as an operator runs it: the real executable against a real server.</summary>
public sealed class AlertsCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Alerts_AreListed_TheSettingsChanged_WithTheSecretShownOnce_AndErrorsAreOneLine()
    {
        await using var server = await CairnProcess.StartAsync(null);
        async Task<(int Code, string Output)> Cairn(params string[] arguments) =>
            await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), .. arguments, "--url", server.Url, "--api-key", CairnProcess.ApiKey], cancellationToken: Cancel);

        var (code, output) = await Cairn("alerts", "list");
        Assert.True(code == 0, output);
        Assert.Contains("0 open.", output, StringComparison.Ordinal);

        (code, output) = await Cairn("alerts", "settings", "--set", "complaintRate=0.002", "--set", "webhookUrl=https://hooks.example.com/cairn", "--set", "emailTo=ops@example.com, oncall@example.com");
        Assert.True(code == 0, output);
        Assert.Contains("\"complaintRate\": 0.002", output, StringComparison.Ordinal);
        Assert.Contains("\"webhookSecret\": \"whsec_", output, StringComparison.Ordinal);
        Assert.Contains("shown once", output, StringComparison.Ordinal);

        (code, output) = await Cairn("alerts", "settings");
        Assert.True(code == 0, output);
        Assert.Contains("\"webhookSecret\": null", output, StringComparison.Ordinal);
        Assert.Contains("\"webhookSecretHint\": \"whsec_", output, StringComparison.Ordinal);
        Assert.Contains("oncall@example.com", output, StringComparison.Ordinal);

        (code, output) = await Cairn("alerts", "settings", "--set", "complaintRate=7");
        Assert.Equal(2, code);
        Assert.Equal("cairn alerts settings: 400 The settings are not valid; see 'errors'.", output.Trim());

        (code, output) = await Cairn("alerts", "show", "--id", "inc_missing");
        Assert.Equal(1, code);
        Assert.Equal("cairn alerts show: 404 There is no incident 'inc_missing'.", output.Trim());
        (code, output) = await Cairn("alerts", "ack", "--id", "inc_missing");
        Assert.Equal(1, code);
        Assert.Equal("cairn alerts ack: 404 There is no incident 'inc_missing'.", output.Trim());
    }
}
