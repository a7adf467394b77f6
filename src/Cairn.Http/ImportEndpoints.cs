namespace Cairn.Http;

/// <summary><c>POST /api/imports</c>: a CSV or NDJSON file in the body, imported like <c>cairn import</c>.</summary>
internal static class ImportEndpoints
{
    // An import body may be large; it is read as a stream, row by row.
    private const long MaxImportBytes = 1L << 30;

    /// <summary>Maps <c>/imports</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapImports(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/imports", ImportAsync).Audited("contacts.imported")
            .WithTags("Imports")
            .WithSummary("Imports a CSV (text/csv, header row) or NDJSON (application/x-ndjson) file; bad rows are reported by line.")
            .Accepts<string>("text/csv", "application/x-ndjson")
            .Produces<ImportSummary>()
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithMetadata(new RequestSizeLimitMetadata(MaxImportBytes));
        return api;
    }

    private static async Task<IResult> ImportAsync(HttpContext context, BatchIngestor ingestor, CancellationToken cancellationToken)
    {
        ImportFormat? format = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant() switch
        {
            "text/csv" => ImportFormat.Csv,
            "application/x-ndjson" or "application/jsonl" or "application/json-seq" => ImportFormat.Ndjson,
            _ => null,
        };
        if (format is null)
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send a CSV file as text/csv or NDJSON as application/x-ndjson.");
        }

        // Spool the body to a temporary file: rows are then read synchronously, and a huge file never sits in memory.
        var spool = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await using (spool.ConfigureAwait(false))
        {
            await context.Request.Body.CopyToAsync(spool, cancellationToken).ConfigureAwait(false);
            spool.Position = 0;
            using var reader = new StreamReader(spool, new UTF8Encoding(false, throwOnInvalidBytes: true));
            ImportSummary summary;
            try
            {
                summary = await Importer.RunAsync(ImportReader.Read(reader, format.Value), Importer.InProcess(ingestor), null, cancellationToken).ConfigureAwait(false);
            }
            catch (DecoderFallbackException)
            {
                return Problems.BadRequest("The file is not valid UTF-8; nothing after the invalid bytes was imported.");
            }

            return Results.Ok(summary);
        }
    }

    private sealed class RequestSizeLimitMetadata(long maxRequestBodySize) : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize { get; } = maxRequestBodySize;
    }
}
