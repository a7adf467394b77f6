using System.Globalization;

namespace Cairn.Http.Audit;

/// <summary>
/// The audit log: <c>GET /api/audit</c> (filters and cursor paging) and <c>GET /api/audit/{id}</c> (an entry with its
/// before and after documents and their diff), admin only; <c>GET /api/journeys/{id}/history</c>, a journey's own
/// entries, for anyone who may read the journey. Nothing edits or deletes an entry (see docs/audit.md).
/// </summary>
internal static class AuditEndpoints
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var audit = api.MapGroup("/audit").WithTags("Audit");
        audit.MapGet("/", ListAsync).RequireAdmin()
            .WithSummary("The audit log, newest first: every change a user or key made, who, when, from where. Filters: actor (id or name), action (exact, or a prefix ending in '.' or '*'), targetKind, targetId, from, to (ISO 8601); cursor paging (limit 1–500, default 50; 'nextCursor' is the cursor of the next page). Admin only.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        audit.MapGet("/{id}", GetAsync).RequireAdmin()
            .WithSummary("One audit entry with the document before and after the change and their line diff. Admin only.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/journeys/{id}/history", HistoryAsync).WithTags("Journeys", "Audit")
            .WithSummary("A journey's history from the audit log, newest first: drafts, publishes, pauses, resumes, archives, who made them and when (cursor paging as GET /api/audit).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    private static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> ListAsync(
        string? actor, string? action, string? targetKind, string? targetId, string? from, string? to, string? cursor, int? limit, IAuditStore auditStore, CancellationToken cancellationToken)
    {
        if (!TryTime(from, "from", out var since, out var problem) || !TryTime(to, "to", out var until, out problem))
        {
            return problem!;
        }

        foreach (var (name, value) in new[] { ("actor", actor), ("action", action), ("targetKind", targetKind), ("targetId", targetId) })
        {
            if (value is { Length: > 256 })
            {
                return Problems.BadRequest($"{name} is longer than 256 characters.");
            }
        }

        var query = new AuditQuery(Blank(actor), Blank(action), Blank(targetKind), Blank(targetId), since, until);
        return await PageAsync(query, cursor, limit, auditStore, cancellationToken).ConfigureAwait(false);
    }

    private static Task<Results<Ok<AuditPage>, ProblemHttpResult>> HistoryAsync(string id, string? cursor, int? limit, IAuditStore auditStore, CancellationToken cancellationToken) =>
        PageAsync(new AuditQuery(TargetKind: DocumentParser.JourneyKind, TargetId: id), cursor, limit, auditStore, cancellationToken);

    private static async Task<Results<Ok<AuditEntryDetail>, ProblemHttpResult>> GetAsync(string id, IAuditStore auditStore, CancellationToken cancellationToken)
    {
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || await auditStore.GetAuditEntryAsync(number, cancellationToken).ConfigureAwait(false) is not { } entry)
        {
            return Problems.NotFound($"There is no audit entry '{id}'.");
        }

        return TypedResults.Ok(new AuditEntryDetail(AuditEntryView.Of(entry), entry.Before, entry.After, TextDiff.Lines(entry.Before, entry.After)));
    }

    private static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> PageAsync(AuditQuery query, string? cursor, int? limit, IAuditStore auditStore, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return Problems.BadRequest($"limit must be between 1 and {MaxLimit}.");
        }

        var scope = Cursors.Scope(query.Actor, query.Action, query.TargetKind, query.TargetId, query.From?.ToString("O", CultureInfo.InvariantCulture), query.To?.ToString("O", CultureInfo.InvariantCulture));
        long? beforeId = null;
        if (cursor is not null)
        {
            if (!Cursors.TryReadKey(cursor, 'a', scope, out _, out var key) || !long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var after))
            {
                return Problems.BadRequest("The cursor is not one this listing gave with these filters.");
            }

            beforeId = after;
        }

        var size = limit ?? DefaultLimit;
        var entries = await auditStore.ListAuditAsync(query with { BeforeId = beforeId, Limit = size + 1 }, cancellationToken).ConfigureAwait(false);
        var page = entries.Take(size).ToList();
        var next = entries.Count > size ? Cursors.ForKey('a', scope, page[^1].At, page[^1].Id.ToString(CultureInfo.InvariantCulture)) : null;
        return TypedResults.Ok(new AuditPage([.. page.Select(AuditEntryView.Of)], next));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool TryTime(string? text, string name, out DateTimeOffset? time, out ProblemHttpResult? problem)
    {
        time = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            problem = Problems.BadRequest($"{name} is not an ISO 8601 time (e.g. 2026-12-01 or 2026-12-01T09:00:00Z).");
            return false;
        }

        time = parsed;
        return true;
    }
}

/// <summary>A page of the audit log, newest first; <paramref name="NextCursor"/> is the cursor of the next page (null on the last).</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntryView> Entries, string? NextCursor);

/// <summary>Who made a change: <c>user</c>, <c>key</c>, <c>configured-key</c>, <c>system</c> or <c>anonymous</c>, their id and name (a user's e-mail, a key's name).</summary>
public sealed record AuditActorView(string Kind, string? Id, string? Name);

/// <summary>What a change was made to.</summary>
public sealed record AuditTargetView(string Kind, string? Id);

/// <summary>One entry of the audit log, without its documents (<paramref name="HasDocuments"/> says whether <c>GET /api/audit/{id}</c> has them).</summary>
public sealed record AuditEntryView(
    long Id, DateTimeOffset At, AuditActorView Actor, string? IpAddress, string Action, AuditTargetView? Target, string Summary, int Status, bool HasDocuments, DateTimeOffset? RedactedAt)
{
    internal static AuditEntryView Of(AuditEntry entry) => new(
        entry.Id,
        entry.At,
        new AuditActorView(entry.ActorKind, entry.ActorId, entry.ActorName),
        entry.IpAddress,
        entry.Action,
        entry.TargetKind is { } kind ? new AuditTargetView(kind, entry.TargetId) : null,
        entry.Summary,
        entry.Status,
        entry.HasDocuments,
        entry.RedactedAt);
}

/// <summary>An audit entry with the document before and after the change (null when none) and their line diff.</summary>
public sealed record AuditEntryDetail(AuditEntryView Entry, string? Before, string? After, IReadOnlyList<DiffLine> Diff);
