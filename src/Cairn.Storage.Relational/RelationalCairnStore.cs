using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cairn.Storage.Relational;

/// <summary>
/// The SQL both providers share: the schema, the queries and the order of a commit are the same on SQLite and
/// PostgreSQL. One partial file per storage port (<c>RelationalCairnStore.Events.cs</c>, <c>.Contacts.cs</c> …);
/// the commit is a sequence of row writers (<see cref="CommitWriter"/>). A provider supplies connections and its
/// <see cref="SqlDialect"/>, and may act after an erasure (SQLite truncates its write-ahead log).
/// </summary>
public abstract partial class RelationalCairnStore : ICairnStore
{
    /// <summary>How long a write waits for the writer's turn on a single-writer database: SQLite's own busy timeout.</summary>
    private static readonly TimeSpan WriterTurnTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// On a single-writer database, the writer's turn: the commit loop and every other write transaction take it, so a
    /// write waits in this process, woken the moment the writer is free, instead of in SQLite's busy handler (which
    /// sleeps 1, 2, 5 … 100 ms between tries and so turns a 10 ms wait into a 50 ms one). Null with concurrent writers.
    /// </summary>
    private readonly SemaphoreSlim? _writerTurn;

    /// <summary>True in the flow that holds <see cref="_writerTurn"/>: a write nested in it does not wait for itself.</summary>
    private readonly AsyncLocal<bool> _holdsWriterTurn = new();

    private int _disposed;

    /// <summary>
    /// Creates the store over <paramref name="dialect"/>; a single-writer dialect funnels every commit through one writer
    /// loop. <paramref name="logger"/> hears of commits retried after a transient failure.
    /// </summary>
    protected RelationalCairnStore(SqlDialect dialect, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _logger = logger ?? NullLogger.Instance;
        Dialect = dialect;
        _writers = CommitWriters.For(dialect);
        if (dialect.SingleWriter)
        {
            _writerTurn = new SemaphoreSlim(1, 1);
            _commits = Channel.CreateUnbounded<(CommitBatch, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
            _writerLoop = Task.Run(WriteLoopAsync);
        }
    }

    /// <summary>The database's dialect.</summary>
    protected SqlDialect Dialect { get; }

    /// <inheritdoc />
    public string ProviderName => Dialect.Name;

    /// <summary>Opens a connection ready for use.</summary>
    protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            return Convert.ToInt32(await ScalarAsync("SELECT 1", null, cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 1;
        }
        catch (DbException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        // Every storage port is registered as this one instance, and the engine disposes it too: dispose once.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_commits is not null)
        {
            _commits.Writer.TryComplete();
            await _writerLoop!.ConfigureAwait(false);
        }

        _writerTurn?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A session on a new connection, in a transaction when <paramref name="transactional"/>.</summary>
    protected async Task<SqlSession> OpenSessionAsync(bool transactional, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await SqlSession.StartAsync(connection, Dialect, transactional, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads every row of a statement, on a connection of its own.</summary>
    protected Task<List<T>> QueryAsync<T>(string sql, Action<Parameters>? bind, Func<Row, T> read, CancellationToken cancellationToken) =>
        WithSessionAsync(session => session.QueryAsync(sql, bind, read, cancellationToken), cancellationToken);

    /// <summary>Reads every row of a statement whose SQL its parameters shape, on a connection of its own.</summary>
    protected Task<List<T>> QueryAsync<T>(Func<Parameters, string> statement, Func<Row, T> read, CancellationToken cancellationToken) =>
        WithSessionAsync(session => session.QueryAsync(statement, read, cancellationToken), cancellationToken);

    /// <summary>Reads a statement's rows one at a time as the caller consumes them, on a connection held until it stops.</summary>
    protected async IAsyncEnumerable<T> StreamAsync<T>(Func<Parameters, string> statement, Func<Row, T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var session = await OpenSessionAsync(transactional: false, cancellationToken).ConfigureAwait(false);
        await foreach (var item in session.StreamAsync(statement, read, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>Runs a statement that writes, on a connection of its own, in the writer's turn; returns the rows it affected.</summary>
    protected Task<int> ExecuteAsync(string sql, Action<Parameters>? bind, CancellationToken cancellationToken) =>
        InWriterTurnAsync(() => WithSessionAsync(session => session.ExecuteAsync(sql, bind, cancellationToken), cancellationToken), cancellationToken);

    /// <summary>Runs a statement that writes and whose SQL its parameters shape, in the writer's turn; returns the rows it affected.</summary>
    protected Task<int> ExecuteAsync(Func<Parameters, string> statement, CancellationToken cancellationToken) =>
        InWriterTurnAsync(() => WithSessionAsync(session => session.ExecuteAsync(statement, cancellationToken), cancellationToken), cancellationToken);

    /// <summary>The first column of a statement's first row (null when there is none), on a connection of its own.</summary>
    protected Task<object?> ScalarAsync(string sql, Action<Parameters>? bind, CancellationToken cancellationToken) =>
        WithSessionAsync(session => session.ScalarAsync(sql, bind, cancellationToken), cancellationToken);

    /// <summary>A count: the first column of a statement's first row, as a number.</summary>
    protected async Task<long> CountAsync(string sql, Action<Parameters>? bind, CancellationToken cancellationToken) =>
        Convert.ToInt64(await ScalarAsync(sql, bind, cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);

    /// <summary>Runs <paramref name="work"/> (several statements) on one connection, without a transaction.</summary>
    protected async Task<T> WithSessionAsync<T>(Func<SqlSession, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await using var session = await OpenSessionAsync(transactional: false, cancellationToken).ConfigureAwait(false);
        return await work(session).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, in the writer's turn (SQLite's transactions all write-lock).</summary>
    protected Task<T> InTransactionAsync<T>(Func<SqlSession, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return InWriterTurnAsync(
            async () =>
            {
                await using var session = await OpenSessionAsync(transactional: true, cancellationToken).ConfigureAwait(false);
                var result = await work(session).ConfigureAwait(false);
                await session.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            },
            cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="write"/> in the writer's turn on a single-writer database (at once with concurrent writers, or
    /// when this flow already holds it), so writes queue here in order rather than in the database's busy handler.
    /// </summary>
    private async Task<T> InWriterTurnAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken)
    {
        if (_writerTurn is null || _holdsWriterTurn.Value)
        {
            return await write().ConfigureAwait(false);
        }

        if (!await _writerTurn.WaitAsync(WriterTurnTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"The {ProviderName} database stayed locked by another write for {WriterTurnTimeout.TotalSeconds:0} s."));
        }

        try
        {
            _holdsWriterTurn.Value = true;
            return await write().ConfigureAwait(false);
        }
        finally
        {
            _holdsWriterTurn.Value = false;
            _writerTurn.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction.</summary>
    protected Task InTransactionAsync(Func<SqlSession, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return InTransactionAsync<bool>(
            async session =>
            {
                await work(session).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }
}
