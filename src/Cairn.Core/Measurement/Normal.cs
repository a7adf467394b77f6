namespace Cairn.Core.Measurement;

/// <summary>The standard normal distribution: density, distribution function and quantile.</summary>
public static class Normal
{
    private static readonly double[] A = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
    private static readonly double[] B = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
    private static readonly double[] C = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
    private static readonly double[] D = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];

    /// <summary>The two-sided 95 % critical value, Φ⁻¹(0.975) (declared after the coefficients it is computed from).</summary>
    public static readonly double Z95 = Quantile(0.975);

    /// <summary>The density φ(<paramref name="x"/>).</summary>
    public static double Density(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    /// <summary>Φ(<paramref name="x"/>) = P(Z ≤ x), through erfc as the regularized upper incomplete gamma Q(½, x²/2).</summary>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (double.IsInfinity(x))
        {
            return x > 0 ? 1 : 0;
        }

        var tail = 0.5 * SpecialFunctions.GammaQ(0.5, 0.5 * x * x);
        return x < 0 ? tail : 1 - tail;
    }

    /// <summary>P(Z &gt; x), without the cancellation of 1 − Φ(x) in the upper tail.</summary>
    public static double UpperTail(double x) => Cdf(-x);

    /// <summary>
    /// Φ⁻¹(<paramref name="p"/>) for 0 &lt; p &lt; 1: Acklam's rational approximation (relative error below 1.2e-9) refined by
    /// two Halley steps on <see cref="Cdf"/>, which brings it to double precision.
    /// </summary>
    public static double Quantile(double p)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "A quantile is taken of a probability strictly between 0 and 1.");
        }

        const double low = 0.02425;
        double x;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            x = Horner(C, q) / ((Horner(D, q) * q) + 1);
        }
        else if (p <= 1 - low)
        {
            var q = p - 0.5;
            var r = q * q;
            x = Horner(A, r) * q / ((Horner(B, r) * r) + 1);
        }
        else
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            x = -Horner(C, q) / ((Horner(D, q) * q) + 1);
        }

        for (var i = 0; i < 2; i++)
        {
            var e = Cdf(x) - p;
            var u = e * Math.Sqrt(2 * Math.PI) * Math.Exp(0.5 * x * x);
            x -= u / (1 + (0.5 * x * u));
        }

        return x;
    }

    private static double Horner(double[] coefficients, double x)
    {
        var value = coefficients[0];
        for (var i = 1; i < coefficients.Length; i++)
        {
            value = (value * x) + coefficients[i];
        }

        return value;
    }
}
