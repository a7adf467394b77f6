using System.Threading.RateLimiting;

namespace Cairn.Messaging;

/// <summary>A provider's sending rate (token bucket, refilled ten times a second) and its concurrency limit.</summary>
internal sealed class RateGate : IDisposable
{
    private readonly TokenBucketRateLimiter? _rate;
    private readonly SemaphoreSlim _slots;

    /// <param name="perSecond">The most sends per second; 0 for no limit.</param>
    /// <param name="concurrency">The most sends at once.</param>
    public RateGate(double perSecond, int concurrency)
    {
        _slots = new SemaphoreSlim(Math.Max(1, concurrency));
        if (perSecond > 0)
        {
            var perTick = Math.Max(1, (int)Math.Ceiling(perSecond / 10));
            _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = perTick,
                TokensPerPeriod = perTick,
                ReplenishmentPeriod = TimeSpan.FromSeconds(perTick / perSecond),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
    }

    /// <summary>Waits for a token and a slot; dispose the result to give the slot back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        if (_rate is not null)
        {
            using var lease = await _rate.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        }

        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Slot(_slots);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _rate?.Dispose();
        _slots.Dispose();
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
