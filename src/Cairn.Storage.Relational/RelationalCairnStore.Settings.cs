using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="ISettingsStore"/>: API keys (hashes only), the workspace's settings and the data-protection key ring.</summary>
public abstract partial class RelationalCairnStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKeyRecord>> GetApiKeysAsync(CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT id, kind, hash, prefix, created_at, name FROM api_keys ORDER BY created_at, id",
            null,
            static row => new ApiKeyRecord(row.GetText(0), StoredValues.ParseApiKeyKind(row.GetText(1)), row.GetText(2), row.GetText(3), row.GetTime(4), row.GetTextOrNull(5)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ExecuteAsync(
            "INSERT INTO api_keys (id, kind, hash, prefix, created_at, name) VALUES (@id, @kind, @hash, @prefix, @created_at, @name)",
            parameters =>
            {
                parameters.Add("id", key.Id);
                parameters.Add("kind", StoredValues.Of(key.Kind));
                parameters.Add("hash", key.Hash);
                parameters.Add("prefix", key.Prefix);
                parameters.AddTime("created_at", key.CreatedAt);
                parameters.Add("name", key.Name);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> RevokeApiKeyAsync(string id, CancellationToken cancellationToken) =>
        await ExecuteAsync("DELETE FROM api_keys WHERE id = @id", parameters => parameters.Add("id", id), cancellationToken).ConfigureAwait(false) == 1;

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
