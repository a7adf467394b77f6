using System.Globalization;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// <see cref="IAttributionStore"/>: attribution reads its daily counters (<c>attribution_credits</c>,
/// <c>attribution_days</c>, small: days × models × groups), the control group the covering index <c>conversions_contact</c> (per contact, no sort) and the
/// <c>contacts_bucket</c> index. Both are written by the commit's <see cref="AttributionRows"/>.
/// </summary>
public abstract partial class RelationalCairnStore
{
    /// <inheritdoc />
    public Task<AttributionCounts> GetAttributionAsync(DateTimeOffset fromDay, DateTimeOffset toDay, AttributionGrouping by, CancellationToken cancellationToken)
    {
        // The column comes from the enum, never from the request.
        var key = by switch
        {
            AttributionGrouping.Journey => "journey_id",
            AttributionGrouping.Template => "template",
            AttributionGrouping.Channel => "channel",
            _ => throw new ArgumentOutOfRangeException(nameof(by), by, "unknown grouping"),
        };
        return WithSessionAsync(
            async session =>
            {
                void Bind(Parameters parameters)
                {
                    parameters.AddTime("from", fromDay);
                    parameters.AddTime("to", toDay);
                }

                var credits = await session.QueryAsync(
                    $"SELECT model, {key}, SUM(conversions), SUM(revenue) FROM attribution_credits WHERE day >= @from AND day < @to GROUP BY model, {key} ORDER BY model, {key}",
                    Bind,
                    row => new AttributionCredited(row.GetText(0), row.GetText(1), Convert.ToDouble(row.Reader.GetValue(2), CultureInfo.InvariantCulture), row.GetLong(3) / 100m),
                    cancellationToken).ConfigureAwait(false);
                var totals = await session.QueryAsync(
                    "SELECT COALESCE(SUM(conversions), 0), COALESCE(SUM(revenue), 0), COALESCE(SUM(unattributed), 0), COALESCE(SUM(unattributed_revenue), 0) FROM attribution_days WHERE day >= @from AND day < @to",
                    Bind,
                    row => new AttributionCounts(row.GetLong(0), row.GetLong(1) / 100m, row.GetLong(2), row.GetLong(3) / 100m, credits),
                    cancellationToken).ConfigureAwait(false);
                return totals[0];
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<ControlGroupCounts> GetControlGroupAsync(DateTimeOffset since, DateTimeOffset until, int firstControlBucket, CancellationToken cancellationToken) =>
        WithSessionAsync(
            async session =>
            {
                // Two counts, each one range of the partial index contacts_bucket (merged_into IS NULL): cheaper than one
                // pass that tests every contact's bucket.
                var contacts = await session.QueryAsync(
                    """
                    SELECT (SELECT COUNT(*) FROM contacts WHERE merged_into IS NULL),
                        (SELECT COUNT(*) FROM contacts WHERE bucket >= @first AND merged_into IS NULL)
                    """,
                    parameters => parameters.Add("first", firstControlBucket),
                    row => (All: row.GetLong(0), Control: row.GetLong(1)),
                    cancellationToken).ConfigureAwait(false);

                // Per converter first (its conversions and revenue in the period), then both sides in one pass of conditional
                // sums: grouping the converters by side instead sorted them all in a temporary b-tree (twice the time).
                const string Control = "bucket >= @first";
                var sums = await session.QueryAsync(
                    $"""
                    SELECT COUNT(CASE WHEN {Control} THEN 1 END), SUM(CASE WHEN {Control} THEN n ELSE 0 END),
                        SUM(CASE WHEN {Control} THEN revenue ELSE 0 END), SUM(CASE WHEN {Control} THEN CAST(revenue AS DOUBLE PRECISION) * revenue ELSE 0 END),
                        COUNT(CASE WHEN NOT ({Control}) THEN 1 END), SUM(CASE WHEN NOT ({Control}) THEN n ELSE 0 END),
                        SUM(CASE WHEN NOT ({Control}) THEN revenue ELSE 0 END), SUM(CASE WHEN NOT ({Control}) THEN CAST(revenue AS DOUBLE PRECISION) * revenue ELSE 0 END)
                    FROM (SELECT contact_id, MAX(bucket) AS bucket, COUNT(*) AS n, SUM(revenue) AS revenue FROM conversions
                          WHERE at >= @from AND at < @to GROUP BY contact_id) converters
                    """,
                    parameters =>
                    {
                        parameters.AddTime("from", since);
                        parameters.AddTime("to", until);
                        parameters.Add("first", firstControlBucket);
                    },
                    row =>
                    {
                        (long Converters, long Conversions, long Cents, double Squares) Side(int first) => (
                            row.GetLong(first),
                            row.Reader.IsDBNull(first + 1) ? 0 : row.GetLong(first + 1),
                            row.Reader.IsDBNull(first + 2) ? 0 : Convert.ToInt64(row.Reader.GetValue(first + 2), CultureInfo.InvariantCulture),
                            row.Reader.IsDBNull(first + 3) ? 0 : Convert.ToDouble(row.Reader.GetValue(first + 3), CultureInfo.InvariantCulture));
                        return (Control: Side(0), Others: Side(4));
                    },
                    cancellationToken).ConfigureAwait(false);
                static ControlGroupSide Side((long Converters, long Conversions, long Cents, double Squares) side, long population) =>
                    new(population, side.Converters, side.Conversions, side.Cents / 100m, side.Squares / 10_000);

                var (all, inControl) = contacts[0];
                return new ControlGroupCounts(Side(sums[0].Control, inControl), Side(sums[0].Others, all - inControl));
            },
            cancellationToken);
}
