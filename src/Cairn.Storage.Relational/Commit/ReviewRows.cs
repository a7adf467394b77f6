using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>Enrollments that ended for review, once each.</summary>
internal sealed class ReviewRows : CommitWriter
{
    private const string Sql = """
        INSERT INTO journey_reviews (journey_id, enrollment_id, contact_id, version, reason, ended_at) VALUES (@journey_id, @enrollment_id, @contact_id, @version, @reason, @ended_at)
        ON CONFLICT (contact_id, enrollment_id) DO NOTHING
        """;

    public override Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken) =>
        session.ExecuteManyAsync(
            Sql,
            batch.Reviews,
            static (parameters, review) =>
            {
                parameters.Add("journey_id", review.JourneyId);
                parameters.Add("enrollment_id", review.EnrollmentId);
                parameters.Add("contact_id", review.ContactId.ToString());
                parameters.Add("version", review.Version);
                parameters.Add("reason", review.Reason);
                parameters.AddTime("ended_at", review.EndedAt);
            },
            cancellationToken);
}
