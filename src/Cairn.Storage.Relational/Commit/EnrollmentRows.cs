using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// Enrollment rows, one per enrollment of a contact: an active one with its live state (what a contact's active enrollments
/// are read from), an ended one with its final state and path. A step that moves an enrollment replaces its row; an active
/// enrollment the contact no longer holds (without its ending) is deleted.
/// </summary>
internal sealed class EnrollmentRows : CommitWriter
{
    private const string Upsert = """
        INSERT INTO enrollments (contact_id, enrollment_id, journey_id, version, entered_at, ended_at, converted_at, state, arm, control, revenue)
        VALUES (@contact_id, @enrollment_id, @journey_id, @version, @entered_at, @ended_at, @converted_at, @state, @arm, @control, @revenue)
        ON CONFLICT (contact_id, enrollment_id) DO UPDATE SET version = excluded.version, ended_at = excluded.ended_at, converted_at = excluded.converted_at, state = excluded.state,
            arm = excluded.arm, control = excluded.control, revenue = excluded.revenue
        """;

    private const string Delete = "DELETE FROM enrollments WHERE contact_id = @contact_id AND enrollment_id = @enrollment_id AND ended_at IS NULL";

    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        await session.ExecuteManyAsync(
            Upsert,
            batch.Enrollments,
            static (parameters, record) =>
            {
                var enrollment = record.Enrollment;
                parameters.Add("contact_id", record.ContactId.ToString());
                parameters.Add("enrollment_id", enrollment.Id);
                parameters.Add("journey_id", enrollment.JourneyId);
                parameters.Add("version", enrollment.Version);
                parameters.AddTime("entered_at", enrollment.EnteredAt);
                parameters.AddTime("ended_at", enrollment.EndedAt);
                parameters.AddTime("converted_at", enrollment.ConvertedAt);
                parameters.Add("state", JourneyMembershipsJson.Serialize(enrollment));
                parameters.Add("arm", enrollment.Arm);
                parameters.Add("control", enrollment.Control);
                parameters.Add("revenue", enrollment.Revenue is { } revenue ? (double)revenue : null);
            },
            cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(
            Delete,
            batch.EnrollmentsRemoved,
            static (parameters, removed) =>
            {
                parameters.Add("contact_id", removed.ContactId.ToString());
                parameters.Add("enrollment_id", removed.EnrollmentId);
            },
            cancellationToken).ConfigureAwait(false);
    }
}
