using Cairn.Core;
using Cairn.Core.Journeys.Engine;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// <see cref="IJourneyIndex"/>: timers, journey statistics, reviews, enrollments and segment members (written by the
/// commit's <see cref="TimerRows"/>, <see cref="JourneyMoveRows"/>, <see cref="JourneyConversionRows"/>,
/// <see cref="ReviewRows"/>, <see cref="EnrollmentRows"/> and <see cref="SegmentMemberRows"/>).
/// </summary>
public abstract partial class RelationalCairnStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredTimer>> GetDueTimersAsync(DateTimeOffset until, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT contact_id, enrollment_id, step_id, due_at FROM timers WHERE due_at <= @until ORDER BY due_at LIMIT @limit",
            parameters =>
            {
                parameters.AddTime("until", until);
                parameters.Add("limit", limit);
            },
            static row => new StoredTimer(row.GetContactId(0), row.GetText(1), row.GetText(2), row.GetTime(3)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<DateTimeOffset?> GetNextTimerAsync(CancellationToken cancellationToken) =>
        (await QueryAsync("SELECT due_at FROM timers ORDER BY due_at LIMIT 1", null, static row => (DateTimeOffset?)row.GetTime(0), cancellationToken).ConfigureAwait(false))
            .FirstOrDefault();

    /// <inheritdoc />
    public Task<(IReadOnlyList<JourneyMoveCount> Moves, IReadOnlyList<JourneyConversionCount> Conversions)> GetJourneyStatsAsync(string journeyId, CancellationToken cancellationToken) =>
        WithSessionAsync<(IReadOnlyList<JourneyMoveCount>, IReadOnlyList<JourneyConversionCount>)>(
            async session =>
            {
                var moves = await session.QueryAsync(
                    "SELECT version, from_step, exit, to_step, count FROM journey_moves WHERE journey_id = @journey_id ORDER BY version, from_step, exit, to_step",
                    parameters => parameters.Add("journey_id", journeyId),
                    static row => new JourneyMoveCount(row.GetInt(0), row.GetText(1), row.GetText(2), row.GetText(3), row.GetLong(4)),
                    cancellationToken).ConfigureAwait(false);
                var conversions = await session.QueryAsync(
                    "SELECT version, arm, control, count FROM journey_conversions WHERE journey_id = @journey_id ORDER BY version, arm, control",
                    parameters => parameters.Add("journey_id", journeyId),
                    static row => new JourneyConversionCount(row.GetInt(0), row.GetText(1), row.GetBool(2), row.GetLong(3)),
                    cancellationToken).ConfigureAwait(false);
                return (moves, conversions);
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<JourneyActivity>> GetJourneyActivityAsync(DateTimeOffset recent, DateTimeOffset since, CancellationToken cancellationToken) =>
        WithSessionAsync<IReadOnlyList<JourneyActivity>>(
            async session =>
            {
                void Window(Parameters parameters)
                {
                    parameters.AddTime("recent", recent);
                    parameters.AddTime("since", since);
                }

                // Each a range of an index (entered_at, converted_at, reviews' ended_at), grouped: never a scan of contacts.
                var entries = await CountAsync(session, "SELECT journey_id, SUM(CASE WHEN entered_at >= @recent THEN 1 ELSE 0 END), COUNT(*) FROM enrollments WHERE entered_at >= @since GROUP BY journey_id", Window, cancellationToken).ConfigureAwait(false);
                var conversions = await CountAsync(session, "SELECT journey_id, SUM(CASE WHEN converted_at >= @recent THEN 1 ELSE 0 END), COUNT(*) FROM enrollments WHERE converted_at >= @since GROUP BY journey_id", Window, cancellationToken).ConfigureAwait(false);
                var reviews = await CountAsync(session, "SELECT journey_id, SUM(CASE WHEN ended_at >= @recent THEN 1 ELSE 0 END), COUNT(*) FROM journey_reviews WHERE ended_at >= @since GROUP BY journey_id", Window, cancellationToken).ConfigureAwait(false);
                var errors = await CountAsync(session, "SELECT journey_id, SUM(count), SUM(count) FROM journey_moves WHERE exit = @exit GROUP BY journey_id", parameters => parameters.Add("exit", Core.Journeys.JourneyStep.ErrorExit), cancellationToken).ConfigureAwait(false);
                return entries.Keys.Union(conversions.Keys).Union(reviews.Keys).Union(errors.Keys).Order(StringComparer.Ordinal)
                    .Select(journey => new JourneyActivity(
                        journey,
                        entries.GetValueOrDefault(journey).Recent,
                        entries.GetValueOrDefault(journey).All,
                        conversions.GetValueOrDefault(journey).Recent,
                        conversions.GetValueOrDefault(journey).All,
                        reviews.GetValueOrDefault(journey).Recent,
                        reviews.GetValueOrDefault(journey).All,
                        errors.GetValueOrDefault(journey).All))
                    .ToList();
            },
            cancellationToken);

    private static async Task<Dictionary<string, (long Recent, long All)>> CountAsync(SqlSession session, string sql, Action<Parameters> parameters, CancellationToken cancellationToken) =>
        (await session.QueryAsync(sql, parameters, static row => (Journey: row.GetText(0), Recent: row.GetLong(1), All: row.GetLong(2)), cancellationToken).ConfigureAwait(false))
            .ToDictionary(row => row.Journey, row => (row.Recent, row.All), StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task<IReadOnlyList<JourneyReview>> GetJourneyReviewsAsync(string journeyId, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT version, enrollment_id, contact_id, reason, ended_at FROM journey_reviews WHERE journey_id = @journey_id ORDER BY ended_at DESC LIMIT @limit",
            parameters =>
            {
                parameters.Add("journey_id", journeyId);
                parameters.Add("limit", limit);
            },
            row => new JourneyReview(journeyId, row.GetInt(0), row.GetText(1), row.GetContactId(2), row.GetText(3), row.GetTime(4)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactId>> ListEnrolledContactIdsAsync(string journeyId, int beforeVersion, string? after, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT contact_id FROM enrollments WHERE journey_id = @journey_id AND ended_at IS NULL AND version < @version AND contact_id > @after ORDER BY contact_id LIMIT @limit",
            parameters =>
            {
                parameters.Add("journey_id", journeyId);
                parameters.Add("version", beforeVersion);
                parameters.Add("after", after ?? string.Empty);
                parameters.Add("limit", limit);
            },
            static row => row.GetContactId(0),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<Enrollment>> GetEndedEnrollmentsAsync(ContactId contactId, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT state FROM enrollments WHERE contact_id = @contact_id AND ended_at IS NOT NULL ORDER BY ended_at DESC, enrollment_id LIMIT @limit",
            parameters =>
            {
                parameters.Add("contact_id", contactId.ToString());
                parameters.Add("limit", limit);
            },
            static row => JourneyMembershipsJson.Deserialize(row.GetText(0)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, long>> CountActiveEnrollmentsAsync(CancellationToken cancellationToken) =>
        CountByKeyAsync("SELECT journey_id, COUNT(*) FROM enrollments WHERE ended_at IS NULL GROUP BY journey_id", cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<SegmentMember>> GetSegmentMembersAsync(string segmentId, string? after, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT contact_id, entered_at, reason FROM segment_members WHERE segment_id = @segment_id AND contact_id > @after ORDER BY contact_id LIMIT @limit",
            parameters =>
            {
                parameters.Add("segment_id", segmentId);
                parameters.Add("after", after ?? string.Empty);
                parameters.Add("limit", limit);
            },
            static row => new SegmentMember(row.GetContactId(0), row.GetTime(1), row.GetText(2)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, long>> CountSegmentMembersAsync(CancellationToken cancellationToken) =>
        CountByKeyAsync("SELECT segment_id, COUNT(*) FROM segment_members GROUP BY segment_id", cancellationToken);

    /// <summary>Reads <c>SELECT key, COUNT(*) … GROUP BY key</c> into a dictionary.</summary>
    private async Task<IReadOnlyDictionary<string, long>> CountByKeyAsync(string sql, CancellationToken cancellationToken) =>
        (await QueryAsync(sql, null, static row => (Key: row.GetText(0), Count: row.GetLong(1)), cancellationToken).ConfigureAwait(false))
            .ToDictionary(count => count.Key, count => count.Count, StringComparer.Ordinal);
}
