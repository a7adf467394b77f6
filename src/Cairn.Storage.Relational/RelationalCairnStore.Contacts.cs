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
    public static int SampleBucket(ContactId id) => ContactBucket.Of(id);

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
        var trimmed = query?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return await ListContactsAsync(cursor, limit, cancellationToken).ConfigureAwait(false);
        }

        if (trimmed.Length > IContactStore.MaxSearchQuery)
        {
            throw new ArgumentException($"A search query has at most {IContactStore.MaxSearchQuery} characters.", nameof(query));
        }

        // Trigrams need 3 characters: a shorter query is a prefix of an identifier, answered from the identifiers' indexes.
        if (trimmed.EnumerateRunes().Count() < 3)
        {
            return await SearchPrefixAsync(trimmed, cursor, limit, cancellationToken).ConfigureAwait(false);
        }

        return Dialect.FullTextContacts
            ? await SearchFullTextAsync(trimmed, cursor, limit, cancellationToken).ConfigureAwait(false)
            : await SearchTrigramsAsync(trimmed, cursor, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Page<ContactState>> FindContactsByTraitAsync(string trait, string? value, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(trait);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        (string Key, string Id) after = default;
        if (cursor is not null && !Cursors.TryReadContactKey(cursor, out after.Key, out after.Id))
        {
            throw new InvalidCursorException();
        }

        // The (name, value, contact) key gives the candidates in (value, id) order, from the cursor on; each is checked on its state.
        var candidates = await QueryKeyedContactsAsync(
            "SELECT t.value, c.state FROM contact_traits AS t JOIN contacts AS c ON c.id = t.contact_id"
                + " WHERE t.name = @name AND c.merged_into IS NULL"
                + (value is null ? string.Empty : " AND t.value = @value")
                + (cursor is null ? string.Empty : " AND (t.value, t.contact_id) > (@after_key, @after_id)")
                + " ORDER BY t.value, t.contact_id LIMIT @limit",
            parameters =>
            {
                parameters.Add("name", TraitKeys.Name(trait));
                parameters.Add("limit", limit + 1);
                if (value is not null)
                {
                    parameters.Add("value", TraitKeys.Text(value));
                }

                if (cursor is not null)
                {
                    parameters.Add("after_key", after.Key);
                    parameters.Add("after_id", after.Id);
                }
            },
            static row => row.GetText(0),
            cancellationToken).ConfigureAwait(false);
        var page = candidates.Take(limit)
            .Where(candidate => candidate.State.Traits.TryGetValue(trait, out var found) && TraitKeys.Matches(found.Value, value))
            .Select(candidate => candidate.State)
            .ToList();
        return new Page<ContactState>(page, candidates.Count > limit ? Cursors.ForContactKey(candidates[limit - 1].Key, candidates[limit - 1].State.Id) : null);
    }

    /// <summary>Every unmerged contact, oldest first: a row-value comparison on the cursor is a range on the (created_at, id) index.</summary>
    private async Task<Page<ContactState>> ListContactsAsync(string? cursor, int limit, CancellationToken cancellationToken)
    {
        var after = ReadContactCursor(cursor);
        var contacts = await QueryContactsAsync(
            "SELECT state, created_at FROM contacts WHERE merged_into IS NULL"
                + (cursor is null ? string.Empty : " AND (created_at, id) > (@after_time, @after_id)")
                + " ORDER BY created_at, id LIMIT @limit",
            parameters =>
            {
                parameters.Add("limit", limit + 1);
                AddContactCursor(parameters, cursor, after);
            },
            cancellationToken).ConfigureAwait(false);
        return Page.Of(contacts, limit, Cursors.ForContact);
    }

    /// <summary>
    /// A substring of 3 characters or more by the trigram index (PostgreSQL's pg_trgm): the planner picks it for a rare
    /// substring, or walks the (created_at, id) index for a common one until the page is full.
    /// </summary>
    private async Task<Page<ContactState>> SearchTrigramsAsync(string query, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var after = ReadContactCursor(cursor);
        var contacts = await QueryContactsAsync(
            "SELECT state, created_at FROM contacts WHERE merged_into IS NULL AND (search LIKE @pattern ESCAPE '\\' OR user_id = @query)"
                + (cursor is null ? string.Empty : " AND (created_at, id) > (@after_time, @after_id)")
                + " ORDER BY created_at, id LIMIT @limit",
            parameters =>
            {
                parameters.Add("limit", limit + 1);
                parameters.Add("query", query);
                parameters.Add("pattern", "%" + EscapeLike(query.ToLowerInvariant()) + "%");
                AddContactCursor(parameters, cursor, after);
            },
            cancellationToken).ConfigureAwait(false);
        return Page.Of(contacts, limit, Cursors.ForContact);
    }

    /// <summary>
    /// A substring of 3 characters or more by the FTS5 trigram table (SQLite), in rowid order, which the table streams:
    /// a page reads its own rows whether the substring is rare or common. The query is one quoted phrase (every character
    /// literal), and each match is checked with LIKE on the row, as the search has always matched. An exact user id is
    /// looked up by its index and merged in rowid order.
    /// </summary>
    private async Task<Page<ContactState>> SearchFullTextAsync(string query, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var after = 0L;
        if (cursor is not null && !Cursors.TryReadPosition(cursor, out after))
        {
            throw new InvalidCursorException();
        }

        void Bind(Parameters parameters)
        {
            parameters.Add("after", after);
            parameters.Add("limit", limit + 1);
            parameters.Add("query", query);
            parameters.Add("match", "\"" + query.ToLowerInvariant().Replace("\"", "\"\"", StringComparison.Ordinal) + "\"");
            parameters.Add("pattern", "%" + EscapeLike(query.ToLowerInvariant()) + "%");
        }

        var matches = await QueryKeyedContactsAsync(
            "SELECT c.rowid, c.state FROM contacts_fts JOIN contacts AS c ON c.rowid = contacts_fts.rowid"
                + " WHERE contacts_fts MATCH @match AND contacts_fts.rowid > @after AND c.merged_into IS NULL AND c.search LIKE @pattern ESCAPE '\\'"
                + " ORDER BY contacts_fts.rowid LIMIT @limit",
            Bind,
            static row => row.GetLong(0),
            cancellationToken).ConfigureAwait(false);
        var users = await QueryKeyedContactsAsync(
            "SELECT rowid, state FROM contacts WHERE user_id = @query AND merged_into IS NULL AND rowid > @after ORDER BY rowid LIMIT @limit",
            Bind,
            static row => row.GetLong(0),
            cancellationToken).ConfigureAwait(false);
        var merged = matches.Concat(users).DistinctBy(match => match.Key).OrderBy(match => match.Key).Take(limit + 1).ToList();
        return new Page<ContactState>(
            [.. merged.Take(limit).Select(match => match.State)],
            merged.Count > limit ? Cursors.ForPosition(merged[limit - 1].Key) : null);
    }

    /// <summary>
    /// A query of 1–2 characters: the contacts whose email (case-insensitively), user id, phone or an anonymous id starts
    /// with it, each from its index as a range in byte order, merged in (identifier, id) order. A contact that several of
    /// its identifiers match is listed once, at the first of them.
    /// </summary>
    private async Task<Page<ContactState>> SearchPrefixAsync(string query, string? cursor, int limit, CancellationToken cancellationToken)
    {
        (string Key, string Id) after = default;
        if (cursor is not null && !Cursors.TryReadContactKey(cursor, out after.Key, out after.Id))
        {
            throw new InvalidCursorException();
        }

        var lower = query.ToLowerInvariant();
        var collate = Dialect.FullTextContacts ? string.Empty : " COLLATE \"C\"";
        var candidates = new List<(string Key, string Id)>();
        foreach (var (column, table, id, filter, prefix) in new[]
        {
            ("email", "contacts", "id", "merged_into IS NULL", lower),
            ("user_id", "contacts", "id", "merged_into IS NULL", query),
            ("phone", "contacts", "id", "merged_into IS NULL", query),
            ("value", "identities", "contact_id", "kind = 'anon'", query),
        })
        {
            var key = column + collate;
            candidates.AddRange(await QueryAsync(
                $"SELECT {column}, {id} FROM {table} WHERE {filter} AND {key} >= @low AND {key} < @high"
                    + (cursor is null ? string.Empty : $" AND {key} >= @after_key AND ({key} > @after_key OR {id} > @after_id)")
                    + $" ORDER BY {key}, {id} LIMIT @limit",
                parameters =>
                {
                    parameters.Add("low", prefix);
                    parameters.Add("high", prefix + "\U0010FFFF");
                    parameters.Add("limit", limit + 1);
                    if (cursor is not null)
                    {
                        parameters.Add("after_key", after.Key);
                        parameters.Add("after_id", after.Id);
                    }
                },
                static row => (row.GetText(0), row.GetText(1)),
                cancellationToken).ConfigureAwait(false));
        }

        var page = candidates
            .OrderBy(candidate => candidate.Key, StringComparer.Ordinal).ThenBy(candidate => candidate.Id, StringComparer.Ordinal)
            .Take(limit + 1)
            .ToList();
        var states = await GetContactsAsync([.. page.Take(limit).Select(candidate => Row.ParseContactId(candidate.Id))], cancellationToken).ConfigureAwait(false);
        var contacts = page.Take(limit)
            .Where(candidate => states.TryGetValue(Row.ParseContactId(candidate.Id), out var state) && state.MergedInto is null
                && string.Equals(FirstPrefixed(state, query, lower), candidate.Key, StringComparison.Ordinal))
            .Select(candidate => states[Row.ParseContactId(candidate.Id)])
            .ToList();
        return new Page<ContactState>(contacts, page.Count > limit ? Cursors.ForContactKey(page[limit - 1].Key, Row.ParseContactId(page[limit - 1].Id)) : null);
    }

    /// <summary>The first (ordinal) of a contact's identifiers that start with the prefix: where a prefix search lists it.</summary>
    private static string? FirstPrefixed(ContactState state, string query, string lower) =>
        new[] { state.Email?.ToLowerInvariant() }.Where(email => email?.StartsWith(lower, StringComparison.Ordinal) == true)
            .Concat(new[] { state.UserId, state.Phone }.Concat(state.AnonymousIds).Where(id => id?.StartsWith(query, StringComparison.Ordinal) == true))
            .Min(StringComparer.Ordinal);

    private static (long Time, string Id) ReadContactCursor(string? cursor)
    {
        (long Time, string Id) after = default;
        return cursor is not null && !Cursors.TryReadContact(cursor, out after.Time, out after.Id) ? throw new InvalidCursorException() : after;
    }

    private static void AddContactCursor(Parameters parameters, string? cursor, (long Time, string Id) after)
    {
        if (cursor is not null)
        {
            parameters.AddTime("after_time", Cursors.FromUnixMicroseconds(after.Time));
            parameters.Add("after_id", after.Id);
        }
    }

    /// <summary>The contacts a query selects (a key in its first column, their JSON in its second), each with its active enrollments.</summary>
    private Task<List<(TKey Key, ContactState State)>> QueryKeyedContactsAsync<TKey>(string sql, Action<Parameters> bind, Func<Row, TKey> key, CancellationToken cancellationToken) =>
        WithSessionAsync(
            async session =>
            {
                var rows = await session.QueryAsync(sql, bind, row => (Key: key(row), State: ContactStateJson.Deserialize(row.GetText(1))), cancellationToken).ConfigureAwait(false);
                var contacts = rows.ConvertAll(row => row.State);
                await AddActiveEnrollmentsAsync(session, contacts, cancellationToken).ConfigureAwait(false);
                return rows.Select((row, i) => (row.Key, contacts[i])).ToList();
            },
            cancellationToken);

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
