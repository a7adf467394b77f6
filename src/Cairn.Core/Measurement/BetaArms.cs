namespace Cairn.Core.Measurement;

/// <summary>
/// The Bayesian view of an A/B/n test on conversion: each arm's rate has the posterior Beta(1 + conversions, 1 + failures)
/// under a uniform prior, and the probability that an arm is best is P(pᵢ &gt; pⱼ for every j ≠ i)
/// = ∫ fᵢ(x) ∏_{j≠i} Fⱼ(x) dx, computed deterministically by composite Simpson integration over where arm i's posterior
/// has its mass (mean ± 12 standard deviations), with a step a tenth of the narrowest posterior's standard deviation;
/// Fⱼ is the regularized incomplete beta function. No random sampling: the same counts always give the same answer.
/// </summary>
public static class BetaArms
{
    private const int MinIntervals = 200;
    private const int MaxIntervals = 20_000;

    /// <summary>Each arm's probability to be best, in the arms' order, summing to 1. An arm with no entries keeps the uniform prior.</summary>
    public static IReadOnlyList<double> ProbabilityBest(IReadOnlyList<(long Entries, long Conversions)> arms)
    {
        ArgumentNullException.ThrowIfNull(arms);
        if (arms.Count == 0)
        {
            return [];
        }

        var posteriors = arms.Select(arm =>
        {
            Proportions.Check(arm.Conversions, arm.Entries);
            return (A: 1.0 + arm.Conversions, B: 1.0 + arm.Entries - arm.Conversions);
        }).ToArray();
        if (posteriors.Length == 1)
        {
            return [1.0];
        }

        var spreads = posteriors.Select(p => Math.Sqrt(p.A * p.B / ((p.A + p.B) * (p.A + p.B) * (p.A + p.B + 1)))).ToArray();
        var narrowest = spreads.Min();
        var raw = new double[posteriors.Length];
        for (var i = 0; i < posteriors.Length; i++)
        {
            var (a, b) = posteriors[i];
            var mean = a / (a + b);
            var from = Math.Max(0, mean - (12 * spreads[i]));
            var to = Math.Min(1, mean + (12 * spreads[i]));
            var intervals = (int)Math.Clamp(Math.Ceiling((to - from) / (narrowest / 10)), MinIntervals, MaxIntervals);
            intervals += intervals % 2;
            var h = (to - from) / intervals;
            var sum = 0.0;
            for (var k = 0; k <= intervals; k++)
            {
                var x = k == intervals ? to : from + (k * h);
                var weight = k == 0 || k == intervals ? 1 : k % 2 == 1 ? 4 : 2;
                var value = Density(x, a, b);
                for (var j = 0; j < posteriors.Length && value > 0; j++)
                {
                    if (j != i)
                    {
                        value *= SpecialFunctions.Beta(x, posteriors[j].A, posteriors[j].B);
                    }
                }

                sum += weight * value;
            }

            raw[i] = sum * h / 3;
        }

        var total = raw.Sum();
        return total > 0 ? raw.Select(p => p / total).ToArray() : raw.Select(_ => 1.0 / raw.Length).ToArray();
    }

    /// <summary>The Beta(a, b) density at x, in log space so large counts do not overflow.</summary>
    internal static double Density(double x, double a, double b)
    {
        if (x <= 0 || x >= 1)
        {
            var atZero = x <= 0;
            var exponent = atZero ? a : b;
            return exponent > 1 ? 0 : exponent == 1 ? Math.Exp(-SpecialFunctions.LogBeta(a, b)) : double.PositiveInfinity;
        }

        var log = ((a - 1) * Math.Log(x)) + ((b - 1) * Math.Log(1 - x)) - SpecialFunctions.LogBeta(a, b);
        return Math.Exp(log);
    }
}
