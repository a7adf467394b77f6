using Cairn.Core;

namespace Cairn.Runtime.Storage;

/// <summary>
/// The event log: append-only, idempotent by message id (appended by <see cref="IPartitionWriter.CommitAsync"/>), read
/// by contact timelines, history conditions and engagement statistics.
/// </summary>
public interface IEventLog
{
    /// <summary>Of <paramref name="messageIds"/>, the ones already in the event log.</summary>
    Task<IReadOnlySet<string>> FindExistingMessageIdsAsync(IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken);

    /// <summary>One stored event by message id.</summary>
    Task<StoredEvent?> GetEventAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>How many events the log holds.</summary>
    Task<long> CountEventsAsync(CancellationToken cancellationToken);

    /// <summary>A contact's events, newest event time first, in pages.</summary>
    /// <param name="id">The contact.</param>
    /// <param name="cursor">The <see cref="Page{T}.NextCursor"/> of the previous page, or null for the first.</param>
    /// <param name="limit">Page size, 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    Task<Page<StoredEvent>> GetEventsAsync(ContactId id, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The events recorded from outside (the ones Cairn derives itself — sends, score crossings, segment entries — left
    /// out) whose event time is in [<paramref name="since"/>, <paramref name="until"/>], oldest first (by time, then as
    /// recorded), in pages: what a simulation replays of a period. Each page is a range read of the index on
    /// (timestamp, seq) that stops at the page's size, so a period of any length is read in bounded memory.
    /// </summary>
    /// <param name="since">The period's start (included).</param>
    /// <param name="until">The period's end (included).</param>
    /// <param name="cursor">The <see cref="Page{T}.NextCursor"/> of the previous page, or null for the first.</param>
    /// <param name="limit">Page size, 1 to 10,000.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    Task<Page<StoredEvent>> GetEventsBetweenAsync(DateTimeOffset since, DateTimeOffset until, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>When events of these names happened since <paramref name="since"/>, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<DateTimeOffset>> GetEventTimesAsync(IReadOnlyCollection<string> names, DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The events of <paramref name="contacts"/> that conditions over the event names <paramref name="names"/> read
    /// (a track event's name, or <c>$page</c>, <c>$identify</c> … for the other types), by contact, newest first:
    /// one query for a page of contacts (segment previews).
    /// </summary>
    Task<IReadOnlyDictionary<ContactId, List<StoredEvent>>> GetEventsOfAsync(IReadOnlyCollection<ContactId> contacts, IReadOnlyCollection<string> names, CancellationToken cancellationToken);

    /// <summary>
    /// The history conditions read for one contact: its latest <paramref name="limit"/> events named in
    /// <paramref name="names"/> (as in <see cref="GetEventsOfAsync"/>), or of any name when it is null, newest first;
    /// with the message JSON only for the names in <paramref name="withProperties"/> (all when null) — the others
    /// come with an empty <see cref="StoredEvent.Json"/>, which is most of the cost of reading them.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> GetHistoryAsync(ContactId id, IReadOnlyCollection<string>? names, IReadOnlyCollection<string>? withProperties, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// What history clauses read of one contact, name by name (<paramref name="requests"/>, as of
    /// <paramref name="now"/>), in one query: no name's events crowd out another's. A part that reads every event of a
    /// span (every event since a time, every event after <paramref name="now"/>) reads at most <paramref name="limit"/>
    /// of them, newest first, and names the event in <see cref="HistoryRead.Exceeded"/> when there were more; the
    /// caller then reads that name with <see cref="StreamHistoryAsync"/>, which holds no more than one event at a time.
    /// </summary>
    Task<HistoryRead> GetHistoryAsync(ContactId id, IReadOnlyCollection<HistoryRequest> requests, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Every event of one contact named in <paramref name="names"/> at or after <paramref name="since"/>, newest first (or
    /// oldest first), read one by one from the database as the caller consumes them; with the message JSON only for the
    /// names in <paramref name="withProperties"/>. For clauses that read every event of a long history.
    /// </summary>
    IAsyncEnumerable<StoredEvent> StreamHistoryAsync(ContactId id, IReadOnlyCollection<string> names, IReadOnlyCollection<string> withProperties, DateTimeOffset since, bool oldestFirst, CancellationToken cancellationToken);
}
