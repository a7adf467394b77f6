using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// The enrollment index: an enrollment that started, moved to another version or ended. An active one is a key row (its
/// live state is in the contact's); an ended one keeps its final state with its path (<c>final</c>).
/// </summary>
internal sealed class EnrollmentRows : CommitWriter
{
    private const string Sql = """
        INSERT INTO enrollments (contact_id, enrollment_id, journey_id, version, entered_at, ended_at, final)
        VALUES (@contact_id, @enrollment_id, @journey_id, @version, @entered_at, @ended_at, @final)
        ON CONFLICT (contact_id, enrollment_id) DO UPDATE SET version = excluded.version, ended_at = excluded.ended_at, final = excluded.final
        """;

    public override Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken) =>
        session.ExecuteManyAsync(
            Sql,
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
                parameters.Add("final", enrollment.EndedAt is null ? null : JourneyMembershipsJson.Serialize(enrollment));
            },
            cancellationToken);
}
