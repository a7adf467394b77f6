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
