using System.Collections.Immutable;

namespace Cairn.Core.Measurement;

/// <summary>How a conversion's credit is shared among the messages that touched the contact before it.</summary>
public enum AttributionModel
{
    /// <summary>All of it to the earliest touch.</summary>
    FirstTouch,

    /// <summary>All of it to the latest touch.</summary>
    LastTouch,

    /// <summary>An equal share to every touch.</summary>
    Linear,

    /// <summary>Shares proportional to 2^(−age / half-life), the age counted back from the conversion.</summary>
    TimeDecay,

    /// <summary>
    /// U-shaped, 40/20/40: 40 % to the first touch, 40 % to the last and 20 % split evenly among those between; with one
    /// touch it takes everything, with two each takes half.
    /// </summary>
    PositionBased,
}

/// <summary>One touch's credit for one conversion.</summary>
/// <param name="Share">Its share of the conversion, 0–1; a conversion's shares sum to 1.</param>
/// <param name="Revenue">Its share of the revenue; a conversion's credits sum exactly to its revenue.</param>
public readonly record struct AttributionCredit(double Share, decimal Revenue);

/// <summary>
/// Multi-touch attribution, pure: given a conversion (its time and revenue) and the times of the touches (messages the
/// contact received, opened or clicked within the lookback), each model's credit per touch. Touches are ordered by time;
/// equal times keep the caller's order. Revenue is shared in the revenue's smallest unit (cents, or finer when the amount
/// has more decimals) by largest remainder, so the credits always sum exactly to the revenue; a leftover unit goes to the
/// touch with the largest fractional part, the earlier touch on a tie.
/// </summary>
public static class Attribution
{
    /// <summary>Every model, in the order reports show them.</summary>
    public static ImmutableArray<AttributionModel> Models { get; } =
        [AttributionModel.FirstTouch, AttributionModel.LastTouch, AttributionModel.Linear, AttributionModel.TimeDecay, AttributionModel.PositionBased];

    /// <summary>A model's name in documents, APIs and storage: <c>first_touch</c>, <c>time_decay</c> ….</summary>
    public static string NameOf(AttributionModel model) => model switch
    {
        AttributionModel.FirstTouch => "first_touch",
        AttributionModel.LastTouch => "last_touch",
        AttributionModel.Linear => "linear",
        AttributionModel.TimeDecay => "time_decay",
        AttributionModel.PositionBased => "position_based",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "unknown attribution model"),
    };

    /// <summary>The model named <paramref name="name"/>, if it is one of <see cref="Models"/>.</summary>
    public static bool TryParse(string? name, out AttributionModel model)
    {
        foreach (var candidate in Models)
        {
            if (string.Equals(NameOf(candidate), name, StringComparison.Ordinal))
            {
                model = candidate;
                return true;
            }
        }

        model = default;
        return false;
    }

    /// <summary>
    /// Each touch's share (in the order of <paramref name="touches"/>) under <paramref name="model"/>; they sum to 1, or
    /// the result is empty when there is no touch. <paramref name="halfLife"/> is used by time decay only; a touch after
    /// the conversion counts as at it.
    /// </summary>
    public static ImmutableArray<double> Shares(AttributionModel model, DateTimeOffset convertedAt, IReadOnlyList<DateTimeOffset> touches, TimeSpan halfLife)
    {
        var weights = Weights(model, convertedAt, touches, halfLife);
        var total = weights.Sum();
        return [.. weights.Select(weight => weight / total)];
    }

    /// <summary>
    /// Each touch's credit (in the order of <paramref name="touches"/>) for a conversion at <paramref name="convertedAt"/>
    /// worth <paramref name="revenue"/>: its share and its part of the revenue, which sum exactly to the revenue.
    /// </summary>
    public static ImmutableArray<AttributionCredit> Credit(AttributionModel model, DateTimeOffset convertedAt, decimal revenue, IReadOnlyList<DateTimeOffset> touches, TimeSpan halfLife)
    {
        var weights = Weights(model, convertedAt, touches, halfLife);
        var total = weights.Sum();
        var amounts = Split(revenue, weights);
        return [.. weights.Select((weight, i) => new AttributionCredit(weight / total, amounts[i]))];
    }

    /// <summary>
    /// Unnormalised weights: whole numbers for every model but time decay (position-based gives each end 2(n − 2) and each
    /// middle touch 1, which is 40/20/40 of 5(n − 2)), so the exact models split revenue without floating-point error.
    /// </summary>
    private static double[] Weights(AttributionModel model, DateTimeOffset convertedAt, IReadOnlyList<DateTimeOffset> touches, TimeSpan halfLife)
    {
        ArgumentNullException.ThrowIfNull(touches);
        if (halfLife <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(halfLife), halfLife, "the half-life must be positive");
        }

        var n = touches.Count;
        var weights = new double[n];
        if (n == 0)
        {
            return weights;
        }

        // Positions in time order; a tie keeps the caller's order.
        var order = Enumerable.Range(0, n).OrderBy(i => touches[i]).ThenBy(i => i).ToArray();
        switch (model)
        {
            case AttributionModel.FirstTouch:
                weights[order[0]] = 1;
                break;
            case AttributionModel.LastTouch:
                weights[order[^1]] = 1;
                break;
            case AttributionModel.Linear:
            case AttributionModel.PositionBased when n <= 2:
                Array.Fill(weights, 1);
                break;
            case AttributionModel.PositionBased:
                Array.Fill(weights, 1);
                weights[order[0]] = weights[order[^1]] = 2 * (n - 2);
                break;
            case AttributionModel.TimeDecay:
                // Ages relative to the newest touch: it weighs 1, so no weight underflows to an all-zero split.
                var newest = Min(touches[order[^1]], convertedAt);
                for (var i = 0; i < n; i++)
                {
                    weights[i] = Math.Pow(2, -((newest - Min(touches[i], convertedAt)) / halfLife));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(model), model, "unknown attribution model");
        }

        return weights;
    }

    /// <summary>
    /// <paramref name="amount"/> split in proportion to <paramref name="shares"/> (weights: finite, non-negative, not all zero) in the
    /// amount's smallest unit (at least 0.01), by largest remainder: the parts sum exactly to the amount, and each differs
    /// from its exact proportion by less than one unit.
    /// </summary>
    public static ImmutableArray<decimal> Split(decimal amount, IReadOnlyList<double> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count == 0)
        {
            return [];
        }

        if (Math.Abs(amount) > Money.Limit)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, "beyond the largest amount taken as revenue");
        }

        if (shares.Any(share => !(share >= 0) || double.IsInfinity(share)))
        {
            throw new ArgumentException("shares must be finite and non-negative", nameof(shares));
        }

        var weights = shares.Select(share => (decimal)share).ToArray();
        var total = weights.Sum();
        if (total <= 0)
        {
            throw new ArgumentException("at least one share must be positive", nameof(shares));
        }

        // Whole units of 10^-scale: the amount's own decimals, at least cents. |amount| ≤ 10^12 keeps them within decimal.
        var scale = Math.Max(2, (int)amount.Scale);
        var unit = 1m / Pow10(scale);
        var units = decimal.Round(Math.Abs(amount) * Pow10(scale));
        var exact = weights.Select(weight => units * weight / total).ToArray();
        var parts = exact.Select(decimal.Floor).ToArray();
        var left = units - parts.Sum();

        // Largest remainder first, the earlier touch on a tie; the leftover is fewer units than there are touches.
        var byRemainder = Enumerable.Range(0, parts.Length).OrderByDescending(i => exact[i] - parts[i]).ThenBy(i => i).ToArray();
        for (var k = 0; left > 0; k = (k + 1) % byRemainder.Length, left--)
        {
            parts[byRemainder[k]] += 1;
        }

        var sign = amount < 0 ? -1m : 1m;
        return [.. parts.Select(part => sign * part * unit)];
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static decimal Pow10(int exponent)
    {
        var value = 1m;
        for (var i = 0; i < exponent; i++)
        {
            value *= 10;
        }

        return value;
    }
}
