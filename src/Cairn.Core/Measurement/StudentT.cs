namespace Cairn.Core.Measurement;

/// <summary>Student's t distribution with ν degrees of freedom (ν may be fractional, as Welch's approximation gives).</summary>
public static class StudentT
{
    /// <summary>P(T ≤ <paramref name="t"/>) = 1 − ½ I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0, symmetric below.</summary>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        Check(degreesOfFreedom);
        if (double.IsNaN(t))
        {
            return double.NaN;
        }

        if (double.IsInfinity(t))
        {
            return t > 0 ? 1 : 0;
        }

        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            return Normal.Cdf(t);
        }

        var tail = 0.5 * SpecialFunctions.Beta(degreesOfFreedom / (degreesOfFreedom + (t * t)), degreesOfFreedom / 2, 0.5);
        return t < 0 ? tail : 1 - tail;
    }

    /// <summary>The two-sided p-value of <paramref name="t"/>: P(|T| ≥ |t|).</summary>
    public static double TwoSidedP(double t, double degreesOfFreedom)
    {
        Check(degreesOfFreedom);
        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            return 2 * Normal.UpperTail(Math.Abs(t));
        }

        return SpecialFunctions.Beta(degreesOfFreedom / (degreesOfFreedom + (t * t)), degreesOfFreedom / 2, 0.5);
    }

    /// <summary>The quantile: the t with P(T ≤ t) = <paramref name="p"/>, found by bisection on <see cref="Cdf"/> to double precision.</summary>
    public static double Quantile(double p, double degreesOfFreedom)
    {
        Check(degreesOfFreedom);
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "A quantile is taken of a probability strictly between 0 and 1.");
        }

        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            return Normal.Quantile(p);
        }

        if (p < 0.5)
        {
            return -Quantile(1 - p, degreesOfFreedom);
        }

        double low = 0;
        var high = Math.Max(1, Normal.Quantile(p));
        while (Cdf(high, degreesOfFreedom) < p)
        {
            low = high;
            high *= 2;
        }

        for (var i = 0; i < 200 && high - low > 1e-15 * high; i++)
        {
            var middle = 0.5 * (low + high);
            if (Cdf(middle, degreesOfFreedom) < p)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return 0.5 * (low + high);
    }

    private static void Check(double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Degrees of freedom are positive.");
        }
    }
}
