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
                var contacts = await session.QueryAsync(
                    "SELECT COUNT(*), COUNT(CASE WHEN bucket >= @first THEN 1 END) FROM contacts WHERE merged_into IS NULL",
                    parameters => parameters.Add("first", firstControlBucket),
                    row => (All: row.GetLong(0), Control: row.GetLong(1)),
                    cancellationToken).ConfigureAwait(false);

                // Per converter first (its conversions and revenue in the period), then per side: sums and sums of squares.
                var sides = await session.QueryAsync(
                    """
                    SELECT CASE WHEN bucket >= @first THEN 1 ELSE 0 END, COUNT(*), SUM(n), SUM(revenue), SUM(CAST(revenue AS DOUBLE PRECISION) * revenue)
                    FROM (SELECT contact_id, MAX(bucket) AS bucket, COUNT(*) AS n, SUM(revenue) AS revenue FROM conversions
                          WHERE at >= @from AND at < @to GROUP BY contact_id) converters
                    GROUP BY 1
                    """,
                    parameters =>
                    {
                        parameters.AddTime("from", since);
                        parameters.AddTime("to", until);
                        parameters.Add("first", firstControlBucket);
                    },
                    row => (Control: row.GetLong(0) == 1, Converters: row.GetLong(1), Conversions: row.GetLong(2), Cents: row.GetLong(3), Squares: Convert.ToDouble(row.Reader.GetValue(4), CultureInfo.InvariantCulture)),
                    cancellationToken).ConfigureAwait(false);
                ControlGroupSide Side(bool control, long population)
                {
                    var side = sides.FirstOrDefault(side => side.Control == control);
                    return new ControlGroupSide(population, side.Converters, side.Conversions, side.Cents / 100m, side.Squares / 10_000);
                }

                var (all, inControl) = contacts[0];
                return new ControlGroupCounts(Side(true, inControl), Side(false, all - inControl));
            },
            cancellationToken);
}
