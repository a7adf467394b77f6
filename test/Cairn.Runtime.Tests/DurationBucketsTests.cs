using Cairn.Runtime.Storage;

namespace Cairn.Runtime.Tests;

/// <summary>The funnel's log-spaced duration buckets and the quantile read from them.</summary>
public sealed class DurationBucketsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(0.5)]
    [InlineData(1)]
    [InlineData(59)]
    [InlineData(3600)]
    [InlineData(18_000)]
    [InlineData(86_400)]
    [InlineData(172_800)]
    [InlineData(31_536_000)]
    public void EveryDuration_IsInItsBucket_WhoseWidthIsAtMost9Point05PercentAndAMillisecond(double seconds)
    {
        var value = TimeSpan.FromSeconds(seconds);
        var bucket = DurationBuckets.Of(value);
        var (low, high) = (DurationBuckets.Low(bucket), DurationBuckets.High(bucket)!.Value);

        Assert.InRange(value, low, high - TimeSpan.FromTicks(1));
        if (bucket > 0)
        {
            Assert.True(high.TotalMilliseconds - 1 <= low.TotalMilliseconds * 1.0906, $"{low} – {high}");
        }
    }

    [Fact]
    public void Buckets_AreContiguous_AndTheLastIsOpen()
    {
        Assert.Equal(0, DurationBuckets.Of(TimeSpan.FromMilliseconds(-5)));
        Assert.Equal(0, DurationBuckets.Of(TimeSpan.FromMilliseconds(999)));
        Assert.Equal(1, DurationBuckets.Of(TimeSpan.FromSeconds(1)));
        for (var bucket = 1; bucket < DurationBuckets.Count - 1; bucket++)
        {
            Assert.Equal(DurationBuckets.High(bucket - 1), DurationBuckets.Low(bucket));
            Assert.Equal(bucket, DurationBuckets.Of(DurationBuckets.Low(bucket)));
        }

        Assert.Null(DurationBuckets.High(DurationBuckets.Count - 1));
        Assert.Equal(DurationBuckets.Count - 1, DurationBuckets.Of(TimeSpan.MaxValue));
    }

    [Fact]
    public void Quantile_IsTheNearestRank()
    {
        // Ten values: the median is the 5th smallest, the p90 the 9th.
        (int, long)[] histogram = [(10, 4), (20, 1), (30, 3), (40, 1), (50, 1)];
        Assert.Equal(20, DurationBuckets.Quantile(histogram, 0.5));
        Assert.Equal(40, DurationBuckets.Quantile(histogram, 0.9));
        Assert.Equal(10, DurationBuckets.Quantile([(10, 1), (20, 1)], 0.5));
        Assert.Equal(20, DurationBuckets.Quantile([(20, 1), (10, 1)], 0.9));
        Assert.Null(DurationBuckets.Quantile([], 0.5));
        Assert.Null(DurationBuckets.Quantile([(3, 0)], 0.5));
    }
}
