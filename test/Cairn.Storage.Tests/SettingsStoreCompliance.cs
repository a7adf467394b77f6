using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="ISettingsStore"/>: API keys (hashes only), settings whose first writer wins, and the data-protection key ring.</summary>
public abstract class SettingsStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private ISettingsStore Settings => Store;

    [Fact]
    public async Task ApiKeys_RoundTrip_OldestFirst()
    {
        var key = new ApiKeyRecord("k1", ApiKeyKind.Admin, new string('a', 64), "cak_abcd", T0.AddTicks(10));
        var write = key with { Id = "k2", Kind = ApiKeyKind.Write, Hash = new string('b', 64), CreatedAt = T0.AddSeconds(1) };
        await Settings.AddApiKeyAsync(write, Cancel);
        await Settings.AddApiKeyAsync(key, Cancel);

        Assert.Equal([key, write], await Settings.GetApiKeysAsync(Cancel));
        await Assert.ThrowsAnyAsync<Exception>(() => Settings.AddApiKeyAsync(key with { Id = "k3" }, Cancel));
    }

    [Fact]
    public async Task ApiKeys_KeepTheirName_AndARevokedKeyIsGone()
    {
        var named = new ApiKeyRecord("k1", ApiKeyKind.Write, new string('c', 64), "cwk_abcd", T0, "website");
        var other = named with { Id = "k2", Hash = new string('d', 64), Name = null };
        await Settings.AddApiKeyAsync(named, Cancel);
        await Settings.AddApiKeyAsync(other, Cancel);

        Assert.True(await Settings.RevokeApiKeyAsync("k1", Cancel));
        Assert.False(await Settings.RevokeApiKeyAsync("k1", Cancel));
        Assert.Equal([other], await Settings.GetApiKeysAsync(Cancel));
    }

    [Fact]
    public async Task GetOrAddSetting_TheFirstWriterWins()
    {
        var values = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Settings.GetOrAddSettingAsync("link_key", $"value-{i}", Cancel)));
        Assert.Single(values.Distinct());
        Assert.Equal(values[0], await Settings.GetOrAddSettingAsync("link_key", "another", Cancel));
        Assert.Equal("other", await Settings.GetOrAddSettingAsync("other_key", "other", Cancel));
    }

    [Fact]
    public async Task ProtectionKeys_RoundTrip_OldestFirst_AndTheFirstElementOfANameStays()
    {
        Assert.Empty(await Settings.GetProtectionKeysAsync(Cancel));
        const string Second = "<key id=\"b\" version=\"1\"><creationDate>2026-01-02T00:00:00Z</creationDate></key>";
        const string First = "<key id=\"a\" version=\"1\"><creationDate>2026-01-01T00:00:00Z</creationDate></key>";
        await Settings.AddProtectionKeyAsync("key-b", Second, T0.AddSeconds(1), Cancel);
        await Settings.AddProtectionKeyAsync("key-a", First, T0, Cancel);
        await Settings.AddProtectionKeyAsync("key-a", "<key id=\"other\" />", T0.AddSeconds(2), Cancel);

        Assert.Equal([First, Second], await Settings.GetProtectionKeysAsync(Cancel));
    }
}
