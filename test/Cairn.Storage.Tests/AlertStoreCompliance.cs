using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary>
/// <see cref="IAlertStore"/>: incidents (one open per detector and subject, their acknowledgement never overwritten by
/// the watcher, listed newest first with filters and cursors), deliveries queued once by id and recorded, baselines and
/// state. (Its reads of the enrollments and the outbox run end to end in the HTTP alert tests, on both providers.)
/// </summary>
public abstract class AlertStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IAlertStore Alerts => Store;

    private static AlertIncident Incident(string id, string detector, string subject, DateTimeOffset at) =>
        new(id, detector, subject, AlertStatus.Open, $"{detector} {subject}", at, at, null, null, null, 0, "{\"value\":1}", "[]");

    private static AlertDelivery Delivery(string id, string incident, DateTimeOffset at) =>
        new(id, incident, "opened", "webhook", "{}", "queued", 0, at, at, null, null);

    private static AlertPassWrite Pass(IReadOnlyList<AlertIncident>? incidents = null, IReadOnlyList<AlertDelivery>? deliveries = null, IReadOnlyList<AlertBaseline>? baselines = null, Dictionary<string, string>? state = null) =>
        new(incidents ?? [], deliveries ?? [], baselines ?? [], state ?? []);

    [Fact]
    public async Task APass_StoresIncidentsDeliveriesBaselinesAndState_InOneGo()
    {
        var incident = Incident("inc_1", "complaint_rate", "email", T0);
        await Alerts.SaveAlertPassAsync(
            Pass([incident], [Delivery("inc_1.opened.webhook", "inc_1", T0)], [new AlertBaseline("welcome|entries|hod3", 12.5, 4.25, 3)], new() { ["hour"] = "x" }),
            Cancel);

        Assert.Equal([incident], await Alerts.GetOpenIncidentsAsync(Cancel));
        Assert.Equal(incident, await Alerts.GetIncidentAsync("inc_1", Cancel));
        Assert.Null(await Alerts.GetIncidentAsync("inc_2", Cancel));
        Assert.Equal(1, await Alerts.CountOpenIncidentsAsync(Cancel));
        Assert.Equal([new AlertBaseline("welcome|entries|hod3", 12.5, 4.25, 3)], await Alerts.GetAlertBaselinesAsync(Cancel));
        Assert.Equal("x", await Alerts.GetAlertStateAsync("hour", Cancel));
        Assert.Null(await Alerts.GetAlertStateAsync("other", Cancel));
        await Alerts.SetAlertStateAsync("hour", "y", Cancel);
        Assert.Equal("y", await Alerts.GetAlertStateAsync("hour", Cancel));
        Assert.Equal([Delivery("inc_1.opened.webhook", "inc_1", T0)], await Alerts.GetDueAlertDeliveriesAsync(T0, 10, Cancel));
    }

    [Fact]
    public async Task OnlyOneIncident_IsOpenPerDetectorAndSubject_AndAFailedPassWritesNothing()
    {
        await Alerts.SaveAlertPassAsync(Pass([Incident("inc_1", "outbox_backlog", "outbox", T0)]), Cancel);
        await Assert.ThrowsAnyAsync<Exception>(() => Alerts.SaveAlertPassAsync(
            Pass([Incident("inc_2", "outbox_backlog", "outbox", T0.AddMinutes(1))], [Delivery("inc_2.opened.webhook", "inc_2", T0)], state: new() { ["hour"] = "z" }),
            Cancel));
        Assert.Empty(await Alerts.GetDueAlertDeliveriesAsync(T0.AddDays(1), 10, Cancel));
        Assert.Null(await Alerts.GetAlertStateAsync("hour", Cancel));

        // Once the first is resolved, the pair may open again.
        var resolved = Incident("inc_1", "outbox_backlog", "outbox", T0) with { Status = AlertStatus.Resolved, ResolvedAt = T0.AddMinutes(2), UpdatedAt = T0.AddMinutes(2), ClearPasses = 2 };
        await Alerts.SaveAlertPassAsync(Pass([resolved, Incident("inc_2", "outbox_backlog", "outbox", T0.AddMinutes(3))]), Cancel);
        Assert.Equal(["inc_2"], (await Alerts.GetOpenIncidentsAsync(Cancel)).Select(incident => incident.Id));
        Assert.Equal(resolved, await Alerts.GetIncidentAsync("inc_1", Cancel));
    }

    [Fact]
    public async Task Acknowledgement_TheFirstStays_AndTheWatchersUpdatesKeepIt()
    {
        await Alerts.SaveAlertPassAsync(Pass([Incident("inc_1", "timer_lag", "timers", T0)]), Cancel);
        Assert.True(await Alerts.AcknowledgeIncidentAsync("inc_1", "ann@example.com", T0.AddMinutes(1), Cancel));
        Assert.True(await Alerts.AcknowledgeIncidentAsync("inc_1", "bob@example.com", T0.AddMinutes(2), Cancel));
        Assert.False(await Alerts.AcknowledgeIncidentAsync("inc_9", "bob@example.com", T0, Cancel));

        await Alerts.SaveAlertPassAsync(Pass([Incident("inc_1", "timer_lag", "timers", T0) with { UpdatedAt = T0.AddMinutes(3), Summary = "later" }]), Cancel);
        var stored = (await Alerts.GetIncidentAsync("inc_1", Cancel))!;
        Assert.Equal(("later", T0.AddMinutes(1), "ann@example.com", T0.AddMinutes(3)), (stored.Summary, stored.AcknowledgedAt, stored.AcknowledgedBy, stored.UpdatedAt));
    }

    [Fact]
    public async Task Incidents_AreListedNewestFirst_FilteredAndPaged()
    {
        var incidents = Enumerable.Range(0, 5).Select(i => Incident($"inc_{i}", i % 2 == 0 ? "journey_entries" : "journey_sends", $"j{i}", T0.AddMinutes(i))).ToList();
        incidents[4] = incidents[4] with { Status = AlertStatus.Resolved, ResolvedAt = T0.AddHours(1) };
        await Alerts.SaveAlertPassAsync(Pass(incidents), Cancel);

        var first = await Alerts.QueryIncidentsAsync(new AlertQuery(), null, 2, Cancel);
        Assert.Equal(["inc_4", "inc_3"], first.Items.Select(incident => incident.Id));
        var second = await Alerts.QueryIncidentsAsync(new AlertQuery(), first.NextCursor, 2, Cancel);
        Assert.Equal(["inc_2", "inc_1"], second.Items.Select(incident => incident.Id));
        var third = await Alerts.QueryIncidentsAsync(new AlertQuery(), second.NextCursor, 2, Cancel);
        Assert.Equal(["inc_0"], third.Items.Select(incident => incident.Id));
        Assert.Null(third.NextCursor);

        Assert.Equal(["inc_2", "inc_0"], (await Alerts.QueryIncidentsAsync(new AlertQuery(AlertStatus.Open, "journey_entries"), null, 10, Cancel)).Items.Select(incident => incident.Id));
        Assert.Equal(["inc_3"], (await Alerts.QueryIncidentsAsync(new AlertQuery(Subject: "j3"), null, 10, Cancel)).Items.Select(incident => incident.Id));
        await Assert.ThrowsAsync<InvalidCursorException>(() => Alerts.QueryIncidentsAsync(new AlertQuery(AlertStatus.Open), first.NextCursor, 2, Cancel));
        await Assert.ThrowsAsync<InvalidCursorException>(() => Alerts.QueryIncidentsAsync(new AlertQuery(), "forged", 2, Cancel));
    }

    [Fact]
    public async Task Deliveries_AreQueuedOnceById_DueInOrder_AndRecorded()
    {
        await Alerts.SaveAlertPassAsync(Pass([Incident("inc_1", "render_errors", "t", T0)], [Delivery("b", "inc_1", T0.AddSeconds(5)), Delivery("a", "inc_1", T0)]), Cancel);

        // Queued again (a pass retried after a failure): kept as it is.
        await Alerts.RecordAlertDeliveryAsync("a", "queued", 1, T0.AddSeconds(30), null, "the webhook answered 503", Cancel);
        await Alerts.SaveAlertPassAsync(Pass(deliveries: [Delivery("a", "inc_1", T0)]), Cancel);

        Assert.Equal(["b"], (await Alerts.GetDueAlertDeliveriesAsync(T0.AddSeconds(10), 10, Cancel)).Select(delivery => delivery.Id));
        Assert.Equal(["b", "a"], (await Alerts.GetDueAlertDeliveriesAsync(T0.AddMinutes(1), 10, Cancel)).Select(delivery => delivery.Id));
        await Alerts.RecordAlertDeliveryAsync("a", "sent", 2, T0.AddMinutes(1), T0.AddMinutes(1), null, Cancel);
        Assert.Equal(["b"], (await Alerts.GetDueAlertDeliveriesAsync(T0.AddDays(1), 10, Cancel)).Select(delivery => delivery.Id));
        var all = await Alerts.GetAlertDeliveriesAsync("inc_1", Cancel);
        Assert.Equal(
            [Delivery("a", "inc_1", T0) with { Status = "sent", Attempts = 2, NextAttemptAt = T0.AddMinutes(1), SentAt = T0.AddMinutes(1) }, Delivery("b", "inc_1", T0.AddSeconds(5))],
            all);
    }

    [Fact]
    public async Task TheBacklogAndActivityReads_AreEmptyOnAnEmptyStore()
    {
        Assert.Equal(new OutboxBacklog(0, null), await Alerts.GetOutboxBacklogAsync(T0, Cancel));
        Assert.Empty(await Alerts.CountJourneyActivityAsync(T0.AddHours(-1), T0, Cancel));
        Assert.Empty(await Alerts.CountDeliveryFeedbackAsync(T0.AddDays(-1), Cancel));
        Assert.Empty(await Alerts.CountRenderErrorsAsync(T0.AddDays(-1), Cancel));
    }
}
