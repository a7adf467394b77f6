using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// The funnel's daily counters (<see cref="FunnelBatch"/>): each distinct key counted within the batch, then added in one
/// upsert, in key order like <see cref="JourneyMoveRows"/> so that partitions committing at once cannot deadlock.
/// </summary>
internal sealed class FunnelRows : CommitWriter
{
    private const string MovesSql = """
        INSERT INTO journey_funnel_moves (journey_id, version, day, from_step, exit, to_step, count) VALUES (@journey_id, @version, @day, @from_step, @exit, @to_step, @count)
        ON CONFLICT (journey_id, version, day, from_step, exit, to_step) DO UPDATE SET count = journey_funnel_moves.count + excluded.count
        """;

    private const string DurationsSql = """
        INSERT INTO journey_funnel_durations (journey_id, version, day, step, bucket, count) VALUES (@journey_id, @version, @day, @step, @bucket, @count)
        ON CONFLICT (journey_id, version, day, step, bucket) DO UPDATE SET count = journey_funnel_durations.count + excluded.count
        """;

    private const string ConversionsSql = """
        INSERT INTO journey_funnel_conversions (journey_id, version, entry_day, bucket, count) VALUES (@journey_id, @version, @entry_day, @bucket, @count)
        ON CONFLICT (journey_id, version, entry_day, bucket) DO UPDATE SET count = journey_funnel_conversions.count + excluded.count
        """;

    private const string OutcomesSql = """
        INSERT INTO journey_outcomes (journey_id, version, entry_day, control, arm, entries, conversions, revenue, revenue_squares)
        VALUES (@journey_id, @version, @entry_day, @control, @arm, @entries, @conversions, @revenue, @revenue_squares)
        ON CONFLICT (journey_id, version, entry_day, control, arm) DO UPDATE SET
            entries = journey_outcomes.entries + excluded.entries,
            conversions = journey_outcomes.conversions + excluded.conversions,
            revenue = journey_outcomes.revenue + excluded.revenue,
            revenue_squares = journey_outcomes.revenue_squares + excluded.revenue_squares
        """;

    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        var funnel = batch.Funnel;
        if (funnel.IsEmpty)
        {
            return;
        }

        await session.ExecuteManyAsync(
            MovesSql,
            funnel.Moves.GroupBy(move => move).OrderBy(group => (group.Key.JourneyId, group.Key.Version, group.Key.Day, group.Key.FromStep, group.Key.Exit, group.Key.ToStep)),
            static (parameters, group) =>
            {
                parameters.Add("journey_id", group.Key.JourneyId);
                parameters.Add("version", group.Key.Version);
                parameters.Add("day", group.Key.Day);
                parameters.Add("from_step", group.Key.FromStep);
                parameters.Add("exit", group.Key.Exit);
                parameters.Add("to_step", group.Key.ToStep);
                parameters.Add("count", (long)group.Count());
            },
            cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(
            DurationsSql,
            funnel.Durations.GroupBy(duration => duration).OrderBy(group => (group.Key.JourneyId, group.Key.Version, group.Key.Day, group.Key.Step, group.Key.Bucket)),
            static (parameters, group) =>
            {
                parameters.Add("journey_id", group.Key.JourneyId);
                parameters.Add("version", group.Key.Version);
                parameters.Add("day", group.Key.Day);
                parameters.Add("step", group.Key.Step);
                parameters.Add("bucket", group.Key.Bucket);
                parameters.Add("count", (long)group.Count());
            },
            cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(
            ConversionsSql,
            funnel.Conversions.GroupBy(conversion => conversion).OrderBy(group => (group.Key.JourneyId, group.Key.Version, group.Key.EntryDay, group.Key.Bucket)),
            static (parameters, group) =>
            {
                parameters.Add("journey_id", group.Key.JourneyId);
                parameters.Add("version", group.Key.Version);
                parameters.Add("entry_day", group.Key.EntryDay);
                parameters.Add("bucket", group.Key.Bucket);
                parameters.Add("count", (long)group.Count());
            },
            cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(
            OutcomesSql,
            funnel.Outcomes
                .GroupBy(outcome => (outcome.JourneyId, outcome.Version, outcome.EntryDay, outcome.Control, outcome.Arm))
                .OrderBy(group => group.Key),
            static (parameters, group) =>
            {
                parameters.Add("journey_id", group.Key.JourneyId);
                parameters.Add("version", group.Key.Version);
                parameters.Add("entry_day", group.Key.EntryDay);
                parameters.Add("control", group.Key.Control);
                parameters.Add("arm", group.Key.Arm);
                parameters.Add("entries", group.Sum(outcome => outcome.Entries));
                parameters.Add("conversions", group.Sum(outcome => outcome.Conversions));
                parameters.Add("revenue", group.Sum(outcome => outcome.Revenue));
                parameters.Add("revenue_squares", group.Sum(outcome => outcome.RevenueSquares));
            },
            cancellationToken).ConfigureAwait(false);
    }
}
