using Cairn.Runtime.Storage;
using Cairn.Storage.PostgreSql;
using Cairn.Storage.Sqlite;
using Cairn.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Cairn.Storage.Tests;

/// <summary>Creates stores of one provider over fresh, empty databases, and removes what they left.</summary>
public abstract class StoreProvider : IAsyncDisposable
{
    /// <summary>The provider's name, as <see cref="ICairnStore.ProviderName"/> gives it.</summary>
    public abstract string Name { get; }

    /// <summary>A store over a fresh, empty database (not migrated).</summary>
    public abstract Task<ICairnStore> CreateStoreAsync(CancellationToken cancellationToken);

    /// <summary>A second store over the same database as the last one created.</summary>
    public abstract ICairnStore OpenAgain();

    /// <summary>Runs SQL on the last database created, outside any store (to put it in a state the store would not write); returns the first column of the first row.</summary>
    public abstract Task<object?> RunSqlAsync(string sql, CancellationToken cancellationToken);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>SQLite stores, each in a temporary data directory removed afterwards.</summary>
public sealed class SqliteProvider : StoreProvider
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cairn-store-" + Guid.NewGuid().ToString("N"));

    public override string Name => "sqlite";

    public string Directory => _directory;

    public override Task<ICairnStore> CreateStoreAsync(CancellationToken cancellationToken) => Task.FromResult(OpenAgain());

    public override ICairnStore OpenAgain() => new SqliteCairnStore(_directory);

    public override async Task<object?> RunSqlAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "cairn.db"), Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    public override ValueTask DisposeAsync()
    {
        if (System.IO.Directory.Exists(_directory))
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }

        return base.DisposeAsync();
    }
}

/// <summary>PostgreSQL stores, each on a new database of the test cluster.</summary>
public sealed class PostgreSqlProvider(PostgresFixture postgres) : StoreProvider
{
    private string? _connectionString;

    public override string Name => "postgresql";

    /// <summary>The connection string of the last database created.</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("No database was created yet.");

    public override async Task<ICairnStore> CreateStoreAsync(CancellationToken cancellationToken)
    {
        _connectionString = await postgres.CreateDatabaseAsync(cancellationToken);
        return OpenAgain();
    }

    public override ICairnStore OpenAgain() => new PostgreSqlCairnStore(ConnectionString);

    public override async Task<object?> RunSqlAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
