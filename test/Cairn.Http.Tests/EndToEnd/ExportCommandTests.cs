using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary><c>cairn export</c> against the real server process: to a file as a ZIP, to standard output as JSON, and its errors.</summary>
public sealed class ExportCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Export_WritesTheZipOrTheJson_AndFailsWithAOneLineMessage()
    {
        await using var server = await CairnProcess.StartAsync(null);
        var run = Guid.NewGuid().ToString("N")[..8];
        var (userId, email) = ($"export-{run}", $"export.{run}@example.com");
        using (var identify = await server.Client.PostAsJsonAsync("/v1/batch", new { batch = new object[] { new { type = "identify", userId, traits = new { email, first_name = "Ines" } }, new { type = "track", userId, @event = "signed_up" } } }, Cancel))
        {
            Assert.True(identify.StatusCode == HttpStatusCode.OK, await identify.Content.ReadAsStringAsync(Cancel));
        }

        var contactId = (await server.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/lookup?userId={userId}", Cancel)).GetProperty("id").GetString()!;
        var directory = Directory.CreateTempSubdirectory("cairn-export-");
        try
        {
            var file = Path.Combine(directory.FullName, "ines.zip");
            var (code, output) = await CairnAsync(server, "export", "--email", email, "--out", file, "--zip");
            Assert.True(code == 0, output);
            using (var zip = ZipFile.OpenRead(file))
            {
                Assert.Equal(["README.txt", "export.json"], zip.Entries.Select(entry => entry.FullName));
                using var json = await JsonDocument.ParseAsync(zip.GetEntry("export.json")!.Open(), cancellationToken: Cancel);
                Assert.Equal([contactId], json.RootElement.GetProperty("contactIds").EnumerateArray().Select(id => id.GetString()));
                Assert.Contains(json.RootElement.GetProperty("sections").GetProperty("events").GetProperty("items").EnumerateArray(), row => row.GetProperty("name").GetString() == "signed_up");
            }

            Assert.False(File.Exists(file + ".partial"));

            (code, output) = await CairnAsync(server, "export", "--user-id", userId);
            Assert.True(code == 0, output);
            Assert.Contains(email, output, StringComparison.Ordinal);
            Assert.Contains("\"format\": \"cairn-contact-export/1\"", output, StringComparison.Ordinal);

            foreach (var (arguments, expected, message) in new[]
            {
                (new[] { "export", "--email", "nobody@example.com" }, 1, "No contact has this email"),
                (["export"], 2, "give exactly one of"),
                (["export", "--user-id", userId, "--zip"], 2, "--out"),
                (["export", "--email", "not-an-address"], 2, "is not an email address"),
            })
            {
                (code, output) = await CairnAsync(server, arguments);
                Assert.True(code == expected, $"{string.Join(' ', arguments)}: {code} {output}");
                Assert.Contains(message, output, StringComparison.Ordinal);
            }

            (await server.Admin.DeleteAsync($"/api/contacts/{contactId}?reason=ticket%2042", Cancel)).EnsureSuccessStatusCode();
            (code, output) = await CairnAsync(server, "export", "--contact-id", contactId);
            Assert.True(code == 1, output);
            Assert.Contains("was erased", output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static Task<(int Code, string Output)> CairnAsync(CairnProcess server, params string[] arguments) =>
        ProcessRunner.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), .. arguments, "--url", server.Url, "--api-key", CairnProcess.ApiKey],
            cancellationToken: Cancel);
}
