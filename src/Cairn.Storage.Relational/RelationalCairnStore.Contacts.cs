using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// <see cref="IContactStore"/>: contact rows (each read with its active enrollments' rows), identities and pending merges
/// (written by the commit's row writers).
/// </summary>
public abstract partial class RelationalCairnStore
{
    // Contact ids per query that reads contacts (or their enrollments) by id: well under every database's parameter limit.
    private const int ContactChunk = 500;

    /// <summary>A contact's sample bucket: a hash of its id, uniform over <see cref="IContactStore.SampleBuckets"/>.</summary>
    public static int SampleBucket(ContactId id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.Value.TryWriteBytes(bytes);
        var mixed = (BitConverter.ToUInt64(bytes[..8]) ^ BitConverter.ToUInt64(bytes[8..])) * 0x9E3779B97F4A7C15UL;
        return (int)((mixed >> 32) % IContactStore.SampleBuckets);
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<ContactId, ContactState>> GetContactsAsync(IReadOnlyCollection<ContactId> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return WithSessionAsync<IReadOnlyDictionary<ContactId, ContactState>>(
            async session =>
            {
                var found = new List<ContactState>();
                foreach (var chunk in ids.Distinct().Chunk(ContactChunk))
                {
                    await session.ForEachAsync(
                        parameters => $"SELECT state FROM contacts WHERE id IN ({parameters.List("p", chunk.Select(id => id.ToString()))})",
                        row => found.Add(ReadContact(row)),
                        cancellationToken).ConfigureAwait(false);
                }

                await AddActiveEnrollmentsAsync(session, found, cancellationToken).ConfigureAwait(false);
                return found.ToDictionary(state => state.Id);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ContactState?> GetContactAsync(ContactId id, CancellationToken cancellationToken)
    {
        var found = await GetContactsAsync([id], cancellationToken).ConfigureAwait(false);
        return found.GetValueOrDefault(id);
    }

    /// <inheritdoc />
    public async Task<Page<ContactState>> SearchContactsAsync(string? query, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        (long Time, string Id) after = default;
        if (cursor is not null && !Cursors.TryReadContact(cursor, out after.Time, out after.Id))
        {
            throw new InvalidCursorException();
        }

        // A row-value comparison on the cursor is a range on the (created_at, id) index: a deep page does not rescan the ones before it.
        var filtered = !string.IsNullOrWhiteSpace(query);
        var contacts = await QueryContactsAsync(
            "SELECT state, created_at FROM contacts WHERE merged_into IS NULL"
                + (filtered ? " AND (search LIKE @pattern ESCAPE '\\' OR user_id = @query)" : string.Empty)
                + (cursor is null ? string.Empty : " AND (created_at, id) > (@after_time, @after_id)")
                + " ORDER BY created_at, id LIMIT @limit",
            parameters =>
            {
                parameters.Add("limit", limit + 1);
                if (filtered)
                {
                    var trimmed = query!.Trim();
                    parameters.Add("query", trimmed);
                    parameters.Add("pattern", "%" + EscapeLike(trimmed.ToLowerInvariant()) + "%");
                }

                if (cursor is not null)
                {
                    parameters.AddTime("after_time", Cursors.FromUnixMicroseconds(after.Time));
                    parameters.Add("after_id", after.Id);
                }
            },
            cancellationToken).ConfigureAwait(false);
        return contacts.Count > limit
            ? new Page<ContactState>(contacts.GetRange(0, limit), Cursors.ForContact(contacts[limit - 1]))
            : new Page<ContactState>(contacts, null);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactId>> ListContactIdsAsync(string? after, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT id FROM contacts WHERE merged_into IS NULL AND id > @after ORDER BY id LIMIT @limit",
            parameters =>
            {
                parameters.Add("after", after ?? string.Empty);
                parameters.Add("limit", limit);
            },
            static row => row.GetContactId(0),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task<long> CountContactsAsync(CancellationToken cancellationToken) =>
        CountAsync("SELECT COUNT(*) FROM contacts WHERE merged_into IS NULL", null, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactState>> GetSampleAsync(int buckets, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        return await QueryContactsAsync(
            "SELECT state FROM contacts WHERE merged_into IS NULL AND bucket < @buckets",
            parameters => parameters.Add("buckets", buckets),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ContactId>> FindContactsByEmailAsync(string email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        return FindContactsByAsync("email", email.ToLowerInvariant(), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ContactId>> FindContactsByPhoneAsync(string phone, CancellationToken cancellationToken) =>
        FindContactsByAsync("phone", phone, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<IdentityMapping> ReadIdentitiesAsync(CancellationToken cancellationToken) =>
        StreamAsync(
            static _ => "SELECT kind, value, contact_id FROM identities",
            static row => new IdentityMapping(new IdentityKey(IdentityKey.ParseKind(row.GetText(0)), row.GetText(1)), row.GetContactId(2)),
            cancellationToken);

    /// <inheritdoc />
    public async Task<ContactId?> FindContactAsync(IdentityKey identity, CancellationToken cancellationToken) =>
        await ScalarAsync(
            "SELECT contact_id FROM identities WHERE kind = @kind AND value = @value",
            parameters =>
            {
                parameters.Add("kind", identity.KindName);
                parameters.Add("value", identity.Value);
            },
            cancellationToken).ConfigureAwait(false) is string id ? Row.ParseContactId(id) : null;

    /// <inheritdoc />
    public async Task<IReadOnlyList<PendingMerge>> GetPendingMergesAsync(CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT from_id, into_id FROM pending_merges",
            null,
            static row => new PendingMerge(row.GetContactId(0), row.GetContactId(1)),
            cancellationToken).ConfigureAwait(false);

    /// <summary>The unmerged contacts whose <paramref name="column"/> (an indexed lookup column) is <paramref name="value"/>, oldest first.</summary>
    private async Task<IReadOnlyList<ContactId>> FindContactsByAsync(string column, string value, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT id FROM contacts WHERE {column} = @value AND merged_into IS NULL ORDER BY created_at, id",
            parameters => parameters.Add("value", value),
            static row => row.GetContactId(0),
            cancellationToken).ConfigureAwait(false);

    /// <summary>A contact's state from its JSON in the first column, without its active enrollments.</summary>
    private static ContactState ReadContact(Row row) => ContactStateJson.Deserialize(row.GetText(0));

    /// <summary>The contacts a query selects (their JSON in its first column), each with its active enrollments.</summary>
    private Task<List<ContactState>> QueryContactsAsync(string sql, Action<Parameters> bind, CancellationToken cancellationToken) =>
        WithSessionAsync(
            async session =>
            {
                var contacts = await session.QueryAsync(sql, bind, ReadContact, cancellationToken).ConfigureAwait(false);
                await AddActiveEnrollmentsAsync(session, contacts, cancellationToken).ConfigureAwait(false);
                return contacts;
            },
            cancellationToken);

    /// <summary>
    /// Gives each of <paramref name="contacts"/> (read from their profile rows) its active enrollments, read from their
    /// rows: one query per <see cref="ContactChunk"/> contacts, on the (contact, enrollment) key. The profiles and the
    /// enrollments are two reads, not one snapshot: a contact's rows change only in its partition's commits, and the
    /// partition, which must see them whole, reads its contacts between its commits.
    /// </summary>
    private static async Task AddActiveEnrollmentsAsync(SqlSession session, List<ContactState> contacts, CancellationToken cancellationToken)
    {
        var active = new Dictionary<string, List<Enrollment>>(StringComparer.Ordinal);
        foreach (var chunk in contacts.Select(contact => contact.Id.ToString()).Chunk(ContactChunk))
        {
            await session.ForEachAsync(
                parameters => $"SELECT contact_id, state FROM enrollments WHERE contact_id IN ({parameters.List("p", chunk)}) AND ended_at IS NULL",
                row =>
                {
                    var contact = row.GetText(0);
                    if (!active.TryGetValue(contact, out var enrollments))
                    {
                        active[contact] = enrollments = [];
                    }

                    enrollments.Add(JourneyMembershipsJson.Deserialize(row.GetText(1)));
                },
                cancellationToken).ConfigureAwait(false);
        }

        for (var i = 0; i < contacts.Count && active.Count > 0; i++)
        {
            if (active.Remove(contacts[i].Id.ToString(), out var enrollments))
            {
                contacts[i] = JourneyMembershipsJson.WithActive(contacts[i], enrollments);
            }
        }
    }

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
