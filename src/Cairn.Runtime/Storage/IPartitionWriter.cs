namespace Cairn.Runtime.Storage;

/// <summary>
/// The partition's write: everything one partition's drained batch changed, in one transaction — events, contacts,
/// identities, merges, timers, statistics, outbox messages, hand-offs, segment members, enrollments. It is a port of its
/// own, not a member of one role's port, because it spans every role's rows: the state change and the messages it
/// decided commit together or not at all (the outbox). Partitions are its only holders, so no reader of one role can
/// write contact state.
/// </summary>
public interface IPartitionWriter
{
    /// <summary>
    /// Commits everything in <paramref name="batch"/> in one transaction (group commit): events (a message id
    /// already stored is skipped, not an error), contact upserts, identity upserts, merge bookkeeping.
    /// Returns only once the transaction is durable.
    /// </summary>
    Task CommitAsync(CommitBatch batch, CancellationToken cancellationToken);
}
