using Cairn.Core.Measurement;

namespace Cairn.Core.Tests;

/// <summary>
/// The statistics library against published values. Where a value is cited to R it is the output of R 4.x
/// (<c>pnorm</c>, <c>qnorm</c>, <c>pt</c>, <c>qt</c>, <c>prop.test</c>, <c>t.test</c>); every reference was also recomputed
/// with mpmath at 30 digits.
/// </summary>
public sealed class MeasurementStatisticsTests
{
    [Theory]
    [InlineData(1.96, 0.97500210485177957)] // pnorm(1.96)
    [InlineData(-3, 0.0013498980316300945)] // pnorm(-3)
    [InlineData(0, 0.5)]
    [InlineData(-8, 6.2209605742717841e-16)] // pnorm(-8)
    public void NormalCdfMatchesR(double x, double expected) =>
        Assert.Equal(expected, Normal.Cdf(x), expected * 1e-12);

    [Theory]
    [InlineData(0.975, 1.959963984540054)] // qnorm(0.975)
    [InlineData(0.8, 0.8416212335729143)] // qnorm(0.8)
    [InlineData(1e-10, -6.361340902404056)] // qnorm(1e-10)
    [InlineData(0.5, 0)]
    public void NormalQuantileMatchesR(double p, double expected) =>
        Assert.Equal(expected, Normal.Quantile(p), 1e-12);

    [Fact]
    public void SpecialFunctionsMatchHighPrecisionValues()
    {
        // mpmath: loggamma(0.1), loggamma(5000), betainc(2.5, 4, 0, 0.3, regularized=True), gammainc(3, 0, 2.5, regularized=True).
        Assert.Equal(2.2527126517342060, SpecialFunctions.LogGamma(0.1), 1e-13);
        Assert.Equal(37582.626315685350, SpecialFunctions.LogGamma(5000), 1e-9);
        Assert.Equal(0.35219758590676724, SpecialFunctions.Beta(0.3, 2.5, 4), 1e-14);
        Assert.Equal(0.45618688411667048, SpecialFunctions.GammaP(3, 2.5), 1e-14);
        Assert.Equal(7.744216431044084e-6, SpecialFunctions.GammaQ(0.5, 10), 1e-18);
    }

    [Theory]
    [InlineData(2.0, 5, 0.94903026058507082)] // pt(2, 5)
    [InlineData(-2.0, 30, 0.027312522481491552)] // pt(-2, 30)
    public void StudentCdfMatchesR(double t, double degrees, double expected) =>
        Assert.Equal(expected, StudentT.Cdf(t, degrees), 1e-6);

    [Theory]
    [InlineData(0.975, 10, 2.2281388519862747)] // qt(0.975, 10)
    [InlineData(0.975, 1, 12.706204736174705)] // qt(0.975, 1)
    [InlineData(0.025, 30, -2.0422724563012373)] // qt(0.025, 30)
    public void StudentQuantileMatchesR(double p, double degrees, double expected) =>
        Assert.Equal(expected, StudentT.Quantile(p, degrees), 1e-10);

    [Theory]
    // Newcombe RG (1998a), "Two-sided confidence intervals for the single proportion: comparison of seven methods",
    // Statistics in Medicine 17:857–872, Table I, method 3 (score, no continuity correction).
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    [InlineData(29, 29, 0.8830, 1.0000)]
    public void WilsonMatchesNewcombe1998a(long successes, long trials, double lower, double upper)
    {
        var interval = Proportions.Wilson(successes, trials);

        Assert.Equal(lower, interval.Lower, 5e-5);
        Assert.Equal(upper, interval.Upper, 5e-5);
    }

    [Fact]
    public void WilsonOfNothingIsEverything() => Assert.Equal(new Interval(0, 1), Proportions.Wilson(0, 0));

    [Theory]
    // Newcombe RG (1998b), "Interval estimation for the difference between independent proportions: comparison of eleven
    // methods", Statistics in Medicine 17:873–890, Table II, method 10 (hybrid score, no continuity correction), examples (a)–(h).
    [InlineData(56, 70, 48, 80, 0.0524, 0.3339)]
    [InlineData(9, 10, 3, 10, 0.1705, 0.8090)]
    [InlineData(6, 7, 2, 7, 0.0582, 0.8062)]
    [InlineData(5, 56, 0, 29, -0.0381, 0.1926)]
    [InlineData(0, 10, 0, 20, -0.1611, 0.2775)]
    [InlineData(0, 10, 0, 10, -0.2775, 0.2775)]
    [InlineData(10, 10, 0, 20, 0.6791, 1.0000)]
    [InlineData(10, 10, 0, 10, 0.6075, 1.0000)]
    public void NewcombeMatchesNewcombe1998b(long x1, long n1, long x2, long n2, double lower, double upper)
    {
        var interval = Proportions.NewcombeDifference(x1, n1, x2, n2);

        Assert.Equal(lower, interval.Lower, 5e-5);
        Assert.Equal(upper, interval.Upper, 5e-5);
    }

    [Fact]
    public void ZTestMatchesPropTestWithoutCorrection()
    {
        // prop.test(c(56, 48), c(70, 80), correct = FALSE): X-squared = 7.0234, p-value = 0.008045.
        Assert.Equal(0.0080450813681966, Proportions.ZTestP(56, 70, 48, 80), 1e-12);
        Assert.Equal(1, Proportions.ZTestP(0, 10, 0, 20));
    }

    [Fact]
    public void ChiSquareMatchesRPropTestSmokers()
    {
        // R's ?prop.test example: smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82); prop.test(smokers, patients)
        // gives X-squared = 12.6, df = 3, p-value = 0.005585.
        var test = ChiSquare.Independence([(86, 83), (93, 90), (136, 129), (82, 70)]);

        Assert.NotNull(test);
        Assert.Equal(12.600411297127633, test.Statistic, 1e-10);
        Assert.Equal(3, test.DegreesOfFreedom);
        Assert.Equal(0.0055854766616270413, test.PValue, 1e-12);
    }

    [Fact]
    public void ChiSquareOfTwoArmsIsTheSquaredZ()
    {
        var test = ChiSquare.Independence([(70, 56), (80, 48)]);

        Assert.NotNull(test);
        Assert.Equal(2.6501719512585326 * 2.6501719512585326, test.Statistic, 1e-10);
        Assert.Equal(Proportions.ZTestP(56, 70, 48, 80), test.PValue, 1e-12);
        Assert.Null(ChiSquare.Independence([(10, 0), (20, 0)]));
        Assert.Null(ChiSquare.Independence([(10, 3)]));
    }

    [Fact]
    public void WelchMatchesRTTestOnSleep()
    {
        // R: t.test(extra ~ group, data = sleep) — Welch Two Sample t-test: t = -1.8608, df = 17.776, p-value = 0.07939,
        // 95 percent confidence interval: -3.3654832 0.2054832.
        double[] first = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
        double[] second = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

        var test = Means.Welch(Sample.Of(first), Sample.Of(second));

        Assert.NotNull(test);
        Assert.Equal(-1.58, test.Difference, 1e-12);
        Assert.Equal(-1.8608, test.T, 1e-4);
        Assert.Equal(17.776, test.DegreesOfFreedom, 1e-3);
        Assert.Equal(0.07939, test.PValue, 1e-5);
        Assert.Equal(-3.3654832, test.Interval.Lower, 1e-6);
        Assert.Equal(0.2054832, test.Interval.Upper, 1e-6);
    }

    [Fact]
    public void OneMeanIntervalMatchesRTTest()
    {
        // R: t.test(sleep$extra[1:10]) — mean 0.75, 95 percent confidence interval -0.5297804 2.0297804.
        var interval = Means.Interval(Sample.Of([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]));

        Assert.NotNull(interval);
        Assert.Equal(-0.5297804, interval.Value.Lower, 1e-6);
        Assert.Equal(2.0297804, interval.Value.Upper, 1e-6);
        Assert.Null(Means.Interval(new Sample(1, 5, 25)));
    }

    [Fact]
    public void WelchOfConstantSamplesIsExact()
    {
        var test = Means.Welch(new Sample(10, 0, 0), new Sample(20, 0, 0));

        Assert.NotNull(test);
        Assert.Equal(new Interval(0, 0), test.Interval);
        Assert.Equal(1, test.PValue);
        Assert.Null(Means.Welch(new Sample(1, 1, 1), new Sample(20, 0, 0)));
    }

    [Fact]
    public void SampleSizeMatchesPowerPropTest()
    {
        // R: power.prop.test(p1 = 0.10, p2 = 0.12, power = 0.8) gives n = 3840.847 per group; 0.5 vs 0.6 gives n = 387.3385.
        Assert.Equal(3841, Proportions.SampleSizePerGroup(0.10, 0.02));
        Assert.Equal(388, Proportions.SampleSizePerGroup(0.5, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Proportions.SampleSizePerGroup(0.99, 0.02));
    }

    [Fact]
    public void RelativeLiftByMoverRAgreesWithTheLogRatioAtLargeCounts()
    {
        // At 600/5000 vs 500/5000 the Katz log interval for the ratio is 1.07283 to 1.34224; MOVER-R gives 1.07287 to 1.34216.
        var lift = Proportions.Relative(600, 5000, 500, 5000);

        Assert.NotNull(lift);
        Assert.Equal(0.2, lift.Value, 1e-12);
        Assert.Equal(0.0728737, lift.Interval.Lower, 1e-6);
        Assert.Equal(0.3421608, lift.Interval.Upper, 1e-6);
        Assert.Null(Proportions.Relative(5, 10, 0, 10));
    }

    [Fact]
    public void ProbabilityBestMatchesExactIntegration()
    {
        // mpmath quad of f_B(x) I_x(a_A, b_A) over [0, 1]: P(B > A) for Beta(21, 81) vs Beta(31, 71) is 0.947603103352369,
        // and for Beta(501, 4501) vs Beta(561, 4441) is 0.974327754899481.
        var small = BetaArms.ProbabilityBest([(100, 20), (100, 30)]);
        var large = BetaArms.ProbabilityBest([(5000, 500), (5000, 560)]);

        Assert.Equal(0.947603103352369, small[1], 1e-7);
        Assert.Equal(1, small[0] + small[1], 1e-12);
        Assert.Equal(0.974327754899481, large[1], 1e-7);
    }

    [Fact]
    public void ProbabilityBestIsSymmetricAndDeterministic()
    {
        var arms = BetaArms.ProbabilityBest([(1000, 100), (1000, 100), (1000, 100)]);

        Assert.All(arms, p => Assert.Equal(1.0 / 3, p, 1e-7));
        Assert.Equal(arms, BetaArms.ProbabilityBest([(1000, 100), (1000, 100), (1000, 100)]));
        Assert.Equal([0.5, 0.5], BetaArms.ProbabilityBest([(0, 0), (0, 0)]), (a, b) => Math.Abs(a - b) < 1e-9);
        Assert.True(BetaArms.ProbabilityBest([(10_000, 100), (10_000, 900)])[1] > 0.999999);
    }
}
