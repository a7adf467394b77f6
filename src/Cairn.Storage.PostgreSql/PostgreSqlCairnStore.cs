using System.Data.Common;
using System.Reflection;
using Cairn.Core.Messages;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Cairn.Storage.Relational;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Cairn.Storage.PostgreSql;

/// <summary>
/// The production store on PostgreSQL (Npgsql). Partitions commit concurrently; events go in with binary COPY
/// into a staging table and one <c>INSERT … ON CONFLICT DO NOTHING</c>, so a re-sent message id is skipped.
/// </summary>
public sealed class PostgreSqlCairnStore : RelationalCairnStore
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Connects with <paramref name="connectionString"/> (the database must exist).</summary>
    public PostgreSqlCairnStore(string connectionString, Microsoft.Extensions.Logging.ILogger<PostgreSqlCairnStore>? logger = null)
        : base(singleWriter: false, logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <inheritdoc />
    public override string ProviderName => "postgresql";

    /// <inheritdoc />
    protected override Assembly MigrationsAssembly => typeof(PostgreSqlCairnStore).Assembly;

    /// <inheritdoc />
    protected override string MigrationLockSql => "SELECT pg_advisory_xact_lock(7079463711)";

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    protected override object TimeValue(DateTimeOffset time) => time.ToUniversalTime();

    /// <inheritdoc />
    protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <inheritdoc />
    protected override async Task WriteEventsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        var npgsql = (NpgsqlConnection)connection;
        await using (var create = new NpgsqlCommand(
            """
            CREATE TEMP TABLE IF NOT EXISTS events_staging (
                ord INTEGER, message_id TEXT, contact_id TEXT, type TEXT, name TEXT,
                timestamp TIMESTAMPTZ, received_at TIMESTAMPTZ, json JSONB) ON COMMIT DELETE ROWS
            """,
            npgsql,
            (NpgsqlTransaction)transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var importer = await npgsql.BeginBinaryImportAsync(
            "COPY events_staging (ord, message_id, contact_id, type, name, timestamp, received_at, json) FROM STDIN (FORMAT BINARY)",
            cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            for (var i = 0; i < events.Count; i++)
            {
                var stored = events[i];
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(i, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(stored.MessageId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(stored.ContactId.ToString(), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(stored.Type.ToWireName(), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(stored.Name, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(stored.Timestamp.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(stored.ReceivedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(stored.Json, NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO events (message_id, contact_id, type, name, timestamp, received_at, json)
            SELECT message_id, contact_id, type, name, timestamp, received_at, json FROM events_staging ORDER BY ord
            ON CONFLICT (message_id) DO NOTHING
            """,
            npgsql,
            (NpgsqlTransaction)transaction);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Registration of the PostgreSQL store.</summary>
public static class PostgreSqlCairnBuilderExtensions
{
    /// <summary>Stores everything in the PostgreSQL database of <paramref name="connectionString"/>.</summary>
    public static CairnBuilder UsePostgreSql(this CairnBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseStore(services => new PostgreSqlCairnStore(connectionString, services.GetService<Microsoft.Extensions.Logging.ILogger<PostgreSqlCairnStore>>()));
    }
}
