using System.Buffers;
using System.IO.Compression;

namespace Cairn.Http;

/// <summary>Reads a request body within a size limit (after decompression) and parses it as JSON.</summary>
internal static class RequestBody
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads at most <paramref name="limit"/> bytes after decompression; more is a 413 naming the limit. A gzip body
    /// (<c>Content-Encoding: gzip</c>, whatever its media type) is inflated as it is read, so a small body that would
    /// inflate far past the limit (a gzip bomb) is refused once the limit is passed, without inflating the rest. Any
    /// other content coding is a 415.
    /// </summary>
    public static async Task<byte[]> ReadAsync(HttpRequest request, int limit, string limitName, CancellationToken cancellationToken)
    {
        var gzip = IsGzip(request);
        if (request.ContentLength > limit && !gzip)
        {
            throw TooLarge(limitName);
        }

        var body = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        await using var _ = body == request.Body ? null : body;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, 64 * 1024));
        try
        {
            using var content = new MemoryStream();
            int read;
            while ((read = await ReadChunkAsync(body, buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (content.Length + read > limit)
                {
                    throw TooLarge(limitName, gzip);
                }

                content.Write(buffer, 0, read);
            }

            return content.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads and parses a JSON body of any media type (some providers post JSON as text/plain).</summary>
    public static async Task<JsonElement> ParseAsync(HttpRequest request, int limit, string limitName, CancellationToken cancellationToken)
    {
        using var document = Parse(await ReadAsync(request, limit, limitName, cancellationToken).ConfigureAwait(false), 64);
        return document.RootElement.Clone();
    }

    /// <summary>Parses UTF-8 JSON; invalid UTF-8, malformed JSON or nesting deeper than <paramref name="maxDepth"/> is a 400.</summary>
    /// <param name="body">The body.</param>
    /// <param name="maxDepth">The deepest nesting allowed.</param>
    /// <param name="note">Appended to the detail of a 400 for a body that is not JSON (none by default).</param>
    public static JsonDocument Parse(byte[] body, int maxDepth, string? note = null)
    {
        try
        {
            StrictUtf8.GetCharCount(body);
        }
        catch (DecoderFallbackException)
        {
            throw ProblemException.BadRequest($"The body is not valid UTF-8{note}.");
        }

        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException exception) when (exception.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase))
        {
            throw ProblemException.BadRequest($"The JSON is nested deeper than the limit of {Cairn.Core.Messages.MessageLimits.MaxDepth} levels.");
        }
        catch (JsonException exception)
        {
            throw ProblemException.BadRequest($"The body is not valid JSON (line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}){note}.");
        }
    }

    /// <summary>Requires a JSON media type (<c>application/json</c> or <c>*+json</c>); otherwise 415.</summary>
    public static void RequireJson(HttpRequest request)
    {
        if (!request.HasJsonContentType())
        {
            throw new ProblemException(
                StatusCodes.Status415UnsupportedMediaType,
                "Unsupported media type",
                $"Send the body as application/json, not '{request.ContentType ?? "(none)"}'.");
        }
    }

    /// <summary>A string property of a JSON object, or null (absent, another type, or not an object).</summary>
    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>True for <c>Content-Encoding: gzip</c>; no coding (or <c>identity</c>) is false; any other coding is a 415.</summary>
    private static bool IsGzip(HttpRequest request)
    {
        var codings = request.Headers.ContentEncoding
            .SelectMany(value => (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(coding => !string.Equals(coding, "identity", StringComparison.OrdinalIgnoreCase))
            .ToList();
        return codings switch
        {
            [] => false,
            [var coding] when string.Equals(coding, "gzip", StringComparison.OrdinalIgnoreCase) || string.Equals(coding, "x-gzip", StringComparison.OrdinalIgnoreCase) => true,
            _ => throw new ProblemException(
                StatusCodes.Status415UnsupportedMediaType,
                "Unsupported media type",
                $"The content coding '{string.Join(", ", codings)}' is not supported; send the body as it is or with Content-Encoding: gzip."),
        };
    }

    private static async Task<int> ReadChunkAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            throw ProblemException.BadRequest("The body is declared gzip but is not valid gzip data.");
        }
    }

    private static ProblemException TooLarge(string limitName, bool inflated = false) =>
        new(StatusCodes.Status413PayloadTooLarge, "Content too large", $"The request body exceeds the {limitName} limit{(inflated ? " once decompressed" : string.Empty)}.");
}
