using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using Cairn.Core.Journeys;

namespace Cairn.Server;

/// <summary>
/// <c>cairn apply PATH... --url URL [--api-key KEY] [--draft] [--step-map OLD=NEW...]</c>: journeys as code. Validates the documents
/// locally, stores templates, scoring models, sales teams and segments (live at once) and then journeys on the server, and publishes each journey (a new version only when
/// its text changed). Applying the same files twice changes nothing.
/// Exit codes: 0 applied, 1 invalid documents (nothing is sent), 2 a path or the server could not be reached.
/// </summary>
internal static class ApplyCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Journey and template documents: files or directories.", Arity = ArgumentArity.OneOrMore };
        var server = new ServerClient();
        var draft = new Option<bool>("--draft") { Description = "Store the documents as drafts without publishing." };
        var stepMap = new Option<string[]>("--step-map")
        {
            Description = "OLD=NEW: move enrollments waiting at step OLD of earlier versions to step NEW of the version published (repeatable; one journey only).",
            AllowMultipleArgumentsPerToken = false,
        };
        var wait = new Option<bool>("--wait") { Description = "Wait until every rollout this apply started (moved enrollments, segment backfills, rescores, date triggers) is done." };
        var command = new Command("apply", "Store journey, segment, scoring model, sales team and template documents on a server and publish the journeys.") { paths, server.Url, server.ApiKey, draft, stepMap, wait };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (DocumentFiles.Find(result.GetValue(paths)!, "apply") is not { } files)
            {
                return 2;
            }

            var documents = files.Select(file => (File: file, Text: File.ReadAllText(file))).ToList();
            var parsed = documents.Select(document => (document.Text, Parsed: DocumentParser.Parse(document.Text, document.File))).ToList();

            // Checked here as the server will check them, before anything is stored; references to documents that are
            // not among these files may be to ones on the server, which checks those.
            var set = DocumentSet.Of([.. parsed.Select(document => document.Parsed)], KnownDocuments.Elsewhere);
            if (set.Errors.Length > 0)
            {
                foreach (var error in set.Errors)
                {
                    Console.Error.WriteLine(error.ToString());
                }

                Console.Error.WriteLine("cairn apply: nothing was applied.");
                return 1;
            }

            foreach (var warning in set.Warnings)
            {
                Console.Error.WriteLine(ValidateCommand.Warning(warning));
            }

            var moves = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in result.GetValue(stepMap) ?? [])
            {
                var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
                if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0 || !moves.TryAdd(parts[0], parts[1]))
                {
                    Console.Error.WriteLine($"cairn apply: --step-map '{pair}' is not OLD=NEW (once per old step)");
                    return 2;
                }
            }

            if (moves.Count > 0 && (result.GetValue(draft) || parsed.Count(document => document.Parsed is ParsedJourney) != 1))
            {
                Console.Error.WriteLine("cairn apply: --step-map needs exactly one journey document, published (not --draft)");
                return 2;
            }

            using var http = server.Create(result, "apply");
            if (http is null)
            {
                return 2;
            }

            try
            {
                // Templates, scoring models and segments first: what refers to them is validated against what the server knows.
                // The policy's rules may name segments; journeys come last.
                foreach (var (text, document) in parsed.OrderBy(d => Resource(d.Parsed).Order))
                {
                    var (_, kind, path) = Resource(document);
                    var id = document.Id!;
                    using var content = new StringContent(text, Encoding.UTF8, "application/yaml");
                    var resource = kind == "policy" ? "api/policy" : $"api/{path}/{Uri.EscapeDataString(id)}";
                    using var put = await http.PutAsync(resource, content, cancellationToken).ConfigureAwait(false);
                    if (!put.IsSuccessStatusCode)
                    {
                        await ReportAsync(put, document.Source, cancellationToken).ConfigureAwait(false);
                        return put.StatusCode == HttpStatusCode.UnprocessableEntity ? 1 : 2;
                    }

                    var changed = put.Headers.TryGetValues("Cairn-Changed", out var values) && values.Contains("true");
                    var line = $"{kind} {id}: {(changed ? "stored" : "unchanged")}{(changed ? kind switch { "segment" => ", live (backfilling existing contacts)", "scoring model" => ", live (rescoring existing contacts)", _ => string.Empty } : string.Empty)}";
                    if (kind == "journey" && !result.GetValue(draft))
                    {
                        using var body = moves.Count == 0 ? null : new StringContent(JsonSerializer.Serialize(new { stepMap = moves }), Encoding.UTF8, "application/json");
                        using var publish = await http.PostAsync($"api/journeys/{Uri.EscapeDataString(id)}/publish", body, cancellationToken).ConfigureAwait(false);
                        if (!publish.IsSuccessStatusCode)
                        {
                            await ReportAsync(publish, document.Source, cancellationToken).ConfigureAwait(false);
                            return publish.StatusCode == HttpStatusCode.UnprocessableEntity ? 1 : 2;
                        }

                        using var published = JsonDocument.Parse(await publish.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                        var version = published.RootElement.GetProperty("version").GetInt32();
                        line += published.RootElement.GetProperty("created").GetBoolean() ? $", published version {version}" : $", version {version} is current";
                        if (published.RootElement.TryGetProperty("rollout", out var rollout) && rollout.ValueKind == JsonValueKind.Object)
                        {
                            line += rollout.GetProperty("scope").GetString() == "enrolled"
                                ? $", moving enrollments ({string.Join(", ", moves.Select(move => $"{move.Key} -> {move.Value}"))}); progress: GET /api/journeys/{id}/rollouts"
                                : $", reaching existing contacts; progress: GET /api/journeys/{id}/rollouts";
                        }
                    }

                    Console.WriteLine(line);
                    if (result.GetValue(wait) && (kind is "segment" or "scoring model" || line.Contains("progress: GET", StringComparison.Ordinal)))
                    {
                        Console.WriteLine($"{kind} {id}: rollout done, {await WaitForRolloutAsync(http, path, id, cancellationToken).ConfigureAwait(false)} contacts visited");
                    }
                }
            }
            catch (HttpRequestException exception)
            {
                Console.Error.WriteLine($"cairn apply: {exception.Message}");
                return 2;
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// Where a document goes on the server, in the order documents are stored: templates, scoring models and sales teams
    /// first (what refers to them is validated against what the server knows), then segments, the policy (its rules may
    /// name segments), and journeys last.
    /// </summary>
    private static (int Order, string Kind, string Path) Resource(ParsedDocument document) => document.Match(
        journey: _ => (4, "journey", "journeys"),
        template: _ => (0, "template", "templates"),
        segment: _ => (2, "segment", "segments"),
        scoringModel: _ => (1, "scoring model", "scoring-models"),
        salesTeam: _ => (1, "sales team", "sales-teams"),
        policy: _ => (3, "policy", "policy"),
        invalid: invalid => throw new InvalidOperationException($"{invalid.Source} has errors; it is never sent."));

    /// <summary>Polls the document's newest rollout until it is done; returns how many contacts it visited.</summary>
    private static async Task<long> WaitForRolloutAsync(HttpClient http, string path, string id, CancellationToken cancellationToken)
    {
        var journey = path == "journeys";
        var url = journey ? $"api/journeys/{Uri.EscapeDataString(id)}/rollouts" : $"api/{path}/{Uri.EscapeDataString(id)}/status";
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (true)
        {
            using var status = JsonDocument.Parse(await http.GetStringAsync(url, cancellationToken).ConfigureAwait(false));
            var newest = journey ? status.RootElement.EnumerateArray().FirstOrDefault() : status.RootElement;
            var done = newest.ValueKind != JsonValueKind.Object
                || (newest.TryGetProperty(journey ? "status" : path == "segments" ? "backfill" : "rescore", out var state) && state.GetString() == "done");
            if (done)
            {
                return newest.ValueKind == JsonValueKind.Object && newest.TryGetProperty("processed", out var processed) ? processed.GetInt64() : 0;
            }

            await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task ReportAsync(HttpResponseMessage response, string source, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.TryGetProperty("errors", out var errors))
            {
                foreach (var error in errors.EnumerateArray())
                {
                    if (error.ValueKind == JsonValueKind.String)
                    {
                        Console.Error.WriteLine($"{source}: {error.GetString()}");
                        continue;
                    }

                    var step = error.GetProperty("step").GetString();
                    Console.Error.WriteLine($"{source}:{error.GetProperty("line").GetInt32()}: {(step is null ? string.Empty : $"step '{step}': ")}{error.GetProperty("message").GetString()}");
                }
            }
            else
            {
                Console.Error.WriteLine($"cairn apply: {source}: {(int)response.StatusCode} {problem.RootElement.GetProperty("detail").GetString()}");
            }
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"cairn apply: {source}: the server answered {(int)response.StatusCode}");
        }
    }
}
