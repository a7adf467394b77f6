using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="IJourneyIndex.GetEnrollmentGroupsAsync"/>: the groups the lift and experiment reports compare.</summary>
public abstract partial class RelationalCairnStore
{
    // A range of the outcome counters' primary key (journey_id, version, entry_day, …), or of its journey prefix for every
    // version: one row per day, holdout and arm, so the cost grows with the days of the period, not with its entries.
    private const string EnrollmentGroupsSql = """
        SELECT control, arm, SUM(entries), SUM(conversions), SUM(revenue), SUM(revenue_squares)
        FROM journey_outcomes
        WHERE journey_id = @journey_id AND entry_day >= @from_day AND entry_day < @to_day/*version*/
        GROUP BY control, arm
        ORDER BY control, arm
        """;

    /// <inheritdoc />
    public async Task<IReadOnlyList<EnrollmentGroup>> GetEnrollmentGroupsAsync(string journeyId, int fromDay, int toDay, int? version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        var sql = EnrollmentGroupsSql.Replace("/*version*/", version is null ? string.Empty : " AND version = @version", StringComparison.Ordinal);
        var rows = await QueryAsync(
            sql,
            parameters =>
            {
                parameters.Add("journey_id", journeyId);
                parameters.Add("from_day", fromDay);
                parameters.Add("to_day", toDay);
                if (version is { } number)
                {
                    parameters.Add("version", number);
                }
            },
            static row => new EnrollmentGroup(row.GetBool(0), row.GetText(1), row.GetLong(2), row.GetLong(3), row.GetDouble(4), row.GetDouble(5)),
            cancellationToken).ConfigureAwait(false);
        return Partition(rows);
    }

    /// <summary>
    /// The counters' rows as groups that partition the entries: the row of every entry (arm empty) becomes the entries
    /// that took no arm, what is left after the arms' rows are taken away. Groups left empty are dropped.
    /// </summary>
    private static List<EnrollmentGroup> Partition(IEnumerable<EnrollmentGroup> rows)
    {
        var groups = new List<EnrollmentGroup>();
        foreach (var holdout in rows.GroupBy(row => row.Control))
        {
            var arms = holdout.Where(row => row.Arm!.Length > 0).ToList();
            if (holdout.FirstOrDefault(row => row.Arm!.Length == 0) is { } all)
            {
                var rest = new EnrollmentGroup(
                    holdout.Key,
                    null,
                    all.Entries - arms.Sum(arm => arm.Entries),
                    all.Conversions - arms.Sum(arm => arm.Conversions),
                    Rest(all.Revenue, arms.Sum(arm => arm.Revenue)),
                    Rest(all.RevenueSquares, arms.Sum(arm => arm.RevenueSquares)));
                if (rest.Entries > 0)
                {
                    groups.Add(rest);
                }
            }

            groups.AddRange(arms.Where(arm => arm.Entries > 0));
        }

        return groups;
    }

    // Sums of money kept as floating point: what is left after a subtraction loses the rounding noise below a millionth.
    private static double Rest(double all, double taken) => Math.Max(0, Math.Round(all - taken, 6));
}
