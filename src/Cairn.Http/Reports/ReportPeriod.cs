using System.Globalization;

namespace Cairn.Http.Reports;

/// <summary>
/// The period a report covers, <c>[From, To)</c>, from the <c>from</c> and <c>to</c> query parameters: ISO 8601 dates
/// (<c>2026-11-01</c>, a whole UTC day) or times with an offset. Absent, <c>to</c> is now and <c>from</c> 30 days before
/// it. Every report states the period it used.
/// </summary>
/// <param name="From">The start, inclusive.</param>
/// <param name="To">The end, exclusive.</param>
public sealed record ReportPeriod(DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>The period when none is given: the 30 days before now.</summary>
    public static readonly TimeSpan DefaultLength = TimeSpan.FromDays(30);

    /// <summary>The longest period a report reads (about two years).</summary>
    public static readonly TimeSpan MaxLength = TimeSpan.FromDays(731);

    /// <summary>The period the parameters name; a 400 problem when one cannot be read, they are reversed or too far apart.</summary>
    public static ReportPeriod Parse(string? from, string? to, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var end = to is null ? time.GetUtcNow() : Read("to", to, endOfDay: true);
        var start = from is null ? end - DefaultLength : Read("from", from, endOfDay: false);
        if (start >= end)
        {
            throw new ProblemException($"from ({start:O}) must be before to ({end:O}).");
        }

        if (end - start > MaxLength)
        {
            throw new ProblemException($"A report covers at most {MaxLength.TotalDays:0} days; from and to are {(end - start).TotalDays:0} days apart.");
        }

        return new ReportPeriod(start, end);
    }

    /// <summary>The UTC days the period touches, as day numbers (days since 1970-01-01) from FromDay to ToDay (exclusive): what daily counters answer for.</summary>
    public (int FromDay, int ToDay) DaySpan() => (FunnelExits.DayOf(From), FunnelExits.DayOf(To - TimeSpan.FromTicks(1)) + 1);

    /// <summary>The period rounded out to the whole UTC days it touches, as a report read from daily counters states it.</summary>
    public ReportPeriod WholeDays()
    {
        var (fromDay, toDay) = DaySpan();
        return new ReportPeriod(DayStart(fromDay), DayStart(toDay));
    }

    private static DateTimeOffset DayStart(int day) => new(FunnelExits.DateOf(day).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>The UTC days the period touches, first to last.</summary>
    public IEnumerable<DateOnly> Days()
    {
        var last = DateOnly.FromDateTime((To - TimeSpan.FromTicks(1)).UtcDateTime);
        for (var day = DateOnly.FromDateTime(From.UtcDateTime); day <= last; day = day.AddDays(1))
        {
            yield return day;
        }
    }

    private static DateTimeOffset Read(string name, string value, bool endOfDay)
    {
        if (value.Length <= 10 && DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return endOfDay ? start.AddDays(1) : start;
        }

        if (value.Length <= 40 && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }

        throw new ProblemException($"{name} must be a date (2026-11-01) or an ISO 8601 time, not '{(value.Length <= 40 ? value : value[..40] + "…")}'.");
    }
}
