using System.Net;
using System.Text;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// <c>cairn validate</c> and the server validate documents with one validator: the same bad documents, as files for the
/// CLI and stored one by one over HTTP in the order <c>cairn apply</c> sends them, give the same errors and warnings.
/// </summary>
public sealed class DocumentValidationTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Each document by name (file name, and the resource it is stored at), in the order they are stored.</summary>
    private static readonly (string Name, string Resource, string Text)[] Documents =
    [
        ("hello-sms", "templates/hello-sms", "kind: template\nid: hello-sms\nchannel: sms\ntext: \"Hi {{ contact.first_name }}\"\nsample: { contact: { first_name: Ann } }\n"),
        ("vip", "segments/vip", "kind: segment\nid: vip\nname: VIP\ncondition: { tag: vip }\n"),
        ("loop", "segments/loop", "kind: segment\nid: loop\nname: Loop\ncondition:\n  any: [{ tag: x }, { in_segment: loop }]\n"),
        ("lost", "segments/lost", "kind: segment\nid: lost\nname: Lost\ncondition:\n  all:\n    - { in_segment: vip }\n    - { in_segment: nowhere }\n"),
        ("scored", "segments/scored", "kind: segment\nid: scored\nname: Scored\ncondition: { score: engagement, op: gte, value: 5 }\n"),
        ("policy", "policy", "kind: policy\nid: default\ntime_zone: America/New_York\nquiet_hours:\n  - { channel: sms, from: \"21:00\", to: \"08:00\" }\nsuppression_rules:\n  - id: engaged\n    when: { score: engagement, op: gte, value: 1 }\n    categories: [promotional]\n    action: hold\n"),
        ("onboarding", "journeys/onboarding", """
            id: onboarding
            name: Onboarding
            trigger: { event: signed_up }
            steps:
              - id: hello
                send: { channel: sms, template: missing }
                next: nudge
              - id: nudge
                send: { channel: email, template: hello-sms }
                next: check
              - id: check
                branch:
                  - { name: engaged, when: { score: engagement, op: gte, value: 5 }, next: other }
                else: end
              - id: other
                enter_journey: ghost
            """.Replace("            ", string.Empty, StringComparison.Ordinal) + "\n"),
    ];

    [Fact]
    public async Task TheSameBadDocuments_GiveTheSameErrorsAndWarnings_FromTheCliAndTheServer()
    {
        var directory = Directory.CreateTempSubdirectory("cairn-validation-").FullName;
        try
        {
            foreach (var (name, _, text) in Documents)
            {
                await File.WriteAllTextAsync(Path.Combine(directory, name + ".yaml"), text, Cancel);
            }

            var (code, output) = await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "validate", directory], cancellationToken: Cancel);
            Assert.Equal(1, code);
            var cli = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(line => line.StartsWith(directory, StringComparison.Ordinal))
                .Select(line => Path.GetFileNameWithoutExtension(line[..line.IndexOf(':', StringComparison.Ordinal)]) + line[line.IndexOf(':', StringComparison.Ordinal)..])
                .Order(StringComparer.Ordinal)
                .ToList();

            await using var cairn = await TestCairn.StartAsync();
            var server = new List<string>();
            foreach (var (name, resource, text) in Documents)
            {
                using var response = await cairn.Admin.PutAsync("/api/" + resource, new StringContent(text, Encoding.UTF8, "application/yaml"), Cancel);
                var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement;
                if (response.StatusCode == HttpStatusCode.UnprocessableEntity)
                {
                    server.AddRange(body.GetProperty("errors").EnumerateArray().Select(error =>
                        $"{name}:{error.GetProperty("line").GetInt32()}: {(error.GetProperty("step").GetString() is { } step ? $"step '{step}': " : string.Empty)}{error.GetProperty("message").GetString()}"));
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }

                if (body.TryGetProperty("warnings", out var warnings))
                {
                    server.AddRange(warnings.EnumerateArray().Select(warning => $"{name}:{warning.GetProperty("line").GetInt32()}: warning: {warning.GetProperty("message").GetString()}"));
                }
            }

            Assert.Equal(cli, server.Order(StringComparer.Ordinal));

            // The cross-document checks are all among them.
            Assert.Contains("loop:5: segments refer to each other in a cycle: loop -> loop", cli);
            Assert.Contains("lost:7: segment 'lost' refers to the unknown segment 'nowhere'", cli);
            Assert.Contains("scored:4: there is no scoring model 'engagement'", cli);
            Assert.Contains(cli, line => line.StartsWith("policy:", StringComparison.Ordinal) && line.EndsWith(": there is no scoring model 'engagement'", StringComparison.Ordinal));
            Assert.Contains(cli, line => line.StartsWith("policy:1: warning: ", StringComparison.Ordinal));
            Assert.Contains("onboarding:5: step 'hello': the template 'missing' does not exist", cli);
            Assert.Contains(cli, line => line.StartsWith("onboarding:", StringComparison.Ordinal) && line.Contains("step 'nudge': the template 'hello-sms' is a", StringComparison.Ordinal));
            Assert.Contains(cli, line => line.StartsWith("onboarding:", StringComparison.Ordinal) && line.EndsWith(": there is no scoring model 'engagement'", StringComparison.Ordinal));
            Assert.Contains(cli, line => line.StartsWith("onboarding:", StringComparison.Ordinal) && line.EndsWith("step 'other': the journey 'ghost' does not exist", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
