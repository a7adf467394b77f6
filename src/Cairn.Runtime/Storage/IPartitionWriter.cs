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

    /// <summary>
    /// Takes partition <paramref name="partition"/> over for <paramref name="owner"/>: its epoch rises by one (to 1 the
    /// first time), and from then on a commit that carries an older epoch (<see cref="CommitBatch.Lease"/>) fails with
    /// <see cref="PartitionFencedException"/> and writes nothing. A commit under way when the takeover starts finishes
    /// first.
    /// </summary>
    Task<PartitionLease> TakePartitionAsync(int partition, string owner, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the ownership of every partition from <paramref name="count"/> on: a server with more partitions than the
    /// one starting has its commits of those refused too (a commit whose partition has no row is fenced), so no contact
    /// is written by two servers that hash contacts to partitions differently. Returns how many rows it removed.
    /// </summary>
    Task<int> ForgetPartitionsAsync(int count, CancellationToken cancellationToken);

    /// <summary>Every partition's owner as the database has it, by partition (none before a server first started).</summary>
    Task<IReadOnlyList<PartitionOwner>> GetPartitionOwnersAsync(CancellationToken cancellationToken);
}

/// <summary>A partition's row of ownership: its epoch, the server that took it last and when.</summary>
public sealed record PartitionOwner(int Partition, long Epoch, string Owner, DateTimeOffset TakenAt);

/// <summary>A partition's ownership as a server took it: its commits carry it, and are refused once another took it over.</summary>
/// <param name="Partition">The partition's index.</param>
/// <param name="Epoch">The epoch the takeover raised it to.</param>
/// <param name="Owner">The server that took it (host, process and start).</param>
public sealed record PartitionLease(int Partition, long Epoch, string Owner);

/// <summary>
/// A partition's commit was refused: another server took the partition over (a higher epoch) since this one did, so this
/// one must not write it any more. Nothing of the commit was written.
/// </summary>
public sealed class PartitionFencedException : Exception
{
    /// <summary>Creates the exception for <paramref name="stale"/>, taken over by <paramref name="owner"/> at <paramref name="epoch"/>.</summary>
    public PartitionFencedException(PartitionLease stale, string owner, long epoch)
        : base($"Partition {stale?.Partition} was taken over by {owner} (epoch {epoch}; this server holds epoch {stale?.Epoch}): another Cairn server writes to the same database, so this one writes no more.")
    {
        ArgumentNullException.ThrowIfNull(stale);
        (Stale, Owner, Epoch) = (stale, owner, epoch);
    }

    /// <summary>The lease the refused commit carried.</summary>
    public PartitionLease Stale { get; }

    /// <summary>The partition's owner now.</summary>
    public string Owner { get; }

    /// <summary>The partition's epoch now.</summary>
    public long Epoch { get; }
}
