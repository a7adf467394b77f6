using System.Data.Common;
using System.Reflection;
using Cairn.Runtime.Storage;
using Cairn.Storage.Relational;

namespace Cairn.Storage.Sqlite;

/// <summary>SQLite's dialect: one writer, times as Unix microseconds in an integer column.</summary>
internal sealed class SqliteDialect : SqlDialect
{
    public static SqliteDialect Instance { get; } = new();

    public override string Name => "sqlite";

    public override bool SingleWriter => true;

    public override bool FullTextContacts => true;

    public override Assembly MigrationsAssembly => typeof(SqliteDialect).Assembly;

    public override object TimeValue(DateTimeOffset time) => Cursors.ToUnixMicroseconds(time);

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => Cursors.FromUnixMicroseconds(reader.GetInt64(ordinal));

    public override string MicrosecondsBetween(string later, string earlier) => $"({later} - {earlier})";

    /// <inheritdoc />
    public override string ContainsText(string column, string parameter) => $"instr(lower({column}), lower({parameter})) > 0";
}
