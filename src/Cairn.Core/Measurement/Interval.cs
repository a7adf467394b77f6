namespace Cairn.Core.Measurement;

/// <summary>A confidence interval [<paramref name="Lower"/>, <paramref name="Upper"/>]; an unbounded side is ±∞.</summary>
/// <param name="Lower">The lower bound.</param>
/// <param name="Upper">The upper bound.</param>
public readonly record struct Interval(double Lower, double Upper)
{
    /// <summary>True when <paramref name="value"/> lies within the bounds, inclusive.</summary>
    public bool Contains(double value) => value >= Lower && value <= Upper;

    /// <summary>True when the interval lies wholly above or below zero.</summary>
    public bool ExcludesZero => Lower > 0 || Upper < 0;
}
