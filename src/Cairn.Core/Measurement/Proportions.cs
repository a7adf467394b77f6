namespace Cairn.Core.Measurement;

/// <summary>
/// Conversion rates: the Wilson score interval for one proportion, Newcombe's hybrid score interval for the difference of
/// two, the pooled two-proportion z-test, the relative lift with a MOVER-R interval, and the sample size that detects a
/// given lift. Everything is two-sided at the given confidence level (95 % by default).
/// </summary>
public static class Proportions
{
    /// <summary>The default confidence level, 95 %.</summary>
    public const double DefaultConfidence = 0.95;

    /// <summary>
    /// The Wilson score interval for <paramref name="successes"/> out of <paramref name="trials"/> (Wilson 1927; Newcombe 1998a,
    /// method 3): (p + z²/2n ± z √(p(1−p)/n + z²/4n²)) / (1 + z²/n). [0, 1] when there are no trials.
    /// </summary>
    public static Interval Wilson(long successes, long trials, double confidence = DefaultConfidence)
    {
        Check(successes, trials);
        if (trials == 0)
        {
            return new Interval(0, 1);
        }

        var z = Critical(confidence);
        double n = trials;
        var p = successes / n;
        var z2 = z * z;
        var denominator = 1 + (z2 / n);
        var center = (p + (z2 / (2 * n))) / denominator;
        var half = z / denominator * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n)));

        // The bounds are exactly 0 with no successes and 1 with no failures; rounding must not move them off.
        var lower = successes == 0 ? 0 : Math.Max(0, center - half);
        var upper = successes == trials ? 1 : Math.Min(1, center + half);
        return new Interval(lower, upper);
    }

    /// <summary>
    /// Newcombe's hybrid score interval for p₁ − p₂ (Newcombe 1998b, method 10), from the two Wilson intervals (l₁, u₁), (l₂, u₂):
    /// [δ − √((p₁ − l₁)² + (u₂ − p₂)²), δ + √((u₁ − p₁)² + (p₂ − l₂)²)]. Both groups need at least one trial.
    /// </summary>
    public static Interval NewcombeDifference(long successes1, long trials1, long successes2, long trials2, double confidence = DefaultConfidence)
    {
        Check(successes1, trials1);
        Check(successes2, trials2);
        RequireTrials(trials1, trials2);
        var p1 = (double)successes1 / trials1;
        var p2 = (double)successes2 / trials2;
        var (l1, u1) = Wilson(successes1, trials1, confidence);
        var (l2, u2) = Wilson(successes2, trials2, confidence);
        var difference = p1 - p2;
        return new Interval(
            difference - Math.Sqrt(((p1 - l1) * (p1 - l1)) + ((u2 - p2) * (u2 - p2))),
            difference + Math.Sqrt(((u1 - p1) * (u1 - p1)) + ((p2 - l2) * (p2 - l2))));
    }

    /// <summary>
    /// The two-sided p-value of the pooled two-proportion z-test of p₁ = p₂: z = (p₁ − p₂) / √(p̄(1 − p̄)(1/n₁ + 1/n₂)), the same
    /// as R's <c>prop.test(c(x1, x2), c(n1, n2), correct = FALSE)</c>. 1 when nobody or everybody converted (no evidence of a difference).
    /// </summary>
    public static double ZTestP(long successes1, long trials1, long successes2, long trials2)
    {
        Check(successes1, trials1);
        Check(successes2, trials2);
        RequireTrials(trials1, trials2);
        var pooled = (double)(successes1 + successes2) / (trials1 + trials2);
        if (pooled is 0 or 1)
        {
            return 1;
        }

        var z = (((double)successes1 / trials1) - ((double)successes2 / trials2))
            / Math.Sqrt(pooled * (1 - pooled) * ((1.0 / trials1) + (1.0 / trials2)));
        return Math.Min(1, 2 * Normal.UpperTail(Math.Abs(z)));
    }

    /// <summary>
    /// The relative lift p₁ / p₂ − 1 with its interval by MOVER-R (Donner and Zou 2012; Newcombe 2013, §7.3), which recovers
    /// the variance of the ratio from the two Wilson intervals rather than assuming normality of the log ratio:
    /// L = (p₁p₂ − √((p₁p₂)² − l₁u₂(2p₁ − l₁)(2p₂ − u₂))) / (u₂(2p₂ − u₂)) and
    /// U = (p₁p₂ + √((p₁p₂)² − u₁l₂(2p₁ − u₁)(2p₂ − l₂))) / (l₂(2p₂ − l₂)), each minus 1. Null when the second group has no
    /// successes (the ratio is undefined); the upper bound is +∞ when its Wilson lower bound is 0.
    /// </summary>
    public static RelativeLift? Relative(long successes1, long trials1, long successes2, long trials2, double confidence = DefaultConfidence)
    {
        Check(successes1, trials1);
        Check(successes2, trials2);
        RequireTrials(trials1, trials2);
        if (successes2 == 0)
        {
            return null;
        }

        var p1 = (double)successes1 / trials1;
        var p2 = (double)successes2 / trials2;
        var (l1, u1) = Wilson(successes1, trials1, confidence);
        var (l2, u2) = Wilson(successes2, trials2, confidence);
        var product = p1 * p2;
        var lowerDenominator = u2 * ((2 * p2) - u2);
        var lower = lowerDenominator == 0
            ? 0
            : (product - Math.Sqrt(Math.Max(0, (product * product) - (l1 * u2 * ((2 * p1) - l1) * ((2 * p2) - u2))))) / lowerDenominator;
        var upperDenominator = l2 * ((2 * p2) - l2);
        var upper = upperDenominator <= 0
            ? double.PositiveInfinity
            : (product + Math.Sqrt(Math.Max(0, (product * product) - (u1 * l2 * ((2 * p1) - u1) * ((2 * p2) - l2))))) / upperDenominator;
        return new RelativeLift((p1 / p2) - 1, new Interval(Math.Max(0, lower) - 1, upper - 1));
    }

    /// <summary>
    /// The entries each of two equal groups needs for a two-sided test at level <paramref name="alpha"/> to detect an
    /// absolute lift of <paramref name="lift"/> over a <paramref name="baseline"/> rate with the given power (Fleiss, Levin
    /// and Paik 2003, eq. 4.14 without continuity correction; the n R's <c>power.prop.test</c> reports):
    /// n = (z_{1−α/2} √(2p̄q̄) + z_{power} √(p₁q₁ + p₂q₂))² / δ², rounded up.
    /// </summary>
    public static long SampleSizePerGroup(double baseline, double lift, double alpha = 0.05, double power = 0.8)
    {
        if (!(baseline >= 0 && baseline < 1) || !(lift > 0) || baseline + lift > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(lift), "The baseline is a rate in [0, 1) and the lift positive, their sum at most 1.");
        }

        if (!(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(power), "alpha and power are probabilities strictly between 0 and 1.");
        }

        var p1 = baseline;
        var p2 = baseline + lift;
        var mean = (p1 + p2) / 2;
        var root = (Normal.Quantile(1 - (alpha / 2)) * Math.Sqrt(2 * mean * (1 - mean)))
            + (Normal.Quantile(power) * Math.Sqrt((p1 * (1 - p1)) + (p2 * (1 - p2))));
        return (long)Math.Ceiling(root * root / (lift * lift));
    }

    /// <summary>Refuses a count that cannot be a proportion.</summary>
    internal static void Check(long successes, long trials)
    {
        if (trials < 0 || successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), $"{successes} successes out of {trials} trials is not a proportion.");
        }
    }

    /// <summary>z for a two-sided interval at <paramref name="confidence"/>.</summary>
    internal static double Critical(double confidence)
    {
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "A confidence level is strictly between 0 and 1.");
        }

        return confidence == DefaultConfidence ? Normal.Z95 : Normal.Quantile(1 - ((1 - confidence) / 2));
    }

    private static void RequireTrials(long trials1, long trials2)
    {
        if (trials1 == 0 || trials2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(trials1), "Comparing two proportions needs at least one trial in each group.");
        }
    }
}

/// <summary>A relative lift, p₁ / p₂ − 1, with its interval.</summary>
/// <param name="Value">The point estimate.</param>
/// <param name="Interval">The interval; its upper bound may be +∞.</param>
public sealed record RelativeLift(double Value, Interval Interval);
