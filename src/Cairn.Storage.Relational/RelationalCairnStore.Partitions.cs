using System.Globalization;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// Partition ownership (migration 0028): a takeover raises the partition's epoch; <see cref="LeaseRows"/> checks it at
/// the start of each commit that carries a lease.
/// </summary>
public abstract partial class RelationalCairnStore
{
    /// <inheritdoc />
    public async Task<PartitionLease> TakePartitionAsync(int partition, string owner, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        var epoch = await InTransactionAsync(
            async session => Convert.ToInt64(
                await session.ScalarAsync(
                    """
                    INSERT INTO partition_owners (partition_index, epoch, owner, taken_at) VALUES (@partition, 1, @owner, @at)
                    ON CONFLICT (partition_index) DO UPDATE SET epoch = partition_owners.epoch + 1, owner = excluded.owner, taken_at = excluded.taken_at
                    RETURNING epoch
                    """,
                    parameters =>
                    {
                        parameters.Add("partition", partition);
                        parameters.Add("owner", owner);
                        parameters.AddTime("at", now);
                    },
                    cancellationToken).ConfigureAwait(false),
                CultureInfo.InvariantCulture),
            cancellationToken).ConfigureAwait(false);
        return new PartitionLease(partition, epoch, owner);
    }

    /// <inheritdoc />
    public Task<int> ForgetPartitionsAsync(int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return ExecuteAsync("DELETE FROM partition_owners WHERE partition_index >= @count", parameters => parameters.Add("count", count), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PartitionOwner>> GetPartitionOwnersAsync(CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT partition_index, epoch, owner, taken_at FROM partition_owners ORDER BY partition_index",
            null,
            static row => new PartitionOwner(row.GetInt(0), row.GetLong(1), row.GetText(2), row.GetTime(3)),
            cancellationToken).ConfigureAwait(false);
}
