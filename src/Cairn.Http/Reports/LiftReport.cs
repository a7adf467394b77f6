using System.Globalization;
using Cairn.Core.Measurement;

namespace Cairn.Http.Reports;

/// <summary>
/// The holdout lift: a journey's treated entries against its holdout (control) entries over a period, with the intervals,
/// the test and a verdict in words. Built from the enrollment groups, summed over experiment arms.
/// </summary>
internal static class LiftReport
{
    /// <summary>The absolute lift the "not enough data" verdict sizes the groups for: 2 percentage points.</summary>
    public const double DetectableLift = 0.02;

    /// <summary>The report for the groups read.</summary>
    public static LiftView Build(string journeyId, ReportPeriod period, int? version, IReadOnlyList<JourneyDefinition> definitions, IReadOnlyList<EnrollmentGroup> groups)
    {
        var treated = Sum(groups.Where(g => !g.Control));
        var control = Sum(groups.Where(g => g.Control));
        var holdoutPercent = definitions.Count == 0 ? (double?)null : definitions[0].Entry.HoldoutPercent;
        var hasHoldout = definitions.Any(d => d.Entry.HoldoutPercent > 0) || control.Entries > 0;
        var comparison = treated.Entries > 0 && control.Entries > 0 ? Compare(treated, control) : null;
        return new LiftView(
            journeyId,
            period,
            version,
            holdoutPercent,
            JourneyMeasurementEndpoints.CountedAs,
            Group(treated),
            Group(control),
            comparison,
            Verdict(hasHoldout, treated, control, comparison));
    }

    /// <summary>The report as a table: one row per group, then the difference and the relative lift.</summary>
    public static ReportTable Table(LiftView report)
    {
        ArgumentNullException.ThrowIfNull(report);
        string?[] Prefix(string row) => [report.JourneyId, ReportTable.Cell(report.Period.From), ReportTable.Cell(report.Period.To), report.Version is { } v ? ReportTable.Cell(v) : "all", row];
        static string? Number(double? value) => value is { } number ? ReportTable.Cell(number) : null;
        var rows = new List<IReadOnlyList<string?>>();
        foreach (var (name, group) in new[] { ("treated", report.Treated), ("holdout", report.Holdout) })
        {
            rows.Add([.. Prefix(name), ReportTable.Cell(group.Entries), ReportTable.Cell(group.Conversions), Number(group.Rate), Number(group.RateInterval?.Lower), Number(group.RateInterval?.Upper),
                ReportTable.Cell(group.Revenue), Number(group.RevenuePerContact), Number(group.RevenuePerContactInterval?.Lower), Number(group.RevenuePerContactInterval?.Upper), null]);
        }

        if (report.Comparison is { } c)
        {
            rows.Add([.. Prefix("treated - holdout"), ReportTable.Cell(report.Treated.Entries + report.Holdout.Entries), ReportTable.Cell(report.Treated.Conversions + report.Holdout.Conversions),
                ReportTable.Cell(c.AbsoluteLift), ReportTable.Cell(c.AbsoluteLiftInterval.Lower), Number(c.AbsoluteLiftInterval.Upper),
                null, Number(c.RevenueDifference), Number(c.RevenueDifferenceInterval?.Lower), Number(c.RevenueDifferenceInterval?.Upper), ReportTable.Cell(c.PValue)]);
            if (c.RelativeLift is { } relative)
            {
                rows.Add([.. Prefix("treated / holdout - 1"), ReportTable.Cell(report.Treated.Entries + report.Holdout.Entries), ReportTable.Cell(report.Treated.Conversions + report.Holdout.Conversions),
                    ReportTable.Cell(relative), Number(c.RelativeLiftInterval?.Lower), Number(c.RelativeLiftInterval?.Upper), null, null, null, null, ReportTable.Cell(c.PValue)]);
            }
        }

        return new ReportTable(
            ["journey", "from", "to", "version", "group", "entries", "conversions", "rate", "rate_lower", "rate_upper", "revenue", "revenue_per_contact", "revenue_per_contact_lower", "revenue_per_contact_upper", "p_value"],
            rows);
    }

    /// <summary>A rate in percentage points, one decimal.</summary>
    internal static string Points(double difference) => (Math.Abs(difference) * 100).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>A p-value as reports write it: two decimals, three below 0.01, "&lt; 0.001" below that.</summary>
    internal static string P(double p) => p < 0.001 ? "p < 0.001" : "p = " + p.ToString(p < 0.01 ? "0.000" : "0.00", CultureInfo.InvariantCulture);

    /// <summary>A probability or rate as a percentage, one decimal.</summary>
    internal static string Percent(double value) => (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    /// <summary>A whole number with thousands separators.</summary>
    internal static string Count(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static (long Entries, long Conversions, Sample Revenue) Sum(IEnumerable<EnrollmentGroup> groups)
    {
        long entries = 0, conversions = 0;
        double revenue = 0, squares = 0;
        foreach (var group in groups)
        {
            entries += group.Entries;
            conversions += group.Conversions;
            revenue += group.Revenue;
            squares += group.RevenueSquares;
        }

        return (entries, conversions, new Sample(entries, revenue, squares));
    }

    private static LiftGroupView Group((long Entries, long Conversions, Sample Revenue) group) => group.Entries == 0
        ? new LiftGroupView(0, 0, null, null, 0, null, null)
        : new LiftGroupView(
            group.Entries,
            group.Conversions,
            (double)group.Conversions / group.Entries,
            IntervalView.Of(Proportions.Wilson(group.Conversions, group.Entries)),
            group.Revenue.Sum,
            group.Revenue.Mean,
            Means.Interval(group.Revenue) is { } interval ? IntervalView.Of(interval) : null);

    private static LiftComparisonView Compare((long Entries, long Conversions, Sample Revenue) treated, (long Entries, long Conversions, Sample Revenue) control)
    {
        var relative = Proportions.Relative(treated.Conversions, treated.Entries, control.Conversions, control.Entries);
        var welch = Means.Welch(treated.Revenue, control.Revenue);
        return new LiftComparisonView(
            ((double)treated.Conversions / treated.Entries) - ((double)control.Conversions / control.Entries),
            IntervalView.Of(Proportions.NewcombeDifference(treated.Conversions, treated.Entries, control.Conversions, control.Entries)),
            relative?.Value,
            relative is null ? null : IntervalView.Of(relative.Interval),
            Proportions.ZTestP(treated.Conversions, treated.Entries, control.Conversions, control.Entries),
            welch?.Difference,
            welch is null ? null : IntervalView.Of(welch.Interval),
            welch?.PValue);
    }

    private static LiftVerdictView Verdict(bool hasHoldout, (long Entries, long Conversions, Sample Revenue) treated, (long Entries, long Conversions, Sample Revenue) control, LiftComparisonView? comparison)
    {
        if (!hasHoldout)
        {
            return new LiftVerdictView("no_holdout", "No holdout: this journey has none, so there is nothing to compare its treated contacts with. Add entry.holdout to measure lift.", null);
        }

        var baseline = control.Entries > 0 ? (double)control.Conversions / control.Entries : 0;
        var ratio = treated.Entries > 0 && control.Entries > 0 ? (double)treated.Entries / control.Entries : 1;
        long? needed = baseline + DetectableLift <= 1 ? Proportions.SampleSize(baseline, DetectableLift, ratio) : null;
        if (comparison is null)
        {
            var missing = treated.Entries == 0 ? "no treated entries" : "no holdout entries";
            return new LiftVerdictView("not_enough_data", $"Not enough data yet: {missing} in this period.", needed is { } total ? Math.Max(0, total - control.Entries) : null);
        }

        var lift = comparison.AbsoluteLift;
        var interval = comparison.AbsoluteLiftInterval;
        var ci = $"95 % CI {Signed(interval.Lower * 100)} to {Signed((interval.Upper ?? 1) * 100)} points, {P(comparison.PValue)}";
        var basis = $"{Count(treated.Entries)} treated and {Count(control.Entries)} holdout entries";
        if (interval.Lower > 0 || interval.Upper < 0)
        {
            var direction = lift > 0 ? "more" : "less";
            return new LiftVerdictView(lift > 0 ? "lift" : "harm", $"Treated contacts convert {Points(lift)} points {direction} than the holdout ({ci}; {basis}).", null);
        }

        var moreControls = needed is { } n ? Math.Max(0, n - control.Entries) : 0;
        if (moreControls > 0)
        {
            var moreTreated = (long)Math.Ceiling(moreControls * ratio);
            return new LiftVerdictView(
                "not_enough_data",
                $"Not enough data yet: need about {Count(moreControls)} more holdout entries (and {Count(moreTreated)} more treated, at the current split) to detect a 2-point lift at 80 % power; so far the difference is {Signed(lift * 100)} points ({ci}; {basis}).",
                moreControls);
        }

        return new LiftVerdictView("no_difference", $"No difference detected: treated contacts convert {Signed(lift * 100)} points against the holdout ({ci}; {basis}), enough to have detected a 2-point lift.", 0);
    }

    private static string Signed(double value) => value.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture);
}

/// <summary>The holdout lift of a journey over a period.</summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Period">The period entries were counted in.</param>
/// <param name="Version">The version, or null for every version.</param>
/// <param name="HoldoutPercent">The holdout share of the newest version in scope (null when none is published).</param>
/// <param name="CountedAs">How entries, conversions and revenue are counted.</param>
/// <param name="Treated">Contacts that got the journey.</param>
/// <param name="Holdout">Contacts held out (sent nothing).</param>
/// <param name="Comparison">Treated against holdout; null until both groups have entries.</param>
/// <param name="Verdict">The conclusion in words.</param>
internal sealed record LiftView(string JourneyId, ReportPeriod Period, int? Version, double? HoldoutPercent, string CountedAs, LiftGroupView Treated, LiftGroupView Holdout, LiftComparisonView? Comparison, LiftVerdictView Verdict);

/// <summary>One group of the lift report.</summary>
/// <param name="Entries">Contacts that entered in the period (the n behind every figure of the group).</param>
/// <param name="Conversions">Of them, how many reached the goal.</param>
/// <param name="Rate">Conversions / entries; null with no entries.</param>
/// <param name="RateInterval">The Wilson 95 % interval of the rate.</param>
/// <param name="Revenue">The revenue their conversions carried.</param>
/// <param name="RevenuePerContact">Revenue / entries (contacts that did not convert count as 0).</param>
/// <param name="RevenuePerContactInterval">Its t 95 % interval (null below two entries).</param>
internal sealed record LiftGroupView(long Entries, long Conversions, double? Rate, IntervalView? RateInterval, double Revenue, double? RevenuePerContact, IntervalView? RevenuePerContactInterval);

/// <summary>Treated against holdout.</summary>
/// <param name="AbsoluteLift">Treated rate − holdout rate.</param>
/// <param name="AbsoluteLiftInterval">Newcombe's hybrid score 95 % interval (method 10).</param>
/// <param name="RelativeLift">Treated rate / holdout rate − 1; null when the holdout has no conversions.</param>
/// <param name="RelativeLiftInterval">Its MOVER-R 95 % interval.</param>
/// <param name="PValue">The pooled two-proportion z-test, two-sided.</param>
/// <param name="RevenueDifference">Treated − holdout revenue per contact; null below two entries in a group.</param>
/// <param name="RevenueDifferenceInterval">Welch's 95 % interval of it.</param>
/// <param name="RevenuePValue">Welch's t-test, two-sided.</param>
internal sealed record LiftComparisonView(double AbsoluteLift, IntervalView AbsoluteLiftInterval, double? RelativeLift, IntervalView? RelativeLiftInterval, double PValue, double? RevenueDifference, IntervalView? RevenueDifferenceInterval, double? RevenuePValue);

/// <summary>The lift report's conclusion.</summary>
/// <param name="Kind"><c>lift</c>, <c>harm</c>, <c>no_difference</c>, <c>not_enough_data</c> or <c>no_holdout</c>.</param>
/// <param name="Text">In plain words, with the interval, p-value and counts behind it.</param>
/// <param name="MoreHoldoutEntriesNeeded">About how many more holdout entries would detect a 2-point lift at 80 % power (null when not estimated).</param>
internal sealed record LiftVerdictView(string Kind, string Text, long? MoreHoldoutEntriesNeeded);
