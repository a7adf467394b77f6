namespace Cairn.Core.Measurement;

/// <summary>
/// The special functions the measurement statistics rest on: the log gamma function (Lanczos, g = 7, nine terms), the
/// regularized incomplete gamma functions P and Q (series and Lentz continued fraction) and the regularized incomplete
/// beta function I_x(a, b) (continued fraction with the symmetry swap), as in Press et al., <i>Numerical Recipes</i>
/// (3rd ed., 2007), §6.1–6.4. Accurate to about 1e-14 relative over the ranges reports use.
/// </summary>
public static class SpecialFunctions
{
    private const int MaxIterations = 100_000;
    private const double Epsilon = 1e-15;
    private const double Tiny = 1e-300;

    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(<paramref name="x"/>) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "The log gamma function is taken of a positive number.");
        }

        if (x < 0.5)
        {
            // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
            return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        }

        x -= 1;
        var sum = Lanczos[0];
        for (var i = 1; i < Lanczos.Length; i++)
        {
            sum += Lanczos[i] / (x + i);
        }

        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).</summary>
    public static double LogBeta(double a, double b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    /// <summary>The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a), for a &gt; 0 and x ≥ 0.</summary>
    public static double GammaP(double a, double x)
    {
        CheckGamma(a, x);
        if (x == 0)
        {
            return 0;
        }

        return x < a + 1 ? GammaSeries(a, x) : 1 - GammaContinuedFraction(a, x);
    }

    /// <summary>The regularized upper incomplete gamma function Q(a, x) = 1 − P(a, x), computed without cancellation.</summary>
    public static double GammaQ(double a, double x)
    {
        CheckGamma(a, x);
        if (x == 0)
        {
            return 1;
        }

        return x < a + 1 ? 1 - GammaSeries(a, x) : GammaContinuedFraction(a, x);
    }

    /// <summary>The regularized incomplete beta function I_x(a, b), for a, b &gt; 0 and 0 ≤ x ≤ 1.</summary>
    public static double Beta(double x, double a, double b)
    {
        if (!(a > 0) || !(b > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(a), "The incomplete beta function takes positive a and b.");
        }

        if (!(x >= 0 && x <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "The incomplete beta function is taken of 0 ≤ x ≤ 1.");
        }

        if (x == 0 || x == 1)
        {
            return x;
        }

        var front = Math.Exp((a * Math.Log(x)) + (b * Math.Log(1 - x)) - LogBeta(a, b));
        return x < (a + 1) / (a + b + 2)
            ? front * BetaContinuedFraction(x, a, b) / a
            : 1 - (front * BetaContinuedFraction(1 - x, b, a) / b);
    }

    private static void CheckGamma(double a, double x)
    {
        if (!(a > 0) || !(x >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(a), "The incomplete gamma function takes a > 0 and x ≥ 0.");
        }
    }

    private static double GammaSeries(double a, double x)
    {
        var term = 1 / a;
        var sum = term;
        for (var n = 1; n < MaxIterations; n++)
        {
            term *= x / (a + n);
            sum += term;
            if (Math.Abs(term) < Math.Abs(sum) * Epsilon)
            {
                break;
            }
        }

        return sum * Math.Exp(-x + (a * Math.Log(x)) - LogGamma(a));
    }

    private static double GammaContinuedFraction(double a, double x)
    {
        var b = x + 1 - a;
        var c = 1 / Tiny;
        var d = 1 / b;
        var h = d;
        for (var i = 1; i < MaxIterations; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = (an * d) + b;
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }

            c = b + (an / c);
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon)
            {
                break;
            }
        }

        return Math.Exp(-x + (a * Math.Log(x)) - LogGamma(a)) * h;
    }

    private static double BetaContinuedFraction(double x, double a, double b)
    {
        var qab = a + b;
        var qap = a + 1;
        var qam = a - 1;
        var c = 1.0;
        var d = 1 - (qab * x / qap);
        if (Math.Abs(d) < Tiny)
        {
            d = Tiny;
        }

        d = 1 / d;
        var h = d;
        for (var m = 1; m < MaxIterations; m++)
        {
            var m2 = 2 * m;
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + (aa * d);
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }

            c = 1 + (aa / c);
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + (aa * d);
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }

            c = 1 + (aa / c);
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon)
            {
                break;
            }
        }

        return h;
    }
}
