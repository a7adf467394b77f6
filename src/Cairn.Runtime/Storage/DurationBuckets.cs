namespace Cairn.Runtime.Storage;

/// <summary>
/// The funnel's fixed, log-spaced duration buckets: bucket 0 is [0, 1 s); bucket k ≥ 1 is [B(k−1), B(k)) with
/// B(k) = 1 s × 2^(k/8), rounded to the millisecond — each bucket 2^(1/8) ≈ 1.0905 times as wide as it starts, so a
/// quantile read from the histogram is known to within 9.05 % of its value (plus the millisecond of rounding). The
/// last bucket (from about 1,000 years) is open. A quantile is the nearest-rank one (the ⌈p·n⌉-th smallest time); the
/// report gives the bounds of the bucket that holds it, which contain the exact value.
/// </summary>
public static class DurationBuckets
{
    /// <summary>Buckets per doubling of the duration.</summary>
    public const int PerDoubling = 8;

    /// <summary>The number of buckets.</summary>
    public const int Count = 35 * PerDoubling + 1;

    // Bounds[k] is the exclusive upper bound of bucket k, in milliseconds.
    private static readonly long[] Bounds = [.. Enumerable.Range(0, Count).Select(k => (long)Math.Round(1000 * Math.Pow(2, k / (double)PerDoubling)))];

    /// <summary>The bucket of <paramref name="duration"/> (a negative one counts as zero).</summary>
    public static int Of(TimeSpan duration)
    {
        var milliseconds = Math.Max(0, duration.Ticks / TimeSpan.TicksPerMillisecond);
        var index = Array.BinarySearch(Bounds, milliseconds);

        // Found: the value is the upper bound of bucket index, so it is in the next one; not found: the first bound above it.
        var bucket = index >= 0 ? index + 1 : ~index;
        return Math.Min(bucket, Count - 1);
    }

    /// <summary>The inclusive lower bound of bucket <paramref name="bucket"/>.</summary>
    public static TimeSpan Low(int bucket) => bucket <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Bounds[Math.Min(bucket, Count) - 1]);

    /// <summary>The exclusive upper bound of bucket <paramref name="bucket"/> (null for the last, open one).</summary>
    public static TimeSpan? High(int bucket) => bucket >= Count - 1 ? null : TimeSpan.FromMilliseconds(Bounds[Math.Max(bucket, 0)]);

    /// <summary>
    /// The bucket holding the nearest-rank <paramref name="quantile"/> (0–1) of a histogram, or null when it is empty.
    /// </summary>
    public static int? Quantile(IEnumerable<(int Bucket, long Count)> histogram, double quantile)
    {
        var cells = histogram.Where(cell => cell.Count > 0).OrderBy(cell => cell.Bucket).ToList();
        var total = cells.Sum(cell => cell.Count);
        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling((decimal)quantile * total));
        var seen = 0L;
        foreach (var (bucket, count) in cells)
        {
            seen += count;
            if (seen >= rank)
            {
                return bucket;
            }
        }

        return cells[^1].Bucket;
    }
}
