using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>Goal conversions per arm, counted and added in key order like <see cref="JourneyMoveRows"/>.</summary>
internal sealed class JourneyConversionRows : CommitWriter
{
    private const string Sql = """
        INSERT INTO journey_conversions (journey_id, version, arm, control, count) VALUES (@journey_id, @version, @arm, @control, @count)
        ON CONFLICT (journey_id, version, arm, control) DO UPDATE SET count = journey_conversions.count + excluded.count
        """;

    public override Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken) =>
        session.ExecuteManyAsync(
            Sql,
            batch.Conversions.GroupBy(conversion => conversion).OrderBy(group => (group.Key.JourneyId, group.Key.Version, group.Key.Arm, group.Key.Control)),
            static (parameters, group) =>
            {
                parameters.Add("journey_id", group.Key.JourneyId);
                parameters.Add("version", group.Key.Version);
                parameters.Add("arm", group.Key.Arm);
                parameters.Add("control", group.Key.Control);
                parameters.Add("count", (long)group.Count());
            },
            cancellationToken);
}
