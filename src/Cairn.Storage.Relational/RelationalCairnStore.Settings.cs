using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="ISettingsStore"/>: API keys (hashes only), the workspace's settings and the data-protection key ring.</summary>
public abstract partial class RelationalCairnStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKeyRecord>> GetApiKeysAsync(CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT id, scope, hash, prefix, created_at, name, last_used_at, revoked_at, rate_per_second, rate_burst FROM api_keys ORDER BY created_at, id",
            null,
            static row => new ApiKeyRecord(
                row.GetText(0), StoredValues.ParseApiKeyScope(row.GetText(1)), row.GetText(2), row.GetText(3), row.GetTime(4), row.GetTextOrNull(5),
                row.GetTimeOrNull(6), row.GetTimeOrNull(7), row.GetIntOrNull(8), row.GetIntOrNull(9)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ExecuteAsync(
            """
            INSERT INTO api_keys (id, scope, hash, prefix, created_at, name, last_used_at, revoked_at, rate_per_second, rate_burst)
            VALUES (@id, @scope, @hash, @prefix, @created_at, @name, @last_used_at, @revoked_at, @rate_per_second, @rate_burst)
            """,
            parameters =>
            {
                parameters.Add("id", key.Id);
                parameters.Add("scope", StoredValues.Of(key.Scope));
                parameters.Add("hash", key.Hash);
                parameters.Add("prefix", key.Prefix);
                parameters.AddTime("created_at", key.CreatedAt);
                parameters.Add("name", key.Name);
                parameters.AddTime("last_used_at", key.LastUsedAt);
                parameters.AddTime("revoked_at", key.RevokedAt);
                parameters.Add("rate_per_second", key.RatePerSecond);
                parameters.Add("rate_burst", key.Burst);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> RevokeApiKeyAsync(string id, DateTimeOffset at, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL",
            parameters =>
            {
                parameters.Add("id", id);
                parameters.AddTime("at", at);
            },
            cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public Task RecordApiKeyUseAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUses, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lastUses);
        return lastUses.Count == 0
            ? Task.CompletedTask
            : InTransactionAsync(
                async session =>
                {
                    foreach (var (id, at) in lastUses)
                    {
                        // Never moves a time back (two nodes flushing out of order).
                        await session.ExecuteAsync(
                            "UPDATE api_keys SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)",
                            parameters =>
                            {
                                parameters.Add("id", id);
                                parameters.AddTime("at", at);
                            },
                            cancellationToken).ConfigureAwait(false);
                    }
                },
                cancellationToken);
    }

    /// <inheritdoc />
    public Task<string> GetOrAddSettingAsync(string key, string initial, CancellationToken cancellationToken) =>
        WithSessionAsync(
            async session =>
            {
                await session.ExecuteAsync(
                    "INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO NOTHING",
                    parameters =>
                    {
                        parameters.Add("key", key);
                        parameters.Add("value", initial);
                    },
                    cancellationToken).ConfigureAwait(false);
                return (string)(await session.ScalarAsync("SELECT value FROM settings WHERE key = @key", parameters => parameters.Add("key", key), cancellationToken).ConfigureAwait(false))!;
            },
            cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> GetProtectionKeysAsync(CancellationToken cancellationToken) =>
        await QueryAsync("SELECT xml FROM protection_keys ORDER BY created_at, name", null, static row => row.GetText(0), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task AddProtectionKeyAsync(string name, string xml, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(xml);
        return ExecuteAsync(
            "INSERT INTO protection_keys (name, xml, created_at) VALUES (@name, @xml, @created_at) ON CONFLICT (name) DO NOTHING",
            parameters =>
            {
                parameters.Add("name", name);
                parameters.Add("xml", xml);
                parameters.AddTime("created_at", createdAt);
            },
            cancellationToken);
    }
}
