namespace Cairn.Runtime.Storage;

/// <summary>
/// Anomaly alerts (docs/alerts.md): what the watcher reads of the metrics Cairn already keeps (entries and sends per
/// journey and hour, delivery feedback, render failures, the outbox's backlog), and what it keeps itself: incidents, their
/// queued deliveries, its seasonal baselines, its watermark and the alert settings.
/// </summary>
public interface IAlertStore
{
    /// <summary>Entries (enrollments that entered) and sends (messages journeys queued) per journey in [<paramref name="start"/>, <paramref name="until"/>); journeys with neither are absent.</summary>
    Task<IReadOnlyList<JourneyHourCounts>> CountJourneyActivityAsync(DateTimeOffset start, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>Per channel, the messages queued since <paramref name="since"/> that were sent, and how many of them bounced, drew a complaint or an unsubscribe.</summary>
    Task<IReadOnlyList<DeliveryFeedbackCounts>> CountDeliveryFeedbackAsync(DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Per template, the messages queued since <paramref name="since"/> that failed because the template did not render.</summary>
    Task<IReadOnlyList<(string Template, long Count)>> CountRenderErrorsAsync(DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>The queued messages due at <paramref name="now"/>: how many, and when the one waiting longest became due.</summary>
    Task<OutboxBacklog> GetOutboxBacklogAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Every open incident.</summary>
    Task<IReadOnlyList<AlertIncident>> GetOpenIncidentsAsync(CancellationToken cancellationToken);

    /// <summary>The incident, or null.</summary>
    Task<AlertIncident?> GetIncidentAsync(string id, CancellationToken cancellationToken);

    /// <summary>Incidents newest first (by opening), filtered, a page at a time; throws <see cref="InvalidCursorException"/> on a cursor of another query.</summary>
    Task<Page<AlertIncident>> QueryIncidentsAsync(AlertQuery query, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>How many incidents are open.</summary>
    Task<long> CountOpenIncidentsAsync(CancellationToken cancellationToken);

    /// <summary>Marks the incident acknowledged by <paramref name="by"/> (the first acknowledgement stays). False when there is no such incident.</summary>
    Task<bool> AcknowledgeIncidentAsync(string id, string by, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Commits one watcher pass in one transaction: incidents opened, updated or resolved (never their acknowledgement),
    /// the deliveries their openings and resolutions queue (a delivery id already stored is kept as it is), baselines and state.
    /// </summary>
    Task SaveAlertPassAsync(AlertPassWrite pass, CancellationToken cancellationToken);

    /// <summary>Every stored baseline.</summary>
    Task<IReadOnlyList<AlertBaseline>> GetAlertBaselinesAsync(CancellationToken cancellationToken);

    /// <summary>A value of the watcher's state (its watermark, the settings), or null.</summary>
    Task<string?> GetAlertStateAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores a value of the watcher's state.</summary>
    Task SetAlertStateAsync(string key, string value, CancellationToken cancellationToken);

    /// <summary>Queued deliveries due at <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<AlertDelivery>> GetDueAlertDeliveriesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>The deliveries of an incident, oldest first.</summary>
    Task<IReadOnlyList<AlertDelivery>> GetAlertDeliveriesAsync(string incidentId, CancellationToken cancellationToken);

    /// <summary>Records an attempt: <paramref name="status"/> sent, queued (retried at <paramref name="nextAttemptAt"/>) or failed.</summary>
    Task RecordAlertDeliveryAsync(string id, string status, int attempts, DateTimeOffset nextAttemptAt, DateTimeOffset? sentAt, string? failure, CancellationToken cancellationToken);
}

/// <summary>A journey's activity in one period.</summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Entries">Enrollments that entered it.</param>
/// <param name="Sends">Messages its steps queued.</param>
public sealed record JourneyHourCounts(string JourneyId, long Entries, long Sends);

/// <summary>A channel's delivery feedback over a window.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Sent">Messages sent.</param>
/// <param name="Bounced">Of them, bounced.</param>
/// <param name="Complained">Of them, reported as spam.</param>
/// <param name="Unsubscribed">Of them, the recipient unsubscribed through.</param>
public sealed record DeliveryFeedbackCounts(string Channel, long Sent, long Bounced, long Complained, long Unsubscribed);

/// <summary>The outbox's due messages.</summary>
/// <param name="Due">How many queued messages are due.</param>
/// <param name="OldestDueAt">When the longest-waiting one became due; null when none is.</param>
public sealed record OutboxBacklog(long Due, DateTimeOffset? OldestDueAt);

/// <summary>The status of an incident.</summary>
public static class AlertStatus
{
    /// <summary>The condition holds.</summary>
    public const string Open = "open";

    /// <summary>The condition cleared.</summary>
    public const string Resolved = "resolved";
}

/// <summary>One incident: a detector's condition about one subject, from opening to resolution.</summary>
/// <param name="Id">Its id (<c>inc_…</c>).</param>
/// <param name="Detector">The detector (<c>journey_entries</c>, <c>complaint_rate</c> …).</param>
/// <param name="Subject">What it concerns: a journey, a channel, a template, or <c>outbox</c> / <c>timers</c>.</param>
/// <param name="Status"><see cref="AlertStatus.Open"/> or <see cref="AlertStatus.Resolved"/>.</param>
/// <param name="Summary">One line a person reads.</param>
/// <param name="OpenedAt">When it opened.</param>
/// <param name="UpdatedAt">When the watcher last observed it.</param>
/// <param name="ResolvedAt">When it resolved.</param>
/// <param name="AcknowledgedAt">When a person acknowledged it.</param>
/// <param name="AcknowledgedBy">Who.</param>
/// <param name="ClearPasses">Consecutive evaluations the condition has been clear (it resolves at the configured number).</param>
/// <param name="Observation">The latest observation, JSON (value, expected, threshold …).</param>
/// <param name="Timeline">What happened, JSON array of <c>{at, kind, summary}</c>, capped.</param>
public sealed record AlertIncident(
    string Id,
    string Detector,
    string Subject,
    string Status,
    string Summary,
    DateTimeOffset OpenedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy,
    int ClearPasses,
    string Observation,
    string Timeline);

/// <summary>One notification of an incident's opening or resolution to one destination.</summary>
/// <param name="Id">Its id, the <c>webhook-id</c> (the same on every retry).</param>
/// <param name="IncidentId">The incident.</param>
/// <param name="Kind"><c>opened</c> or <c>resolved</c>.</param>
/// <param name="Destination"><c>webhook</c> or <c>email</c>.</param>
/// <param name="Payload">The JSON body.</param>
/// <param name="Status">queued, sent or failed.</param>
/// <param name="Attempts">Attempts so far.</param>
/// <param name="NextAttemptAt">When it is (next) due.</param>
/// <param name="CreatedAt">When it was queued.</param>
/// <param name="SentAt">When it was delivered.</param>
/// <param name="LastError">Why the last attempt failed.</param>
public sealed record AlertDelivery(
    string Id,
    string IncidentId,
    string Kind,
    string Destination,
    string Payload,
    string Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SentAt,
    string? LastError);

/// <summary>An exponentially weighted mean and variance of one measure in one seasonal slot.</summary>
/// <param name="Key">The slot (<c>{journey}|{measure}|how{0–167}</c> or <c>|hod{0–23}</c>).</param>
/// <param name="Mean">The weighted mean.</param>
/// <param name="Variance">The weighted variance.</param>
/// <param name="Observations">How many observations it has seen.</param>
public sealed record AlertBaseline(string Key, double Mean, double Variance, int Observations);

/// <summary>What one watcher pass writes (<see cref="IAlertStore.SaveAlertPassAsync"/>).</summary>
/// <param name="Incidents">Incidents opened, updated or resolved.</param>
/// <param name="Deliveries">Deliveries queued.</param>
/// <param name="Baselines">Baselines changed.</param>
/// <param name="State">State values changed.</param>
public sealed record AlertPassWrite(
    IReadOnlyList<AlertIncident> Incidents,
    IReadOnlyList<AlertDelivery> Deliveries,
    IReadOnlyList<AlertBaseline> Baselines,
    IReadOnlyDictionary<string, string> State);

/// <summary>Which incidents to list; a filter left null matches every one.</summary>
/// <param name="Status">open or resolved.</param>
/// <param name="Detector">Only this detector's.</param>
/// <param name="Subject">Only about this subject.</param>
public sealed record AlertQuery(string? Status = null, string? Detector = null, string? Subject = null)
{
    /// <summary>The fingerprint of the filters, for the cursor.</summary>
    public string Scope() => Cursors.Scope(Status, Detector, Subject);
}
