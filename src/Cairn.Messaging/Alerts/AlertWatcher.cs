using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Core.Journeys;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Cairn.Messaging.Alerts;

/// <summary>The watcher's host settings (section <c>Alerts</c>); the thresholds are <see cref="AlertSettings"/>, changed through the API.</summary>
public sealed class AlertOptions
{
    /// <summary>Whether the watcher runs in the background; default true (tests drive passes themselves).</summary>
    public bool WatchInBackground { get; set; } = true;

    /// <summary>How often a pass runs; default one minute.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many closed hours of history a first pass learns its baselines from; default 168 (a week).</summary>
    public int BackfillHours { get; set; } = 168;
}

/// <summary>
/// The anomaly watcher (docs/alerts.md): on a schedule it evaluates its detectors over the metrics Cairn keeps, opens one
/// incident per (detector, subject) while a condition holds, resolves it once the condition has been clear for
/// <see cref="AlertSettings.ResolveAfter"/> evaluations, and queues one delivery of each opening and resolution to the
/// webhook and the email addresses configured, in the transaction that records it; then it delivers the due ones,
/// retrying a failed webhook with backoff under the same <c>webhook-id</c>.
/// </summary>
public sealed partial class AlertWatcher : IHostedService, IAsyncDisposable
{
    /// <summary>Detector names (the stored values).</summary>
    public const string JourneyEntries = "journey_entries", JourneySends = "journey_sends", TriggerDrought = "trigger_drought",
        BounceRate = "bounce_rate", ComplaintRate = "complaint_rate", UnsubscribeRate = "unsubscribe_rate", RenderErrors = "render_errors",
        OutboxBacklog = "outbox_backlog", TimerLag = "timer_lag";

    private const string WatermarkKey = "hour";
    private const int TimelineCap = 100;
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan DroughtLookback = TimeSpan.FromDays(7);

    private readonly IAlertStore _store;
    private readonly IEventLog _events;
    private readonly IJourneyIndex _journeyIndex;
    private readonly JourneyRegistry _journeys;
    private readonly MessageDispatcher _dispatcher;
    private readonly IHttpClientFactory _http;
    private readonly TimeProvider _time;
    private readonly AlertOptions _options;
    private readonly ILogger _logger;
    private readonly BackgroundLoop _loop;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private Dictionary<string, AlertBaseline>? _baselines;

    /// <summary>Creates the watcher; it starts with the host.</summary>
    public AlertWatcher(IAlertStore store, IEventLog events, IJourneyIndex journeyIndex, JourneyRegistry journeys, MessageDispatcher dispatcher, IHttpClientFactory http, TimeProvider time, IOptions<AlertOptions> options, ILogger<AlertWatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_store, _events, _journeyIndex, _journeys, _dispatcher, _http, _time, _logger) = (store, events, journeyIndex, journeys, dispatcher, http, time, logger);
        _options = options.Value;
        _loop = new BackgroundLoop("alerts", async cancellationToken =>
        {
            await RunPassAsync(cancellationToken).ConfigureAwait(false);
            return _options.Interval;
        }, time, logger);
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.WatchInBackground)
        {
            _loop.Start();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => _loop.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _loop.DisposeAsync().ConfigureAwait(false);
        _pass.Dispose();
    }

    /// <summary>The stored settings (the defaults when none are stored).</summary>
    public async Task<AlertSettings> GetSettingsAsync(CancellationToken cancellationToken) =>
        AlertSettings.Parse(await _store.GetAlertStateAsync(AlertSettings.StateKey, cancellationToken).ConfigureAwait(false));

    /// <summary>Stores the settings.</summary>
    public Task SaveSettingsAsync(AlertSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return _store.SetAlertStateAsync(AlertSettings.StateKey, settings.ToJson(), cancellationToken);
    }

    /// <summary>One pass: evaluates every detector at the clock's time, records the incidents' changes, then delivers what is due.</summary>
    public async Task RunPassAsync(CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            var settings = await GetSettingsAsync(cancellationToken).ConfigureAwait(false);
            var findings = new List<Finding>();
            var evaluated = new HashSet<string>(StringComparer.Ordinal);
            var baselines = await JourneyFindingsAsync(now, settings, findings, evaluated, cancellationToken).ConfigureAwait(false);
            await DroughtFindingsAsync(now, settings, findings, cancellationToken).ConfigureAwait(false);
            await RateFindingsAsync(now, settings, findings, cancellationToken).ConfigureAwait(false);
            await RenderFindingsAsync(now, settings, findings, cancellationToken).ConfigureAwait(false);
            await BacklogFindingsAsync(now, settings, findings, cancellationToken).ConfigureAwait(false);
            await TimerFindingsAsync(now, settings, findings, cancellationToken).ConfigureAwait(false);
            evaluated.UnionWith([TriggerDrought, BounceRate, ComplaintRate, UnsubscribeRate, RenderErrors, OutboxBacklog, TimerLag]);

            var open = await _store.GetOpenIncidentsAsync(cancellationToken).ConfigureAwait(false);
            var (incidents, deliveries) = Track(now, settings, open, findings, evaluated);
            await _store.SaveAlertPassAsync(new AlertPassWrite(incidents, deliveries, baselines.Changed, baselines.State), cancellationToken).ConfigureAwait(false);
            foreach (var (key, baseline) in baselines.Updated)
            {
                _baselines![key] = baseline;
            }

            await DeliverAsync(now, settings, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>What one detector found about one subject: the condition holds (<see cref="Level.Firing"/>), is clear, or in between.</summary>
    private sealed record Finding(string Detector, string Subject, Level Level, string Summary, JsonObject Observation);

    private enum Level
    {
        Clear,
        Between,
        Firing,
    }

    private sealed record BaselineChanges(List<AlertBaseline> Changed, Dictionary<string, AlertBaseline> Updated, Dictionary<string, string> State);

    // Entries and sends per journey and closed hour against the seasonal baseline. Hours not yet evaluated are taken in
    // order; each one's counts update the baselines, and only the latest closed hour is judged (older hours, after a
    // restart or on the first pass, only teach the baseline).
    private async Task<BaselineChanges> JourneyFindingsAsync(DateTimeOffset now, AlertSettings settings, List<Finding> findings, HashSet<string> evaluated, CancellationToken cancellationToken)
    {
        var changes = new BaselineChanges([], new Dictionary<string, AlertBaseline>(StringComparer.Ordinal), new Dictionary<string, string>(StringComparer.Ordinal));
        _baselines ??= (await _store.GetAlertBaselinesAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(baseline => baseline.Key, StringComparer.Ordinal);
        var lastClosed = new DateTimeOffset(now.UtcDateTime.Ticks - (now.UtcDateTime.Ticks % Hour.Ticks), TimeSpan.Zero) - Hour;
        var watermarkText = await _store.GetAlertStateAsync(WatermarkKey, cancellationToken).ConfigureAwait(false);
        var next = watermarkText is not null && DateTimeOffset.TryParse(watermarkText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var watermark)
            ? watermark + Hour
            : lastClosed - TimeSpan.FromHours(_options.BackfillHours);
        if (next < lastClosed - TimeSpan.FromHours(_options.BackfillHours))
        {
            next = lastClosed - TimeSpan.FromHours(_options.BackfillHours);
        }

        if (next > lastClosed)
        {
            return changes;
        }

        var live = _journeys.Library.Live.Select(journey => journey.Definition.Id).ToHashSet(StringComparer.Ordinal);
        for (var hour = next; hour <= lastClosed; hour += Hour)
        {
            var counts = (await _store.CountJourneyActivityAsync(hour, hour + Hour, cancellationToken).ConfigureAwait(false))
                .ToDictionary(count => count.JourneyId, StringComparer.Ordinal);
            var judged = hour == lastClosed;
            foreach (var journey in live.Union(counts.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var count = counts.GetValueOrDefault(journey);
                Observe(JourneyEntries, "entries", journey, count?.Entries ?? 0, hour, judged && live.Contains(journey), settings, findings, changes);
                Observe(JourneySends, "sends", journey, count?.Sends ?? 0, hour, judged && live.Contains(journey), settings, findings, changes);
            }
        }

        evaluated.UnionWith([JourneyEntries, JourneySends]);
        changes.State[WatermarkKey] = lastClosed.ToString("O", CultureInfo.InvariantCulture);
        return changes;
    }

    private void Observe(string detector, string measure, string journey, long observed, DateTimeOffset hour, bool judged, AlertSettings settings, List<Finding> findings, BaselineChanges changes)
    {
        var weekSlot = $"{journey}|{measure}|how{((int)hour.DayOfWeek * 24) + hour.Hour}";
        var daySlot = $"{journey}|{measure}|hod{hour.Hour}";
        AlertBaseline? Current(string key) => changes.Updated.TryGetValue(key, out var updated) ? updated : _baselines!.GetValueOrDefault(key);
        var week = Current(weekSlot);
        var day = Current(daySlot);
        var baseline = week is { } w && w.Observations >= settings.BaselineMinHistory ? w
            : day is { } d && d.Observations >= settings.BaselineMinHistory ? d
            : null;
        var firing = false;
        if (judged && baseline is not null)
        {
            var expected = baseline.Mean;

            // The spread: the moving standard deviation, never below the Poisson spread of the expected count (a
            // perfectly steady stream would otherwise have none) nor below 1.
            var sigma = Math.Max(1, Math.Sqrt(Math.Max(baseline.Variance, expected)));
            var deviation = (observed - expected) / sigma;
            var relative = expected > 0 ? Math.Abs(observed - expected) / expected : 1;
            var drop = expected >= settings.JourneyMinVolume && deviation <= -settings.JourneySigma && relative >= settings.JourneyMinChange;
            var spike = observed >= settings.JourneyMinVolume && deviation >= settings.JourneySigma && relative >= settings.JourneyMinChange;
            firing = drop || spike;
            var level = firing ? Level.Firing : Math.Abs(deviation) <= settings.JourneyResolveSigma || expected < settings.JourneyMinVolume && observed < settings.JourneyMinVolume ? Level.Clear : Level.Between;
            var summary = firing
                ? string.Create(CultureInfo.InvariantCulture, $"Journey '{journey}' had {observed} {measure} in the hour from {hour:yyyy-MM-dd HH:mm} UTC, {(drop ? "a drop" : "a spike")} from the usual {expected:0.#} ({deviation:+0.0;-0.0} σ)")
                : string.Create(CultureInfo.InvariantCulture, $"Journey '{journey}' had {observed} {measure} in the hour from {hour:yyyy-MM-dd HH:mm} UTC; usually {expected:0.#}");
            findings.Add(new Finding(detector, journey, level, summary, new JsonObject
            {
                ["hour"] = hour.ToString("O", CultureInfo.InvariantCulture),
                ["observed"] = observed,
                ["expected"] = Math.Round(expected, 2),
                ["sigma"] = Math.Round(sigma, 2),
                ["deviation"] = Math.Round(deviation, 2),
                ["slot"] = baseline == week ? "hour_of_week" : "hour_of_day",
            }));
        }

        // An anomalous hour still teaches the baseline, at a quarter of the weight, so a lasting change of level is
        // learnt over days while a drop of a few hours is not mistaken for the new normal.
        var alpha = firing ? settings.BaselineAlpha / 4 : settings.BaselineAlpha;
        foreach (var (key, current) in new[] { (weekSlot, week), (daySlot, day) })
        {
            // A slot starts at the journey's first activity: the hours before it was published are not zeros to learn.
            if (current is null && observed == 0)
            {
                continue;
            }

            var updated = Update(key, current, observed, alpha);
            changes.Updated[key] = updated;
            changes.Changed.RemoveAll(baseline => baseline.Key == key);
            changes.Changed.Add(updated);
        }
    }

    /// <summary>One step of the exponentially weighted mean and variance (West 1979; Finch 2009).</summary>
    private static AlertBaseline Update(string key, AlertBaseline? current, double observed, double alpha)
    {
        if (current is null || current.Observations == 0)
        {
            return new AlertBaseline(key, observed, 0, 1);
        }

        var difference = observed - current.Mean;
        var increment = alpha * difference;
        return new AlertBaseline(key, current.Mean + increment, (1 - alpha) * (current.Variance + (difference * increment)), current.Observations + 1);
    }

    // A live journey's trigger event stopped arriving: none for DroughtFactor times its usual (median) gap over the last
    // week, at least DroughtMinMinutes, or none in the configured window.
    private async Task DroughtFindingsAsync(DateTimeOffset now, AlertSettings settings, List<Finding> findings, CancellationToken cancellationToken)
    {
        foreach (var journey in _journeys.Library.Live)
        {
            if (journey.Definition.Trigger is not EventTrigger trigger)
            {
                continue;
            }

            var times = await _events.GetEventTimesAsync([trigger.Event], now - DroughtLookback, 2000, cancellationToken).ConfigureAwait(false);
            if (times.Count == 0 && settings.DroughtWindowMinutes is null)
            {
                continue;
            }

            var last = times.Count > 0 ? times[0] : (DateTimeOffset?)null;
            var silent = last is { } at ? now - at : DroughtLookback;
            TimeSpan? usual = null;
            if (times.Count >= settings.DroughtMinEvents)
            {
                var gaps = times.Zip(times.Skip(1), (newer, older) => (newer - older).Ticks).Order().ToList();
                usual = TimeSpan.FromTicks(gaps[gaps.Count / 2]);
            }

            var minimum = TimeSpan.FromMinutes(settings.DroughtMinMinutes);
            var byGap = usual is { } gap && silent > Max(gap * settings.DroughtFactor, minimum);
            var byWindow = settings.DroughtWindowMinutes is { } window && silent > TimeSpan.FromMinutes(window);
            var clear = (usual is not { } g || silent <= Max(g * (settings.DroughtFactor / 2), minimum / 2))
                && (settings.DroughtWindowMinutes is not { } w || silent <= TimeSpan.FromMinutes(w));
            var level = byGap || byWindow ? Level.Firing : clear && (usual is not null || settings.DroughtWindowMinutes is not null) ? Level.Clear : Level.Between;
            var summary = string.Create(CultureInfo.InvariantCulture, $"No '{trigger.Event}' event (the trigger of journey '{journey.Definition.Id}') for {Describe(silent)}")
                + (usual is { } u ? string.Create(CultureInfo.InvariantCulture, $"; it usually arrives every {Describe(u)}") : string.Empty);
            findings.Add(new Finding(TriggerDrought, journey.Definition.Id, level, summary, new JsonObject
            {
                ["event"] = trigger.Event,
                ["lastAt"] = last?.ToString("O", CultureInfo.InvariantCulture),
                ["silentSeconds"] = (long)silent.TotalSeconds,
                ["usualGapSeconds"] = usual is { } v ? (long)v.TotalSeconds : null,
            }));
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string Describe(TimeSpan span) =>
        span.TotalDays >= 2 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalDays:0.#} days")
            : span.TotalHours >= 2 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours:0.#} hours")
            : span.TotalMinutes >= 2 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalMinutes:0} minutes")
            : span.TotalSeconds >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0} seconds")
            : "under a second";

    // Bounce, complaint and unsubscribe rates per channel over the window, judged from RateMinSent messages on; clear
    // below four fifths of the threshold.
    private async Task RateFindingsAsync(DateTimeOffset now, AlertSettings settings, List<Finding> findings, CancellationToken cancellationToken)
    {
        var counts = await _store.CountDeliveryFeedbackAsync(now - TimeSpan.FromHours(settings.RateWindowHours), cancellationToken).ConfigureAwait(false);
        foreach (var channel in counts)
        {
            foreach (var (detector, what, count, threshold) in new[]
            {
                (BounceRate, "bounce", channel.Bounced, settings.BounceRate),
                (ComplaintRate, "complaint", channel.Complained, settings.ComplaintRate),
                (UnsubscribeRate, "unsubscribe", channel.Unsubscribed, settings.UnsubscribeRate),
            })
            {
                var rate = channel.Sent == 0 ? 0 : (double)count / channel.Sent;
                var level = channel.Sent < settings.RateMinSent ? Level.Clear : rate > threshold ? Level.Firing : rate < threshold * 0.8 ? Level.Clear : Level.Between;
                findings.Add(new Finding(detector, channel.Channel, level, string.Create(
                    CultureInfo.InvariantCulture,
                    $"The {channel.Channel} {what} rate is {rate:0.###%} ({count} of {channel.Sent} sent in the last {settings.RateWindowHours} h; the threshold is {threshold:0.###%})"),
                    new JsonObject { ["sent"] = channel.Sent, ["count"] = count, ["rate"] = rate, ["threshold"] = threshold, ["windowHours"] = settings.RateWindowHours }));
            }
        }
    }

    // Templates failing to render: RenderErrorMin failures of one template in the window; clear when there are none.
    private async Task RenderFindingsAsync(DateTimeOffset now, AlertSettings settings, List<Finding> findings, CancellationToken cancellationToken)
    {
        foreach (var (template, count) in await _store.CountRenderErrorsAsync(now - TimeSpan.FromMinutes(settings.RenderErrorWindowMinutes), cancellationToken).ConfigureAwait(false))
        {
            findings.Add(new Finding(RenderErrors, template, count >= settings.RenderErrorMin ? Level.Firing : Level.Between, string.Create(
                CultureInfo.InvariantCulture,
                $"Template '{template}' failed to render {count} time{(count == 1 ? string.Empty : "s")} in the last {settings.RenderErrorWindowMinutes} minutes"),
                new JsonObject { ["count"] = count, ["windowMinutes"] = settings.RenderErrorWindowMinutes }));
        }
    }

    // The outbox backing up: a due message waiting longer than OutboxMaxAgeMinutes or more than OutboxMaxDue due; clear
    // under half of both.
    private async Task BacklogFindingsAsync(DateTimeOffset now, AlertSettings settings, List<Finding> findings, CancellationToken cancellationToken)
    {
        var backlog = await _store.GetOutboxBacklogAsync(now, cancellationToken).ConfigureAwait(false);
        var age = backlog.OldestDueAt is { } oldest ? now - oldest : TimeSpan.Zero;
        var maxAge = TimeSpan.FromMinutes(settings.OutboxMaxAgeMinutes);
        var level = age > maxAge || backlog.Due > settings.OutboxMaxDue ? Level.Firing
            : age <= maxAge / 2 && backlog.Due <= settings.OutboxMaxDue / 2 ? Level.Clear
            : Level.Between;
        findings.Add(new Finding(OutboxBacklog, "outbox", level, string.Create(
            CultureInfo.InvariantCulture,
            $"{backlog.Due} message{(backlog.Due == 1 ? " is" : "s are")} due in the outbox; the oldest has waited {Describe(age)}"),
            new JsonObject { ["due"] = backlog.Due, ["oldestDueAt"] = backlog.OldestDueAt?.ToString("O", CultureInfo.InvariantCulture), ["waitedSeconds"] = (long)age.TotalSeconds }));
    }

    // Timers not fired: the oldest due timer is older than TimerMaxLagMinutes; clear under half of it.
    private async Task TimerFindingsAsync(DateTimeOffset now, AlertSettings settings, List<Finding> findings, CancellationToken cancellationToken)
    {
        var due = await _journeyIndex.GetDueTimersAsync(now, 1, cancellationToken).ConfigureAwait(false);
        var lag = due.Count > 0 ? now - due[0].DueAt : TimeSpan.Zero;
        var maxLag = TimeSpan.FromMinutes(settings.TimerMaxLagMinutes);
        var level = lag > maxLag ? Level.Firing : lag <= maxLag / 2 ? Level.Clear : Level.Between;
        findings.Add(new Finding(TimerLag, "timers", level, string.Create(CultureInfo.InvariantCulture, $"The oldest due timer has waited {Describe(lag)} to fire"),
            new JsonObject { ["lagSeconds"] = (long)lag.TotalSeconds, ["oldestDueAt"] = due.Count > 0 ? due[0].DueAt.ToString("O", CultureInfo.InvariantCulture) : null }));
    }

    // Opens, updates and resolves incidents from the findings: one open incident per (detector, subject); it resolves
    // after ResolveAfter consecutive clear evaluations (a finding between the thresholds resets the count), and an open
    // incident of an evaluated detector without a finding (its journey or template is gone) counts as clear.
    private (List<AlertIncident> Incidents, List<AlertDelivery> Deliveries) Track(DateTimeOffset now, AlertSettings settings, IReadOnlyList<AlertIncident> open, List<Finding> findings, HashSet<string> evaluated)
    {
        var incidents = new List<AlertIncident>();
        var deliveries = new List<AlertDelivery>();
        var byKey = open.ToDictionary(incident => (incident.Detector, incident.Subject));
        var seen = new HashSet<(string, string)>();
        foreach (var finding in findings)
        {
            seen.Add((finding.Detector, finding.Subject));
            var observation = finding.Observation.ToJsonString();
            if (!byKey.TryGetValue((finding.Detector, finding.Subject), out var incident))
            {
                if (finding.Level == Level.Firing)
                {
                    var opened = new AlertIncident(
                        "inc_" + Guid.NewGuid().ToString("N")[..20], finding.Detector, finding.Subject, AlertStatus.Open, finding.Summary, now, now, null, null, null, 0, observation,
                        new JsonArray(Entry(now, "opened", finding.Summary)).ToJsonString());
                    incidents.Add(opened);
                    deliveries.AddRange(Deliveries(opened, "opened", now, settings));
                    LogOpened(_logger, opened.Id, opened.Detector);
                }

                continue;
            }

            if (finding.Level == Level.Clear && incident.ClearPasses + 1 >= settings.ResolveAfter)
            {
                Resolve(incident, finding.Summary, observation);
                continue;
            }

            var timeline = JsonNode.Parse(incident.Timeline)!.AsArray();
            if (finding.Level == Level.Firing && timeline.Count > 0 && now - timeline[^1]!["at"]!.GetValue<DateTimeOffset>() >= Hour)
            {
                timeline.Add(Entry(now, "observed", finding.Summary));
                while (timeline.Count > TimelineCap)
                {
                    timeline.RemoveAt(1);
                }
            }

            incidents.Add(incident with
            {
                Summary = finding.Level == Level.Firing ? finding.Summary : incident.Summary,
                UpdatedAt = now,
                ClearPasses = finding.Level == Level.Clear ? incident.ClearPasses + 1 : 0,
                Observation = observation,
                Timeline = timeline.ToJsonString(),
            });
        }

        foreach (var incident in open.Where(incident => evaluated.Contains(incident.Detector) && !seen.Contains((incident.Detector, incident.Subject))))
        {
            if (incident.ClearPasses + 1 >= settings.ResolveAfter)
            {
                Resolve(incident, $"{incident.Subject} is no longer watched by {incident.Detector}", incident.Observation);
            }
            else
            {
                incidents.Add(incident with { UpdatedAt = now, ClearPasses = incident.ClearPasses + 1 });
            }
        }

        return (incidents, deliveries);

        void Resolve(AlertIncident incident, string summary, string observation)
        {
            var timeline = JsonNode.Parse(incident.Timeline)!.AsArray();
            timeline.Add(Entry(now, "resolved", summary));
            var resolved = incident with
            {
                Status = AlertStatus.Resolved,
                UpdatedAt = now,
                ResolvedAt = now,
                ClearPasses = incident.ClearPasses + 1,
                Observation = observation,
                Timeline = timeline.ToJsonString(),
            };
            incidents.Add(resolved);
            deliveries.AddRange(Deliveries(resolved, "resolved", now, settings));
            LogResolved(_logger, resolved.Id, resolved.Detector);
        }
    }

    private static JsonObject Entry(DateTimeOffset at, string kind, string summary) =>
        new() { ["at"] = at.ToString("O", CultureInfo.InvariantCulture), ["kind"] = kind, ["summary"] = summary };

    private IEnumerable<AlertDelivery> Deliveries(AlertIncident incident, string kind, DateTimeOffset now, AlertSettings settings)
    {
        var payload = Payload(incident, kind, now, _dispatcher.Options.PublicUrl);
        if (settings.WebhookUrl is not null)
        {
            yield return new AlertDelivery($"{incident.Id}.{kind}.webhook", incident.Id, kind, "webhook", payload, "queued", 0, now, now, null, null);
        }

        if (settings.EmailTo.Count > 0)
        {
            yield return new AlertDelivery($"{incident.Id}.{kind}.email", incident.Id, kind, "email", payload, "queued", 0, now, now, null, null);
        }
    }

    /// <summary>The body of a delivery: <c>{type, timestamp, data}</c> as Standard Webhooks suggests.</summary>
    public static string Payload(AlertIncident incident, string kind, DateTimeOffset now, Uri publicUrl)
    {
        ArgumentNullException.ThrowIfNull(incident);
        ArgumentNullException.ThrowIfNull(publicUrl);
        return new JsonObject
        {
            ["type"] = "alert." + kind,
            ["timestamp"] = now.ToString("O", CultureInfo.InvariantCulture),
            ["data"] = new JsonObject
            {
                ["id"] = incident.Id,
                ["detector"] = incident.Detector,
                ["subject"] = incident.Subject,
                ["status"] = incident.Status,
                ["summary"] = incident.Summary,
                ["openedAt"] = incident.OpenedAt.ToString("O", CultureInfo.InvariantCulture),
                ["resolvedAt"] = incident.ResolvedAt?.ToString("O", CultureInfo.InvariantCulture),
                ["observation"] = JsonNode.Parse(incident.Observation),
                ["url"] = $"{publicUrl.ToString().TrimEnd('/')}/alerts/{incident.Id}",
            },
        }.ToJsonString();
    }

    // Delivers the due deliveries: a webhook signed per Standard Webhooks (webhook-id: the delivery's id, the same on
    // every retry), an email through the email transport; a failure is retried with exponential backoff (30 s doubling,
    // at most an hour) up to the messaging's webhook attempts, then recorded as failed.
    private async Task DeliverAsync(DateTimeOffset now, AlertSettings settings, CancellationToken cancellationToken)
    {
        foreach (var delivery in await _store.GetDueAlertDeliveriesAsync(now, 100, cancellationToken).ConfigureAwait(false))
        {
            string? failure;
            try
            {
                failure = delivery.Destination switch
                {
                    "webhook" => await PostAsync(delivery, settings, now, cancellationToken).ConfigureAwait(false),
                    "email" => await EmailAsync(delivery, settings, cancellationToken).ConfigureAwait(false),
                    _ => "unknown destination",
                };
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or EmailSendException && !cancellationToken.IsCancellationRequested)
            {
                failure = exception.Message;
            }

            var attempts = delivery.Attempts + 1;
            if (failure is null)
            {
                await _store.RecordAlertDeliveryAsync(delivery.Id, "sent", attempts, now, now, null, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var gaveUp = attempts >= _dispatcher.Options.WebhookMaxAttempts;
            var backoff = TimeSpan.FromSeconds(Math.Min(3600, 30 * Math.Pow(2, attempts - 1)));
            LogDeliveryFailed(_logger, delivery.Id, attempts, gaveUp);
            await _store.RecordAlertDeliveryAsync(delivery.Id, gaveUp ? "failed" : "queued", attempts, now + backoff, null, failure, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string?> PostAsync(AlertDelivery delivery, AlertSettings settings, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (settings.WebhookUrl is null || settings.WebhookSecret is null)
        {
            return "no webhook URL or secret is configured";
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, settings.WebhookUrl) { Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json") };
        new StandardWebhooks(settings.WebhookSecret).AddHeaders(request, delivery.Id, now, delivery.Payload);
        using var response = await _http.CreateClient(MessagingServices.WebhookClient).SendAsync(request, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? null : string.Create(CultureInfo.InvariantCulture, $"the webhook answered {(int)response.StatusCode}");
    }

    private async Task<string?> EmailAsync(AlertDelivery delivery, AlertSettings settings, CancellationToken cancellationToken)
    {
        if (settings.EmailTo.Count == 0)
        {
            return "no email address is configured";
        }

        using var body = JsonDocument.Parse(delivery.Payload);
        var data = body.RootElement.GetProperty("data");
        var options = _dispatcher.Options;
        var text = new StringBuilder()
            .AppendLine(data.GetProperty("summary").GetString())
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Detector: {data.GetProperty("detector").GetString()}")
            .AppendLine(CultureInfo.InvariantCulture, $"Subject: {data.GetProperty("subject").GetString()}")
            .AppendLine(CultureInfo.InvariantCulture, $"Opened: {data.GetProperty("openedAt").GetString()}")
            .AppendLine(delivery.Kind == "resolved" ? string.Create(CultureInfo.InvariantCulture, $"Resolved: {data.GetProperty("resolvedAt").GetString()}") : "Still open.")
            .AppendLine()
            .AppendLine(data.GetProperty("url").GetString());
        using var message = new MimeMessage
        {
            Subject = $"[Cairn alert] {(delivery.Kind == "resolved" ? "Resolved" : "Opened")}: {data.GetProperty("summary").GetString()}",
            MessageId = EmailComposer.MessageIdOf(delivery.Id, MailboxAddress.Parse(options.FromAddress).Domain),
            Body = new TextPart("plain") { Text = text.ToString() },
        };
        message.From.Add(new MailboxAddress(options.FromName, options.FromAddress));
        foreach (var address in settings.EmailTo)
        {
            message.To.Add(MailboxAddress.Parse(address));
        }

        await _dispatcher.EmailTransport.SendAsync(delivery.Id, message, cancellationToken).ConfigureAwait(false);
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert incident {IncidentId} opened ({Detector})")]
    private static partial void LogOpened(ILogger logger, string incidentId, string detector);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert incident {IncidentId} resolved ({Detector})")]
    private static partial void LogResolved(ILogger logger, string incidentId, string detector);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert delivery {DeliveryId} failed (attempt {Attempts}; given up: {GaveUp})")]
    private static partial void LogDeliveryFailed(ILogger logger, string deliveryId, int attempts, bool gaveUp);
}
