using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>Hand-offs opened (once each), acknowledged (the first acknowledgement is kept) and escalated.</summary>
internal sealed class HandOffRows : CommitWriter
{
    private const string Open = """
        INSERT INTO handoffs (id, contact_id, team, owner_id, routed_by, domain, journey_id, created_at, due_at)
        VALUES (@id, @contact_id, @team, @owner_id, @routed_by, @domain, @journey_id, @created_at, @due_at)
        ON CONFLICT (id) DO NOTHING
        """;

    private const string Acknowledge = "UPDATE handoffs SET acknowledged_at = @at, acknowledged_by = @by WHERE id = @id AND acknowledged_at IS NULL";

    private const string Escalate = "UPDATE handoffs SET escalated_at = @at, escalated_to = @to, owner_id = @owner, due_at = @due WHERE id = @id";

    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        await session.ExecuteManyAsync(
            Open,
            batch.HandOffs,
            static (parameters, handOff) =>
            {
                parameters.Add("id", handOff.Id);
                parameters.Add("contact_id", handOff.ContactId.ToString());
                parameters.Add("team", handOff.Team);
                parameters.Add("owner_id", handOff.Owner);
                parameters.Add("routed_by", handOff.RoutedBy);
                parameters.Add("domain", handOff.Domain);
                parameters.Add("journey_id", handOff.JourneyId);
                parameters.AddTime("created_at", handOff.CreatedAt);
                parameters.AddTime("due_at", handOff.DueAt);
            },
            cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(
            Acknowledge,
            batch.HandOffAcknowledgements,
            static (parameters, acknowledgement) =>
            {
                parameters.Add("id", acknowledgement.Id);
                parameters.AddTime("at", acknowledgement.At);
                parameters.Add("by", acknowledgement.By);
            },
            cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(
            Escalate,
            batch.HandOffEscalations,
            static (parameters, escalation) =>
            {
                parameters.Add("id", escalation.Id);
                parameters.AddTime("at", escalation.At);
                parameters.Add("to", escalation.To);
                parameters.Add("owner", escalation.Owner);
                parameters.AddTime("due", escalation.DueAt);
            },
            cancellationToken).ConfigureAwait(false);
    }
}
