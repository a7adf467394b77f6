using System.Net.Http.Headers;
using Cairn.Core.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Http;

/// <summary>The Segment HTTP Tracking API: <c>/v1/identify</c>, <c>/v1/track</c> … and <c>/v1/batch</c>.</summary>
internal static class IngestEndpoints
{
    // The envelope adds levels above a message's own nesting: {"batch":[{ ... }]}.
    private const int EnvelopeDepth = 3;

    /// <summary>Maps the ingestion endpoints.</summary>
    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder routes)
    {
        // No form binding: a form-declared body (RudderStack's Node SDK) is read as JSON by the handlers themselves.
        var v1 = routes.MapGroup("/v1").WithTags("Ingestion").DisableAntiforgery().RequireIngestKey();
        foreach (var type in Enum.GetValues<MessageType>())
        {
            var name = type.ToWireName();
            v1.MapPost("/" + name, (HttpContext context, BatchIngestor ingestor, KeyRing keys) => IngestOneAsync(context, ingestor, keys, type))
                .WithName("ingest-" + name)
                .WithSummary($"Records one {name} message (Segment HTTP Tracking API).")
                .Produces(StatusCodes.Status200OK)
                .ProducesProblem(StatusCodes.Status400BadRequest)
                .ProducesProblem(StatusCodes.Status401Unauthorized)
                .ProducesProblem(StatusCodes.Status403Forbidden)
                .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
                .ProducesProblem(StatusCodes.Status429TooManyRequests);
        }

        v1.MapPost("/batch", IngestBatchAsync)
            .WithName("ingest-batch")
            .WithSummary("Records a batch of messages; invalid ones are rejected one by one, valid ones are kept.")
            .Produces<BatchResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return routes;
    }

    private static async Task<IResult> IngestOneAsync(HttpContext context, BatchIngestor ingestor, KeyRing keys, MessageType type)
    {
        using var document = await ReadAsync(context, MessageLimits.MaxMessageBytes, "32 KB per message", 1).ConfigureAwait(false);
        Authorize(context, keys, document.RootElement);
        var result = await ingestor.IngestAsync([document.RootElement], type, null, context.RequestAborted).ConfigureAwait(false);
        if (result.Rejected.Count > 0)
        {
            throw ProblemException.BadRequest($"The message is not valid: {result.Rejected[0].Reason}.");
        }

        return Results.Ok(new { success = true });
    }

    private static async Task<IResult> IngestBatchAsync(HttpContext context, BatchIngestor ingestor, KeyRing keys)
    {
        using var document = await ReadAsync(context, MessageLimits.MaxBatchBytes, "500 KB per batch", EnvelopeDepth).ConfigureAwait(false);
        var root = document.RootElement;
        Authorize(context, keys, root);
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("batch", out var batch) || batch.ValueKind != JsonValueKind.Array)
        {
            throw ProblemException.BadRequest("The body must be an object with a 'batch' array of messages.");
        }

        if (!SegmentMessageReader.TryReadDate(root, "sentAt", out var sentAt, out var error))
        {
            throw ProblemException.BadRequest($"The batch's {error}.");
        }

        var messages = batch.EnumerateArray().ToList();
        if (messages.Count == 0)
        {
            throw ProblemException.BadRequest("The batch is empty.");
        }

        using var withDefaults = BatchDefaults.Apply(root, messages);
        var result = await ingestor.IngestAsync(withDefaults?.Messages ?? messages, null, sentAt, context.RequestAborted).ConfigureAwait(false);
        if (result.Accepted + result.Duplicates == 0)
        {
            throw ProblemException.BadRequest(
                "Every message in the batch is invalid; see 'rejected'.",
                new Dictionary<string, object?> { ["rejected"] = result.Rejected });
        }

        return Results.Ok(new BatchResponse(true, result.Accepted, result.Duplicates, result.Rejected));
    }

    /// <summary>
    /// Reads the body as JSON whatever its declared media type, as Segment's tracking API does: RudderStack's Node SDK
    /// posts its gzipped batches as <c>application/x-www-form-urlencoded</c> (what axios declares for a byte buffer),
    /// and browsers' <c>navigator.sendBeacon</c> and analytics.js post <c>text/plain</c> to avoid a CORS preflight.
    /// A body that is not JSON is a 400 that says so. The admin API (<c>/api</c>) keeps strict media types.
    /// </summary>
    private static async Task<JsonDocument> ReadAsync(HttpContext context, int limit, string limitName, int envelopeDepth)
    {
        var body = await RequestBody.ReadAsync(context.Request, limit, limitName, context.RequestAborted).ConfigureAwait(false);
        var note = context.Request.HasJsonContentType()
            ? null
            : $"; /v1 reads the body as JSON whatever its Content-Type ('{context.Request.ContentType ?? "(none)"}')";
        return RequestBody.Parse(body, MessageLimits.MaxDepth + envelopeDepth, note);
    }

    /// <summary>
    /// The write key (a key of the ingest scope) comes as the HTTP basic auth user (empty password), or as <c>writeKey</c>
    /// in the body or the query. Unknown or revoked: 401; a key of another scope: 403; over the key's rate limit: 429 with
    /// <c>Retry-After</c>.
    /// </summary>
    internal static void Authorize(HttpContext context, KeyRing keys, JsonElement body)
    {
        var key = BasicUser(context.Request);
        if (key is null && body.ValueKind == JsonValueKind.Object && body.TryGetProperty("writeKey", out var inBody) && inBody.ValueKind == JsonValueKind.String)
        {
            key = inBody.GetString();
        }

        // Provider webhooks that cannot send a header or choose the body carry it in the address.
        if (key is null && context.Request.Query["writeKey"] is [{ Length: > 0 } inQuery])
        {
            key = inQuery;
        }

        if (key is null)
        {
            throw ProblemException.Unauthorized("Send the write key as the HTTP basic auth user name (empty password), or as 'writeKey' in the body or the query.");
        }

        var entry = keys.Find(key);
        if (entry is null)
        {
            throw ProblemException.Unauthorized("The write key is not valid.");
        }

        if (entry.RevokedAt is not null)
        {
            throw ProblemException.Unauthorized("The write key was revoked.");
        }

        // Only ingest keys ingest: an /api key is a secret a browser or an app must never carry, and keeping the two
        // apart means a leaked write key reads nothing and an /api key is never pasted into a tracking snippet.
        if (!AccessControl.Allows(entry.Scope, ApiKeyScope.Ingest))
        {
            throw ProblemException.Forbidden(
                $"This route needs a key with the ingest scope (a write key); the key '{entry.Name}' has the {AccessControl.NameOf(entry.Scope)} scope.",
                new Dictionary<string, object?> { ["requiredScope"] = AccessControl.NameOf(ApiKeyScope.Ingest) });
        }

        keys.Use(key);
        if (!context.RequestServices.GetRequiredService<IngestRateLimiter>().TryAcquire(entry, out var retryAfter))
        {
            throw ProblemException.TooManyRequests($"The write key '{entry.Name}' sends faster than its rate limit allows; retry after the Retry-After seconds.", retryAfter);
        }

        // Who called, for the handlers that record it (Caller.Of).
        context.User = AccessControl.PrincipalOf(entry);
    }

    private static string? BasicUser(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? decoded : decoded[..colon];
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>The answer to <c>/v1/batch</c>.</summary>
/// <param name="Success">True when at least one message was stored (or already was).</param>
/// <param name="Accepted">Messages stored by this request.</param>
/// <param name="Duplicates">Messages whose messageId was already stored.</param>
/// <param name="Rejected">Invalid messages, by index, with the reason.</param>
internal sealed record BatchResponse(bool Success, int Accepted, int Duplicates, IReadOnlyList<RejectedMessage> Rejected);
