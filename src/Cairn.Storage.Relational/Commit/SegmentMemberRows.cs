using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>Segment member lists: an entry upserts the member (with when and why), an exit deletes it.</summary>
internal sealed class SegmentMemberRows : CommitWriter
{
    private const string Enter = """
        INSERT INTO segment_members (segment_id, contact_id, entered_at, reason) VALUES (@segment_id, @contact_id, @entered_at, @reason)
        ON CONFLICT (segment_id, contact_id) DO UPDATE SET entered_at = excluded.entered_at, reason = excluded.reason
        """;

    private const string Exit = "DELETE FROM segment_members WHERE segment_id = @segment_id AND contact_id = @contact_id";

    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        await session.ExecuteManyAsync(
            Enter,
            batch.SegmentMembers.Where(change => change.Membership is not null),
            static (parameters, change) =>
            {
                parameters.Add("segment_id", change.Segment);
                parameters.Add("contact_id", change.ContactId.ToString());
                parameters.AddTime("entered_at", change.Membership!.EnteredAt);
                parameters.Add("reason", change.Membership.Reason);
            },
            cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(
            Exit,
            batch.SegmentMembers.Where(change => change.Membership is null),
            static (parameters, change) =>
            {
                parameters.Add("segment_id", change.Segment);
                parameters.Add("contact_id", change.ContactId.ToString());
            },
            cancellationToken).ConfigureAwait(false);
    }
}
