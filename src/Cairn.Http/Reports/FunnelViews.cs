namespace Cairn.Http.Reports;

/// <summary>
/// A journey version's funnel over a period of whole UTC days: per step in graph order, and the goal conversions by
/// entry day. Every figure carries the number of enrollments behind it.
/// </summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version reported.</param>
/// <param name="LiveVersion">The journey's published version now (the default), if any.</param>
/// <param name="Versions">Every published version, newest first.</param>
/// <param name="From">The period's start (inclusive): the UTC midnight of its first day.</param>
/// <param name="To">The period's end (exclusive): the UTC midnight after its last day.</param>
/// <param name="Steps">Per step of the version, in graph order from the start (unreachable steps last, in document order).</param>
/// <param name="Conversions">Goal conversions of the enrollments that entered in the period.</param>
/// <param name="Resolution">How the timings are read from their histograms, in words.</param>
internal sealed record JourneyFunnelView(
    string JourneyId,
    int Version,
    int? LiveVersion,
    IReadOnlyList<int> Versions,
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyList<FunnelStepView> Steps,
    FunnelConversionsView Conversions,
    string Resolution);

/// <summary>One step's funnel over the period.</summary>
/// <param name="Step">The step id.</param>
/// <param name="Kind">What the step does (<c>send</c>, <c>wait</c>, <c>branch</c> …).</param>
/// <param name="Entered">Enrollments that entered the step in the period (on entry, by a move, or moved in by a publish).</param>
/// <param name="Passed">Enrollments that left the step by one of its exits in the period (reaching an exit step or the end counts).</param>
/// <param name="Exits">The passes by exit, with the step each led to.</param>
/// <param name="Dropped">Enrollments that ended at the step in the period, by why.</param>
/// <param name="MovedToOtherVersion">Enrollments a publish moved from this step to a newer version in the period.</param>
/// <param name="WaitingNow">Enrollments at the step now (whatever the period).</param>
/// <param name="TimeInStep">The time spent in the step by the enrollments that passed it in the period.</param>
internal sealed record FunnelStepView(
    string Step,
    string Kind,
    long Entered,
    long Passed,
    IReadOnlyList<FunnelExitView> Exits,
    FunnelDropsView Dropped,
    long MovedToOtherVersion,
    long WaitingNow,
    FunnelTimeView TimeInStep);

/// <summary>Passes of a step by one exit.</summary>
/// <param name="Exit">The exit's name (<c>next</c>, a branch case, <c>happened</c>, <c>completed</c> for an exit step …).</param>
/// <param name="To">The step it led to (<c>end</c> for the end).</param>
/// <param name="Count">Enrollments that took it in the period.</param>
internal sealed record FunnelExitView(string Exit, string To, long Count);

/// <summary>Enrollments that ended at a step, by why; a send step's dropped messages alongside.</summary>
/// <param name="Total">All that ended at the step: the sum of the four causes below.</param>
/// <param name="ExitCriterion">An exit criterion held.</param>
/// <param name="Goal">The goal was reached and ends the journey.</param>
/// <param name="Expired">The journey's maximum run time passed.</param>
/// <param name="Error">The step failed (its error exit).</param>
/// <param name="Suppressed">
/// Messages of this send step the orchestrator dropped (suppressed, or expired unsent), by the day the report came.
/// These enrollments went on, so they are not in <paramref name="Total"/>.
/// </param>
internal sealed record FunnelDropsView(long Total, long ExitCriterion, long Goal, long Expired, long Error, long Suppressed);

/// <summary>A duration's median and 90th percentile, read from its histogram.</summary>
/// <param name="Count">The number of enrollments measured.</param>
/// <param name="Median">The median's bucket, or null with no enrollments.</param>
/// <param name="P90">The 90th percentile's bucket, or null with no enrollments.</param>
internal sealed record FunnelTimeView(long Count, DurationRangeView? Median, DurationRangeView? P90);

/// <summary>The histogram bucket that holds a quantile: the exact value is at least <paramref name="LowSeconds"/> and below <paramref name="HighSeconds"/>.</summary>
/// <param name="LowSeconds">The bucket's lower bound, inclusive, in seconds.</param>
/// <param name="HighSeconds">The bucket's upper bound, exclusive, in seconds (null for the last, open bucket).</param>
internal sealed record DurationRangeView(double LowSeconds, double? HighSeconds);

/// <summary>Goal conversions of the enrollments that entered in the period.</summary>
/// <param name="Entries">Enrollments that entered the version in the period.</param>
/// <param name="Converted">Of those, the ones that reached the goal (so far).</param>
/// <param name="Rate">Converted / entries, or null with no entries.</param>
/// <param name="Days">Per UTC day of the period: entries of that day and how many of them converted.</param>
/// <param name="TimeToConvert">From entry to conversion, for the converted ones.</param>
internal sealed record FunnelConversionsView(long Entries, long Converted, double? Rate, IReadOnlyList<FunnelDayView> Days, FunnelTimeView TimeToConvert);

/// <summary>One UTC day's entries and their conversions.</summary>
/// <param name="Day">The day.</param>
/// <param name="Entries">Enrollments that entered that day.</param>
/// <param name="Converted">Of those, the ones that reached the goal (so far).</param>
/// <param name="Rate">Converted / entries, or null with no entries.</param>
internal sealed record FunnelDayView(DateOnly Day, long Entries, long Converted, double? Rate);
