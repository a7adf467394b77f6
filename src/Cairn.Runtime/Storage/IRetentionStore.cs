namespace Cairn.Runtime.Storage;

/// <summary>
/// Retention (docs/retention.md): the stored policy, what each kind's pass deleted, and the deletions themselves — each
/// one short transaction over at most a batch of rows, found by walking an index, so the pass never holds the writer
/// for long (SQLite has one) and never scans a table per batch.
/// </summary>
public interface IRetentionStore
{
    /// <summary>The stored policy document (JSON), or null when none was ever stored (everything is kept).</summary>
    Task<string?> GetRetentionPolicyAsync(CancellationToken cancellationToken);

    /// <summary>Stores the policy document (JSON), replacing the one stored, and forgets every kind's resume position.</summary>
    Task SaveRetentionPolicyAsync(string json, CancellationToken cancellationToken);

    /// <summary>What each kind's pass deleted (kinds that never ran have no row).</summary>
    Task<IReadOnlyList<RetentionRun>> GetRetentionRunsAsync(CancellationToken cancellationToken);

    /// <summary>Stores a kind's counts and resume position, replacing what was stored for it.</summary>
    Task SaveRetentionRunAsync(RetentionRun run, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> events named <paramref name="name"/> whose time is before
    /// <paramref name="before"/>, oldest first (a range of the <c>events_name_time</c> index); returns how many.
    /// </summary>
    Task<int> DeleteEventsNamedAsync(string name, DateTimeOffset before, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Walks the next <paramref name="limit"/> events before <paramref name="before"/> after <paramref name="after"/> (the
    /// start when null) in (time, sequence) order — a range of the <c>events_time</c> index — and deletes those whose name
    /// is not one of <paramref name="except"/> (names with a rule of their own). Returns how many it deleted and the
    /// position to continue from, null when the walk reached <paramref name="before"/>.
    /// </summary>
    Task<(int Deleted, string? Next)> DeleteEventsAsync(DateTimeOffset before, IReadOnlyCollection<string> except, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the body (payload and subject) of up to <paramref name="limit"/> finished messages created before
    /// <paramref name="before"/>, oldest first, stamping <paramref name="now"/> as when it went; the rows and their
    /// statuses stay. Queued, sending and dead-letter messages keep their bodies (they may still be sent). Returns how many.
    /// </summary>
    Task<int> RemoveMessageBodiesAsync(DateTimeOffset before, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="limit"/> finished messages (whole rows) created before <paramref name="before"/>, oldest first; returns how many.</summary>
    Task<int> DeleteFinishedMessagesAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="limit"/> development-mailbox messages kept before <paramref name="before"/>, oldest first; returns how many.</summary>
    Task<int> DeleteMailboxMessagesAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Tidies after a batch of deletions, before the next: SQLite copies the write-ahead log's frames into the database
    /// (a passive checkpoint, which never waits for or blocks a writer), so the pages a batch rewrote are not left for an
    /// ingestion commit to checkpoint; a no-op where the database needs nothing.
    /// </summary>
    Task AfterRetentionBatchAsync(CancellationToken cancellationToken);
}

/// <summary>What one retention kind's pass deleted.</summary>
/// <param name="Kind">The kind (<c>events</c>, <c>message_bodies</c>, <c>messages</c>, <c>mailbox</c> …).</param>
/// <param name="LastDeleted">Rows deleted (or bodies removed) by the last pass, or the one under way.</param>
/// <param name="TotalDeleted">Rows deleted by every pass so far.</param>
/// <param name="LastRunAt">When the last pass of the kind ran (its latest batch); null when it never did.</param>
/// <param name="Resume">Where an interrupted pass continues its walk; null when the last pass finished.</param>
public sealed record RetentionRun(string Kind, long LastDeleted, long TotalDeleted, DateTimeOffset? LastRunAt, string? Resume);
