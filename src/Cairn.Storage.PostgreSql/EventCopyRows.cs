using Cairn.Core.Messages;
using Cairn.Runtime.Storage;
using Cairn.Storage.Relational;
using Npgsql;
using NpgsqlTypes;

namespace Cairn.Storage.PostgreSql;

/// <summary>
/// Appends a commit's events by binary COPY into a staging table (dropped rows at commit), then one
/// <c>INSERT … SELECT … ON CONFLICT DO NOTHING</c> in batch order, so a message id already in the log is skipped.
/// </summary>
internal sealed class EventCopyRows : CommitWriter
{
    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(batch);
        var events = batch.Events;
        if (events.Count == 0)
        {
            return;
        }

        await session.ExecuteAsync(
            """
            CREATE TEMP TABLE IF NOT EXISTS events_staging (
                ord INTEGER, message_id TEXT, contact_id TEXT, type TEXT, name TEXT,
                timestamp TIMESTAMPTZ, received_at TIMESTAMPTZ, json JSONB) ON COMMIT DELETE ROWS
            """,
            null,
            cancellationToken).ConfigureAwait(false);

        var importer = await ((NpgsqlConnection)session.Connection).BeginBinaryImportAsync(
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
                await importer.WriteAsync(EventBody.Compact(stored.Json, stored.Type, stored.MessageId), NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        await session.ExecuteAsync(
            """
            INSERT INTO events (message_id, contact_id, type, name, timestamp, received_at, json)
            SELECT message_id, contact_id, type, name, timestamp, received_at, json FROM events_staging ORDER BY ord
            ON CONFLICT (message_id) DO NOTHING
            """,
            null,
            cancellationToken).ConfigureAwait(false);
    }
}
