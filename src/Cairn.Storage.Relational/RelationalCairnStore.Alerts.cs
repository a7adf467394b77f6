using Cairn.Core;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// <see cref="IAlertStore"/>: the watcher's reads of existing tables (each a range of an index: enrollments_entered,
/// outbox_created, outbox_queued) and its own tables (migration 0027): incidents, their deliveries, baselines and state.
/// </summary>
public abstract partial class RelationalCairnStore
{
    private const string IncidentColumns = "id, detector, subject, status, summary, opened_at, updated_at, resolved_at, acknowledged_at, acknowledged_by, clear_passes, observation, timeline";

    private const string AlertDeliveryColumns = "id, incident_id, kind, destination, payload, status, attempts, next_attempt_at, created_at, sent_at, last_error";

    /// <inheritdoc />
    public Task<IReadOnlyList<JourneyHourCounts>> CountJourneyActivityAsync(DateTimeOffset start, DateTimeOffset until, CancellationToken cancellationToken) =>
        WithSessionAsync<IReadOnlyList<JourneyHourCounts>>(
            async session =>
            {
                void Bind(Parameters parameters)
                {
                    parameters.AddTime("from", start);
                    parameters.AddTime("to", until);
                }

                var entries = await session.QueryAsync(
                    "SELECT journey_id, COUNT(*) FROM enrollments WHERE entered_at >= @from AND entered_at < @to GROUP BY journey_id",
                    Bind,
                    static row => (Journey: row.GetText(0), Count: row.GetLong(1)),
                    cancellationToken).ConfigureAwait(false);
                var sends = await session.QueryAsync(
                    $"SELECT journey_id, COUNT(*) FROM outbox WHERE created_at >= @from AND created_at < @to AND channel <> '{OwnerChannel}' GROUP BY journey_id",
                    Bind,
                    static row => (Journey: row.GetText(0), Count: row.GetLong(1)),
                    cancellationToken).ConfigureAwait(false);
                var entered = entries.ToDictionary(entry => entry.Journey, entry => entry.Count, StringComparer.Ordinal);
                var sent = sends.ToDictionary(send => send.Journey, send => send.Count, StringComparer.Ordinal);
                return [.. entered.Keys.Union(sent.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
                    .Select(journey => new JourneyHourCounts(journey, entered.GetValueOrDefault(journey), sent.GetValueOrDefault(journey)))];
            },
            cancellationToken);

    // Hand-off alerts to owners are not a journey's sends to its contacts.
    private const string OwnerChannel = "owner";

    /// <inheritdoc />
    public async Task<IReadOnlyList<DeliveryFeedbackCounts>> CountDeliveryFeedbackAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"""
            SELECT channel, COUNT(*),
                SUM(CASE WHEN status = '{MessageStatus.Bounced}' THEN 1 ELSE 0 END),
                SUM(CASE WHEN complained_at IS NOT NULL THEN 1 ELSE 0 END),
                SUM(CASE WHEN unsubscribed_at IS NOT NULL THEN 1 ELSE 0 END)
            FROM outbox WHERE created_at >= @since AND (sent_at IS NOT NULL OR status = '{MessageStatus.Bounced}') AND channel <> '{OwnerChannel}'
            GROUP BY channel ORDER BY channel
            """,
            parameters => parameters.AddTime("since", since),
            static row => new DeliveryFeedbackCounts(row.GetText(0), row.GetLong(1), row.GetLong(2), row.GetLong(3), row.GetLong(4)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<(string Template, long Count)>> CountRenderErrorsAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT template, COUNT(*) FROM outbox WHERE created_at >= @since AND status = '{MessageStatus.Failed}' AND last_error LIKE 'render error%' GROUP BY template ORDER BY template",
            parameters => parameters.AddTime("since", since),
            static row => (row.GetText(0), row.GetLong(1)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<OutboxBacklog> GetOutboxBacklogAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        (await QueryAsync(
            $"SELECT COUNT(*), MIN(COALESCE(next_attempt_at, created_at)) FROM outbox WHERE {IsQueued} AND COALESCE(next_attempt_at, created_at) <= @now",
            parameters => parameters.AddTime("now", now),
            static row => new OutboxBacklog(row.GetLong(0), row.GetTimeOrNull(1)),
            cancellationToken).ConfigureAwait(false)).Single();

    /// <inheritdoc />
    public async Task<IReadOnlyList<AlertIncident>> GetOpenIncidentsAsync(CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {IncidentColumns} FROM alert_incidents WHERE status = '{AlertStatus.Open}' ORDER BY opened_at, id",
            null,
            ReadIncident,
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<AlertIncident?> GetIncidentAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {IncidentColumns} FROM alert_incidents WHERE id = @id", parameters => parameters.Add("id", id), ReadIncident, cancellationToken).ConfigureAwait(false))
            .SingleOrDefault();

    /// <inheritdoc />
    public async Task<Page<AlertIncident>> QueryIncidentsAsync(AlertQuery query, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var scope = query.Scope();
        (DateTimeOffset Time, string Id) after = default;
        if (cursor is not null && !Cursors.TryReadKey(cursor, 'a', scope, out after.Time, out after.Id))
        {
            throw new InvalidCursorException();
        }

        var rows = await QueryAsync(
            $"SELECT {IncidentColumns} FROM alert_incidents WHERE 1 = 1"
                + (query.Status is null ? string.Empty : " AND status = @status")
                + (query.Detector is null ? string.Empty : " AND detector = @detector")
                + (query.Subject is null ? string.Empty : " AND subject = @subject")
                + (cursor is null ? string.Empty : " AND (opened_at, id) < (@after_time, @after_id)")
                + " ORDER BY opened_at DESC, id DESC LIMIT @limit",
            parameters =>
            {
                if (query.Status is not null)
                {
                    parameters.Add("status", query.Status);
                }

                if (query.Detector is not null)
                {
                    parameters.Add("detector", query.Detector);
                }

                if (query.Subject is not null)
                {
                    parameters.Add("subject", query.Subject);
                }

                if (cursor is not null)
                {
                    parameters.AddTime("after_time", after.Time);
                    parameters.Add("after_id", after.Id);
                }

                parameters.Add("limit", limit + 1);
            },
            ReadIncident,
            cancellationToken).ConfigureAwait(false);
        return Page.Of(rows, limit, last => Cursors.ForKey('a', scope, last.OpenedAt, last.Id));
    }

    /// <inheritdoc />
    public Task<long> CountOpenIncidentsAsync(CancellationToken cancellationToken) =>
        CountAsync($"SELECT COUNT(*) FROM alert_incidents WHERE status = '{AlertStatus.Open}'", null, cancellationToken);

    /// <inheritdoc />
    public Task<bool> AcknowledgeIncidentAsync(string id, string by, DateTimeOffset at, CancellationToken cancellationToken) =>
        WithSessionAsync(
            async session =>
            {
                await session.ExecuteAsync(
                    "UPDATE alert_incidents SET acknowledged_at = @at, acknowledged_by = @by WHERE id = @id AND acknowledged_at IS NULL",
                    parameters =>
                    {
                        parameters.Add("id", id);
                        parameters.Add("by", by);
                        parameters.AddTime("at", at);
                    },
                    cancellationToken).ConfigureAwait(false);
                return await session.ScalarAsync("SELECT 1 FROM alert_incidents WHERE id = @id", parameters => parameters.Add("id", id), cancellationToken).ConfigureAwait(false) is not null;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task SaveAlertPassAsync(AlertPassWrite pass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pass);
        return InTransactionAsync(
            async session =>
            {
                await session.ExecuteManyAsync(
                    $"""
                    INSERT INTO alert_incidents ({IncidentColumns})
                    VALUES (@id, @detector, @subject, @status, @summary, @opened_at, @updated_at, @resolved_at, NULL, NULL, @clear_passes, @observation, @timeline)
                    ON CONFLICT (id) DO UPDATE SET status = excluded.status, summary = excluded.summary, updated_at = excluded.updated_at,
                        resolved_at = excluded.resolved_at, clear_passes = excluded.clear_passes, observation = excluded.observation, timeline = excluded.timeline
                    """,
                    pass.Incidents,
                    static (parameters, incident) =>
                    {
                        parameters.Add("id", incident.Id);
                        parameters.Add("detector", incident.Detector);
                        parameters.Add("subject", incident.Subject);
                        parameters.Add("status", incident.Status);
                        parameters.Add("summary", incident.Summary);
                        parameters.AddTime("opened_at", incident.OpenedAt);
                        parameters.AddTime("updated_at", incident.UpdatedAt);
                        parameters.AddTime("resolved_at", incident.ResolvedAt);
                        parameters.Add("clear_passes", incident.ClearPasses);
                        parameters.Add("observation", incident.Observation);
                        parameters.Add("timeline", incident.Timeline);
                    },
                    cancellationToken).ConfigureAwait(false);
                await session.ExecuteManyAsync(
                    $"INSERT INTO alert_deliveries ({AlertDeliveryColumns}) VALUES (@id, @incident_id, @kind, @destination, @payload, @status, @attempts, @next_attempt_at, @created_at, @sent_at, @last_error) ON CONFLICT (id) DO NOTHING",
                    pass.Deliveries,
                    static (parameters, delivery) =>
                    {
                        parameters.Add("id", delivery.Id);
                        parameters.Add("incident_id", delivery.IncidentId);
                        parameters.Add("kind", delivery.Kind);
                        parameters.Add("destination", delivery.Destination);
                        parameters.Add("payload", delivery.Payload);
                        parameters.Add("status", delivery.Status);
                        parameters.Add("attempts", delivery.Attempts);
                        parameters.AddTime("next_attempt_at", delivery.NextAttemptAt);
                        parameters.AddTime("created_at", delivery.CreatedAt);
                        parameters.AddTime("sent_at", delivery.SentAt);
                        parameters.Add("last_error", delivery.LastError);
                    },
                    cancellationToken).ConfigureAwait(false);
                await session.ExecuteManyAsync(
                    "INSERT INTO alert_baselines (key, mean, variance, observations) VALUES (@key, @mean, @variance, @observations)"
                        + " ON CONFLICT (key) DO UPDATE SET mean = excluded.mean, variance = excluded.variance, observations = excluded.observations",
                    pass.Baselines,
                    static (parameters, baseline) =>
                    {
                        parameters.Add("key", baseline.Key);
                        parameters.Add("mean", baseline.Mean);
                        parameters.Add("variance", baseline.Variance);
                        parameters.Add("observations", baseline.Observations);
                    },
                    cancellationToken).ConfigureAwait(false);
                await session.ExecuteManyAsync(
                    "INSERT INTO alert_state (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    pass.State,
                    static (parameters, entry) =>
                    {
                        parameters.Add("key", entry.Key);
                        parameters.Add("value", entry.Value);
                    },
                    cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AlertBaseline>> GetAlertBaselinesAsync(CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT key, mean, variance, observations FROM alert_baselines ORDER BY key",
            null,
            static row => new AlertBaseline(row.GetText(0), row.GetDouble(1), row.GetDouble(2), row.GetInt(3)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<string?> GetAlertStateAsync(string key, CancellationToken cancellationToken) =>
        (string?)await ScalarAsync("SELECT value FROM alert_state WHERE key = @key", parameters => parameters.Add("key", key), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task SetAlertStateAsync(string key, string value, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "INSERT INTO alert_state (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            parameters =>
            {
                parameters.Add("key", key);
                parameters.Add("value", value);
            },
            cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<AlertDelivery>> GetDueAlertDeliveriesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {AlertDeliveryColumns} FROM alert_deliveries WHERE status = 'queued' AND next_attempt_at <= @now ORDER BY next_attempt_at, id LIMIT @limit",
            parameters =>
            {
                parameters.AddTime("now", now);
                parameters.Add("limit", limit);
            },
            ReadAlertDelivery,
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<AlertDelivery>> GetAlertDeliveriesAsync(string incidentId, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {AlertDeliveryColumns} FROM alert_deliveries WHERE incident_id = @incident_id ORDER BY created_at, id",
            parameters => parameters.Add("incident_id", incidentId),
            ReadAlertDelivery,
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task RecordAlertDeliveryAsync(string id, string status, int attempts, DateTimeOffset nextAttemptAt, DateTimeOffset? sentAt, string? failure, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE alert_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @next_attempt_at, sent_at = @sent_at, last_error = @last_error WHERE id = @id",
            parameters =>
            {
                parameters.Add("id", id);
                parameters.Add("status", status);
                parameters.Add("attempts", attempts);
                parameters.AddTime("next_attempt_at", nextAttemptAt);
                parameters.AddTime("sent_at", sentAt);
                parameters.Add("last_error", failure);
            },
            cancellationToken);

    private static AlertIncident ReadIncident(Row row) => new(
        row.GetText(0),
        row.GetText(1),
        row.GetText(2),
        row.GetText(3),
        row.GetText(4),
        row.GetTime(5),
        row.GetTime(6),
        row.GetTimeOrNull(7),
        row.GetTimeOrNull(8),
        row.GetTextOrNull(9),
        row.GetInt(10),
        row.GetText(11),
        row.GetText(12));

    private static AlertDelivery ReadAlertDelivery(Row row) => new(
        row.GetText(0),
        row.GetText(1),
        row.GetText(2),
        row.GetText(3),
        row.GetText(4),
        row.GetText(5),
        row.GetInt(6),
        row.GetTime(7),
        row.GetTime(8),
        row.GetTimeOrNull(9),
        row.GetTextOrNull(10));
}
