using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Cairn.Core.Contacts;

namespace Cairn.Core.Journeys.Engine;

/// <summary>Times of day and dates in the contact's time zone (UTC when the profile has none).</summary>
public static class LocalTime
{
    /// <summary>The contact's time zone.</summary>
    public static TimeZoneInfo Zone(ContactState profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return profile.TimeZone is { } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
    }

    /// <summary>A local date and time as an instant; a time skipped by a daylight-saving change moves forward.</summary>
    public static DateTimeOffset ToInstant(DateOnly date, TimeOnly time, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = date.ToDateTime(time);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(30);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The local date of an instant.</summary>
    public static DateOnly DateOf(DateTimeOffset instant, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>The first instant after <paramref name="now"/> at <paramref name="time"/> on one of <paramref name="days"/> (any day when empty).</summary>
    public static DateTimeOffset Next(DateTimeOffset now, TimeOnly time, ImmutableArray<DayOfWeek> days, TimeZoneInfo zone)
    {
        var today = DateOf(now, zone);
        for (var day = 0; ; day++)
        {
            var date = today.AddDays(day);
            if ((days.IsDefaultOrEmpty || days.Contains(date.DayOfWeek)) && ToInstant(date, time, zone) is var candidate && candidate > now)
            {
                return candidate;
            }
        }
    }

    /// <summary>The local date a date trait holds (<c>2027-03-31</c>, or a full ISO 8601 time), if any.</summary>
    public static DateOnly? DateTrait(ContactState profile, string trait)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (!profile.Traits.TryGetValue(trait, out var value) || value.Value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var text = value.Value.GetString();
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant)
            ? DateOf(instant, Zone(profile))
            : null;
    }

    /// <summary>
    /// When a date trigger fires for a contact between <paramref name="from"/> (exclusive) and <paramref name="to"/>
    /// (inclusive), with the payload each enrollment gets (<c>trait</c>, <c>date</c>, <c>days_before</c> or <c>days_after</c>).
    /// </summary>
    public static IEnumerable<(DateTimeOffset At, JsonElement Payload)> Occurrences(DateTrigger trigger, ContactState profile, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        if (DateTrait(profile, trigger.Trait) is not { } date)
        {
            yield break;
        }

        var zone = Zone(profile);
        var years = trigger.Annually ? Enumerable.Range(DateOf(from, zone).Year - 1, DateOf(to, zone).Year - DateOf(from, zone).Year + 3) : [date.Year];
        var found = new List<(DateTimeOffset At, JsonElement Payload)>();
        foreach (var year in years)
        {
            // 29 February falls on 28 February in other years.
            var anniversary = trigger.Annually ? new DateOnly(year, date.Month, Math.Min(date.Day, DateTime.DaysInMonth(year, date.Month))) : date;
            foreach (var offset in trigger.OffsetDays)
            {
                var at = ToInstant(anniversary.AddDays(offset), trigger.At, zone);
                if (at > from && at <= to)
                {
                    var payload = offset switch
                    {
                        < 0 => JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["trait"] = trigger.Trait, ["date"] = anniversary.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["days_before"] = -offset }),
                        > 0 => JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["trait"] = trigger.Trait, ["date"] = anniversary.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["days_after"] = offset }),
                        _ => JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["trait"] = trigger.Trait, ["date"] = anniversary.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["on_the_day"] = true }),
                    };
                    found.Add((at, payload));
                }
            }
        }

        foreach (var occurrence in found.OrderBy(o => o.At))
        {
            yield return occurrence;
        }
    }
}
