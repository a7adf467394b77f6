using System.Data.Common;
using System.Globalization;
using Cairn.Core;

namespace Cairn.Storage.Relational;

/// <summary>
/// The current row of a reader, with the conversions every query needs: nullable columns, integers whatever width the
/// database returns them in (SQLite: 64 bits; PostgreSQL: the column's), times in the dialect's form, contact ids.
/// </summary>
public readonly struct Row(DbDataReader reader, SqlDialect dialect)
{
    /// <summary>The reader, for what the conversions here do not cover.</summary>
    public DbDataReader Reader => reader;

    /// <summary>True when the column is null.</summary>
    public bool IsNull(int ordinal) => reader.IsDBNull(ordinal);

    /// <summary>A text column.</summary>
    public string GetText(int ordinal) => reader.GetString(ordinal);

    /// <summary>A text column, or null.</summary>
    public string? GetTextOrNull(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>An integer column.</summary>
    public int GetInt(int ordinal) => Convert.ToInt32(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    /// <summary>An integer column, or null.</summary>
    public int? GetIntOrNull(int ordinal) => reader.IsDBNull(ordinal) ? null : GetInt(ordinal);

    /// <summary>A 64-bit integer column (or a count).</summary>
    public long GetLong(int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    /// <summary>A floating-point column or sum, 0 when null.</summary>
    public double GetDouble(int ordinal) => reader.IsDBNull(ordinal) ? 0 : Convert.ToDouble(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    /// <summary>A boolean column (SQLite stores 0 or 1).</summary>
    public bool GetBool(int ordinal) => Convert.ToBoolean(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    /// <summary>A time column.</summary>
    public DateTimeOffset GetTime(int ordinal) => dialect.ReadTime(reader, ordinal);

    /// <summary>A time column, or null.</summary>
    public DateTimeOffset? GetTimeOrNull(int ordinal) => reader.IsDBNull(ordinal) ? null : dialect.ReadTime(reader, ordinal);

    /// <summary>A contact id column; throws <see cref="InvalidDataException"/> when it does not hold one.</summary>
    public ContactId GetContactId(int ordinal) => ParseContactId(reader.GetString(ordinal));

    /// <summary>A stored contact id; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static ContactId ParseContactId(string text) =>
        Core.ContactId.TryParse(text, out var id) ? id : throw new InvalidDataException($"Stored contact id '{text}' is not valid.");
}
