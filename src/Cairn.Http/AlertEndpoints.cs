using Cairn.Messaging;
using Cairn.Messaging.Alerts;

namespace Cairn.Http;

/// <summary>
/// Anomaly alerts (<c>/api/alerts</c>, docs/alerts.md): the incidents the watcher opened and resolved, one incident with its
/// timeline and deliveries, acknowledgement (editor), and the thresholds and destinations (admin; the webhook secret is
/// shown once when it is generated or set, afterwards only its first characters).
/// </summary>
internal static class AlertEndpoints
{
    /// <summary>Maps <c>/alerts</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapAlerts(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var alerts = api.MapGroup("/alerts").WithTags("Alerts");
        alerts.MapGet("/", ListAsync)
            .WithSummary("Incidents newest first, with how many are open. Filters: status (open, resolved), detector, subject. Paged: `limit` (default 50, at most 500), `cursor` the `nextCursor` of the page before (400 when it is not one of this query).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        alerts.MapGet("/settings", GetSettingsAsync).RequireAdmin()
            .WithSummary("The alert thresholds and destinations (the webhook secret only by its first characters).");
        alerts.MapPut("/settings", PutSettingsAsync).RequireAdmin().Audited("settings.changed", "settings", targetId: "alerts")
            .WithSummary("Changes the thresholds and destinations: a field left out (or null) keeps its value; `webhookUrl: \"\"` removes the webhook, `emailTo: []` the email, `droughtWindowMinutes: 0` the fixed drought window; `webhookSecret: \"generate\"` (or a webhook without a secret yet) makes a new secret, shown once in the answer.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        alerts.MapGet("/{id}", GetAsync)
            .WithSummary("One incident with its timeline (opened, observed, acknowledged, resolved) and its deliveries.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        alerts.MapPost("/{id}/acknowledge", AcknowledgeAsync).Audited("alert.acknowledged", "alert")
            .WithSummary("A person acknowledges the incident (recorded with who; the first acknowledgement stays). It stays open until its condition clears.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<AlertListView>, ProblemHttpResult>> ListAsync(string? status, string? detector, string? subject, int? limit, string? cursor, IAlertStore alertStore, CancellationToken cancellationToken)
    {
        if (status is not (null or AlertStatus.Open or AlertStatus.Resolved))
        {
            return Problems.BadRequest("status is open or resolved.");
        }

        if (limit is < 1 or > 500 || detector?.Length > 100 || subject?.Length > 300)
        {
            return Problems.BadRequest("limit must be between 1 and 500; detector and subject at most 100 and 300 characters.");
        }

        Page<AlertIncident> page;
        try
        {
            page = await alertStore.QueryIncidentsAsync(new AlertQuery(status, detector, subject), cursor, limit ?? 50, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidCursorException)
        {
            return Problems.BadRequest("The cursor is not one of this query.");
        }

        var open = await alertStore.CountOpenIncidentsAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new AlertListView(open, [.. page.Items.Select(AlertView.From)], page.NextCursor));
    }

    private static async Task<Results<Ok<AlertDetailView>, ProblemHttpResult>> GetAsync(string id, IAlertStore alertStore, CancellationToken cancellationToken)
    {
        if (await alertStore.GetIncidentAsync(id, cancellationToken).ConfigureAwait(false) is not { } incident)
        {
            return Problems.NotFound($"There is no incident '{id}'.");
        }

        var deliveries = await alertStore.GetAlertDeliveriesAsync(id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new AlertDetailView(
            AlertView.From(incident),
            JsonDocument.Parse(incident.Observation).RootElement.Clone(),
            Timeline(incident),
            [.. deliveries.Select(delivery => new AlertDeliveryView(delivery.Id, delivery.Kind, delivery.Destination, delivery.Status, delivery.Attempts, delivery.SentAt, delivery.Status == "queued" ? delivery.NextAttemptAt : null, delivery.LastError))]));
    }

    // The stored timeline, with the acknowledgement (kept in its own columns) in its place.
    private static List<AlertTimelineEntry> Timeline(AlertIncident incident)
    {
        var entries = JsonSerializer.Deserialize<List<AlertTimelineEntry>>(incident.Timeline, JsonSerializerOptions.Web) ?? [];
        if (incident.AcknowledgedAt is { } at)
        {
            entries.Add(new AlertTimelineEntry(at, "acknowledged", $"Acknowledged by {incident.AcknowledgedBy}"));
        }

        return [.. entries.OrderBy(entry => entry.At)];
    }

    private static async Task<Results<Ok<AlertView>, ProblemHttpResult>> AcknowledgeAsync(string id, HttpContext context, IAlertStore alertStore, TimeProvider time)
    {
        var by = Caller.Of(context)?.Name ?? "api";
        if (!await alertStore.AcknowledgeIncidentAsync(id, by, time.GetUtcNow(), context.RequestAborted).ConfigureAwait(false))
        {
            return Problems.NotFound($"There is no incident '{id}'.");
        }

        return TypedResults.Ok(AlertView.From((await alertStore.GetIncidentAsync(id, context.RequestAborted).ConfigureAwait(false))!));
    }

    private static async Task<Ok<AlertSettingsView>> GetSettingsAsync(AlertWatcher watcher, CancellationToken cancellationToken) =>
        TypedResults.Ok(AlertSettingsView.From(await watcher.GetSettingsAsync(cancellationToken).ConfigureAwait(false), shownSecret: null));

    private static async Task<Results<Ok<AlertSettingsView>, ProblemHttpResult>> PutSettingsAsync(HttpContext context, AlertWatcher watcher, CancellationToken cancellationToken)
    {
        RequestBody.RequireJson(context.Request);
        var body = await RequestBody.ParseAsync(context.Request, 64 * 1024, "64 KiB", cancellationToken).ConfigureAwait(false);
        AlertSettingsRequest? request;
        try
        {
            request = body.Deserialize<AlertSettingsRequest>(JsonSerializerOptions.Web);
        }
        catch (JsonException exception)
        {
            return Problems.BadRequest($"The settings are not valid: {exception.Message}");
        }

        if (request is null)
        {
            return Problems.BadRequest("Send the settings as a JSON object.");
        }

        var current = await watcher.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        Uri? webhook = current.WebhookUrl;
        if (request.WebhookUrl is { } url)
        {
            if (url.Length == 0)
            {
                webhook = null;
            }
            else if (!Uri.TryCreate(url, UriKind.Absolute, out webhook))
            {
                return Problems.BadRequest("The settings are not valid; see 'errors'.", new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["webhookUrl"] = ["an absolute http(s) URL"] } });
            }
        }

        string? shown = null;
        var secret = current.WebhookSecret;
        if (request.WebhookSecret is "generate" || (webhook is not null && secret is null && request.WebhookSecret is null))
        {
            secret = shown = StandardWebhooks.NewSecret();
        }
        else if (request.WebhookSecret is { } given)
        {
            secret = shown = given;
        }

        var next = current with
        {
            JourneySigma = request.JourneySigma ?? current.JourneySigma,
            JourneyResolveSigma = request.JourneyResolveSigma ?? current.JourneyResolveSigma,
            JourneyMinVolume = request.JourneyMinVolume ?? current.JourneyMinVolume,
            JourneyMinChange = request.JourneyMinChange ?? current.JourneyMinChange,
            BaselineMinHistory = request.BaselineMinHistory ?? current.BaselineMinHistory,
            BaselineAlpha = request.BaselineAlpha ?? current.BaselineAlpha,
            DroughtFactor = request.DroughtFactor ?? current.DroughtFactor,
            DroughtMinMinutes = request.DroughtMinMinutes ?? current.DroughtMinMinutes,
            DroughtWindowMinutes = request.DroughtWindowMinutes is 0 ? null : request.DroughtWindowMinutes ?? current.DroughtWindowMinutes,
            DroughtMinEvents = request.DroughtMinEvents ?? current.DroughtMinEvents,
            RateWindowHours = request.RateWindowHours ?? current.RateWindowHours,
            RateMinSent = request.RateMinSent ?? current.RateMinSent,
            BounceRate = request.BounceRate ?? current.BounceRate,
            ComplaintRate = request.ComplaintRate ?? current.ComplaintRate,
            UnsubscribeRate = request.UnsubscribeRate ?? current.UnsubscribeRate,
            RenderErrorWindowMinutes = request.RenderErrorWindowMinutes ?? current.RenderErrorWindowMinutes,
            RenderErrorMin = request.RenderErrorMin ?? current.RenderErrorMin,
            OutboxMaxAgeMinutes = request.OutboxMaxAgeMinutes ?? current.OutboxMaxAgeMinutes,
            OutboxMaxDue = request.OutboxMaxDue ?? current.OutboxMaxDue,
            TimerMaxLagMinutes = request.TimerMaxLagMinutes ?? current.TimerMaxLagMinutes,
            ResolveAfter = request.ResolveAfter ?? current.ResolveAfter,
            WebhookUrl = webhook,
            WebhookSecret = secret,
            EmailTo = request.EmailTo ?? current.EmailTo,
        };
        var errors = next.Validate();
        if (errors.Count > 0)
        {
            return Problems.BadRequest("The settings are not valid; see 'errors'.", new Dictionary<string, object?> { ["errors"] = errors });
        }

        await watcher.SaveSettingsAsync(next, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(AlertSettingsView.From(next, shown));
    }
}

/// <summary>A page of incidents and how many are open (the console's badge).</summary>
internal sealed record AlertListView(long Open, IReadOnlyList<AlertView> Incidents, string? NextCursor);

/// <summary>One incident.</summary>
internal sealed record AlertView(string Id, string Detector, string Subject, string Status, string Summary, DateTimeOffset OpenedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ResolvedAt, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy)
{
    public static AlertView From(AlertIncident incident) => new(
        incident.Id, incident.Detector, incident.Subject, incident.Status, incident.Summary, incident.OpenedAt, incident.UpdatedAt, incident.ResolvedAt, incident.AcknowledgedAt, incident.AcknowledgedBy);
}

/// <summary>One incident with its latest observation, its timeline and its deliveries.</summary>
internal sealed record AlertDetailView(AlertView Incident, JsonElement Observation, IReadOnlyList<AlertTimelineEntry> Timeline, IReadOnlyList<AlertDeliveryView> Deliveries);

/// <summary>One event of an incident's life: opened, observed, acknowledged, resolved.</summary>
internal sealed record AlertTimelineEntry(DateTimeOffset At, string Kind, string Summary);

/// <summary>One delivery of an opening or a resolution.</summary>
internal sealed record AlertDeliveryView(string Id, string Kind, string Destination, string Status, int Attempts, DateTimeOffset? SentAt, DateTimeOffset? NextAttemptAt, string? LastError);

/// <summary>The settings as the API shows them: the secret only by its first characters, unless it was just made or set.</summary>
internal sealed record AlertSettingsView(
    double JourneySigma,
    double JourneyResolveSigma,
    double JourneyMinVolume,
    double JourneyMinChange,
    int BaselineMinHistory,
    double BaselineAlpha,
    double DroughtFactor,
    int DroughtMinMinutes,
    int? DroughtWindowMinutes,
    int DroughtMinEvents,
    int RateWindowHours,
    int RateMinSent,
    double BounceRate,
    double ComplaintRate,
    double UnsubscribeRate,
    int RenderErrorWindowMinutes,
    int RenderErrorMin,
    int OutboxMaxAgeMinutes,
    int OutboxMaxDue,
    int TimerMaxLagMinutes,
    int ResolveAfter,
    string? WebhookUrl,
    string? WebhookSecretHint,
    string? WebhookSecret,
    IReadOnlyList<string> EmailTo)
{
    public static AlertSettingsView From(AlertSettings settings, string? shownSecret) => new(
        settings.JourneySigma, settings.JourneyResolveSigma, settings.JourneyMinVolume, settings.JourneyMinChange, settings.BaselineMinHistory, settings.BaselineAlpha,
        settings.DroughtFactor, settings.DroughtMinMinutes, settings.DroughtWindowMinutes, settings.DroughtMinEvents, settings.RateWindowHours, settings.RateMinSent,
        settings.BounceRate, settings.ComplaintRate, settings.UnsubscribeRate, settings.RenderErrorWindowMinutes, settings.RenderErrorMin, settings.OutboxMaxAgeMinutes,
        settings.OutboxMaxDue, settings.TimerMaxLagMinutes, settings.ResolveAfter, settings.WebhookUrl?.OriginalString,
        settings.WebhookSecret is { } secret ? secret[..Math.Min(10, secret.Length)] + "…" : null, shownSecret, settings.EmailTo);
}

/// <summary>A change of the settings: a field left null keeps its value.</summary>
internal sealed record AlertSettingsRequest(
    double? JourneySigma = null,
    double? JourneyResolveSigma = null,
    double? JourneyMinVolume = null,
    double? JourneyMinChange = null,
    int? BaselineMinHistory = null,
    double? BaselineAlpha = null,
    double? DroughtFactor = null,
    int? DroughtMinMinutes = null,
    int? DroughtWindowMinutes = null,
    int? DroughtMinEvents = null,
    int? RateWindowHours = null,
    int? RateMinSent = null,
    double? BounceRate = null,
    double? ComplaintRate = null,
    double? UnsubscribeRate = null,
    int? RenderErrorWindowMinutes = null,
    int? RenderErrorMin = null,
    int? OutboxMaxAgeMinutes = null,
    int? OutboxMaxDue = null,
    int? TimerMaxLagMinutes = null,
    int? ResolveAfter = null,
    string? WebhookUrl = null,
    string? WebhookSecret = null,
    IReadOnlyList<string>? EmailTo = null);
