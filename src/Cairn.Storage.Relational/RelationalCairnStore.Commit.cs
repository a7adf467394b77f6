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

    /// <summary>
    /// The commit loop of a single-writer database: everything queued since the last commit is written in one transaction
    /// on the loop's own connection, held open with its prepared statements (<see cref="StatementCache"/>). A failed commit
    /// fails every batch in it and the loop starts again on a new connection.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        var queued = new List<(CommitBatch Batch, TaskCompletionSource Done)>();
        StatementCache? held = null;
        try
        {
            while (await _commits!.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (_commits.Reader.TryRead(out var commit))
                {
                    queued.Add(commit);
                }

                try
                {
                    held ??= new StatementCache(await OpenWriterConnectionAsync(CancellationToken.None).ConfigureAwait(false));
                    await WriteHeldAsync(held, [.. queued.Select(commit => commit.Batch)]).ConfigureAwait(false);
                    queued.ForEach(commit => commit.Done.TrySetResult());
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    queued.ForEach(commit => commit.Done.TrySetException(exception));
                    await ReleaseAsync(held).ConfigureAwait(false);
                    held = null;
                }

                queued.Clear();
            }
        }
        finally
        {
            await ReleaseAsync(held).ConfigureAwait(false);
        }

        static async Task ReleaseAsync(StatementCache? held)
        {
            if (held is not null)
            {
                await held.DisposeAsync().ConfigureAwait(false);
                await held.Connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The connection the commit loop holds open (by default any connection).</summary>
    protected virtual ValueTask<DbConnection> OpenWriterConnectionAsync(CancellationToken cancellationToken) => OpenConnectionAsync(cancellationToken);

    /// <summary>Writes <paramref name="batches"/>, in order, in one transaction on the commit loop's connection, in the writer's turn.</summary>
    private async Task WriteHeldAsync(StatementCache held, IReadOnlyList<CommitBatch> batches) =>
        await InWriterTurnAsync(
            async () =>
            {
                await using var session = await SqlSession.StartHeldAsync(held, Dialect, CancellationToken.None).ConfigureAwait(false);
                await WriteBatchesAsync(session, batches, CancellationToken.None).ConfigureAwait(false);
                await session.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                return true;
            },
            CancellationToken.None).ConfigureAwait(false);

    /// <summary>Writes <paramref name="batches"/>, in order, in one transaction: each batch by every row writer in turn.</summary>
    private Task WriteAsync(IReadOnlyList<CommitBatch> batches, CancellationToken cancellationToken) =>
        InTransactionAsync(session => WriteBatchesAsync(session, batches, cancellationToken), cancellationToken);

    private async Task WriteBatchesAsync(SqlSession session, IReadOnlyList<CommitBatch> batches, CancellationToken cancellationToken)
    {
        foreach (var batch in batches)
        {
            foreach (var writer in _writers)
            {
                await writer.WriteAsync(session, batch, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
