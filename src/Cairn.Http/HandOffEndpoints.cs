using System.Security.Claims;
using Cairn.Core;

namespace Cairn.Http;

/// <summary>
/// The sales hand-off: sales teams as documents (<c>/api/sales-teams</c>: owners, routing, webhook, SLA), and the
/// hand-offs themselves (<c>/api/handoffs</c>): the report, one hand-off, and the owner's acknowledgement.
/// </summary>
internal static class HandOffEndpoints
{
    private static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(30);

    /// <summary>Maps <c>/sales-teams</c> and <c>/handoffs</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapHandOffs(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var teams = api.MapGroup("/sales-teams").WithTags("Sales hand-off");
        teams.MapGet("/", async (IDocumentStore documentStore, CancellationToken cancellationToken) =>
                TypedResults.Ok((await documentStore.ListDocumentsAsync(DocumentParser.SalesTeamKind, cancellationToken).ConfigureAwait(false))
                    .Where(document => document.Status != DocumentStatus.Archived)
                    .Select(TeamView.From)))
            .WithSummary("Every sales team with its owners and routing.");
        teams.MapGet("/{id}", TeamAsync).WithSummary("One sales team.").ProducesProblem(StatusCodes.Status404NotFound);
        teams.MapPut("/{id}", PutTeamAsync)
            .WithSummary("Stores the sales team document (owners, routing rules, webhook, SLA, escalation) and uses it for the next hand-off. A journey whose owner is the team's id hands off to it.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        teams.MapArchive(DocumentParser.SalesTeamKind, "Retires the team. Refused (409) while a live journey hands off to it.");

        var handOffs = api.MapGroup("/handoffs").WithTags("Sales hand-off");
        handOffs.MapGet("/", ReportAsync)
            .WithSummary("Hand-offs of the last `days` (default 30), newest first, with a summary: how many, acknowledged, open, SLA breaches, time to acknowledge, per owner. Filters: owner, contactId, status (open, acknowledged, breached, escalated).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        handOffs.MapGet("/{id}", async (string id, IHandOffStore handOffStore, TimeProvider time, CancellationToken cancellationToken) =>
                View(id, await handOffStore.GetHandOffAsync(id, cancellationToken).ConfigureAwait(false), time))
            .WithSummary("One hand-off.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        handOffs.MapPost("/{id}/ack", async (string id, HttpContext context, ContactCommands contactCommands, TimeProvider time) =>
                View(id, await contactCommands.AcknowledgeHandOffAsync(id, AcknowledgedBy(context), context.RequestAborted).ConfigureAwait(false), time))
            .WithSummary("The owner acknowledges the hand-off: its SLA stops. Acknowledging again changes nothing. Recorded as acknowledged by the signed-in user's email, or api for an API key.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <summary>Who acknowledges: the console user signed in, or <c>api</c> for a script with the API key.</summary>
    private static string AcknowledgedBy(HttpContext context) =>
        context.User.FindFirstValue(AccessControl.UserIdClaim) is null ? "api" : context.User.FindFirstValue(ClaimTypes.Name) ?? "api";

    private static Results<Ok<HandOffView>, ProblemHttpResult> View(string id, HandOffRecord? handOff, TimeProvider time) =>
        handOff is null ? Problems.NotFound($"There is no hand-off '{id}'.") : TypedResults.Ok(HandOffView.From(handOff, time.GetUtcNow()));

    /// <summary>One stored sales team as the API shows it; 404 when there is none.</summary>
    private static Task<Results<Ok<TeamView>, ProblemHttpResult>> TeamAsync(string id, IDocumentStore documentStore, CancellationToken cancellationToken) =>
        DocumentFlow.GetAsync(DocumentParser.SalesTeamKind, id, "sales team", document => Task.FromResult(TeamView.From(document)), documentStore, cancellationToken);

    private static Task<Results<Ok<TeamView>, ProblemHttpResult>> PutTeamAsync(string id, HttpContext context, DocumentPublisher publisher, IDocumentStore documentStore, TimeProvider time) =>
        DocumentFlow.PutAsync(DocumentParser.SalesTeamKind, id, (document, _) => Task.FromResult(TeamView.From(document)), context, publisher, documentStore, time);

    private static async Task<Results<Ok<HandOffReportView>, ProblemHttpResult>> ReportAsync(string? owner, string? contactId, string? status, int? days, int? limit, IHandOffStore handOffStore, TimeProvider time, CancellationToken cancellationToken)
    {
        if (status is not (null or "open" or "acknowledged" or "breached" or "escalated"))
        {
            return Problems.BadRequest("status is open, acknowledged, breached or escalated.");
        }

        if (days is < 1 or > 3650 || limit is < 1 or > 1000)
        {
            return Problems.BadRequest("days must be between 1 and 3650, limit between 1 and 1000.");
        }

        ContactId? contact = null;
        if (contactId is not null)
        {
            if (!ContactId.TryParse(contactId, out var parsed))
            {
                return Problems.BadRequest("contactId is not a contact id.");
            }

            contact = parsed;
        }

        var now = time.GetUtcNow();
        var window = days is { } d ? TimeSpan.FromDays(d) : DefaultWindow;
        var all = (await handOffStore.GetHandOffsAsync(owner, contact, now - window, 10_000, cancellationToken).ConfigureAwait(false))
            .Select(handOff => HandOffView.From(handOff, now))
            .ToList();
        var items = all.Where(view => status switch
        {
            "open" => view.Status == "open",
            "acknowledged" => view.AcknowledgedAt is not null,
            "breached" => view.Breached,
            "escalated" => view.EscalatedAt is not null,
            _ => true,
        }).Take(limit ?? 100);
        return TypedResults.Ok(new HandOffReportView(Summary(all, now - window, now), [.. items]));
    }

    private static HandOffSummaryView Summary(List<HandOffView> handOffs, DateTimeOffset from, DateTimeOffset to)
    {
        static AcknowledgementTimesView Times(IEnumerable<HandOffView> views)
        {
            var seconds = views.Where(view => view.SecondsToAcknowledge is not null).Select(view => view.SecondsToAcknowledge!.Value).Order().ToList();
            return new AcknowledgementTimesView(
                seconds.Count,
                seconds.Count == 0 ? null : seconds[seconds.Count / 2],
                seconds.Count == 0 ? null : seconds[Math.Min(seconds.Count - 1, (int)Math.Ceiling(seconds.Count * 0.9) - 1)],
                seconds.Count == 0 ? null : Math.Round(seconds.Average(), 1));
        }

        return new HandOffSummaryView(
            from,
            to,
            handOffs.Count,
            handOffs.Count(view => view.Status == "open"),
            handOffs.Count(view => view.AcknowledgedAt is not null),
            handOffs.Count(view => view.Breached),
            handOffs.Count(view => view.EscalatedAt is not null),
            Times(handOffs),
            [.. handOffs.GroupBy(view => view.Owner ?? "(unrouted)", StringComparer.Ordinal).OrderBy(group => group.Key, StringComparer.Ordinal).Select(group => new OwnerSummaryView(
                group.Key,
                group.Count(),
                group.Count(view => view.Breached),
                Times(group)))]);
    }
}

/// <summary>
/// A hand-off as the API shows it: <see cref="Status"/> is <c>open</c> or <c>acknowledged</c>; <see cref="Breached"/>
/// is true when it was escalated, acknowledged after its SLA ran out, or is open past it.
/// </summary>
internal sealed record HandOffView(
    string Id,
    string ContactId,
    string Team,
    string? Owner,
    string RoutedBy,
    string Journey,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DueAt,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy,
    double? SecondsToAcknowledge,
    DateTimeOffset? EscalatedAt,
    string? EscalatedTo,
    string Status,
    bool Breached)
{
    /// <summary>The view of a stored hand-off at <paramref name="now"/>.</summary>
    public static HandOffView From(HandOffRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var deadline = record.EscalatedAt ?? record.DueAt;
        var breached = record.EscalatedAt is not null || (deadline is { } due && (record.AcknowledgedAt ?? now) > due);
        return new HandOffView(
            record.Id,
            record.ContactId.ToString(),
            record.Team,
            record.Owner,
            record.RoutedBy,
            record.JourneyId,
            record.CreatedAt,
            record.DueAt,
            record.AcknowledgedAt,
            record.AcknowledgedBy,
            record.AcknowledgedAt is { } at ? (at - record.CreatedAt).TotalSeconds : null,
            record.EscalatedAt,
            record.EscalatedTo,
            record.AcknowledgedAt is null ? "open" : "acknowledged",
            breached);
    }
}

/// <summary>A sales team as the API shows it.</summary>
internal sealed record TeamView(string Id, string? Name, int? Version, IReadOnlyList<string> Owners, IReadOnlyList<string> Routing, string? Sla, string? Escalation, DateTimeOffset UpdatedAt, string Document)
{
    /// <summary>The view of a stored team document.</summary>
    public static TeamView From(StoredDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var team = (DocumentParser.Parse(document.Draft, document.Id) as ParsedSalesTeam)?.SalesTeam;
        return new TeamView(
            document.Id,
            team?.Name,
            document.PublishedVersion,
            [.. team?.Owners.Select(owner => owner.Id) ?? []],
            [.. team?.Routing.Select(rule => rule.Name) ?? []],
            team?.Sla is { } sla ? Duration.Format(sla) : null,
            team?.Escalation.ToString().ToLowerInvariant(),
            document.UpdatedAt,
            document.Draft);
    }
}

/// <summary>The hand-off report: the summary of the window and the hand-offs that match the filters.</summary>
internal sealed record HandOffReportView(HandOffSummaryView Summary, IReadOnlyList<HandOffView> Items);

/// <summary>The hand-offs of a window: how many are open, acknowledged, breached and escalated, how fast, and per owner.</summary>
internal sealed record HandOffSummaryView(
    DateTimeOffset From,
    DateTimeOffset To,
    int Total,
    int Open,
    int Acknowledged,
    int Breached,
    int Escalated,
    AcknowledgementTimesView TimeToAcknowledge,
    IReadOnlyList<OwnerSummaryView> ByOwner);

/// <summary>One owner's hand-offs (<c>(unrouted)</c>: those routed to nobody).</summary>
internal sealed record OwnerSummaryView(string Owner, int Total, int Breached, AcknowledgementTimesView TimeToAcknowledge);

/// <summary>How many hand-offs were acknowledged and the median, 90th percentile and mean seconds it took (null: none).</summary>
internal sealed record AcknowledgementTimesView(int Acknowledged, double? MedianSeconds, double? P90Seconds, double? AverageSeconds);
