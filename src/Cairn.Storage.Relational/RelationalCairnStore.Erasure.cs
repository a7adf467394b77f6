using System.Globalization;
using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="IErasureStore"/>: what an erasure removes, the removal in one transaction, and its audit log.</summary>
public abstract partial class RelationalCairnStore
{
    /// <summary>
    /// What an erasure deletes, in order, by the kind it counts the rows under: <c>{0}</c> is the list of contact ids
    /// (named twice for pending merges, which a contact is on either side of).
    /// </summary>
    private static readonly (string Kind, string Sql)[] ErasedRows =
    [
        ("mailbox", "DELETE FROM mailbox WHERE message_id IN (SELECT message_id FROM outbox WHERE contact_id IN ({0}))"),
        ("messages", "DELETE FROM outbox WHERE contact_id IN ({0})"),
        ("events", "DELETE FROM events WHERE contact_id IN ({0})"),
        ("conversions", "DELETE FROM conversions WHERE contact_id IN ({0})"),
        ("identities", "DELETE FROM identities WHERE contact_id IN ({0})"),
        ("timers", "DELETE FROM timers WHERE contact_id IN ({0})"),
        ("enrollments", "DELETE FROM enrollments WHERE contact_id IN ({0})"),
        ("journey_reviews", "DELETE FROM journey_reviews WHERE contact_id IN ({0})"),
        ("segment_members", "DELETE FROM segment_members WHERE segment_id = @segment AND contact_id IN ({0})"),
        ("handoffs", "DELETE FROM handoffs WHERE contact_id IN ({0})"),
        ("devices", "DELETE FROM devices WHERE contact_id IN ({0})"),
        ("inbox", "DELETE FROM inbox WHERE contact_id IN ({0})"),
        ("pending_merges", "DELETE FROM pending_merges WHERE from_id IN ({0}) OR into_id IN ({0})"),
        ("contacts", "DELETE FROM contacts WHERE id IN ({0})"),
    ];

    /// <inheritdoc />
    public Task<IReadOnlyList<ContactState>> GetContactGroupAsync(ContactId id, CancellationToken cancellationToken) =>
        WithSessionAsync<IReadOnlyList<ContactState>>(
            async session =>
            {
                var group = new List<ContactState>();
                if (await session.ScalarAsync("SELECT state FROM contacts WHERE id = @id", parameters => parameters.Add("id", id.ToString()), cancellationToken).ConfigureAwait(false) is not string json)
                {
                    return group;
                }

                group.Add(ContactStateJson.Deserialize(json));

                // Merges chain (a contact merged into one that was merged in turn): follow them to the end.
                var seen = new HashSet<string>(StringComparer.Ordinal) { id.ToString() };
                List<string> frontier = [id.ToString()];
                while (frontier.Count > 0)
                {
                    var next = new List<string>();
                    foreach (var chunk in frontier.Chunk(500))
                    {
                        await session.ForEachAsync(
                            parameters => $"SELECT id, state FROM contacts WHERE merged_into IN ({parameters.List("p", chunk)})",
                            row =>
                            {
                                if (seen.Add(row.GetText(0)))
                                {
                                    next.Add(row.GetText(0));
                                    group.Add(ContactStateJson.Deserialize(row.GetText(1)));
                                }
                            },
                            cancellationToken).ConfigureAwait(false);
                    }

                    frontier = next;
                }

                await AddActiveEnrollmentsAsync(session, group, cancellationToken).ConfigureAwait(false);
                return group;
            },
            cancellationToken);

    /// <inheritdoc />
    public async Task<ErasureRecord> EraseContactsAsync(ContactId subject, IReadOnlyCollection<ContactId> contacts, IReadOnlyCollection<string> segments, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        ArgumentNullException.ThrowIfNull(segments);
        var record = await InTransactionAsync(session => DeleteContactsAsync(session, subject, contacts, segments, reason, at, cancellationToken), cancellationToken).ConfigureAwait(false);
        await AfterErasureAsync(record, cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ErasureRecord>> ListErasuresAsync(int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT id, contact_id, reason, erased_at, deleted FROM erasures ORDER BY erased_at DESC, id DESC LIMIT @limit",
            parameters => parameters.Add("limit", limit),
            static row => new ErasureRecord(
                row.GetText(0),
                row.GetContactId(1),
                row.GetText(2),
                row.GetTime(3),
                JsonSerializer.Deserialize<SortedDictionary<string, long>>(row.GetText(4)) ?? []),
            cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Runs after an erasure has committed, outside its transaction: what the provider must do so that the deleted rows
    /// are gone from its files too (SQLite truncates its write-ahead log). Nothing by default. An override must not
    /// throw: the erasure has committed, and its caller must learn so.
    /// </summary>
    /// <param name="erasure">The committed erasure.</param>
    /// <param name="cancellationToken">The erasure's cancellation token.</param>
    protected virtual Task AfterErasureAsync(ErasureRecord erasure, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deletes every row of <paramref name="contacts"/>, counting them by kind, and records the erasure.</summary>
    private static async Task<ErasureRecord> DeleteContactsAsync(SqlSession session, ContactId subject, IReadOnlyCollection<ContactId> contacts, IReadOnlyCollection<string> segments, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var ids = contacts.Select(id => id.ToString()).Distinct(StringComparer.Ordinal).ToList();

        // Read before the rows go: the identifiers the audit log may name the contacts by.
        var identifiers = await IdentifiersOfAsync(session, ids, cancellationToken).ConfigureAwait(false);
        var deleted = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (kind, sql) in ErasedRows)
        {
            // Segment members are deleted segment by segment (of the segments given), on the (segment, contact) key.
            IEnumerable<string?> scopes = kind == "segment_members" ? [.. segments.Distinct(StringComparer.Ordinal)] : [null];
            foreach (var segment in scopes)
            {
                foreach (var chunk in ids.Chunk(200))
                {
                    var rows = await session.ExecuteAsync(
                        parameters =>
                        {
                            if (segment is not null)
                            {
                                parameters.Add("segment", segment);
                            }

                            return string.Format(CultureInfo.InvariantCulture, sql, parameters.List("p", chunk));
                        },
                        cancellationToken).ConfigureAwait(false);
                    deleted[kind] = deleted.GetValueOrDefault(kind) + rows;
                }
            }
        }

        await RedactAuditAsync(session, ids, identifiers, at, cancellationToken).ConfigureAwait(false);
        var record = new ErasureRecord(Guid.CreateVersion7(at).ToString("N"), subject, reason, at, deleted);
        await session.ExecuteAsync(
            "INSERT INTO erasures (id, contact_id, reason, erased_at, deleted) VALUES (@id, @contact_id, @reason, @erased_at, @deleted)",
            parameters =>
            {
                parameters.Add("id", record.Id);
                parameters.Add("contact_id", subject.ToString());
                parameters.Add("reason", reason);
                parameters.AddTime("erased_at", at);
                parameters.Add("deleted", JsonSerializer.Serialize(deleted));
            },
            cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>The e-mail addresses, phone numbers, userIds and anonymous ids of <paramref name="ids"/>: from their profiles and their identities.</summary>
    private static async Task<HashSet<string>> IdentifiersOfAsync(SqlSession session, List<string> ids, CancellationToken cancellationToken)
    {
        var identifiers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var chunk in ids.Chunk(200))
        {
            await session.ForEachAsync(
                parameters => $"SELECT state FROM contacts WHERE id IN ({parameters.List("p", chunk)})",
                row =>
                {
                    var contact = ContactStateJson.Deserialize(row.GetText(0));
                    foreach (var value in new[] { contact.Email, contact.Phone, contact.UserId }.Concat(contact.AnonymousIds))
                    {
                        if (!string.IsNullOrWhiteSpace(value))
                        {
                            identifiers.Add(value);
                        }
                    }
                },
                cancellationToken).ConfigureAwait(false);
            await session.ForEachAsync(
                parameters => $"SELECT value FROM identities WHERE contact_id IN ({parameters.List("p", chunk)})",
                row => identifiers.Add(row.GetText(0)),
                cancellationToken).ConfigureAwait(false);
        }

        return identifiers;
    }
}
