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
        teams.MapPut("/{id}", PutTeamAsync).Audited("sales_team.saved", DocumentParser.SalesTeamKind, document: AuditedDocument.Draft)
            .WithSummary("Stores the sales team document (owners, routing rules, webhook, SLA, escalation) and uses it for the next hand-off. A journey whose owner is the team's id hands off to it.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        teams.MapArchive(DocumentParser.SalesTeamKind, "Retires the team. Refused (409) while a live journey hands off to it.");

        var handOffs = api.MapGroup("/handoffs").WithTags("Sales hand-off");
        handOffs.MapGet("/", ReportAsync)
            .WithSummary("Hand-offs of the last `days` (default 30), newest first, with a summary: how many, acknowledged, open, SLA breaches, time to acknowledge, per owner. Filters: owner, contactId, status (open, acknowledged, breached, escalated). The list is paged: `limit` (default 100) per page, `cursor` the `nextCursor` of the page before (400 when it is not one of this query).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        handOffs.MapGet("/{id}", async (string id, IHandOffStore handOffStore, TimeProvider time, CancellationToken cancellationToken) =>
                View(id, await handOffStore.GetHandOffAsync(id, cancellationToken).ConfigureAwait(false), time))
            .WithSummary("One hand-off.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        handOffs.MapPost("/{id}/ack", async (string id, HttpContext context, ContactCommands contactCommands, TimeProvider time) =>
                View(id, await contactCommands.AcknowledgeHandOffAsync(id, AcknowledgedBy(context), context.RequestAborted).ConfigureAwait(false), time))
            .Audited("handoff.acknowledged", "handoff")
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

    private static async Task<Results<Ok<HandOffReportView>, ProblemHttpResult>> ReportAsync(string? owner, string? contactId, string? status, int? days, int? limit, string? cursor, IHandOffStore handOffStore, TimeProvider time, CancellationToken cancellationToken)
    {
        if (status is not (null or "open" or "acknowledged" or "breached" or "escalated"))
        {
            return Problems.BadRequest("status is open, acknowledged, breached or escalated.");
        }

        HandOffStatus? statusFilter = status switch
        {
            "open" => HandOffStatus.Open,
            "acknowledged" => HandOffStatus.Acknowledged,
            "breached" => HandOffStatus.Breached,
            "escalated" => HandOffStatus.Escalated,
            _ => null,
        };
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
        var query = new HandOffQuery(now - window, now, owner, contact, statusFilter);
        var page = await handOffStore.QueryHandOffsAsync(query, cursor, limit ?? 100, cancellationToken).ConfigureAwait(false);
        var owners = await handOffStore.SummarizeHandOffsAsync(query, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new HandOffReportView(
            Summary(owners, query.Since, now),
            [.. page.Items.Select(handOff => HandOffView.From(handOff, now))],
            page.NextCursor));
    }

    private static HandOffSummaryView Summary(IReadOnlyList<HandOffOwnerSummary> owners, DateTimeOffset from, DateTimeOffset to)
    {
        // Exact percentiles of the times, shortest first: the median is the middle one, the 90th the ceiling rank.
        static AcknowledgementTimesView Times(IReadOnlyList<double> seconds) => new(
            seconds.Count,
            seconds.Count == 0 ? null : seconds[seconds.Count / 2],
            seconds.Count == 0 ? null : seconds[Math.Min(seconds.Count - 1, (int)Math.Ceiling(seconds.Count * 0.9) - 1)],
            seconds.Count == 0 ? null : Math.Round(seconds.Average(), 1));

        return new HandOffSummaryView(
            from,
            to,
            owners.Sum(row => row.Total),
            owners.Sum(row => row.Open),
            owners.Sum(row => row.Acknowledged),
            owners.Sum(row => row.Breached),
            owners.Sum(row => row.Escalated),
            Times([.. owners.SelectMany(row => row.SecondsToAcknowledge).Order()]),
            [.. owners.Select(row => (Owner: row.Owner ?? "(unrouted)", Row: row)).OrderBy(row => row.Owner, StringComparer.Ordinal).Select(row => new OwnerSummaryView(
                row.Owner,
                row.Row.Total,
                row.Row.Breached,
                Times(row.Row.SecondsToAcknowledge)))]);
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
            record.IsBreached(now));
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

/// <summary>
/// The hand-off report: the summary of the window and a page of the hand-offs that match the filters, newest first;
/// <see cref="NextCursor"/> (null on the last page) is the <c>cursor</c> of the next page.
/// </summary>
internal sealed record HandOffReportView(HandOffSummaryView Summary, IReadOnlyList<HandOffView> Items, string? NextCursor);

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
