using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;

namespace Cairn.Http;

/// <summary>Keys given by configuration (<c>CAIRN_WRITE_KEY</c>, <c>CAIRN_API_KEY</c>); accepted in addition to stored keys.</summary>
public sealed class KeyOptions
{
    /// <summary>A write key accepted for ingestion.</summary>
    public string? WriteKey { get; set; }

    /// <summary>An API key accepted for the admin API.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// A key that reads <c>/metrics</c> and nothing else (<c>CAIRN_METRICS_KEY</c>), for a Prometheus scraper
    /// (<c>authorization: { credentials: … }</c>); an API key reads it too.
    /// </summary>
    public string? MetricsKey { get; set; }

    /// <summary>Where newly generated keys are announced (the console by default).</summary>
    public Action<string> Announce { get; set; } = Console.WriteLine;
}

/// <summary>
/// The valid keys, as SHA-256 hashes held in memory. Keys themselves are never stored: a generated key is
/// shown once, at the start that creates it.
/// </summary>
internal sealed class KeyRing
{
    private FrozenDictionary<string, ApiKeyKind> _hashes = FrozenDictionary<string, ApiKeyKind>.Empty;

    /// <summary>True when <paramref name="key"/> is a valid key of <paramref name="kind"/>.</summary>
    public bool IsValid(ApiKeyKind kind, string? key) =>
        !string.IsNullOrEmpty(key) && _hashes.TryGetValue(Hash(key), out var found) && found == kind;

    /// <summary>The stored form of a key.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Makes the stored keys and the configured ones the valid keys (at start, and after a key is created or revoked).</summary>
    internal void Set(IEnumerable<ApiKeyRecord> stored, KeyOptions configured)
    {
        var keys = stored.Select(key => (key.Hash, key.Kind)).ToList();
        if (!string.IsNullOrEmpty(configured.WriteKey))
        {
            keys.Add((Hash(configured.WriteKey), ApiKeyKind.Write));
        }

        if (!string.IsNullOrEmpty(configured.ApiKey))
        {
            keys.Add((Hash(configured.ApiKey), ApiKeyKind.Admin));
        }

        _hashes = keys.DistinctBy(key => key.Hash).ToFrozenDictionary(key => key.Hash, key => key.Kind);
    }

    /// <summary>A new random key of <paramref name="kind"/> (<c>cwk_</c> write, <c>cak_</c> admin) and its stored record.</summary>
    internal static (string Key, ApiKeyRecord Record) NewKey(ApiKeyKind kind, string? name, DateTimeOffset now)
    {
        var key = (kind == ApiKeyKind.Write ? "cwk_" : "cak_") + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (key, new ApiKeyRecord(Guid.NewGuid().ToString("N"), kind, Hash(key), key[..8], now, name));
    }
}

/// <summary>Loads the keys at start-up (after the engine has migrated the store) and generates missing ones.</summary>
internal sealed class KeyRingLoader(ISettingsStore settingsStore, KeyRing ring, IOptions<KeyOptions> options, TimeProvider time) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value;
        var stored = (await settingsStore.GetApiKeysAsync(cancellationToken).ConfigureAwait(false)).ToList();
        foreach (var (kind, given, variable) in new[]
        {
            (ApiKeyKind.Write, configured.WriteKey, "CAIRN_WRITE_KEY"),
            (ApiKeyKind.Admin, configured.ApiKey, "CAIRN_API_KEY"),
        })
        {
            if (!string.IsNullOrEmpty(given) || stored.Any(key => key.Kind == kind))
            {
                continue;
            }

            var (key, record) = KeyRing.NewKey(kind, "generated at first start", time.GetUtcNow());
            await settingsStore.AddApiKeyAsync(record, cancellationToken).ConfigureAwait(false);
            stored.Add(record);
            var label = kind == ApiKeyKind.Write ? "Write key (ingestion, HTTP basic auth user)" : "API key (/api, bearer token)";
            configured.Announce($"{label}: {key}\n  Shown once; store it. Or set {variable} to use a key of your choice.");
        }

        ring.Set(stored, configured);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
