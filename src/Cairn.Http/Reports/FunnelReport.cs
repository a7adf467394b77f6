using System.Globalization;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Http.Reports;

/// <summary>The funnel report built from a version's definition and its summed counters, and flattened to its CSV table.</summary>
internal static class FunnelReport
{
    /// <summary>The CSV columns: one row per step and exit (a step with no passes has one row with an empty exit).</summary>
    private static readonly string[] Columns =
    [
        "journey", "version", "from", "to", "position", "step", "kind", "entered", "passed", "exit", "exit_to", "exit_count",
        "dropped", "dropped_exit_criterion", "dropped_goal", "dropped_expired", "dropped_error", "suppressed_sends",
        "moved_to_other_version", "waiting_now", "time_in_step_n", "median_low_s", "median_high_s", "p90_low_s", "p90_high_s",
        "period_entries", "period_converted", "period_conversion_rate",
    ];

    /// <summary>The report of <paramref name="definition"/> (published as <paramref name="version"/>) over the UTC days [<paramref name="fromDay"/>, <paramref name="toDay"/>).</summary>
    public static JourneyFunnelView Build(JourneyDefinition definition, int version, int? liveVersion, IReadOnlyList<int> versions, int fromDay, int toDay, FunnelCounts counts)
    {
        var moves = counts.Moves;
        long Sum(Func<FunnelMoveCount, bool> which) => moves.Where(which).Sum(move => move.Count);
        var steps = GraphOrder(definition).Select(step =>
        {
            var id = step.Id;
            var exits = moves.Where(move => move.FromStep == id && FunnelExits.IsPassed(move.Exit))
                .GroupBy(move => (Exit: move.Exit == FunnelExits.Completed ? "completed" : move.Exit, move.ToStep))
                .Select(group => new FunnelExitView(group.Key.Exit, group.Key.ToStep, group.Sum(move => move.Count)))
                .OrderByDescending(exit => exit.Count).ThenBy(exit => exit.Exit, StringComparer.Ordinal).ThenBy(exit => exit.To, StringComparer.Ordinal)
                .ToList();
            long Dropped(string exit) => Sum(move => move.FromStep == id && move.Exit == exit);
            var (criterion, goal, expired, error) = (Dropped(FunnelExits.ExitCriterion), Dropped(FunnelExits.Goal), Dropped(FunnelExits.Expired), Dropped(FunnelExits.Error));
            return new FunnelStepView(
                id,
                SimulationReport.KindOf(step),
                Sum(move => move.ToStep == id && move.Exit != FunnelExits.Suppressed),
                exits.Sum(exit => exit.Count),
                exits,
                new FunnelDropsView(criterion + goal + expired + error, criterion, goal, expired, error, Dropped(FunnelExits.Suppressed)),
                Dropped(FunnelExits.Migrated),
                Math.Max(0, counts.Waiting.GetValueOrDefault(id)),
                Time(counts.Durations.Where(cell => cell.Key == id)));
        }).ToList();

        var entries = counts.Entries.ToDictionary(entry => entry.Day, entry => entry.Count);
        var converted = counts.Conversions.GroupBy(cell => int.Parse(cell.Key, CultureInfo.InvariantCulture)).ToDictionary(group => group.Key, group => group.Sum(cell => cell.Count));
        var days = Enumerable.Range(fromDay, toDay - fromDay)
            .Select(day => new FunnelDayView(FunnelExits.DateOf(day), entries.GetValueOrDefault(day), converted.GetValueOrDefault(day), Rate(converted.GetValueOrDefault(day), entries.GetValueOrDefault(day))))
            .ToList();
        var totalEntries = days.Sum(day => day.Entries);
        var totalConverted = days.Sum(day => day.Converted);
        return new JourneyFunnelView(
            definition.Id,
            version,
            liveVersion,
            versions,
            Midnight(fromDay),
            Midnight(toDay),
            steps,
            new FunnelConversionsView(totalEntries, totalConverted, Rate(totalConverted, totalEntries), days, Time(counts.Conversions)),
            FunnelEndpoints.Resolution);
    }

    /// <summary>The report as its CSV table: one row per step and exit, the step's figures repeated on each.</summary>
    public static ReportTable Table(JourneyFunnelView view)
    {
        var rows = new List<IReadOnlyList<string?>>();
        for (var position = 0; position < view.Steps.Count; position++)
        {
            var step = view.Steps[position];
            List<FunnelExitView?> exits = step.Exits.Count == 0 ? [null] : [.. step.Exits];
            foreach (var exit in exits)
            {
                rows.Add(
                [
                    view.JourneyId, ReportTable.Cell(view.Version), ReportTable.Cell(view.From), ReportTable.Cell(view.To),
                    ReportTable.Cell(position + 1), step.Step, step.Kind, ReportTable.Cell(step.Entered), ReportTable.Cell(step.Passed),
                    exit?.Exit, exit?.To, exit is null ? null : ReportTable.Cell(exit.Count),
                    ReportTable.Cell(step.Dropped.Total), ReportTable.Cell(step.Dropped.ExitCriterion), ReportTable.Cell(step.Dropped.Goal),
                    ReportTable.Cell(step.Dropped.Expired), ReportTable.Cell(step.Dropped.Error), ReportTable.Cell(step.Dropped.Suppressed),
                    ReportTable.Cell(step.MovedToOtherVersion), ReportTable.Cell(step.WaitingNow), ReportTable.Cell(step.TimeInStep.Count),
                    Seconds(step.TimeInStep.Median?.LowSeconds), Seconds(step.TimeInStep.Median?.HighSeconds),
                    Seconds(step.TimeInStep.P90?.LowSeconds), Seconds(step.TimeInStep.P90?.HighSeconds),
                    ReportTable.Cell(view.Conversions.Entries), ReportTable.Cell(view.Conversions.Converted),
                    view.Conversions.Rate is { } rate ? ReportTable.Cell(rate) : null,
                ]);
            }
        }

        return new ReportTable(Columns, rows);
    }

    /// <summary>The steps from the start, breadth first along each step's exits in order; steps not reached after, in document order.</summary>
    private static List<JourneyStep> GraphOrder(JourneyDefinition definition)
    {
        var order = new List<JourneyStep>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>([definition.Start]);
        while (queue.TryDequeue(out var id))
        {
            if (!seen.Add(id) || definition.Find(id) is not { } step)
            {
                continue;
            }

            order.Add(step);
            foreach (var exit in step.Exits)
            {
                if (exit.Target is { } target)
                {
                    queue.Enqueue(target);
                }
            }
        }

        order.AddRange(definition.Steps.Where(step => !seen.Contains(step.Id)));
        return order;
    }

    private static FunnelTimeView Time(IEnumerable<FunnelBucketCount> cells)
    {
        var histogram = cells.GroupBy(cell => cell.Bucket).Select(group => (Bucket: group.Key, Count: group.Sum(cell => cell.Count))).ToList();
        return new FunnelTimeView(histogram.Sum(cell => cell.Count), Range(DurationBuckets.Quantile(histogram, 0.5)), Range(DurationBuckets.Quantile(histogram, 0.9)));
    }

    private static DurationRangeView? Range(int? bucket) =>
        bucket is { } b ? new DurationRangeView(DurationBuckets.Low(b).TotalSeconds, DurationBuckets.High(b)?.TotalSeconds) : null;

    private static double? Rate(long part, long whole) => whole == 0 ? null : (double)part / whole;

    private static DateTimeOffset Midnight(int day) => new(FunnelExits.DateOf(day).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static string? Seconds(double? value) => value is { } seconds ? ReportTable.Cell(seconds) : null;
}
