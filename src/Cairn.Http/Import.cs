using System.Security.Cryptography;

namespace Cairn.Http;

/// <summary>The file formats <c>cairn import</c> and <c>POST /api/imports</c> read.</summary>
public enum ImportFormat
{
    /// <summary>CSV with a header row: one identify per row (userId / anonymousId / timestamp columns, the rest are traits).</summary>
    Csv,

    /// <summary>One Segment message (with its <c>type</c>) per line.</summary>
    Ndjson,
}

/// <summary>One row of an import file turned into a Segment message, or the reason it cannot be.</summary>
/// <param name="Line">The 1-based line the row starts on.</param>
/// <param name="Json">The message JSON, when the row could be read.</param>
/// <param name="Error">Why the row was rejected, when it was.</param>
public sealed record ImportRow(int Line, string? Json, string? Error);

/// <summary>A row that was not imported.</summary>
public sealed record ImportRejection(int Line, string Reason);

/// <summary>What an import did.</summary>
public sealed record ImportSummary(int Imported, int Duplicates, IReadOnlyList<ImportRejection> Rejected);

/// <summary>
/// Reads import files into Segment messages. Each row gets a messageId derived from its content, so importing
/// the same file twice stores every row once.
/// </summary>
public static class ImportReader
{
    private static readonly HashSet<string> UserIdColumns = new(StringComparer.OrdinalIgnoreCase) { "userId", "user_id" };
    private static readonly HashSet<string> AnonymousIdColumns = new(StringComparer.OrdinalIgnoreCase) { "anonymousId", "anonymous_id" };
    private static readonly HashSet<string> TimestampColumns = new(StringComparer.OrdinalIgnoreCase) { "timestamp" };

    /// <summary>The format a file name implies: <c>.csv</c> or <c>.ndjson</c>/<c>.jsonl</c>.</summary>
    public static ImportFormat? FormatOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".csv" => ImportFormat.Csv,
        ".ndjson" or ".jsonl" => ImportFormat.Ndjson,
        _ => null,
    };

    /// <summary>Reads every row of <paramref name="reader"/>.</summary>
    public static IEnumerable<ImportRow> Read(TextReader reader, ImportFormat format) =>
        format == ImportFormat.Csv ? ReadCsv(reader) : ReadNdjson(reader);

    private static IEnumerable<ImportRow> ReadNdjson(TextReader reader)
    {
        var line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var document = TryParse(text, out var error);
            if (document is null)
            {
                yield return new ImportRow(line, null, error);
                continue;
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    yield return new ImportRow(line, null, "a line must be a JSON object");
                }
                else if (document.RootElement.TryGetProperty("messageId", out _))
                {
                    yield return new ImportRow(line, text, null);
                }
                else
                {
                    yield return new ImportRow(line, WithMessageId(document.RootElement, ContentId(text)), null);
                }
            }
        }
    }

    private static JsonDocument? TryParse(string text, out string? error)
    {
        try
        {
            error = null;
            return JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = Core.Messages.MessageLimits.MaxDepth + 1 });
        }
        catch (JsonException exception)
        {
            error = $"not valid JSON (byte {exception.BytePositionInLine + 1})";
            return null;
        }
    }

    private static IEnumerable<ImportRow> ReadCsv(TextReader reader)
    {
        using var rows = Csv.Read(reader).GetEnumerator();
        if (!rows.MoveNext())
        {
            yield break;
        }

        var header = rows.Current.Fields.Select(field => field.Trim()).ToArray();
        if (!header.Any(UserIdColumns.Contains) && !header.Any(AnonymousIdColumns.Contains))
        {
            yield return new ImportRow(rows.Current.Line, null, "the header needs a userId (or user_id) or anonymousId column");
            yield break;
        }

        while (rows.MoveNext())
        {
            var (line, fields, error) = rows.Current;
            if (error is not null)
            {
                yield return new ImportRow(line, null, error);
            }
            else if (fields.Count == 1 && fields[0].Length == 0)
            {
                continue;
            }
            else if (fields.Count != header.Length)
            {
                yield return new ImportRow(line, null, $"expected {header.Length} fields as in the header, found {fields.Count}");
            }
            else
            {
                yield return new ImportRow(line, IdentifyJson(header, fields), null);
            }
        }
    }

    private static string IdentifyJson(string[] header, IReadOnlyList<string> fields)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "identify");
            writer.WriteStartObject("traits");
            for (var i = 0; i < header.Length; i++)
            {
                var column = header[i];
                if (fields[i].Length > 0 && !UserIdColumns.Contains(column) && !AnonymousIdColumns.Contains(column) && !TimestampColumns.Contains(column))
                {
                    writer.WriteString(column, fields[i]);
                }
            }

            writer.WriteEndObject();
            for (var i = 0; i < header.Length; i++)
            {
                var name = UserIdColumns.Contains(header[i]) ? "userId"
                    : AnonymousIdColumns.Contains(header[i]) ? "anonymousId"
                    : TimestampColumns.Contains(header[i]) ? "timestamp"
                    : null;
                if (name is not null && fields[i].Length > 0)
                {
                    writer.WriteString(name, fields[i].Trim());
                }
            }

            writer.WriteString("messageId", ContentId(string.Join('\u001f', header.Zip(fields, (column, value) => column + "=" + value))));
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string WithMessageId(JsonElement message, string messageId)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var property in message.EnumerateObject())
            {
                property.WriteTo(writer);
            }

            writer.WriteString("messageId", messageId);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string ContentId(string content) =>
        "import-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)).AsSpan(0, 16));
}

/// <summary>An RFC 4180 CSV reader: quoted fields, doubled quotes, line breaks inside quotes.</summary>
internal static class Csv
{
    public static IEnumerable<(int Line, IReadOnlyList<string> Fields, string? Error)> Read(TextReader reader)
    {
        var line = 1;
        while (reader.Peek() >= 0)
        {
            var start = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            var quoted = false;
            string? error = null;
            while (true)
            {
                var c = reader.Read();
                if (c < 0)
                {
                    if (quoted)
                    {
                        error = "a quoted field is not closed";
                    }

                    break;
                }

                if (quoted)
                {
                    if (c == '"' && reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else if (c == '"')
                    {
                        quoted = false;
                    }
                    else
                    {
                        line += c == '\n' ? 1 : 0;
                        field.Append((char)c);
                    }
                }
                else if (c == '"' && field.Length == 0)
                {
                    quoted = true;
                }
                else if (c == ',')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                }
                else if (c is '\r' or '\n')
                {
                    if (c == '\r' && reader.Peek() == '\n')
                    {
                        reader.Read();
                    }

                    line++;
                    break;
                }
                else
                {
                    field.Append((char)c);
                }
            }

            fields.Add(field.ToString());
            yield return (start, fields, error);
        }
    }
}

/// <summary>Runs an import: reads rows, sends them in batches through a sink, and adds up what happened.</summary>
public static class Importer
{
    /// <summary>Rows per batch: comfortably inside the 500 KB batch limit for typical rows.</summary>
    public const int BatchSize = 200;

    /// <summary>Imports <paramref name="rows"/> through <paramref name="send"/>, reporting progress (rows done).</summary>
    /// <param name="rows">The rows of the file.</param>
    /// <param name="send">Ingests a batch of message JSON strings and reports per-index rejections.</param>
    /// <param name="progress">Told after each batch how many rows are done.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static async Task<ImportSummary> RunAsync(
        IEnumerable<ImportRow> rows,
        Func<IReadOnlyList<string>, CancellationToken, Task<BatchResult>> send,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(send);
        var imported = 0;
        var duplicates = 0;
        var done = 0;
        var rejected = new List<ImportRejection>();
        var batch = new List<ImportRow>(BatchSize);

        async Task FlushAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            var result = await send([.. batch.Select(row => row.Json!)], cancellationToken).ConfigureAwait(false);
            imported += result.Accepted;
            duplicates += result.Duplicates;
            rejected.AddRange(result.Rejected.Select(rejection => new ImportRejection(batch[rejection.Index].Line, rejection.Reason)));
            done += batch.Count;
            batch.Clear();
            progress?.Report(done);
        }

        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                rejected.Add(new ImportRejection(row.Line, row.Error));
                done++;
                continue;
            }

            batch.Add(row);
            if (batch.Count == BatchSize)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }

        await FlushAsync().ConfigureAwait(false);
        return new ImportSummary(imported, duplicates, [.. rejected.OrderBy(rejection => rejection.Line)]);
    }

    /// <summary>A sink that ingests in this process through <paramref name="ingestor"/>.</summary>
    public static Func<IReadOnlyList<string>, CancellationToken, Task<BatchResult>> InProcess(BatchIngestor ingestor) =>
        async (messages, cancellationToken) =>
        {
            ArgumentNullException.ThrowIfNull(ingestor);
            var documents = messages.Select(message => JsonDocument.Parse(message)).ToList();
            try
            {
                var result = await ingestor.IngestAsync([.. documents.Select(document => document.RootElement)], null, null, cancellationToken).ConfigureAwait(false);
                return result;
            }
            finally
            {
                documents.ForEach(document => document.Dispose());
            }
        };
}
