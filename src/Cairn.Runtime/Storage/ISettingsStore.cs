namespace Cairn.Runtime.Storage;

/// <summary>
/// The workspace's API keys (hashes only), its settings (signing keys and secrets generated on first use) and the
/// console's session keys (the ASP.NET Core data-protection key ring, as XML elements).
/// </summary>
public interface ISettingsStore
{
    /// <summary>Every stored API key (hashes only), the revoked ones too (with when), oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> GetApiKeysAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new API key record.</summary>
    Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>
    /// Revokes a stored API key at <paramref name="at"/>: it stops working, and stays listed as revoked. False when there
    /// is no such key or it was revoked already.
    /// </summary>
    Task<bool> RevokeApiKeyAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Records when keys were last used (id and time), in one batch; a time older than the stored one is ignored. Called
    /// about once a minute with what the server saw since, not once per request.
    /// </summary>
    Task RecordApiKeyUseAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUses, CancellationToken cancellationToken);

    /// <summary>The setting's value; when it has none yet, <paramref name="initial"/> is stored and returned (the first writer wins).</summary>
    Task<string> GetOrAddSettingAsync(string key, string initial, CancellationToken cancellationToken);

    /// <summary>Every stored data-protection key element (XML text), oldest first.</summary>
    Task<IReadOnlyList<string>> GetProtectionKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores a data-protection key element under <paramref name="name"/> (the key ring's friendly name, unique);
    /// storing a name again keeps the first element.
    /// </summary>
    Task AddProtectionKeyAsync(string name, string xml, DateTimeOffset createdAt, CancellationToken cancellationToken);
}
