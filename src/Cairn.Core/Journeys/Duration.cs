using System.Globalization;
using System.Xml;

namespace Cairn.Core.Journeys;

/// <summary>Durations in journey documents: <c>90s</c>, <c>15m</c>, <c>4h</c>, <c>7d</c>, <c>2w</c>, combinations such as <c>1h30m</c>, or ISO 8601 (<c>PT4H</c>).</summary>
public static class Duration
{
    /// <summary>Parses a duration; false (with the reason) when the text is not one or is not positive.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, out string error)
    {
        duration = TimeSpan.Zero;
        error = string.Empty;
        var value = text?.Trim() ?? string.Empty;
        if (value.Length == 0)
        {
            error = "a duration is required (e.g. 30m, 4h, 7d)";
            return false;
        }

        if (value.StartsWith('P'))
        {
            try
            {
                duration = XmlConvert.ToTimeSpan(value);
            }
            catch (FormatException)
            {
                error = $"'{value}' is not an ISO 8601 duration";
                return false;
            }
        }
        else
        {
            var position = 0;
            while (position < value.Length)
            {
                var start = position;
                while (position < value.Length && char.IsAsciiDigit(value[position]))
                {
                    position++;
                }

                if (position == start || position == value.Length
                    || !long.TryParse(value.AsSpan(start, position - start), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
                {
                    error = $"'{value}' is not a duration (use a number and a unit: s, m, h, d or w, e.g. 4h or 1h30m)";
                    return false;
                }

                var unit = value[position++] switch
                {
                    's' => TimeSpan.FromSeconds(1),
                    'm' => TimeSpan.FromMinutes(1),
                    'h' => TimeSpan.FromHours(1),
                    'd' => TimeSpan.FromDays(1),
                    'w' => TimeSpan.FromDays(7),
                    _ => TimeSpan.Zero,
                };
                if (unit == TimeSpan.Zero || amount > 100_000)
                {
                    error = $"'{value}' is not a duration (units are s, m, h, d and w)";
                    return false;
                }

                duration += unit * amount;
            }
        }

        if (duration <= TimeSpan.Zero)
        {
            error = $"'{value}' must be longer than zero";
            return false;
        }

        return true;
    }

    /// <summary>Writes a duration the way documents do: <c>4h</c>, <c>1h30m</c>, <c>7d</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new System.Text.StringBuilder();
        foreach (var (unit, size) in new[] { ("d", TimeSpan.FromDays(1)), ("h", TimeSpan.FromHours(1)), ("m", TimeSpan.FromMinutes(1)), ("s", TimeSpan.FromSeconds(1)) })
        {
            var count = (long)(duration.Ticks / size.Ticks);
            if (count > 0)
            {
                text.Append(count.ToString(CultureInfo.InvariantCulture)).Append(unit);
                duration -= size * count;
            }
        }

        return text.Length == 0 ? "0s" : text.ToString();
    }
}
