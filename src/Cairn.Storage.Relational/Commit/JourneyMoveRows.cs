using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// The step statistics: moves counted per distinct key within the batch, then added in one upsert each — in key order,
/// so that partitions committing at once (PostgreSQL) lock the shared counter rows in the same order and cannot deadlock.
/// </summary>
internal sealed class JourneyMoveRows : CommitWriter
{
    private const string Sql = """
        INSERT INTO journey_moves (journey_id, version, from_step, exit, to_step, count) VALUES (@journey_id, @version, @from_step, @exit, @to_step, @count)
        ON CONFLICT (journey_id, version, from_step, exit, to_step) DO UPDATE SET count = journey_moves.count + excluded.count
        """;

    public override Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken) =>
        session.ExecuteManyAsync(
            Sql,
            batch.Moves.GroupBy(move => move).OrderBy(group => (group.Key.JourneyId, group.Key.Version, group.Key.FromStep, group.Key.Exit, group.Key.ToStep)),
            static (parameters, group) =>
            {
                parameters.Add("journey_id", group.Key.JourneyId);
                parameters.Add("version", group.Key.Version);
                parameters.Add("from_step", group.Key.FromStep);
                parameters.Add("exit", group.Key.Exit);
                parameters.Add("to_step", group.Key.ToStep);
                parameters.Add("count", (long)group.Count());
            },
            cancellationToken);
}
