using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// Fencing, first in every commit: a batch that carries a lease (<see cref="CommitBatch.Lease"/>) is written only while
/// its epoch is still the partition's; otherwise the commit fails with <see cref="PartitionFencedException"/> before any
/// of its rows is written. The check locks the partition's row where the database can (PostgreSQL's <c>FOR UPDATE</c>),
/// so a takeover waits for a commit under way and the commits after it see the new epoch; SQLite's single writer orders
/// them the same way.
/// </summary>
internal sealed class LeaseRows : CommitWriter
{
    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Lease is not { } lease)
        {
            return;
        }

        var owners = await session.QueryAsync(
            "SELECT epoch, owner FROM partition_owners WHERE partition_index = @partition" + session.Dialect.LockRows,
            parameters => parameters.Add("partition", lease.Partition),
            static row => (Epoch: row.GetLong(0), Owner: row.GetText(1)),
            cancellationToken).ConfigureAwait(false);
        if (owners is not [var current] || current.Epoch != lease.Epoch)
        {
            throw owners is [var other]
                ? new PartitionFencedException(lease, other.Owner, other.Epoch)
                : new PartitionFencedException(lease, "nobody (a server with fewer partitions started since)", 0);
        }
    }
}
