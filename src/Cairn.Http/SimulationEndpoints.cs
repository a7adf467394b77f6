using System.Globalization;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Http;

/// <summary>
/// <c>POST /api/journeys/{id}/simulate</c>: a backtest of a draft journey before it is published, through
/// <see cref="DraftSimulator"/> (the simulator <c>cairn simulate</c> runs). It replays either this workspace's recorded
/// events of a period or an uploaded NDJSON stream, and stores, queues and sends nothing.
/// </summary>
internal static class SimulationEndpoints
{
    /// <summary>The largest body: 16 MB (a draft and an NDJSON stream of up to <see cref="EngineOptions.MaxSimulationEvents"/> events).</summary>
    internal const int MaxBodyBytes = 16 * 1024 * 1024;

    /// <summary>The most unreadable lines of a stream listed in an answer (all are counted).</summary>
    internal const int MaxLineErrors = 100;

    private static readonly string[] NdjsonTypes = ["application/x-ndjson", "application/jsonl", "application/json-seq"];

    /// <summary>Maps <c>/journeys/{id}/simulate</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapSimulations(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/journeys/{id}/simulate", SimulateAsync).WithTags("Journeys").AllowViewer().NotAudited("simulates a draft and stores nothing")
            .WithSummary("Simulates a draft journey without storing or sending anything. A JSON body {\"document\": \"<journey YAML>\", \"from\": time, \"to\": time} replays this workspace's events of that period, each contact starting from its profile as of 'from' (its stored traits set before then and the identifies recorded before then); {\"document\", \"events\": \"<NDJSON>\"} or an application/x-ndjson body (simulating the stored draft) replays an uploaded stream, skipping unreadable lines, each reported with its number. At most Engine:MaxSimulationEvents events (100,000 by default) and Engine:MaxSimulationContacts contacts (20,000): more is refused with a 400 naming the setting and its limit. \"stopAtEnd\": true stops the clock at 'to' instead of letting enrollments run on for the journey's maximum run time. Answers per step: entered, left per exit, waiting, errors and the contacts with their paths (200 per step); messages per channel and template by outcome; and what the orchestrator or the suppression list held back, per reason and template (a send to a suppressed address is held back as the channels hold it: 'suppression list: hard bounce').")
            .Accepts<SimulationRequest>("application/json", "application/x-ndjson")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static async Task<Results<Ok<SimulationView>, ProblemHttpResult>> SimulateAsync(string id, HttpContext context, DraftSimulator simulator, IDocumentStore documentStore)
    {
        var cancellationToken = context.RequestAborted;
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var body = await RequestBody.ReadAsync(context.Request, MaxBodyBytes, "16 MB", cancellationToken).ConfigureAwait(false);
        string? text;
        SimulationRequest request;
        if (mediaType is not null && NdjsonTypes.Contains(mediaType))
        {
            request = new SimulationRequest(null, null, null, Utf8(body), null);
        }
        else
        {
            RequestBody.RequireJson(context.Request);
            using var json = RequestBody.Parse(body, Core.Messages.MessageLimits.MaxDepth + 1);
            try
            {
                request = json.RootElement.ValueKind == JsonValueKind.Object ? json.RootElement.Deserialize<SimulationRequest>(JsonSerializerOptions.Web)! : throw new JsonException();
            }
            catch (JsonException)
            {
                return Problems.BadRequest("The body must be a JSON object: {\"document\", \"from\", \"to\"} or {\"document\", \"events\"}, with times in ISO 8601.");
            }
        }

        text = request.Document;
        if (text is null)
        {
            if (await documentStore.GetDocumentAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false) is not { } stored)
            {
                return Problems.NotFound($"There is no journey '{id}'; send its draft as 'document'.");
            }

            text = stored.Draft;
        }

        var (parsed, _, invalid) = await DocumentFlow.ValidateAsync(DocumentParser.JourneyKind, id, text, documentStore, cancellationToken).ConfigureAwait(false);
        if (invalid is not null)
        {
            return invalid;
        }

        var journey = ((ParsedJourney)parsed).Journey;
        if (request.Events is { } events)
        {
            if (request.From is not null || request.To is not null)
            {
                return Problems.BadRequest("Give either a period (from, to) or events, not both.");
            }

            var errors = new List<StreamLineError>();
            var stream = SimulationEvents.Read(events.Split('\n'), "upload", errors);
            if (stream.Count == 0)
            {
                return Problems.BadRequest(
                    errors.Count == 0 ? "The stream holds no events." : $"No line of the stream could be read ({errors.Count} unreadable); see 'errors'.",
                    new Dictionary<string, object?> { ["errors"] = errors.Take(MaxLineErrors).ToList() });
            }

            var simulated = await simulator.SimulateAsync(journey, stream, cancellationToken).ConfigureAwait(false);
            return simulated.Report is { } uploaded
                ? TypedResults.Ok(new SimulationView("upload", uploaded, errors.Count, [.. errors.Take(MaxLineErrors)]))
                : Refused(simulated);
        }

        if (request.From is not { } from || request.To is not { } to)
        {
            return Problems.BadRequest("Give the period to replay as 'from' and 'to' (ISO 8601 times), or the events to replay as 'events' (NDJSON).");
        }

        if (to <= from)
        {
            return Problems.BadRequest($"'to' ({Format(to)}) must be after 'from' ({Format(from)}).");
        }

        var replayed = await simulator.ReplayAsync(journey, from, to, request.StopAtEnd ?? false, cancellationToken).ConfigureAwait(false);
        return replayed.Report is { } report
            ? TypedResults.Ok(new SimulationView("period", report, 0, []))
            : Refused(replayed);
    }

    /// <summary>A simulation over a limit: 400, naming the setting and its value.</summary>
    private static ProblemHttpResult Refused(DraftSimulation refused) =>
        Problems.BadRequest(refused.Refusal!, new Dictionary<string, object?> { ["setting"] = refused.Setting, ["limit"] = refused.Limit });

    private static string Utf8(byte[] body)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            throw ProblemException.BadRequest("The stream is not valid UTF-8.");
        }
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>What to simulate: the draft (the stored one when absent) and either a period of recorded events or a stream.</summary>
/// <param name="Document">The draft journey document (YAML or JSON); the stored draft when null.</param>
/// <param name="From">The start of the period to replay.</param>
/// <param name="To">The end of the period to replay.</param>
/// <param name="Events">An NDJSON stream of Segment messages (each with a timestamp) to replay instead of a period.</param>
/// <param name="StopAtEnd">Stop the clock at <paramref name="To"/> (contacts still waiting then are counted as waiting) instead of letting enrollments run on for the journey's maximum run time.</param>
internal sealed record SimulationRequest(string? Document, DateTimeOffset? From, DateTimeOffset? To, string? Events, bool? StopAtEnd);

/// <summary>A simulation's answer: what was replayed, the report, and the stream's lines that could not be read.</summary>
/// <param name="Source"><c>period</c> (recorded events) or <c>upload</c> (a stream).</param>
/// <param name="Report">Per step, per template and per reason, what the journey would do.</param>
/// <param name="UnreadableLines">How many lines of the stream could not be read (they were skipped).</param>
/// <param name="LineErrors">The first 100 of them, with their numbers and why.</param>
internal sealed record SimulationView(string Source, SimulationReport Report, int UnreadableLines, IReadOnlyList<StreamLineError> LineErrors);
