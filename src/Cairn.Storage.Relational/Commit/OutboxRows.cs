using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>Messages the batch decided, put in the outbox in the same transaction as the state that decided them; once each.</summary>
internal sealed class OutboxRows : CommitWriter
{
    private const string Sql = """
        INSERT INTO outbox (message_id, contact_id, journey_id, version, enrollment_id, step_id, channel, template, category, priority, status, created_at, payload, fallback, send_window)
        VALUES (@message_id, @contact_id, @journey_id, @version, @enrollment_id, @step_id, @channel, @template, @category, @priority, @status, @created_at, @payload, @fallback, @send_window)
        ON CONFLICT (message_id) DO NOTHING
        """;

    public override Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken) =>
        session.ExecuteManyAsync(
            Sql,
            batch.Outbox,
            static (parameters, message) =>
            {
                parameters.Add("message_id", message.MessageId);
                parameters.Add("contact_id", message.ContactId.ToString());
                parameters.Add("journey_id", message.JourneyId);
                parameters.Add("version", message.Version);
                parameters.Add("enrollment_id", message.EnrollmentId);
                parameters.Add("step_id", message.StepId);
                parameters.Add("channel", message.Channel);
                parameters.Add("template", message.Template);
                parameters.Add("category", message.Category);
                parameters.Add("priority", message.Priority);
                parameters.Add("status", message.Status);
                parameters.AddTime("created_at", message.CreatedAt);
                parameters.Add("payload", message.Payload);
                parameters.Add("fallback", message.Fallback);
                parameters.Add("send_window", message.SendWindow is { } window ? (long)window.TotalSeconds : null);
            },
            cancellationToken);
}
