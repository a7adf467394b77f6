namespace Cairn.Core.Measurement;

/// <summary>
/// A sample summarised by its count, sum and sum of squares, the form an aggregate query returns
/// (<c>COUNT(*)</c>, <c>SUM(x)</c>, <c>SUM(x * x)</c>).
/// </summary>
/// <param name="Count">How many values.</param>
/// <param name="Sum">Their sum.</param>
/// <param name="SumOfSquares">The sum of their squares.</param>
public readonly record struct Sample(long Count, double Sum, double SumOfSquares)
{
    /// <summary>The mean, 0 for an empty sample.</summary>
    public double Mean => Count == 0 ? 0 : Sum / Count;

    /// <summary>The unbiased variance, (Σx² − (Σx)²/n) / (n − 1), 0 below two values (and never negative from rounding).</summary>
    public double Variance => Count < 2 ? 0 : Math.Max(0, (SumOfSquares - (Sum * Sum / Count)) / (Count - 1));

    /// <summary>The sample from individual values.</summary>
    public static Sample Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        long count = 0;
        double sum = 0, squares = 0;
        foreach (var value in values)
        {
            count++;
            sum += value;
            squares += value * value;
        }

        return new Sample(count, sum, squares);
    }
}

/// <summary>Means: the t interval for one mean and Welch's interval and test for the difference of two.</summary>
public static class Means
{
    /// <summary>The t interval for the mean, x̄ ± t_{n−1} s/√n; null below two values.</summary>
    public static Interval? Interval(Sample sample, double confidence = Proportions.DefaultConfidence)
    {
        Proportions.Critical(confidence);
        if (sample.Count < 2)
        {
            return null;
        }

        var half = StudentT.Quantile(1 - ((1 - confidence) / 2), sample.Count - 1) * Math.Sqrt(sample.Variance / sample.Count);
        return new Interval(sample.Mean - half, sample.Mean + half);
    }

    /// <summary>
    /// Welch's unequal-variances t interval and test for mean₁ − mean₂ (Welch 1947; R's <c>t.test(x, y)</c>): standard error
    /// √(s₁²/n₁ + s₂²/n₂), degrees of freedom by the Welch–Satterthwaite equation. Null when a sample has fewer than two values.
    /// When both variances are 0 the difference is known exactly: the interval is that point and p is 1 if it is 0, else 0.
    /// </summary>
    public static WelchTest? Welch(Sample first, Sample second, double confidence = Proportions.DefaultConfidence)
    {
        Proportions.Critical(confidence);
        if (first.Count < 2 || second.Count < 2)
        {
            return null;
        }

        var difference = first.Mean - second.Mean;
        var v1 = first.Variance / first.Count;
        var v2 = second.Variance / second.Count;
        var error = Math.Sqrt(v1 + v2);
        if (error == 0)
        {
            return new WelchTest(difference, new Interval(difference, difference), first.Count + second.Count - 2, 0, difference == 0 ? 1 : 0);
        }

        var degrees = (v1 + v2) * (v1 + v2) / ((v1 * v1 / (first.Count - 1)) + (v2 * v2 / (second.Count - 1)));
        var t = difference / error;
        var half = StudentT.Quantile(1 - ((1 - confidence) / 2), degrees) * error;
        return new WelchTest(difference, new Interval(difference - half, difference + half), degrees, t, StudentT.TwoSidedP(t, degrees));
    }
}

/// <summary>Welch's test of two means.</summary>
/// <param name="Difference">mean₁ − mean₂.</param>
/// <param name="Interval">Its confidence interval.</param>
/// <param name="DegreesOfFreedom">The Welch–Satterthwaite degrees of freedom.</param>
/// <param name="T">The t statistic.</param>
/// <param name="PValue">The two-sided p-value.</param>
public sealed record WelchTest(double Difference, Interval Interval, double DegreesOfFreedom, double T, double PValue);
