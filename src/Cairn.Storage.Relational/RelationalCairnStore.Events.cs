using Cairn.Core;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="IEventLog"/>: the append-only log (appended by the commit's <see cref="EventRows"/>).</summary>
public abstract partial class RelationalCairnStore
{
    private const string EventColumns = "seq, message_id, contact_id, type, name, timestamp, received_at, json";

    /// <summary>The JSON column of a history read that keeps no event's JSON (typed, so that PostgreSQL's UNION agrees).</summary>
    private const string NoJson = "CASE WHEN 1 = 0 THEN json END";

    /// <inheritdoc />
    public Task<IReadOnlySet<string>> FindExistingMessageIdsAsync(IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messageIds);
        return WithSessionAsync<IReadOnlySet<string>>(
            async session =>
            {
                var found = new HashSet<string>(StringComparer.Ordinal);
                foreach (var chunk in messageIds.Distinct(StringComparer.Ordinal).Chunk(500))
                {
                    await session.ForEachAsync(
                        parameters => $"SELECT message_id FROM events WHERE message_id IN ({parameters.List("p", chunk)})",
                        row => found.Add(row.GetText(0)),
                        cancellationToken).ConfigureAwait(false);
                }

                return found;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<StoredEvent?> GetEventAsync(string messageId, CancellationToken cancellationToken) =>
        (await QueryAsync(
            $"SELECT {EventColumns} FROM events WHERE message_id = @message_id",
            parameters => parameters.Add("message_id", messageId),
            ReadEvent,
            cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public Task<long> CountEventsAsync(CancellationToken cancellationToken) => CountAsync("SELECT COUNT(*) FROM events", null, cancellationToken);

    /// <inheritdoc />
    public async Task<Page<StoredEvent>> GetEventsAsync(ContactId id, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        long afterTime = 0;
        long afterSequence = 0;
        if (cursor is not null && !Cursors.TryReadEvent(cursor, out afterTime, out afterSequence))
        {
            throw new InvalidCursorException();
        }

        var events = await QueryAsync(
            $"SELECT {EventColumns} FROM events WHERE contact_id = @contact_id"
                + (cursor is null ? string.Empty : " AND (timestamp, seq) < (@after_time, @after_seq)")
                + " ORDER BY timestamp DESC, seq DESC LIMIT @limit",
            parameters =>
            {
                parameters.Add("contact_id", id.ToString());
                parameters.Add("limit", limit + 1);
                if (cursor is not null)
                {
                    parameters.AddTime("after_time", Cursors.FromUnixMicroseconds(afterTime));
                    parameters.Add("after_seq", afterSequence);
                }
            },
            ReadEvent,
            cancellationToken).ConfigureAwait(false);
        return Page.Of(events, limit, Cursors.ForEvent);
    }

    /// <inheritdoc />
    public async Task<Page<StoredEvent>> GetEventsBetweenAsync(DateTimeOffset since, DateTimeOffset until, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        long afterTime = 0;
        long afterSequence = 0;
        if (cursor is not null && !Cursors.TryReadEvent(cursor, out afterTime, out afterSequence))
        {
            throw new InvalidCursorException();
        }

        // A range read of events_time (migration 0016) from the cursor's time that stops after the page: SQLite does not
        // seek an index by a row value, so the cursor's time bounds the range and the sequence skips the ties already read.
        // What Cairn records itself (AudienceDecider.Announcement) has a message id starting with the contact's id and a colon.
        var events = await QueryAsync(
            $"SELECT {EventColumns} FROM events WHERE timestamp >= @from AND timestamp <= @to"
                + (cursor is null ? string.Empty : " AND timestamp >= @after_time AND (timestamp > @after_time OR seq > @after_seq)")
                + " AND message_id NOT LIKE contact_id || ':%' ORDER BY timestamp, seq LIMIT @limit",
            parameters =>
            {
                parameters.AddTime("from", since);
                parameters.AddTime("to", until);
                parameters.Add("limit", limit + 1);
                if (cursor is not null)
                {
                    parameters.AddTime("after_time", Cursors.FromUnixMicroseconds(afterTime));
                    parameters.Add("after_seq", afterSequence);
                }
            },
            ReadEvent,
            cancellationToken).ConfigureAwait(false);
        return Page.Of(events, limit, Cursors.ForEvent);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DateTimeOffset>> GetEventTimesAsync(IReadOnlyCollection<string> names, DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        return await QueryAsync(
            parameters =>
            {
                var list = parameters.List("n", names);
                parameters.AddTime("since", since);
                parameters.Add("limit", limit);
                return $"SELECT timestamp FROM events WHERE name IN ({list}) AND timestamp >= @since ORDER BY timestamp DESC LIMIT @limit";
            },
            static row => row.GetTime(0),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<ContactId, List<StoredEvent>>> GetEventsOfAsync(IReadOnlyCollection<ContactId> contacts, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        ArgumentNullException.ThrowIfNull(names);
        var byContact = new Dictionary<ContactId, List<StoredEvent>>();
        if (contacts.Count == 0 || names.Count == 0)
        {
            return byContact;
        }

        var events = await QueryAsync(
            parameters => $"SELECT {EventColumns} FROM events WHERE contact_id IN ({parameters.List("c", contacts.Select(id => id.ToString()))}) AND {NameFilter(parameters, names, "n")} ORDER BY contact_id, timestamp DESC, seq DESC",
            ReadEvent,
            cancellationToken).ConfigureAwait(false);
        foreach (var stored in events)
        {
            if (!byContact.TryGetValue(stored.ContactId, out var list))
            {
                byContact[stored.ContactId] = list = [];
            }

            list.Add(stored);
        }

        return byContact;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredEvent>> GetHistoryAsync(ContactId id, IReadOnlyCollection<string>? names, IReadOnlyCollection<string>? withProperties, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (names is { Count: 0 })
        {
            return [];
        }

        return await QueryAsync(
            parameters =>
            {
                parameters.Add("contact_id", id.ToString());
                parameters.Add("limit", limit);
                var json = withProperties switch
                {
                    null => "json",
                    { Count: 0 } => "NULL",
                    _ => $"CASE WHEN {NameFilter(parameters, withProperties, "p")} THEN json END",
                };
                var filter = names is null ? string.Empty : " AND " + NameFilter(parameters, names, "n");
                return $"SELECT seq, message_id, contact_id, type, name, timestamp, received_at, {json} FROM events WHERE contact_id = @contact_id{filter} ORDER BY timestamp DESC, seq DESC LIMIT @limit";
            },
            ReadEvent,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<HistoryRead> GetHistoryAsync(ContactId id, IReadOnlyCollection<HistoryRequest> requests, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (!requests.Any(request => request.Newest > 0 || request.Since is not null || request.LatestPast || request.Oldest))
        {
            return new HistoryRead([], new HashSet<string>(StringComparer.Ordinal));
        }

        // One sub-query per part of each name, each on the contact's (contact, timestamp) index and stopping at its own
        // count, joined into one statement. A part that reads a span is cut one past the limit, to tell that it was.
        var spans = new List<(int Part, string Name)>();
        var counts = new List<int>();
        var read = new Dictionary<long, StoredEvent>();
        await WithSessionAsync(
            async session =>
            {
                await session.ForEachAsync(
                    parameters => HistoryStatement(parameters, id, requests, now, limit, spans, counts),
                    row =>
                    {
                        var part = row.Reader.GetInt32(0);
                        var stored = ReadEvent(row, 1);
                        if (++counts[part] > limit && spans.Exists(span => span.Part == part))
                        {
                            // One past the limit: the span had more events than are read. (Another part may read it too.)
                            return;
                        }

                        read.TryAdd(stored.Sequence, stored);
                    },
                    cancellationToken).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);

        var exceeded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (part, name) in spans)
        {
            if (counts[part] > limit)
            {
                exceeded.Add(name);
            }
        }

        return new HistoryRead(
            [.. read.Values.OrderByDescending(stored => stored.Timestamp).ThenByDescending(stored => stored.Sequence)],
            exceeded);
    }

    /// <summary>The statement of <see cref="GetHistoryAsync(ContactId, IReadOnlyCollection{HistoryRequest}, DateTimeOffset, int, CancellationToken)"/>: its parts, and which of them read a span.</summary>
    private static string HistoryStatement(Parameters parameters, ContactId id, IReadOnlyCollection<HistoryRequest> requests, DateTimeOffset now, int limit, List<(int Part, string Name)> spans, List<int> counts)
    {
        parameters.Add("contact_id", id.ToString());
        parameters.AddTime("now", now);
        parameters.Add("span_limit", limit + 1);
        var parts = new List<string>();
        var index = 0;
        foreach (var request in requests)
        {
            var name = NameFilter(parameters, [request.Name], $"r{index}n");
            var json = request.Properties ? "json" : NoJson;
            void Part(string where, string order, string count, bool span)
            {
                if (span)
                {
                    spans.Add((parts.Count, request.Name));
                }

                parts.Add($"SELECT * FROM (SELECT {parts.Count} AS part, seq, message_id, contact_id, type, name, timestamp, received_at, {json} AS json FROM events "
                    + $"WHERE contact_id = @contact_id AND {name}{where} ORDER BY {order} LIMIT {count}) AS p{parts.Count}");
                counts.Add(0);
            }

            const string newest = "timestamp DESC, seq DESC";
            if (request.Newest > 0)
            {
                parameters.Add($"r{index}k", request.Newest);
                Part(string.Empty, newest, $"@r{index}k", span: false);
            }

            if (request.Since is { } since)
            {
                var from = since == DateTimeOffset.MinValue ? string.Empty : $" AND timestamp >= @r{index}s";
                if (from.Length > 0)
                {
                    parameters.AddTime($"r{index}s", since);
                }

                Part(from, newest, "@span_limit", span: true);
            }

            if (request.LatestPast)
            {
                Part(" AND timestamp > @now", newest, "@span_limit", span: true);
                Part(" AND timestamp <= @now", newest, "1", span: false);
            }

            if (request.Oldest)
            {
                Part(string.Empty, "timestamp, seq", "1", span: false);
            }

            index++;
        }

        return string.Join(" UNION ALL ", parts);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<StoredEvent> StreamHistoryAsync(
        ContactId id,
        IReadOnlyCollection<string> names,
        IReadOnlyCollection<string> withProperties,
        DateTimeOffset since,
        bool oldestFirst,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(withProperties);
        if (names.Count == 0)
        {
            return AsyncEnumerable.Empty<StoredEvent>();
        }

        return StreamAsync(
            parameters =>
            {
                parameters.Add("contact_id", id.ToString());
                var json = withProperties.Count == 0 ? NoJson : $"CASE WHEN {NameFilter(parameters, withProperties, "p")} THEN json END";
                var from = since == DateTimeOffset.MinValue ? string.Empty : " AND timestamp >= @since";
                if (from.Length > 0)
                {
                    parameters.AddTime("since", since);
                }

                return $"SELECT seq, message_id, contact_id, type, name, timestamp, received_at, {json} FROM events "
                    + $"WHERE contact_id = @contact_id AND {NameFilter(parameters, names, "n")}{from} ORDER BY {(oldestFirst ? "timestamp, seq" : "timestamp DESC, seq DESC")}";
            },
            ReadEvent,
            cancellationToken);
    }

    /// <summary>
    /// The condition (with its parameters added) that keeps the events conditions over <paramref name="names"/> read:
    /// track events by name, the other types (<c>$page</c>, <c>$identify</c> …) by type.
    /// </summary>
    private static string NameFilter(Parameters parameters, IReadOnlyCollection<string> names, string prefix)
    {
        var filters = new List<string>();
        if (names.Where(name => !name.StartsWith('$')).ToList() is { Count: > 0 } tracks)
        {
            // `name || ''` keeps the planner off the (name, timestamp) index: the contact is the selective part,
            // and SQLite without statistics would otherwise walk every event of the name.
            filters.Add($"(type = '{MessageType.Track.ToWireName()}' AND name || '' IN ({parameters.List(prefix, tracks)}))");
        }

        if (names.Where(name => name.StartsWith('$')).Select(name => name[1..]).ToList() is { Count: > 0 } types)
        {
            filters.Add($"type IN ({parameters.List(prefix + "t", types)})");
        }

        return $"({string.Join(" OR ", filters)})";
    }

    private static StoredEvent ReadEvent(Row row) => ReadEvent(row, 0);

    /// <summary>
    /// An event from the <see cref="EventColumns"/> starting at <paramref name="first"/>, its JSON as written (the log keeps
    /// it without what its columns hold: <see cref="EventBody"/>); a null JSON reads as empty.
    /// </summary>
    private static StoredEvent ReadEvent(Row row, int first)
    {
        var messageId = row.GetText(first + 1);
        var type = ReadType(row.GetText(first + 3));
        return new(
            row.Reader.GetInt64(first),
            messageId,
            row.GetContactId(first + 2),
            type,
            row.GetText(first + 4),
            row.GetTime(first + 5),
            row.GetTime(first + 6),
            EventBody.Restore(row.GetTextOrNull(first + 7) ?? string.Empty, type, messageId));
    }

    /// <summary>A stored message type column.</summary>
    internal static MessageType ReadType(string stored) =>
        MessageTypes.TryParse(stored, out var type) ? type : throw new InvalidDataException($"Unknown stored message type '{stored}'.");
}
