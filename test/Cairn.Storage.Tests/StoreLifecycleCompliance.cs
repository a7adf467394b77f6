using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary>What <see cref="ICairnStore"/> adds to its ports: the provider's name, migrations, a ping, disposal.</summary>
public abstract class StoreLifecycleCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    [Fact]
    public async Task Migrate_Twice_IsANoOp()
    {
        await Store.MigrateAsync(Cancel);
        Assert.True(await Store.PingAsync(Cancel));
        Assert.Equal(0, await Store.CountEventsAsync(Cancel));
    }

    [Fact]
    public async Task Migrate_FromSeveralStoresAtOnce_AppliesEachMigrationOnce()
    {
        var stores = Enumerable.Range(0, 3).Select(_ => Provider.OpenAgain()).ToList();
        await Task.WhenAll(stores.Select(store => store.MigrateAsync(Cancel)));
        foreach (var store in stores)
        {
            Assert.True(await store.PingAsync(Cancel));
            await store.DisposeAsync();
        }
    }

    [Fact]
    public void ProviderName_IsTheProvidersName() => Assert.Equal(Provider.Name, Store.ProviderName);

    [Fact]
    public async Task Dispose_Twice_IsSafe()
    {
        // Every port is registered in DI as the same store, and the engine disposes it too: disposal must be idempotent.
        var store = Provider.OpenAgain();
        await store.MigrateAsync(Cancel);
        await store.DisposeAsync();
        await store.DisposeAsync();
    }
}
