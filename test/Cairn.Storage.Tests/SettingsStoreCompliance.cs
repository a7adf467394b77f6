using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="ISettingsStore"/>: API keys (hashes only), settings whose first writer wins, and the data-protection key ring.</summary>
public abstract class SettingsStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private ISettingsStore Settings => Store;

    [Fact]
    public async Task ApiKeys_RoundTrip_OldestFirst()
    {
        var key = new ApiKeyRecord("k1", ApiKeyScope.Admin, new string('a', 64), "cak_abcd", T0.AddTicks(10));
        var ingest = key with { Id = "k2", Scope = ApiKeyScope.Ingest, Hash = new string('b', 64), CreatedAt = T0.AddSeconds(1), RatePerSecond = 50, Burst = 80 };
        var read = key with { Id = "k3", Scope = ApiKeyScope.Read, Hash = new string('e', 64), CreatedAt = T0.AddSeconds(2), Name = "dashboard" };
        var write = key with { Id = "k4", Scope = ApiKeyScope.Write, Hash = new string('f', 64), CreatedAt = T0.AddSeconds(3) };
        await Settings.AddApiKeyAsync(ingest, Cancel);
        await Settings.AddApiKeyAsync(key, Cancel);
        await Settings.AddApiKeyAsync(read, Cancel);
        await Settings.AddApiKeyAsync(write, Cancel);

        Assert.Equal([key, ingest, read, write], await Settings.GetApiKeysAsync(Cancel));
        await Assert.ThrowsAnyAsync<Exception>(() => Settings.AddApiKeyAsync(key with { Id = "k9" }, Cancel));
    }

    [Fact]
    public async Task ApiKeys_KeepTheirName_AndARevokedKeyStaysListedAsRevoked()
    {
        var named = new ApiKeyRecord("k1", ApiKeyScope.Ingest, new string('c', 64), "cwk_abcd", T0, "website");
        var other = named with { Id = "k2", Hash = new string('d', 64), Name = null };
        await Settings.AddApiKeyAsync(named, Cancel);
        await Settings.AddApiKeyAsync(other, Cancel);

        Assert.True(await Settings.RevokeApiKeyAsync("k1", T0.AddHours(1), Cancel));
        Assert.False(await Settings.RevokeApiKeyAsync("k1", T0.AddHours(2), Cancel));
        Assert.False(await Settings.RevokeApiKeyAsync("missing", T0.AddHours(2), Cancel));
        Assert.Equal([named with { RevokedAt = T0.AddHours(1) }, other], await Settings.GetApiKeysAsync(Cancel));
    }

    [Fact]
    public async Task ApiKeyUses_AreStoredInOneBatch_AndNeverMoveBack()
    {
        var key = new ApiKeyRecord("k1", ApiKeyScope.Read, new string('a', 64), "cak_abcd", T0);
        await Settings.AddApiKeyAsync(key, Cancel);
        await Settings.AddApiKeyAsync(key with { Id = "k2", Hash = new string('b', 64) }, Cancel);

        await Settings.RecordApiKeyUseAsync([new("k1", T0.AddMinutes(5)), new("k2", T0.AddMinutes(1)), new("gone", T0)], Cancel);
        await Settings.RecordApiKeyUseAsync([new("k1", T0.AddMinutes(3))], Cancel);
        await Settings.RecordApiKeyUseAsync([], Cancel);

        var stored = await Settings.GetApiKeysAsync(Cancel);
        Assert.Equal([T0.AddMinutes(5), T0.AddMinutes(1)], stored.Select(k => k.LastUsedAt));
    }

    [Fact]
    public async Task Migration0024_MakesOldWriteKeysIngestKeys_AndOldAdminKeysAdminKeys()
    {
        var oldWrite = new ApiKeyRecord("old-write", ApiKeyScope.Ingest, "h1", "cwk_abcd", T0, "site");
        var oldAdmin = new ApiKeyRecord("old-admin", ApiKeyScope.Admin, "h2", "cak_abcd", T0.AddSeconds(1));
        await Settings.AddApiKeyAsync(oldWrite, Cancel);
        await Settings.AddApiKeyAsync(oldAdmin, Cancel);
        await Store.DisposeAsync();

        // Back to the table as it was before 0024: kind write or admin, no use, revocation or rate columns.
        foreach (var sql in new[]
        {
            "ALTER TABLE api_keys DROP COLUMN last_used_at", "ALTER TABLE api_keys DROP COLUMN revoked_at",
            "ALTER TABLE api_keys DROP COLUMN rate_per_second", "ALTER TABLE api_keys DROP COLUMN rate_burst",
            "ALTER TABLE api_keys RENAME COLUMN scope TO kind", "DELETE FROM schema_migrations WHERE version = 24",
            "UPDATE api_keys SET kind = 'write' WHERE kind = 'ingest'",
        })
        {
            await Provider.RunSqlAsync(sql, Cancel);
        }

        await using var migrated = Provider.OpenAgain();
        await migrated.MigrateAsync(Cancel);
        Assert.Equal([oldWrite, oldAdmin], await migrated.GetApiKeysAsync(Cancel));
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
