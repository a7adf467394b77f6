using System.Text;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary><c>cairn lint</c>: local files as a CI gate, and the real server process's documents.</summary>
public sealed class LintCommandTests
{
    private const string BareEmail = "kind: template\nid: promo\nchannel: email\nsubject: Hi\nhtml: \"<p>Hi</p>\"\n";

    private const string Journey = "id: cart\nname: Cart\ncategory: promotional\nowner: me@example.com\ntrigger: { event: cart_abandoned }\nsteps:\n  - id: email\n    send: { channel: email, template: promo }\n";

    private static readonly string Cairn = Path.Combine(AppContext.BaseDirectory, "cairn.dll");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Lint_LocalFiles_ExitsOneOnErrors_ZeroOnWarnings_TwoOnUsage()
    {
        var directory = Directory.CreateTempSubdirectory("cairn-lint-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "promo.yaml"), BareEmail, Cancel);
            await File.WriteAllTextAsync(Path.Combine(directory, "cart.yaml"), Journey, Cancel);

            var (errors, output) = await ProcessRunner.RunAsync("dotnet", [Cairn, "lint", directory], cancellationToken: Cancel);
            Assert.True(errors == 1, output);
            Assert.Contains($"{Path.Combine(directory, "promo.yaml")}:1: error missing-unsubscribe: ", output, StringComparison.Ordinal);
            Assert.Contains($"(also: {Path.Combine(directory, "cart.yaml")}:7 step 'email')", output, StringComparison.Ordinal);
            Assert.Contains("2 errors, 0 warnings.", output, StringComparison.Ordinal);

            await File.WriteAllTextAsync(Path.Combine(directory, "promo.yaml"), BareEmail.Replace("<p>Hi</p>", "<p>{{ workspace.address }} {{ message.unsubscribe_url }}</p>", StringComparison.Ordinal), Cancel);
            await File.WriteAllTextAsync(Path.Combine(directory, "cart.yaml"), Journey.Replace("owner: me@example.com\n", string.Empty, StringComparison.Ordinal), Cancel);
            var (warnings, clean) = await ProcessRunner.RunAsync("dotnet", [Cairn, "lint", directory, "--json"], cancellationToken: Cancel);
            Assert.True(warnings == 0, clean);
            Assert.Contains("\"code\":\"no-owner\"", clean, StringComparison.Ordinal);

            var (missing, why) = await ProcessRunner.RunAsync("dotnet", [Cairn, "lint", Path.Combine(directory, "nothing-here")], cancellationToken: Cancel);
            Assert.Equal(2, missing);
            Assert.Contains("does not exist", why, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Lint_TheServer_LintsItsDocuments_AndLocalFilesAsDrafts()
    {
        await using var server = await CairnProcess.StartAsync(null);
        foreach (var (path, text) in new[] { ("templates/promo", BareEmail), ("journeys/cart", Journey) })
        {
            using var put = await server.Admin.PutAsync($"/api/{path}", new StringContent(text, Encoding.UTF8, "application/yaml"), Cancel);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(Cancel));
        }

        string[] connection = ["--url", server.Url, "--api-key", CairnProcess.ApiKey];
        var (code, output) = await ProcessRunner.RunAsync("dotnet", [Cairn, "lint", .. connection], cancellationToken: Cancel);
        Assert.True(code == 1, output);
        Assert.Contains("template 'promo' line 1: error missing-postal-address: ", output, StringComparison.Ordinal);
        Assert.Contains("(also: journey 'cart' step 'email' line 7)", output, StringComparison.Ordinal);

        // The fixed template, sent as a draft in the stored one's place: no errors, and nothing stored.
        var directory = Directory.CreateTempSubdirectory("cairn-lint-").FullName;
        try
        {
            var file = Path.Combine(directory, "promo.yaml");
            await File.WriteAllTextAsync(file, "# the footer\n" + BareEmail.Replace("<p>Hi</p>", "<p>{{ workspace.address }} {{ message.unsubscribe_url }}</p>", StringComparison.Ordinal), Cancel);
            var (fixedCode, fixedOutput) = await ProcessRunner.RunAsync("dotnet", [Cairn, "lint", directory, "--server", .. connection], cancellationToken: Cancel);
            Assert.True(fixedCode == 0, fixedOutput);
            Assert.Contains("0 errors, 0 warnings.", fixedOutput, StringComparison.Ordinal);

            await File.WriteAllTextAsync(file, "kind: template\nid: broken\nchannel: email\n", Cancel);
            var (brokenCode, brokenOutput) = await ProcessRunner.RunAsync("dotnet", [Cairn, "lint", directory, "--server", .. connection], cancellationToken: Cancel);
            Assert.True(brokenCode == 1, brokenOutput);
            Assert.Contains($"{file}:1: error invalid-document: ", brokenOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        var (again, stored) = await ProcessRunner.RunAsync("dotnet", [Cairn, "lint", .. connection], cancellationToken: Cancel);
        Assert.True(again == 1, stored);
        var (refused, refusal) = await ProcessRunner.RunAsync("dotnet", [Cairn, "lint", "--url", server.Url, "--api-key", "not-the-key"], cancellationToken: Cancel);
        Assert.Equal(2, refused);
        Assert.Contains("401", refusal, StringComparison.Ordinal);
    }
}
