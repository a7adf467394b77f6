namespace Cairn.Core.Measurement;

/// <summary>The chi-square distribution, and Pearson's test of independence of conversion across arms.</summary>
public static class ChiSquare
{
    /// <summary>P(X ≥ <paramref name="x"/>) for X ~ χ²(k) = Q(k/2, x/2).</summary>
    public static double UpperTail(double x, double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Degrees of freedom are positive.");
        }

        return x <= 0 ? 1 : SpecialFunctions.GammaQ(degreesOfFreedom / 2, x / 2);
    }

    /// <summary>
    /// Pearson's chi-square test of independence on the 2 × k table of converted and not converted per arm, without a
    /// continuity correction (R's <c>prop.test(x, n)</c> for k ≥ 3, <c>chisq.test(…, correct = FALSE)</c>). Arms with no
    /// entries are left out; null when fewer than two arms remain or nobody, or everybody, converted (the test is undefined).
    /// </summary>
    public static ChiSquareTest? Independence(IReadOnlyList<(long Entries, long Conversions)> arms)
    {
        ArgumentNullException.ThrowIfNull(arms);
        var used = arms.Where(arm => arm.Entries > 0).ToList();
        foreach (var (entries, conversions) in used)
        {
            Proportions.Check(conversions, entries);
        }

        long total = used.Sum(arm => arm.Entries);
        long converted = used.Sum(arm => arm.Conversions);
        if (used.Count < 2 || converted == 0 || converted == total)
        {
            return null;
        }

        var rate = (double)converted / total;
        var statistic = 0.0;
        foreach (var (entries, conversions) in used)
        {
            var expectedYes = entries * rate;
            var expectedNo = entries * (1 - rate);
            statistic += ((conversions - expectedYes) * (conversions - expectedYes) / expectedYes)
                + ((entries - conversions - expectedNo) * (entries - conversions - expectedNo) / expectedNo);
        }

        var degrees = used.Count - 1;
        return new ChiSquareTest(statistic, degrees, UpperTail(statistic, degrees));
    }
}

/// <summary>A chi-square test's result.</summary>
/// <param name="Statistic">Pearson's X².</param>
/// <param name="DegreesOfFreedom">k − 1 for k arms.</param>
/// <param name="PValue">P(χ² ≥ X²).</param>
public sealed record ChiSquareTest(double Statistic, int DegreesOfFreedom, double PValue);
