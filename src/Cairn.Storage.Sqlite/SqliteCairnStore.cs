using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Cairn.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cairn.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file, <c>cairn.db</c>, in the data directory, in WAL mode with
/// <c>synchronous=FULL</c> so that a committed batch is on disk before anything is acknowledged. Commits take
/// turns (SQLite has one writer); reads run concurrently on pooled connections.
/// </summary>
/// <remarks>
/// Erased data leaves the files too: every connection runs with <c>secure_delete</c> on, so deleted rows and freed pages
/// are overwritten with zeros, and after an erasure commits the write-ahead log is checkpointed and truncated
/// (<c>wal_checkpoint(TRUNCATE)</c>) so that no older copy of a page survives in <c>cairn.db-wal</c>.
/// </remarks>
public sealed partial class SqliteCairnStore : RelationalCairnStore
{
    /// <summary>
    /// How long one truncating checkpoint may wait for the writer and for readers of older snapshots (1 s). New commits
    /// wait behind it meanwhile, so this bounds the stall an erasure can cause to the other partitions.
    /// </summary>
    internal static readonly TimeSpan CheckpointWait = TimeSpan.FromSeconds(1);

    /// <summary>Attempts after an erasure (10), with <see cref="CheckpointPause"/> between them for commits to go through.</summary>
    internal const int CheckpointAttempts = 10;

    /// <summary>The pause between attempts (250 ms).</summary>
    internal static readonly TimeSpan CheckpointPause = TimeSpan.FromMilliseconds(250);

    /// <summary>After the attempts failed, how often a background retry tries again until it succeeds (30 s).</summary>
    internal static readonly TimeSpan CheckpointRetryInterval = TimeSpan.FromSeconds(30);

    private readonly string _connectionString;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _retryGate = new();
    private Task? _retry;
    private int _disposed;

    /// <summary>Opens (creating when needed) the store in <paramref name="dataDirectory"/>.</summary>
    /// <param name="dataDirectory">The data directory (created when missing).</param>
    /// <param name="logger">Where the store reports erasure checkpoints (none by default).</param>
    public SqliteCairnStore(string dataDirectory, ILogger<SqliteCairnStore>? logger = null)
        : base(SqliteDialect.Instance, logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Directory.CreateDirectory(dataDirectory);
        DatabasePath = Path.GetFullPath(Path.Combine(dataDirectory, "cairn.db"));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    /// <remarks>
    /// The pool hands back the same SQLite handle many times; its settings are applied the first time a handle is seen
    /// (<see cref="ConfiguredHandles"/>), not at every open: seven pragmas per open were prepared and run before every
    /// history read of every contact turn.
    /// </remarks>
    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (ConfiguredHandles.TryAdd(connection.Handle!, true))
            {
                await ConfigureAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The commit loop's connection, held open for the store's life so that each row kind's statement is prepared once
    /// (<see cref="StatementCache"/>), with a larger page cache than a reader's: the writer walks every index it inserts
    /// into, the readers each read one contact's rows.
    /// </summary>
    /// <remarks>Not pooled: its larger page cache never goes back to the readers' pool, and closing it releases its memory.</remarks>
    protected override async ValueTask<DbConnection> OpenWriterConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ConfigureAsync(connection, cancellationToken).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA cache_size = -" + WriterCacheKibibytes.ToString(CultureInfo.InvariantCulture);
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The SQLite handles (pooled, reused across opens) whose settings have been applied.</summary>
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> ConfiguredHandles = [];

    /// <summary>
    /// A reader connection's page cache (16 MiB). Nine connections at 64 MiB each held about 700 MB at a million contacts;
    /// at 8 MiB the timer benchmark enrolled 10–15 % slower (docs/benchmarks-throughput.md).
    /// </summary>
    internal const int ReaderCacheKibibytes = 16 * 1024;

    /// <summary>The commit loop's page cache (64 MiB).</summary>
    internal const int WriterCacheKibibytes = 64 * 1024;

    private static async Task ConfigureAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var pragmas = connection.CreateCommand();
        // secure_delete is a per-connection setting: every connection must have it, or a delete it runs leaves the
        // deleted content readable in the file (freed cells and free-list pages are zeroed only with it on).
        // journal_size_limit: a write-ahead log a burst grew is cut back to 4 MB once checkpointed, instead of keeping
        // its largest size on disk for good (12–16 MB, 125–160 bytes an event, after a 100,000-event workload).
        pragmas.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = " + BusyTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture)
            + "; PRAGMA cache_size = -" + ReaderCacheKibibytes.ToString(CultureInfo.InvariantCulture)
            + "; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON; PRAGMA journal_size_limit = 4194304;";
        await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How long a statement waits for a lock before it fails (30 s).</summary>
    private const int BusyTimeoutMilliseconds = 30_000;

    /// <summary>
    /// Truncates the write-ahead log once the erasure has committed: with <c>secure_delete</c> the new versions of the
    /// pages that held the person's rows are zeroed where the rows were, but the log still holds their older versions
    /// (and the bytes of frames already checkpointed stay in the file until overwritten). A <c>TRUNCATE</c> checkpoint
    /// copies every frame into <c>cairn.db</c> and cuts the log to zero bytes. It waits for the writer and for readers of
    /// older snapshots, and blocks new commits while it runs, so each attempt waits at most <see cref="CheckpointWait"/>;
    /// after <see cref="CheckpointAttempts"/> busy attempts (or an error) a background retry takes over and a warning is
    /// logged. It never throws: the erasure has committed, whatever happens to the log. The caller's cancellation is not
    /// honoured for the same reason; disposing the store stops it.
    /// </summary>
    protected override async Task AfterErasureAsync(ErasureRecord erasure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(erasure);
        var started = Stopwatch.GetTimestamp();
        try
        {
            for (var attempt = 1; attempt <= CheckpointAttempts; attempt++)
            {
                if (await TryTruncateLogAsync(_disposing.Token).ConfigureAwait(false))
                {
                    var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    LogWalTruncated(_logger, erasure.Id, attempt, milliseconds);
                    return;
                }

                await Task.Delay(CheckpointPause, _disposing.Token).ConfigureAwait(false);
            }

            LogWalNotTruncated(_logger, erasure.Id, CheckpointAttempts, CheckpointRetryInterval.TotalSeconds);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
            // Disposed: closing the last connection checkpoints and removes the log.
            return;
        }
        catch (Exception exception) when (exception is DbException or IOException)
        {
            LogTruncateFailed(_logger, exception);
        }

        lock (_retryGate)
        {
            _retry ??= Task.Run(() => RetryTruncateLogAsync(erasure.Id, _disposing.Token), CancellationToken.None);
        }
    }

    /// <summary>One truncating checkpoint; false when the writer or a reader kept it from completing within <see cref="CheckpointWait"/>.</summary>
    /// <summary>
    /// A passive checkpoint after each retention batch: a batch of deletions rewrites pages all over the table and its
    /// indexes (zeroed, with <c>secure_delete</c>), and left in the log they would make the next ingestion commit run the
    /// automatic checkpoint, copying them while the contacts' events wait. Passive never waits for the writer or readers
    /// and blocks no commit; frames a reader still needs are left for a later checkpoint.
    /// </summary>
    public override async Task AfterRetentionBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        await checkpoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> TryTruncateLogAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SetBusyTimeoutAsync(connection, (int)CheckpointWait.TotalMilliseconds, cancellationToken).ConfigureAwait(false);
            try
            {
                await using var checkpoint = connection.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                await using var reader = await checkpoint.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);

                // One row: busy (1 when the checkpoint could not complete), frames in the log, frames checkpointed.
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && reader.GetInt64(0) == 0;
            }
            finally
            {
                // The handle goes back to the pool, and its settings are applied once: give it its usual timeout back.
                await SetBusyTimeoutAsync(connection, BusyTimeoutMilliseconds, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (SqliteException exception) when (exception.SqliteErrorCode is 5 or 6)
        {
            // SQLITE_BUSY or SQLITE_LOCKED: try again later.
            return false;
        }
    }

    private static async Task SetBusyTimeoutAsync(DbConnection connection, int milliseconds, CancellationToken cancellationToken)
    {
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = " + milliseconds.ToString(CultureInfo.InvariantCulture);
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RetryTruncateLogAsync(string erasureId, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(CheckpointRetryInterval, cancellationToken).ConfigureAwait(false);
                try
                {
                    if (await TryTruncateLogAsync(cancellationToken).ConfigureAwait(false))
                    {
                        LogWalTruncatedLater(_logger, erasureId);
                        return;
                    }
                }
                catch (Exception exception) when (exception is DbException or IOException)
                {
                    LogTruncateFailed(_logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed: closing the last connection checkpoints and removes the log.
        }
        finally
        {
            lock (_retryGate)
            {
                _retry = null;
            }
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        // The host and the engine may both dispose the store.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        Task? retry;
        lock (_retryGate)
        {
            retry = _retry;
        }

        if (retry is not null)
        {
            await retry.ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);

        // Closing the last connection checkpoints the log into cairn.db and deletes it.
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        _disposing.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {ErasureId}: the write-ahead log was checkpointed and truncated (attempt {Attempt}, {Milliseconds:0.0} ms)")]
    private static partial void LogWalTruncated(ILogger logger, string erasureId, int attempt, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Erasure {ErasureId}: the write-ahead log could not be truncated in {Attempts} attempts (readers or the writer kept it busy); the erased rows are gone from the tables and zeroed in cairn.db, but older page versions stay in cairn.db-wal until a truncation succeeds, retried every {Seconds} s")]
    private static partial void LogWalNotTruncated(ILogger logger, string erasureId, int attempts, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {ErasureId}: the write-ahead log was truncated by a later retry")]
    private static partial void LogWalTruncatedLater(ILogger logger, string erasureId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Truncating the write-ahead log after an erasure failed; it is retried")]
    private static partial void LogTruncateFailed(ILogger logger, Exception exception);
}

/// <summary>Registration of the SQLite store.</summary>
public static class SqliteCairnBuilderExtensions
{
    /// <summary>Stores everything in <c>cairn.db</c> under <paramref name="dataDirectory"/>.</summary>
    public static CairnBuilder UseSqlite(this CairnBuilder builder, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseStore(services => new SqliteCairnStore(dataDirectory, services.GetService<ILogger<SqliteCairnStore>>()));
    }
}
