using Cairn.Runtime.Storage;
using Cairn.Storage.PostgreSql;
using Cairn.Storage.Sqlite;
using Cairn.Testing;

[assembly: AssemblyFixture(typeof(PostgresFixture))]

namespace Cairn.Storage.Tests;

/// <summary>The compliance suite on SQLite, in a temporary directory.</summary>
public sealed class SqliteStoreTests : CairnStoreCompliance
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cairn-store-" + Guid.NewGuid().ToString("N"));

    protected override Task<ICairnStore> CreateStoreAsync() => Task.FromResult<ICairnStore>(new SqliteCairnStore(_directory));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Store_LivesInCairnDbUnderTheDataDirectory() =>
        Assert.Equal(Path.Combine(_directory, "cairn.db"), ((SqliteCairnStore)Store).DatabasePath);
}

/// <summary>The compliance suite on a throwaway PostgreSQL database.</summary>
public sealed class PostgreSqlStoreTests(PostgresFixture postgres) : CairnStoreCompliance
{
    protected override async Task<ICairnStore> CreateStoreAsync() =>
        new PostgreSqlCairnStore(await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken));

    [Fact]
    public async Task Migrate_ConcurrentStarts_ApplyOnce()
    {
        var connectionString = await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
        var stores = Enumerable.Range(0, 3).Select(_ => new PostgreSqlCairnStore(connectionString)).ToList();
        await Task.WhenAll(stores.Select(store => store.MigrateAsync(TestContext.Current.CancellationToken)));
        foreach (var store in stores)
        {
            Assert.True(await store.PingAsync(TestContext.Current.CancellationToken));
            await store.DisposeAsync();
        }
    }
}
