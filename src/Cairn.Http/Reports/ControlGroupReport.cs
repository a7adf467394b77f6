using System.Globalization;
using Cairn.Core.Measurement;
using Cairn.Core.Orchestration;

namespace Cairn.Http.Reports;

/// <summary>
/// The control-group comparison from its counts: Wilson intervals for each side's conversion rate, the t interval for
/// revenue per contact (a contact without a conversion counts as 0), Newcombe's interval, the pooled z-test and the
/// MOVER-R relative lift for the difference of rates, Welch's interval and test for revenue per contact, and the verdict.
/// </summary>
internal static class ControlGroupReport
{
    /// <summary>The report for <paramref name="counts"/> over <paramref name="period"/>.</summary>
    public static ControlGroupReportView Build(ReportPeriod period, MeasurementSettings measurement, int firstBucket, ControlGroupCounts counts)
    {
        var control = Side(counts.Control);
        var others = Side(counts.Others);
        ControlGroupDifferenceView? rate = null;
        if (counts.Control.Contacts > 0 && counts.Others.Contacts > 0)
        {
            var (c, o) = (counts.Control, counts.Others);
            var relative = Proportions.Relative(o.Converters, o.Contacts, c.Converters, c.Contacts);
            rate = new ControlGroupDifferenceView(
                others.ConversionRate - control.ConversionRate,
                ControlGroupIntervalView.From(Proportions.NewcombeDifference(o.Converters, o.Contacts, c.Converters, c.Contacts)),
                relative?.Value,
                relative is null ? null : ControlGroupIntervalView.From(relative.Interval),
                Proportions.ZTestP(o.Converters, o.Contacts, c.Converters, c.Contacts));
        }

        ControlGroupDifferenceView? revenue = null;
        if (Means.Welch(Sample(counts.Others), Sample(counts.Control)) is { } welch)
        {
            revenue = new ControlGroupDifferenceView(
                welch.Difference,
                ControlGroupIntervalView.From(welch.Interval),
                control.RevenuePerContact == 0 ? null : welch.Difference / control.RevenuePerContact,
                null,
                welch.PValue);
        }

        return new ControlGroupReportView(
            period.From,
            period.To,
            measurement.GlobalControlPercent,
            firstBucket,
            measurement.ConversionEvent,
            Proportions.DefaultConfidence,
            control,
            others,
            rate,
            revenue,
            Verdict(measurement, counts, control, others, rate, revenue));
    }

    /// <summary>The report flattened: one row per group, the differences as a third row.</summary>
    public static ReportTable Table(ControlGroupReportView view)
    {
        static string? Cell(double? value) => value is { } number ? ReportTable.Cell(Math.Round(number, 6)) : null;
        string?[] Side(string group, ControlGroupSideView side) =>
        [
            ReportTable.Cell(view.From), ReportTable.Cell(view.To), Cell(view.Percent), group, ReportTable.Cell(side.Contacts), ReportTable.Cell(side.Converters),
            ReportTable.Cell(side.Conversions), ReportTable.Cell(side.Revenue), Cell(side.ConversionRate), Cell(side.ConversionRateInterval?.Lower), Cell(side.ConversionRateInterval?.Upper),
            Cell(side.RevenuePerContact), Cell(side.RevenuePerContactInterval?.Lower), Cell(side.RevenuePerContactInterval?.Upper), null, null,
        ];
        string?[] difference =
        [
            ReportTable.Cell(view.From), ReportTable.Cell(view.To), Cell(view.Percent), "difference", null, null, null, null,
            Cell(view.ConversionRate?.Absolute), Cell(view.ConversionRate?.Interval.Lower), Cell(view.ConversionRate?.Interval.Upper),
            Cell(view.RevenuePerContact?.Absolute), Cell(view.RevenuePerContact?.Interval.Lower), Cell(view.RevenuePerContact?.Interval.Upper),
            Cell(view.ConversionRate?.PValue), Cell(view.RevenuePerContact?.PValue),
        ];
        return new ReportTable(
            [
                "from", "to", "percent", "group", "contacts", "converters", "conversions", "revenue", "conversion_rate", "conversion_rate_lower", "conversion_rate_upper",
                "revenue_per_contact", "revenue_per_contact_lower", "revenue_per_contact_upper", "conversion_rate_p_value", "revenue_p_value",
            ],
            [Side("control", view.Control), Side("others", view.Others), difference]);
    }

    private static Sample Sample(ControlGroupSide side) => new(side.Contacts, (double)side.Revenue, side.RevenueSquares);

    private static ControlGroupSideView Side(ControlGroupSide side)
    {
        var sample = Sample(side);
        return new ControlGroupSideView(
            side.Contacts,
            side.Converters,
            side.Conversions,
            side.Revenue,
            side.Contacts == 0 ? 0 : side.Converters / (double)side.Contacts,
            side.Contacts == 0 ? null : ControlGroupIntervalView.From(Proportions.Wilson(side.Converters, side.Contacts)),
            sample.Mean,
            Means.Interval(sample) is { } interval ? ControlGroupIntervalView.From(interval) : null);
    }

    private static string Verdict(MeasurementSettings measurement, ControlGroupCounts counts, ControlGroupSideView control, ControlGroupSideView others, ControlGroupDifferenceView? rate, ControlGroupDifferenceView? revenue)
    {
        if (measurement.GlobalControlPercent <= 0)
        {
            return "There is no global control group: set measurement.global_control_group in the policy (for example 5, for 5 % of contacts) to measure what all marketing together adds.";
        }

        if (rate is null || counts.Control.Contacts < 2)
        {
            return $"Not enough data yet: the control group has {counts.Control.Contacts} contacts and everyone else {counts.Others.Contacts}.";
        }

        var rates = $"{Percent(others.ConversionRate)} of contacts who get marketing converted against {Percent(control.ConversionRate)} in the control group";
        var difference = $"{Points(rate.Absolute)} (95 % CI {Points(rate.Interval.Lower)} to {Points(rate.Interval.Upper)}, p = {P(rate.PValue)})";
        var money = revenue is null
            ? string.Empty
            : $" Revenue per contact: {Amount(others.RevenuePerContact)} against {Amount(control.RevenuePerContact)}, a difference of {Amount(revenue.Absolute)} (95 % CI {Amount(revenue.Interval.Lower)} to {Amount(revenue.Interval.Upper)}).";
        if (rate.Interval.Lower > 0)
        {
            return $"Marketing lifts conversion: {rates}, {difference}.{money}";
        }

        if (rate.Interval.Upper < 0)
        {
            return $"The control group converts better: {rates}, {difference}; promotional messages may be hurting.{money}";
        }

        // Not significant: how many control contacts would detect a lift a fifth of the baseline rate (at least 0.1 point).
        var baseline = control.ConversionRate > 0 ? control.ConversionRate : others.ConversionRate;
        var lift = Math.Max(baseline * 0.2, 0.001);
        var needed = baseline is > 0 and < 1 && baseline + lift < 1 ? ControlContactsNeeded(Proportions.SampleSizePerGroup(baseline, lift), counts.Others.Contacts) : null;
        var more = needed is { } n && n > counts.Control.Contacts
            ? $" To detect a {Points(lift)} lift the control group needs about {n.ToString("N0", CultureInfo.InvariantCulture)} contacts; it has {counts.Control.Contacts.ToString("N0", CultureInfo.InvariantCulture)}."
            : string.Empty;
        return $"No clear difference yet: {rates}, {difference}.{more}{money}";
    }

    /// <summary>
    /// The control contacts that give the precision of two groups of <paramref name="perGroup"/> each when the other group
    /// has <paramref name="others"/>: 1/n_c + 1/n_o = 2/n; null when even an unbounded control group would not.
    /// </summary>
    private static long? ControlContactsNeeded(long perGroup, long others)
    {
        var room = (2.0 / perGroup) - (1.0 / Math.Max(others, 1));
        return room > 0 ? (long)Math.Ceiling(1 / room) : null;
    }

    private static string Percent(double rate) => (rate * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %";

    private static string Points(double? difference) => difference is { } value
        ? (value * 100).ToString("+0.##;−0.##;0", CultureInfo.InvariantCulture) + " points"
        : "unbounded";

    private static string Amount(double? value) => value is { } amount ? amount.ToString("0.00", CultureInfo.InvariantCulture) : "unbounded";

    private static string P(double p) => p < 0.001 ? "< 0.001" : p.ToString("0.###", CultureInfo.InvariantCulture);
}
