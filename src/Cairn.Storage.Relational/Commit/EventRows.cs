using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>Appends events to the log, skipping message ids already in it (a dialect may replace it with a bulk path).</summary>
internal sealed class EventRows : CommitWriter
{
    public static EventRows Instance { get; } = new();

    private const string Sql = """
        INSERT INTO events (message_id, contact_id, type, name, timestamp, received_at, json)
        VALUES (@message_id, @contact_id, @type, @name, @timestamp, @received_at, @json)
        ON CONFLICT (message_id) DO NOTHING
        """;

    public override Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken) =>
        session.ExecuteManyAsync(
            Sql,
            batch.Events,
            static (parameters, stored) =>
            {
                parameters.Add("message_id", stored.MessageId);
                parameters.Add("contact_id", stored.ContactId.ToString());
                parameters.Add("type", MessageTypes.ToWireName(stored.Type));
                parameters.Add("name", stored.Name);
                parameters.AddTime("timestamp", stored.Timestamp);
                parameters.AddTime("received_at", stored.ReceivedAt);
                parameters.Add("json", EventBody.Compact(stored.Json, stored.Type, stored.MessageId));
            },
            cancellationToken);
}
