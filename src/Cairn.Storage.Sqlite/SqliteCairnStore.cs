using System.Data.Common;
using System.Reflection;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Cairn.Runtime.Storage.Relational;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file, <c>cairn.db</c>, in the data directory, in WAL mode with
/// <c>synchronous=FULL</c> so that a committed batch is on disk before anything is acknowledged. Commits take
/// turns (SQLite has one writer); reads run concurrently on pooled connections.
/// </summary>
public sealed class SqliteCairnStore : RelationalCairnStore
{
    private readonly string _connectionString;

    /// <summary>Opens (creating when needed) the store in <paramref name="dataDirectory"/>.</summary>
    public SqliteCairnStore(string dataDirectory)
        : base(singleWriter: true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
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
    public override string ProviderName => "sqlite";

    /// <inheritdoc />
    protected override Assembly MigrationsAssembly => typeof(SqliteCairnStore).Assembly;

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragmas = connection.CreateCommand();
            pragmas.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;";
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    protected override object TimeValue(DateTimeOffset time) => Cursors.ToUnixMicroseconds(time);

    /// <inheritdoc />
    protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        Cursors.FromUnixMicroseconds(reader.GetInt64(ordinal));

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }
}

/// <summary>Registration of the SQLite store.</summary>
public static class SqliteCairnBuilderExtensions
{
    /// <summary>Stores everything in <c>cairn.db</c> under <paramref name="dataDirectory"/>.</summary>
    public static CairnBuilder UseSqlite(this CairnBuilder builder, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseStore(_ => new SqliteCairnStore(dataDirectory));
    }
}
