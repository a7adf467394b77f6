using System.Globalization;
using System.Text.Json;

namespace Cairn.Core.Measurement;

/// <summary>Revenue as events carry it: a number, or a numeric string (some SDKs send <c>"revenue": "19.99"</c>).</summary>
public static class Money
{
    /// <summary>The largest amount taken as revenue; beyond it a value is treated as a mistake, not money.</summary>
    public const decimal Limit = 1_000_000_000_000m;

    /// <summary>
    /// The amount in <paramref name="properties"/>[<paramref name="name"/>], or null when it is absent, not a number, not
    /// finite or beyond ±<see cref="Limit"/>. Refunds (negative amounts) are kept.
    /// </summary>
    public static decimal? Read(JsonElement? properties, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (properties is not { ValueKind: JsonValueKind.Object } map || !map.TryGetProperty(name, out var value))
        {
            return null;
        }

        decimal amount;
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (!value.TryGetDecimal(out amount))
            {
                return null;
            }
        }
        else if (value.ValueKind != JsonValueKind.String
            || !decimal.TryParse(value.GetString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out amount))
        {
            return null;
        }

        return Math.Abs(amount) <= Limit ? amount : null;
    }
}
