namespace Cairn.Http.Reports;

/// <summary>Revenue attribution over a period: the totals, and each group's credit under each model asked for.</summary>
/// <param name="From">The period's start (inclusive), widened to the start of its UTC day: the counters are daily.</param>
/// <param name="To">The period's end (exclusive), widened to the end of its UTC day.</param>
/// <param name="By">What the rows are: <c>journey</c>, <c>template</c> or <c>channel</c>.</param>
/// <param name="Models">The models in the columns, in order.</param>
/// <param name="ConversionEvent">The workspace's conversion event (the policy's <c>measurement.conversion.event</c>).</param>
/// <param name="RevenueProperty">Its revenue property.</param>
/// <param name="Lookback">The lookback in force now (each conversion was credited with the one in force when it was recorded).</param>
/// <param name="HalfLife">The time-decay half-life in force now (likewise).</param>
/// <param name="Conversions">Conversions in the period.</param>
/// <param name="Revenue">Their revenue, to the cent.</param>
/// <param name="Attributed">Conversions with at least one touch in their lookback (each model shares these among the rows).</param>
/// <param name="AttributedRevenue">Their revenue.</param>
/// <param name="Unattributed">Conversions without a touch in their lookback: no model credits them.</param>
/// <param name="UnattributedRevenue">Their revenue.</param>
/// <param name="Rows">Each group's credit, the most credited first (by the first model's revenue).</param>
public sealed record AttributionReportView(
    DateTimeOffset From,
    DateTimeOffset To,
    string By,
    IReadOnlyList<string> Models,
    string ConversionEvent,
    string RevenueProperty,
    string Lookback,
    string HalfLife,
    long Conversions,
    decimal Revenue,
    long Attributed,
    decimal AttributedRevenue,
    long Unattributed,
    decimal UnattributedRevenue,
    IReadOnlyList<AttributionRowView> Rows);

/// <summary>One journey, template or channel and what each model credits it.</summary>
/// <param name="Key">The journey id, template or channel; empty for messages sent outside a journey.</param>
/// <param name="Name">The journey's name, when the row is a journey the workspace still has; else the key.</param>
/// <param name="Credits">Its credit under each model, in the order of the report's models.</param>
public sealed record AttributionRowView(string Key, string Name, IReadOnlyList<AttributionCreditView> Credits);

/// <summary>One model's credit to one row.</summary>
/// <param name="Model">The model.</param>
/// <param name="Conversions">Conversions credited (fractions under the multi-touch models).</param>
/// <param name="Revenue">Revenue credited.</param>
/// <param name="Share">Its share of the attributed revenue (0–1; 0 when there is none).</param>
public sealed record AttributionCreditView(string Model, double Conversions, decimal Revenue, double Share);

/// <summary>The global control group against everyone else over a period: the incremental value of all marketing together.</summary>
/// <param name="From">The period's start (inclusive).</param>
/// <param name="To">The period's end (exclusive).</param>
/// <param name="Percent">The control group's size in force now (the policy's <c>measurement.global_control_group</c>).</param>
/// <param name="FirstBucket">Contacts whose bucket (0–9,999, a hash of their id) is this or above are in the group.</param>
/// <param name="ConversionEvent">The conversion counted (the policy's <c>measurement.conversion.event</c>).</param>
/// <param name="Confidence">The confidence level of every interval (0.95).</param>
/// <param name="Control">The control group.</param>
/// <param name="Others">Everyone else (the contacts marketing reaches).</param>
/// <param name="ConversionRate">Everyone else's conversion rate minus the control group's, with Newcombe's interval; null when a group is empty.</param>
/// <param name="RevenuePerContact">Everyone else's revenue per contact minus the control group's, with Welch's interval; null below two contacts in a group.</param>
/// <param name="Verdict">What the numbers say, in plain words.</param>
public sealed record ControlGroupReportView(
    DateTimeOffset From,
    DateTimeOffset To,
    double Percent,
    int FirstBucket,
    string ConversionEvent,
    double Confidence,
    ControlGroupSideView Control,
    ControlGroupSideView Others,
    ControlGroupDifferenceView? ConversionRate,
    ControlGroupDifferenceView? RevenuePerContact,
    string Verdict);

/// <summary>One side of the control-group comparison.</summary>
/// <param name="Contacts">Contacts in the group (unmerged, as of now): the n behind every figure of the side.</param>
/// <param name="Converters">Those with at least one conversion in the period.</param>
/// <param name="Conversions">Their conversions.</param>
/// <param name="Revenue">Their revenue.</param>
/// <param name="ConversionRate">Converters / contacts.</param>
/// <param name="ConversionRateInterval">Its Wilson interval; null without contacts.</param>
/// <param name="RevenuePerContact">Revenue / contacts (a contact without a conversion counts as 0).</param>
/// <param name="RevenuePerContactInterval">Its t interval; null below two contacts.</param>
public sealed record ControlGroupSideView(
    long Contacts,
    long Converters,
    long Conversions,
    decimal Revenue,
    double ConversionRate,
    ControlGroupIntervalView? ConversionRateInterval,
    double RevenuePerContact,
    ControlGroupIntervalView? RevenuePerContactInterval);

/// <summary>A difference between everyone else and the control group.</summary>
/// <param name="Absolute">Everyone else's value minus the control group's.</param>
/// <param name="Interval">Its confidence interval.</param>
/// <param name="Relative">The absolute difference over the control group's value; null when that is 0.</param>
/// <param name="RelativeInterval">Its interval (MOVER-R, for conversion rates only); null when not defined.</param>
/// <param name="PValue">The two-sided p-value of no difference (pooled z-test for rates, Welch's t-test for revenue).</param>
public sealed record ControlGroupDifferenceView(double Absolute, ControlGroupIntervalView Interval, double? Relative, ControlGroupIntervalView? RelativeInterval, double PValue);

/// <summary>A confidence interval; a bound can be infinite (written as null in JSON), for a relative lift over a rate near 0.</summary>
/// <param name="Lower">The lower bound.</param>
/// <param name="Upper">The upper bound.</param>
public sealed record ControlGroupIntervalView(double? Lower, double? Upper)
{
    /// <summary>The view of <paramref name="interval"/>, infinities as null.</summary>
    public static ControlGroupIntervalView From(Core.Measurement.Interval interval) =>
        new(double.IsFinite(interval.Lower) ? interval.Lower : null, double.IsFinite(interval.Upper) ? interval.Upper : null);
}
