using System.Threading.RateLimiting;

namespace Cairn.Http.Access;

/// <summary>
/// The ingestion rate limit: a token bucket per ingest key (partitioned by the key's id), so a client that floods one
/// key is refused with <c>429</c> while every other key goes on. The rate and burst are the key's own when it was created
/// with them, else <see cref="KeyOptions.IngestRatePerSecond"/> and <see cref="KeyOptions.IngestBurst"/>; no rate means
/// no limit. A bucket holds <c>burst</c> requests and gains <c>rate</c> every second.
/// </summary>
internal sealed class IngestRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<KeyEntry> _limiter;

    public IngestRateLimiter(IOptions<KeyOptions> options)
    {
        var defaults = options.Value;
        _limiter = PartitionedRateLimiter.Create<KeyEntry, string>(key =>
        {
            var rate = key.RatePerSecond ?? defaults.IngestRatePerSecond;
            if (rate is not > 0)
            {
                return RateLimitPartition.GetNoLimiter(key.Id);
            }

            var burst = key.RatePerSecond is null ? defaults.IngestBurst : key.Burst;
            return RateLimitPartition.GetTokenBucketLimiter(key.Id, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(burst ?? rate.Value, 1),
                TokensPerPeriod = rate.Value,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
    }

    /// <summary>Takes one request from <paramref name="key"/>'s bucket; when it is empty, how long until it has one again.</summary>
    public bool TryAcquire(KeyEntry key, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(key);
        retryAfter = lease.IsAcquired ? TimeSpan.Zero
            : lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : TimeSpan.FromSeconds(1);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
