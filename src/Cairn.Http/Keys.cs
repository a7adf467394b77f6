using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cairn.Http;

/// <summary>
/// Keys given by configuration (<c>CAIRN_WRITE_KEY</c>, an ingest key; <c>CAIRN_API_KEY</c>, an admin key), accepted in
/// addition to stored keys, and the default ingestion rate limit per ingest key.
/// </summary>
public sealed class KeyOptions
{
    /// <summary>An ingest key (a Segment write key) accepted for ingestion.</summary>
    public string? WriteKey { get; set; }

    /// <summary>An admin key accepted for the admin API.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// A key that reads <c>/metrics</c> and nothing else (<c>CAIRN_METRICS_KEY</c>), for a Prometheus scraper
    /// (<c>authorization: { credentials: … }</c>); an API key of the read scope or above reads it too.
    /// </summary>
    public string? MetricsKey { get; set; }

    /// <summary>
    /// Requests per second each ingest key may make to the ingestion routes (<c>CAIRN_INGEST_RATE</c>); a key created with
    /// its own rate uses that instead. Null or 0 (the default): unlimited.
    /// </summary>
    public int? IngestRatePerSecond { get; set; }

    /// <summary>
    /// Requests an ingest key may make at once above its rate (<c>CAIRN_INGEST_BURST</c>); default: the rate itself
    /// (one second's worth).
    /// </summary>
    public int? IngestBurst { get; set; }

    /// <summary>How often the last-use times of keys are written to the store (default one minute).</summary>
    public TimeSpan LastUsedFlushInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Where newly generated keys are announced (the console by default).</summary>
    public Action<string> Announce { get; set; } = Console.WriteLine;
}

/// <summary>A key the server knows (stored or configured), as authentication sees it.</summary>
/// <param name="Id">The stored key's id, or the variable that configures it (<c>CAIRN_API_KEY</c>).</param>
/// <param name="Scope">What it may do.</param>
/// <param name="Name">What it is for (the variable's name for a configured key).</param>
/// <param name="Configured">True for a key given by configuration (it has no stored row and cannot be revoked through the API).</param>
/// <param name="RevokedAt">When it was revoked; null while it works.</param>
/// <param name="RatePerSecond">Its own ingestion rate; null for the default.</param>
/// <param name="Burst">Its own burst; null for the default.</param>
internal sealed record KeyEntry(string Id, ApiKeyScope Scope, string Name, bool Configured, DateTimeOffset? RevokedAt = null, int? RatePerSecond = null, int? Burst = null);

/// <summary>
/// The known keys, by SHA-256 hash, held in memory, and when each was last used. Keys themselves are never stored: a
/// generated key is shown once. A use is recorded in memory only; <see cref="KeyUsageFlusher"/> writes the times to the
/// store about once a minute, so authentication never writes per request.
/// </summary>
internal sealed class KeyRing(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unflushedUses = new(StringComparer.Ordinal);
    private FrozenDictionary<string, KeyEntry> _byHash = FrozenDictionary<string, KeyEntry>.Empty;

    /// <summary>The key <paramref name="key"/> is (revoked ones too, so the refusal can say so); null when unknown.</summary>
    public KeyEntry? Find(string? key) =>
        !string.IsNullOrEmpty(key) && _byHash.TryGetValue(Hash(key), out var entry) ? entry : null;

    /// <summary>The working key <paramref name="key"/> is, its use recorded; null when unknown or revoked.</summary>
    public KeyEntry? Use(string? key)
    {
        if (Find(key) is not { RevokedAt: null } entry)
        {
            return null;
        }

        if (!entry.Configured)
        {
            _unflushedUses[entry.Id] = time.GetUtcNow();
        }

        return entry;
    }

    /// <summary>When the stored key <paramref name="id"/> was used since the last flush; null when it was not.</summary>
    public DateTimeOffset? UnflushedUse(string id) => _unflushedUses.TryGetValue(id, out var at) ? at : null;

    /// <summary>Takes the uses recorded since the last call (to write them to the store).</summary>
    public List<KeyValuePair<string, DateTimeOffset>> TakeUses()
    {
        var taken = new List<KeyValuePair<string, DateTimeOffset>>();
        foreach (var id in _unflushedUses.Keys)
        {
            if (_unflushedUses.TryRemove(id, out var at))
            {
                taken.Add(new(id, at));
            }
        }

        return taken;
    }

    /// <summary>Puts back uses a failed write did not store (a newer use recorded since wins).</summary>
    public void ReturnUses(IEnumerable<KeyValuePair<string, DateTimeOffset>> uses)
    {
        foreach (var (id, at) in uses)
        {
            _unflushedUses.AddOrUpdate(id, at, (_, newer) => newer > at ? newer : at);
        }
    }

    /// <summary>The stored form of a key.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Makes the stored keys and the configured ones the known keys (at start, and after a key is created or revoked).</summary>
    internal void Set(IEnumerable<ApiKeyRecord> stored, KeyOptions configured)
    {
        var keys = stored.Select(key => (key.Hash, Entry: new KeyEntry(key.Id, key.Scope, key.Name ?? key.Prefix, false, key.RevokedAt, key.RatePerSecond, key.Burst))).ToList();
        if (!string.IsNullOrEmpty(configured.WriteKey))
        {
            keys.Add((Hash(configured.WriteKey), new KeyEntry("CAIRN_WRITE_KEY", ApiKeyScope.Ingest, "CAIRN_WRITE_KEY", true)));
        }

        if (!string.IsNullOrEmpty(configured.ApiKey))
        {
            keys.Add((Hash(configured.ApiKey), new KeyEntry("CAIRN_API_KEY", ApiKeyScope.Admin, "CAIRN_API_KEY", true)));
        }

        // A working key wins over a revoked one with the same hash (a configured key equal to a revoked stored one).
        _byHash = keys.OrderBy(key => key.Entry.RevokedAt is null ? 0 : 1).DistinctBy(key => key.Hash).ToFrozenDictionary(key => key.Hash, key => key.Entry);
    }

    /// <summary>
    /// A new random key of <paramref name="scope"/> (<c>cwk_</c> for an ingest key, the Segment write key; <c>cak_</c>
    /// for the /api scopes) and its stored record.
    /// </summary>
    internal static (string Key, ApiKeyRecord Record) NewKey(ApiKeyScope scope, string? name, DateTimeOffset now, int? ratePerSecond = null, int? burst = null)
    {
        var key = (scope == ApiKeyScope.Ingest ? "cwk_" : "cak_") + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (key, new ApiKeyRecord(Guid.NewGuid().ToString("N"), scope, Hash(key), key[..8], now, name, RatePerSecond: ratePerSecond, Burst: burst));
    }
}

/// <summary>Loads the keys at start-up (after the engine has migrated the store) and generates missing ones.</summary>
internal sealed class KeyRingLoader(ISettingsStore settingsStore, KeyRing ring, IOptions<KeyOptions> options, TimeProvider time) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value;
        var stored = (await settingsStore.GetApiKeysAsync(cancellationToken).ConfigureAwait(false)).ToList();
        foreach (var (scope, given, variable) in new[]
        {
            (ApiKeyScope.Ingest, configured.WriteKey, "CAIRN_WRITE_KEY"),
            (ApiKeyScope.Admin, configured.ApiKey, "CAIRN_API_KEY"),
        })
        {
            if (!string.IsNullOrEmpty(given) || stored.Any(key => key.Scope == scope && key.RevokedAt is null))
            {
                continue;
            }

            var (key, record) = KeyRing.NewKey(scope, "generated at first start", time.GetUtcNow());
            await settingsStore.AddApiKeyAsync(record, cancellationToken).ConfigureAwait(false);
            stored.Add(record);
            var label = scope == ApiKeyScope.Ingest ? "Write key (ingest scope; ingestion, HTTP basic auth user)" : "API key (admin scope; /api, bearer token)";
            configured.Announce($"{label}: {key}\n  Shown once; store it. Or set {variable} to use a key of your choice.");
        }

        ring.Set(stored, configured);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Writes the keys' last-use times to the store every <see cref="KeyOptions.LastUsedFlushInterval"/> and once more when
/// the server stops: one small batch a minute instead of a write per request.
/// </summary>
internal sealed partial class KeyUsageFlusher(KeyRing ring, ISettingsStore settingsStore, IOptions<KeyOptions> options, TimeProvider time, ILogger<KeyUsageFlusher> logger) : BackgroundService
{
    /// <summary>Writes the uses recorded since the last flush; on failure they are kept for the next one.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var uses = ring.TakeUses();
        try
        {
            await settingsStore.RecordApiKeyUseAsync(uses, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ring.ReturnUses(uses);
            throw;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogFlushFailed(logger, exception);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LastUsedFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogFlushFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store the keys' last-use times; they are kept for the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
