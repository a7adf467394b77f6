using System.Data.Common;
using System.Reflection;
using Cairn.Storage.Relational;

namespace Cairn.Storage.PostgreSql;

/// <summary>PostgreSQL's dialect: concurrent writers, <c>timestamptz</c> times, an advisory lock around migrations, events by binary COPY.</summary>
internal sealed class PostgreSqlDialect : SqlDialect
{
    public static PostgreSqlDialect Instance { get; } = new();

    public override string Name => "postgresql";

    public override Assembly MigrationsAssembly => typeof(PostgreSqlDialect).Assembly;

    /// <summary>Concurrent starts (a cluster's silos) migrate one at a time.</summary>
    public override string MigrationLockSql => "SELECT pg_advisory_xact_lock(7079463711)";

    public override CommitWriter EventWriter { get; } = new EventCopyRows();

    public override string LockRows => " FOR UPDATE";

    public override object TimeValue(DateTimeOffset time) => time.ToUniversalTime();

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    public override string MicrosecondsBetween(string later, string earlier) => $"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) * 1000000 AS BIGINT)";
}
