using System.Data.Common;
using System.Threading.Channels;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// <see cref="IPartitionWriter"/>: a partition's batch in one transaction, written by the row writers in their order
/// (<see cref="CommitWriters"/>). With one writer (SQLite), concurrent commits queue and one loop writes everything queued
/// in one transaction: many partitions' batches share one fsync (group commit across partitions). With concurrent
/// writers (PostgreSQL), a batch a transient failure rolled back is written again.
/// </summary>
public abstract partial class RelationalCairnStore
{
    private readonly CommitWriter[] _writers;
    private readonly Channel<(CommitBatch Batch, TaskCompletionSource Done)>? _commits;
    private readonly Task? _writerLoop;

    /// <inheritdoc />
    public Task CommitAsync(CommitBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty)
        {
            return Task.CompletedTask;
        }

        if (_commits is null)
        {
            return WriteRetryingAsync(batch, cancellationToken);
        }

        // Once queued, the batch is written whatever the caller does; cancellation only stops the waiting.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _commits.Writer.TryWrite((batch, done))
            ? done.Task.WaitAsync(cancellationToken)
            : throw new ObjectDisposedException(GetType().Name);
    }

    /// <summary>
    /// Writes one partition's batch in its own transaction; a transient failure (a deadlock or serialization failure
    /// between partitions committing at once on PostgreSQL) rolled all of it back, so it is written again, twice at most.
    /// </summary>
    private async Task WriteRetryingAsync(CommitBatch batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync([batch], cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (DbException exception) when (exception.IsTransient && attempt < 3)
            {
                LogCommitRetried(_logger, ProviderName, attempt, exception.SqlState);
                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var queued = new List<(CommitBatch Batch, TaskCompletionSource Done)>();
        while (await _commits!.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_commits.Reader.TryRead(out var commit))
            {
                queued.Add(commit);
            }

            try
            {
                await WriteAsync([.. queued.Select(commit => commit.Batch)], CancellationToken.None).ConfigureAwait(false);
                queued.ForEach(commit => commit.Done.TrySetResult());
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                queued.ForEach(commit => commit.Done.TrySetException(exception));
            }

            queued.Clear();
        }
    }

    /// <summary>Writes <paramref name="batches"/>, in order, in one transaction: each batch by every row writer in turn.</summary>
    private Task WriteAsync(IReadOnlyList<CommitBatch> batches, CancellationToken cancellationToken) =>
        InTransactionAsync(
            async session =>
            {
                foreach (var batch in batches)
                {
                    foreach (var writer in _writers)
                    {
                        await writer.WriteAsync(session, batch, cancellationToken).ConfigureAwait(false);
                    }
                }
            },
            cancellationToken);
}
