using System.Globalization;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// <see cref="IJourneyIndex.GetJourneyFunnelAsync"/>: the funnel's daily counters (written by the commit's
/// <see cref="FunnelRows"/>), each read as a range of its primary key (journey, version, day), summed by the database.
/// </summary>
public abstract partial class RelationalCairnStore
{
    /// <inheritdoc />
    public Task<FunnelCounts> GetJourneyFunnelAsync(string journeyId, int version, int fromDay, int toDay, CancellationToken cancellationToken) =>
        WithSessionAsync(
            async session =>
            {
                void Range(Parameters parameters)
                {
                    parameters.Add("journey_id", journeyId);
                    parameters.Add("version", version);
                    parameters.Add("from_day", fromDay);
                    parameters.Add("to_day", toDay);
                }

                const string Key = "journey_id = @journey_id AND version = @version";
                var moves = await session.QueryAsync(
                    $"SELECT from_step, exit, to_step, SUM(count) FROM journey_funnel_moves WHERE {Key} AND day >= @from_day AND day < @to_day GROUP BY from_step, exit, to_step",
                    Range,
                    static row => new FunnelMoveCount(row.GetText(0), row.GetText(1), row.GetText(2), row.GetLong(3)),
                    cancellationToken).ConfigureAwait(false);
                var entries = await session.QueryAsync(
                    $"SELECT day, SUM(count) FROM journey_funnel_moves WHERE {Key} AND day >= @from_day AND day < @to_day AND from_step = @entry GROUP BY day ORDER BY day",
                    parameters =>
                    {
                        Range(parameters);
                        parameters.Add("entry", FunnelExits.Entry);
                    },
                    static row => (Day: row.GetInt(0), Count: row.GetLong(1)),
                    cancellationToken).ConfigureAwait(false);
                var durations = await session.QueryAsync(
                    $"SELECT step, bucket, SUM(count) FROM journey_funnel_durations WHERE {Key} AND day >= @from_day AND day < @to_day GROUP BY step, bucket",
                    Range,
                    static row => new FunnelBucketCount(row.GetText(0), row.GetInt(1), row.GetLong(2)),
                    cancellationToken).ConfigureAwait(false);
                var conversions = await session.QueryAsync(
                    $"SELECT entry_day, bucket, SUM(count) FROM journey_funnel_conversions WHERE {Key} AND entry_day >= @from_day AND entry_day < @to_day GROUP BY entry_day, bucket",
                    Range,
                    static row => new FunnelBucketCount(row.GetInt(0).ToString(CultureInfo.InvariantCulture), row.GetInt(1), row.GetLong(2)),
                    cancellationToken).ConfigureAwait(false);

                // Where enrollments are now: every move into a step minus every move out of it, over all days.
                var all = await session.QueryAsync(
                    $"SELECT from_step, exit, to_step, SUM(count) FROM journey_funnel_moves WHERE {Key} GROUP BY from_step, exit, to_step",
                    parameters =>
                    {
                        parameters.Add("journey_id", journeyId);
                        parameters.Add("version", version);
                    },
                    static row => new FunnelMoveCount(row.GetText(0), row.GetText(1), row.GetText(2), row.GetLong(3)),
                    cancellationToken).ConfigureAwait(false);
                var waiting = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var move in all.Where(move => move.Exit != FunnelExits.Suppressed))
                {
                    waiting[move.ToStep] = waiting.GetValueOrDefault(move.ToStep) + move.Count;
                    waiting[move.FromStep] = waiting.GetValueOrDefault(move.FromStep) - move.Count;
                }

                return new FunnelCounts(moves, [.. entries], durations, conversions, waiting);
            },
            cancellationToken);
}
