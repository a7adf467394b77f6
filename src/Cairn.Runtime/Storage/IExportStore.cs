using System.Text.Json;
using Cairn.Core;

namespace Cairn.Runtime.Storage;

/// <summary>
/// Export (GDPR art. 15 and 20, CCPA right to know): every row the store holds about a group of contacts (a contact and
/// the contacts merged into it), table by table, written as JSON a page at a time so that no history is held whole in
/// memory. The tables it reads are <see cref="ExportedTables"/>; a table that names a contact and is left out is in
/// <see cref="TablesNotExported"/> with the reason (a test holds the schema to these two lists).
/// </summary>
public interface IExportStore
{
    /// <summary>The tables an export reads, in the order of the export document.</summary>
    IReadOnlyList<ExportedTable> ExportedTables { get; }

    /// <summary>Tables that name a contact but hold nothing personal of their own, by table, with the reason.</summary>
    IReadOnlyDictionary<string, string> TablesNotExported { get; }

    /// <summary>
    /// Writes up to <paramref name="limit"/> rows of <paramref name="table"/> about <paramref name="contacts"/>, those
    /// after <paramref name="after"/> in the table's order, each as a JSON object (column → value; times in ISO 8601,
    /// JSON columns as JSON) into <paramref name="writer"/>. Returns the cursor of the last row written, or null when
    /// no row remains.
    /// </summary>
    Task<ExportCursor?> WriteExportRowsAsync(string table, IReadOnlyCollection<ContactId> contacts, ExportCursor? after, int limit, Utf8JsonWriter writer, CancellationToken cancellationToken);

    /// <summary>The latest erasure that named <paramref name="contact"/>, when it was erased.</summary>
    Task<ErasureRecord?> FindErasureAsync(ContactId contact, CancellationToken cancellationToken);
}

/// <summary>A table an export reads: its name in the database, its name in the export document, and what it holds, in plain words.</summary>
public sealed record ExportedTable(string Table, string Section, string Description);

/// <summary>Where a page of an export ended: the key of the last row written (opaque to callers).</summary>
public sealed record ExportCursor(IReadOnlyList<object?> Key);
