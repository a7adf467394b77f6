using Cairn.Core.Measurement;

namespace Cairn.Core.Tests;

/// <summary>
/// The property: on synthetic data with a planted lift, the 95 % intervals contain the truth in at least 94 % of
/// seeded runs. Control converts at 10 %, treated at 12 %, 5,000 contacts each; a converted contact's revenue is
/// exponential with mean 50, so revenue per contact is 5.00 against 6.00.
/// </summary>
public sealed class MeasurementCoverageTests
{
    private const int Runs = 500;
    private const int PerGroup = 5_000;
    private const double ControlRate = 0.10;
    private const double TreatedRate = 0.12;
    private const double MeanOrder = 50;

    [Fact]
    public void PlantedLiftIsInsideItsIntervalsInAtLeast94PercentOfRuns()
    {
        var random = new Random(20261207);
        int newcombe = 0, relative = 0, welch = 0;
        for (var run = 0; run < Runs; run++)
        {
            var (treatedConversions, treatedRevenue) = Group(random, TreatedRate);
            var (controlConversions, controlRevenue) = Group(random, ControlRate);

            if (Proportions.NewcombeDifference(treatedConversions, PerGroup, controlConversions, PerGroup).Contains(TreatedRate - ControlRate))
            {
                newcombe++;
            }

            if (Proportions.Relative(treatedConversions, PerGroup, controlConversions, PerGroup)!.Interval.Contains((TreatedRate / ControlRate) - 1))
            {
                relative++;
            }

            if (Means.Welch(treatedRevenue, controlRevenue)!.Interval.Contains((TreatedRate - ControlRate) * MeanOrder))
            {
                welch++;
            }
        }

        Assert.True(newcombe >= 0.94 * Runs, $"Newcombe covered the planted difference in {newcombe} of {Runs} runs.");
        Assert.True(relative >= 0.94 * Runs, $"MOVER-R covered the planted relative lift in {relative} of {Runs} runs.");
        Assert.True(welch >= 0.94 * Runs, $"Welch covered the planted revenue difference in {welch} of {Runs} runs.");
    }

    private static (long Conversions, Sample Revenue) Group(Random random, double rate)
    {
        long conversions = 0;
        double sum = 0, squares = 0;
        for (var i = 0; i < PerGroup; i++)
        {
            if (random.NextDouble() < rate)
            {
                conversions++;
                var revenue = -MeanOrder * Math.Log(1 - random.NextDouble());
                sum += revenue;
                squares += revenue * revenue;
            }
        }

        return (conversions, new Sample(PerGroup, sum, squares));
    }
}
