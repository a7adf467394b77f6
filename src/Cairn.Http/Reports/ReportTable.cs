using System.Globalization;

namespace Cairn.Http.Reports;

/// <summary>
/// A report flattened to a table (named columns, rows of cells), the form every report also answers in as CSV
/// (<c>?format=csv</c>) and the CLI prints as an aligned table.
/// </summary>
/// <param name="Columns">The column names, snake_case.</param>
/// <param name="Rows">The rows; each has one cell per column (null for an empty cell).</param>
public sealed record ReportTable(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string?>> Rows)
{
    /// <summary>A cell for a number, written invariantly (a point for decimals, no grouping).</summary>
    public static string Cell(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>A cell for a whole number.</summary>
    public static string Cell(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A cell for a decimal amount.</summary>
    public static string Cell(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A cell for a time, ISO 8601 in UTC.</summary>
    public static string Cell(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The table as RFC 4180 CSV (CRLF line ends, fields with a comma, quote or line break quoted, quotes doubled). A text
    /// cell that a spreadsheet would run as a formula (starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or
    /// carriage return, and not a number) is prefixed with an apostrophe, so a hostile template or journey name cannot.
    /// </summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        WriteRow(csv, Columns);
        foreach (var row in Rows)
        {
            if (row.Count != Columns.Count)
            {
                throw new InvalidOperationException($"A report row has {row.Count} cells for {Columns.Count} columns.");
            }

            WriteRow(csv, row);
        }

        return csv.ToString();
    }

    private static void WriteRow(StringBuilder csv, IReadOnlyList<string?> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
            {
                csv.Append(',');
            }

            var cell = Defuse(cells[i] ?? string.Empty);
            if (cell.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                csv.Append('"').Append(cell.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                csv.Append(cell);
            }
        }

        csv.Append("\r\n");
    }

    private static string Defuse(string cell) =>
        cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r'
            && !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? "'" + cell
            : cell;
}

/// <summary>How a report endpoint answers: JSON by default, CSV when the request asks for it.</summary>
internal static class ReportFormat
{
    /// <summary>The media type of a report's CSV answer.</summary>
    public const string CsvMediaType = "text/csv";

    /// <summary>
    /// True when <paramref name="format"/> is <c>csv</c>; false when it is absent or <c>json</c>; any other value is
    /// refused with a 400 problem.
    /// </summary>
    public static bool WantsCsv(string? format) => format?.ToLowerInvariant() switch
    {
        null or "" or "json" => false,
        "csv" => true,
        _ => throw new ProblemException($"format must be json or csv, not '{Truncate(format)}'."),
    };

    /// <summary>The CSV answer of a report, as a download named <paramref name="name"/>.csv.</summary>
    public static FileContentHttpResult Csv(ReportTable table, string name)
    {
        ArgumentNullException.ThrowIfNull(table);
        return TypedResults.File(Encoding.UTF8.GetBytes(table.ToCsv()), CsvMediaType + "; charset=utf-8", name + ".csv");
    }

    private static string Truncate(string value) => value.Length <= 20 ? value : value[..20] + "…";
}
