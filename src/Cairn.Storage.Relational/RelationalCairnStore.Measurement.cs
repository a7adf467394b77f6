using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="IJourneyIndex.GetEnrollmentGroupsAsync"/>: the groups the lift and experiment reports compare.</summary>
public abstract partial class RelationalCairnStore
{
    // A range of the (journey_id, entered_at) index; the NOT EXISTS keeps each contact's first enrollment in the period and
    // is one seek of the primary key (contact_id, enrollment_id) per row, since a contact has few enrollments. The
    // "|| ''" stops SQLite's planner from probing the (journey_id, entered_at) index instead, which made the subquery a
    // scan of the journey's entries per row (quadratic); it means the same on both providers.
    private const string EnrollmentGroupsSql = """
        SELECT e.control, e.arm, COUNT(*),
            SUM(CASE WHEN e.converted_at IS NOT NULL THEN 1 ELSE 0 END),
            SUM(CASE WHEN e.converted_at IS NOT NULL AND e.revenue IS NOT NULL THEN e.revenue ELSE 0 END),
            SUM(CASE WHEN e.converted_at IS NOT NULL AND e.revenue IS NOT NULL THEN e.revenue * e.revenue ELSE 0 END)
        FROM enrollments e
        WHERE e.journey_id = @journey_id AND e.entered_at >= @from AND e.entered_at < @to/*e.version*/
            AND NOT EXISTS (
                SELECT 1 FROM enrollments p
                WHERE p.contact_id = e.contact_id AND p.journey_id || '' = e.journey_id AND p.entered_at >= @from/*p.version*/
                    AND (p.entered_at < e.entered_at OR (p.entered_at = e.entered_at AND p.enrollment_id < e.enrollment_id)))
        GROUP BY e.control, e.arm
        ORDER BY e.control, e.arm
        """;

    /// <inheritdoc />
    public async Task<IReadOnlyList<EnrollmentGroup>> GetEnrollmentGroupsAsync(string journeyId, DateTimeOffset since, DateTimeOffset until, int? version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        var sql = EnrollmentGroupsSql
            .Replace("/*e.version*/", version is null ? string.Empty : " AND e.version = @version", StringComparison.Ordinal)
            .Replace("/*p.version*/", version is null ? string.Empty : " AND p.version = @version", StringComparison.Ordinal);
        return await QueryAsync(
            sql,
            parameters =>
            {
                parameters.Add("journey_id", journeyId);
                parameters.AddTime("from", since);
                parameters.AddTime("to", until);
                if (version is { } number)
                {
                    parameters.Add("version", number);
                }
            },
            static row => new EnrollmentGroup(row.GetBool(0), row.GetTextOrNull(1), row.GetLong(2), row.GetLong(3), row.GetDouble(4), row.GetDouble(5)),
            cancellationToken).ConfigureAwait(false);
    }
}
