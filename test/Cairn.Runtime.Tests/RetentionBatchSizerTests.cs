using Cairn.Runtime.Retention;

namespace Cairn.Runtime.Tests;

/// <summary>Retention batches sized by the writer time they take, not by a fixed row count.</summary>
public sealed class RetentionBatchSizerTests
{
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void TheFirstBatchIsSmall_ThenEachAtMostDoubles_UpToWhatFitsTheTarget()
    {
        var sizer = new RetentionBatchSizer(2_000, Target);
        Assert.Equal(2 * RetentionBatchSizer.Least, sizer.Rows);

        // 10 µs a row: 1,000 rows fit in 10 ms, reached by doubling.
        var seen = new List<int>();
        for (var batch = 0; batch < 8; batch++)
        {
            sizer.Took(sizer.Rows, TimeSpan.FromMicroseconds(10 * sizer.Rows));
            seen.Add(sizer.Rows);
        }

        Assert.Equal([200, 400, 800, 1_000, 1_000, 1_000, 1_000, 1_000], seen);
    }

    [Fact]
    public void ASlowBatch_ShrinksTheNext_ToWhatFitsTheTarget_ButNeverBelowTheLeast()
    {
        var sizer = new RetentionBatchSizer(2_000, Target);
        sizer.Took(100, TimeSpan.FromMilliseconds(20));
        Assert.Equal(RetentionBatchSizer.Least, sizer.Rows);

        sizer.Took(50, TimeSpan.FromMilliseconds(2));
        Assert.Equal(100, sizer.Rows);

        sizer.Took(100, TimeSpan.FromSeconds(5));
        Assert.Equal(RetentionBatchSizer.Least, sizer.Rows);
    }

    [Fact]
    public void TheMost_BoundsEveryBatch_AndAnEmptyBatchTeachesNothing()
    {
        var sizer = new RetentionBatchSizer(3, Target);
        Assert.Equal(3, sizer.Rows);
        sizer.Took(3, TimeSpan.FromTicks(1));
        Assert.Equal(3, sizer.Rows);
        sizer.Took(3, TimeSpan.FromSeconds(1));
        Assert.Equal(3, sizer.Rows);

        var idle = new RetentionBatchSizer(2_000, Target);
        idle.Took(0, TimeSpan.FromSeconds(1));
        idle.Took(10, TimeSpan.Zero);
        Assert.Equal(2 * RetentionBatchSizer.Least, idle.Rows);
    }
}
