using Cairn.Core;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="IHandOffStore"/>: hand-offs (written by the commit's <see cref="HandOffRows"/>) and what routing remembers of them.</summary>
public abstract partial class RelationalCairnStore
{
    private const string HandOffColumns = "id, contact_id, team, owner_id, routed_by, domain, journey_id, created_at, due_at, acknowledged_at, acknowledged_by, escalated_at, escalated_to";

    /// <inheritdoc />
    public async Task<IReadOnlyList<HandOffRecord>> GetHandOffsAsync(string? owner, ContactId? contactId, DateTimeOffset since, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {HandOffColumns} FROM handoffs WHERE created_at >= @since"
                + (owner is null ? string.Empty : " AND owner_id = @owner")
                + (contactId is null ? string.Empty : " AND contact_id = @contact_id")
                + " ORDER BY created_at DESC, id LIMIT @limit",
            parameters =>
            {
                parameters.AddTime("since", since);
                if (owner is not null)
                {
                    parameters.Add("owner", owner);
                }

                if (contactId is { } contact)
                {
                    parameters.Add("contact_id", contact.ToString());
                }

                parameters.Add("limit", limit);
            },
            ReadHandOff,
            cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The SQL of a breach at <c>@now</c>: escalated, acknowledged after it was due, or open past due; what
    /// <see cref="HandOffRecord.IsBreached"/> says (a null due time compares to nothing, so it is no breach).
    /// </summary>
    private const string BreachedSql = "(escalated_at IS NOT NULL OR COALESCE(acknowledged_at, @now) > due_at)";

    /// <inheritdoc />
    /// <remarks>The window walks the created_at index newest first; the keyset (created_at, id) continues after the cursor.</remarks>
    public async Task<Page<HandOffRecord>> QueryHandOffsAsync(HandOffQuery query, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var scope = query.Scope();
        (DateTimeOffset Time, string Id) after = default;
        if (cursor is not null && !Cursors.TryReadKey(cursor, 'h', scope, out after.Time, out after.Id))
        {
            throw new InvalidCursorException();
        }

        var status = query.Status switch
        {
            HandOffStatus.Open => " AND acknowledged_at IS NULL",
            HandOffStatus.Acknowledged => " AND acknowledged_at IS NOT NULL",
            HandOffStatus.Breached => " AND " + BreachedSql,
            HandOffStatus.Escalated => " AND escalated_at IS NOT NULL",
            _ => string.Empty,
        };
        var rows = await QueryAsync(
            $"SELECT {HandOffColumns} FROM handoffs WHERE {HandOffWindow(query)}{status}"
                + (cursor is null ? string.Empty : " AND (created_at, id) < (@after_time, @after_id)")
                + " ORDER BY created_at DESC, id DESC LIMIT @limit",
            parameters =>
            {
                AddHandOffWindow(parameters, query);
                parameters.Add("limit", limit + 1);
                if (cursor is not null)
                {
                    parameters.AddTime("after_time", after.Time);
                    parameters.Add("after_id", after.Id);
                }
            },
            ReadHandOff,
            cancellationToken).ConfigureAwait(false);
        return Page.Of(rows, limit, last => Cursors.ForKey('h', scope, last.CreatedAt, last.Id));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Two reads of the window: the counts per owner, and the acknowledgement times (one integer column, in
    /// microseconds, shortest first) from which the caller takes exact percentiles.
    /// </remarks>
    public Task<IReadOnlyList<HandOffOwnerSummary>> SummarizeHandOffsAsync(HandOffQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return WithSessionAsync<IReadOnlyList<HandOffOwnerSummary>>(
            async session =>
            {
                var counts = await session.QueryAsync(
                    "SELECT owner_id, COUNT(*), SUM(CASE WHEN acknowledged_at IS NULL THEN 1 ELSE 0 END),"
                        + $" SUM(CASE WHEN {BreachedSql} THEN 1 ELSE 0 END), SUM(CASE WHEN escalated_at IS NOT NULL THEN 1 ELSE 0 END)"
                        + $" FROM handoffs WHERE {HandOffWindow(query)} GROUP BY owner_id",
                    parameters => AddHandOffWindow(parameters, query),
                    static row => (Owner: row.GetTextOrNull(0), Total: row.GetInt(1), Open: row.GetInt(2), Breached: row.GetInt(3), Escalated: row.GetInt(4)),
                    cancellationToken).ConfigureAwait(false);
                var times = await session.QueryAsync(
                    $"SELECT owner_id, {Dialect.MicrosecondsBetween("acknowledged_at", "created_at")} AS micros FROM handoffs"
                        + $" WHERE {HandOffWindow(query)} AND acknowledged_at IS NOT NULL ORDER BY micros",
                    parameters => AddHandOffWindow(parameters, query),
                    static row => (Owner: row.GetTextOrNull(0), Seconds: row.GetLong(1) / 1_000_000d),
                    cancellationToken).ConfigureAwait(false);
                var byOwner = times.ToLookup(time => time.Owner, time => time.Seconds, StringComparer.Ordinal);
                return [.. counts.Select(count => new HandOffOwnerSummary(
                    count.Owner,
                    count.Total,
                    count.Open,
                    count.Total - count.Open,
                    count.Breached,
                    count.Escalated,
                    [.. byOwner[count.Owner]]))];
            },
            cancellationToken);
    }

    // The window and the owner and contact filters of a hand-off query (parameters @since, @now, @owner, @contact_id).
    private static string HandOffWindow(HandOffQuery query) =>
        "created_at >= @since"
            + (query.Owner is null ? string.Empty : " AND owner_id = @owner")
            + (query.ContactId is null ? string.Empty : " AND contact_id = @contact_id");

    private static void AddHandOffWindow(Parameters parameters, HandOffQuery query)
    {
        parameters.AddTime("since", query.Since);
        parameters.AddTime("now", query.Now);
        if (query.Owner is not null)
        {
            parameters.Add("owner", query.Owner);
        }

        if (query.ContactId is { } contact)
        {
            parameters.Add("contact_id", contact.ToString());
        }
    }

    /// <inheritdoc />
    public async Task<HandOffRecord?> GetHandOffAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {HandOffColumns} FROM handoffs WHERE id = @id", parameters => parameters.Add("id", id), ReadHandOff, cancellationToken).ConfigureAwait(false))
            .SingleOrDefault();

    /// <inheritdoc />
    public Task<(IReadOnlyList<(string Team, string Domain, string Owner)> Accounts, IReadOnlyList<(string Team, string Owner, DateTimeOffset At)> LastAssigned)> GetRoutingMemoryAsync(CancellationToken cancellationToken) =>
        WithSessionAsync<(IReadOnlyList<(string, string, string)>, IReadOnlyList<(string, string, DateTimeOffset)>)>(
            async session =>
            {
                var accounts = await session.QueryAsync(
                    "SELECT team, domain, owner_id FROM handoffs WHERE domain IS NOT NULL AND owner_id IS NOT NULL ORDER BY created_at, id",
                    null,
                    static row => (row.GetText(0), row.GetText(1), row.GetText(2)),
                    cancellationToken).ConfigureAwait(false);
                var last = await session.QueryAsync(
                    "SELECT team, owner_id, MAX(created_at) FROM handoffs WHERE owner_id IS NOT NULL GROUP BY team, owner_id",
                    null,
                    static row => (row.GetText(0), row.GetText(1), row.GetTime(2)),
                    cancellationToken).ConfigureAwait(false);
                return (accounts, last);
            },
            cancellationToken);

    private static HandOffRecord ReadHandOff(Row row) => new(
        row.GetText(0),
        row.GetContactId(1),
        row.GetText(2),
        row.GetTextOrNull(3),
        row.GetText(4),
        row.GetTextOrNull(5),
        row.GetText(6),
        row.GetTime(7),
        row.GetTimeOrNull(8),
        row.GetTimeOrNull(9),
        row.GetTextOrNull(10),
        row.GetTimeOrNull(11),
        row.GetTextOrNull(12));
}
