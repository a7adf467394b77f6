using System.CommandLine;
using System.Text;
using System.Text.Json;
using Cairn.Core.Journeys;
using Cairn.Core.Lint;

namespace Cairn.Server;

/// <summary>
/// <c>cairn lint [PATH...] [--server] [--json] [--url URL] [--api-key KEY]</c>: the journey linter (docs/lint.md).
/// With paths, lints those files and directories of documents on their own (a CI gate for journeys as code), after
/// validating them as <c>cairn validate</c> does; with <c>--server</c>, sends them to the server as drafts linted over
/// its documents and facts; with no paths, lints the server's documents. Prints one line per finding
/// (<c>where: severity code: message</c>), or the API's JSON with <c>--json</c>.
/// Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 a path, the key or the server was missing or refused.
/// </summary>
internal static class LintCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Documents to lint: files or directories (none: lint the server's documents).", Arity = ArgumentArity.ZeroOrMore };
        var server = new ServerClient();
        var onServer = new Option<bool>("--server") { Description = "Lint the paths on the server, as drafts in place of its documents, with what it knows (events, traits, audiences)." };
        var json = new Option<bool>("--json") { Description = "Print the findings as JSON (the shape of POST /api/lint)." };
        var command = new Command("lint", "Find conflicts between journeys, compliance gaps and unused documents; exits 1 on errors, 0 on warnings only.") { paths, onServer, json, server.Url, server.ApiKey };
        command.SetAction(async (result, cancellationToken) =>
        {
            var given = result.GetValue(paths) ?? [];
            List<(string File, string Text)> documents = [];
            if (given.Length > 0)
            {
                if (DocumentFiles.Find(given, "lint") is not { } files)
                {
                    return 2;
                }

                documents = [.. files.Select(file => (file, File.ReadAllText(file)))];
            }

            if (given.Length > 0 && !result.GetValue(onServer))
            {
                return Print(LintLocally(documents), documents, sent: false, json: result.GetValue(json));
            }

            using var http = server.Create(result, "lint");
            if (http is null)
            {
                return 2;
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "api/lint");
                if (documents.Count > 0)
                {
                    request.Content = new StringContent(AsList(documents), Encoding.UTF8, "application/yaml");
                }

                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                if (!response.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"cairn lint: {ServerClient.Refusal(response, body.RootElement)}");
                    return 2;
                }

                return Print(Read(body.RootElement), documents, sent: true, json: result.GetValue(json));
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                Console.Error.WriteLine($"cairn lint: {exception.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>The findings of local files: what does not validate (as <c>cairn validate</c> finds it), then the linter's.</summary>
    internal static List<LintFinding> LintLocally(IReadOnlyList<(string File, string Text)> documents)
    {
        var parsed = documents.Select(document => DocumentParser.Parse(document.Text, document.File)).ToList();
        var kinds = parsed.ToDictionary(document => document.Source, document => document.Kind, StringComparer.Ordinal);
        var invalid = DocumentSet.Of(parsed).Errors.Select(error => new LintFinding(
            Linter.Codes.InvalidDocument, LintSeverity.Error, error.Message, [new LintSubject(kinds.GetValueOrDefault(error.Source, DocumentParser.JourneyKind), error.Source, error.StepId, error.Line)]));
        return [.. invalid, .. Linter.Lint(parsed, LintFacts.None)];
    }

    /// <summary>The files as one YAML list, each document an item (its lines indented under <c>- </c>).</summary>
    internal static string AsList(IReadOnlyList<(string File, string Text)> documents)
    {
        var list = new StringBuilder();
        foreach (var (_, text) in documents)
        {
            var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').SkipWhile(line => line.Trim() is "" or "---").ToList();
            for (var index = 0; index < lines.Count; index++)
            {
                list.Append(index == 0 ? "- " : "  ").Append(lines[index]).Append('\n');
            }
        }

        return list.ToString();
    }

    private static List<LintFinding> Read(JsonElement view) =>
        [.. view.GetProperty("findings").EnumerateArray().Select(finding => new LintFinding(
            finding.GetProperty("code").GetString()!,
            finding.GetProperty("severity").GetString() == "error" ? LintSeverity.Error : LintSeverity.Warning,
            finding.GetProperty("message").GetString()!,
            [.. finding.GetProperty("subjects").EnumerateArray().Select(subject => new LintSubject(
                subject.GetProperty("kind").GetString()!,
                subject.GetProperty("id").GetString()!,
                subject.TryGetProperty("step", out var step) && step.ValueKind == JsonValueKind.String ? step.GetString() : null,
                subject.TryGetProperty("line", out var line) && line.ValueKind == JsonValueKind.Number ? line.GetInt32() : null))]))];

    /// <summary>Prints the findings (one line each, or JSON) and returns the exit code: 1 when any is an error.</summary>
    private static int Print(List<LintFinding> findings, IReadOnlyList<(string File, string Text)> documents, bool sent, bool json)
    {
        var errors = findings.Count(finding => finding.Severity == LintSeverity.Error);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(
                new
                {
                    errors,
                    warnings = findings.Count - errors,
                    findings = findings.Select(finding => new
                    {
                        code = finding.Code,
                        severity = finding.Severity == LintSeverity.Error ? "error" : "warning",
                        message = finding.Message,
                        subjects = finding.Subjects.Select(subject => new { kind = subject.Kind, id = subject.Id, step = subject.Step, line = subject.Line }),
                    }),
                },
                JsonSerializerOptions.Web));
        }
        else
        {
            var files = Files(documents, sent);
            foreach (var finding in findings)
            {
                var also = finding.Subjects.Skip(1).Select(subject => Where(subject, files)).ToList();
                Console.WriteLine($"{Where(finding.Subjects[0], files)}: {(finding.Severity == LintSeverity.Error ? "error" : "warning")} {finding.Code}: {finding.Message}{(also.Count == 0 ? string.Empty : $" (also: {string.Join(", ", also)})")}");
            }

            Console.WriteLine($"{errors} error{(errors == 1 ? string.Empty : "s")}, {findings.Count - errors} warning{(findings.Count - errors == 1 ? string.Empty : "s")}.");
        }

        return errors > 0 ? 1 : 0;
    }

    /// <summary>The local file of each document (by kind and id, by file, and by its draft name on the server) and, when <paramref name="sent"/> as a list, the line before it there.</summary>
    private static Dictionary<(string Kind, string Id), (string File, int Offset)> Files(IReadOnlyList<(string File, string Text)> documents, bool sent)
    {
        var files = new Dictionary<(string, string), (string, int)>();
        var offset = 0;
        for (var index = 0; index < documents.Count; index++)
        {
            var (file, text) = documents[index];
            var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
            var skipped = lines.TakeWhile(line => line.Trim() is "" or "---").Count();
            var parsed = DocumentParser.Parse(text, file);
            if (parsed.Id is { } id)
            {
                files.TryAdd((parsed.Kind, id), (file, sent ? offset - skipped : 0));
            }

            files.TryAdd((parsed.Kind, file), (file, 0));
            files.TryAdd((parsed.Kind, $"draft {index + 1}"), (file, offset - skipped));
            offset += lines.Length - skipped;
        }

        return files;
    }

    /// <summary><c>file:line</c> for a document read from a file, else <c>kind 'id' step 's' line n</c>.</summary>
    private static string Where(LintSubject subject, Dictionary<(string Kind, string Id), (string File, int Offset)> files) =>
        files.TryGetValue((subject.Kind, subject.Id), out var local)
            ? $"{local.File}:{(subject.Line ?? 1) - local.Offset}{(subject.Step is { } step ? $" step '{step}'" : string.Empty)}"
            : $"{subject.Kind} '{subject.Id}'{(subject.Step is { } named ? $" step '{named}'" : string.Empty)}{(subject.Line is { } line ? $" line {line}" : string.Empty)}";
}
