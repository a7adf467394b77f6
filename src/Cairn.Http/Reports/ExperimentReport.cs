using Cairn.Core.Journeys.Engine;
using Cairn.Core.Measurement;

namespace Cairn.Http.Reports;

/// <summary>
/// The experiments of a journey: every split step marked <c>experiment: true</c> in the versions in scope, its arms compared
/// on goal conversion. Holdout contacts are left out (they take splits but are sent nothing). An enrollment records the
/// last experiment arm it took, so each arm name is attributed to the first experiment split (newest version first) that
/// has an arm of that name.
/// </summary>
internal static class ExperimentReport
{
    /// <summary>The report for the groups read.</summary>
    public static ExperimentsView Build(
        string journeyId, ReportPeriod period, int? version, IReadOnlyList<(int Version, JourneyDefinition Definition)> definitions, IReadOnlyList<EnrollmentGroup> groups, IReadOnlyList<StoredSplitDecision> decisions)
    {
        var counts = groups.Where(g => !g.Control && g.Arm is not null)
            .GroupBy(g => g.Arm!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (Entries: g.Sum(x => x.Entries), Conversions: g.Sum(x => x.Conversions), Revenue: g.Sum(x => x.Revenue)), StringComparer.Ordinal);

        // The splits in scope by step id, newest definition first; an arm name belongs to the first split that has it.
        var splits = new List<(string StepId, List<(string Name, double Percent)> Arms)>();
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var split in definitions.SelectMany(d => d.Definition.Steps.OfType<SplitStep>()).Where(s => s.Experiment))
        {
            var entry = splits.FirstOrDefault(s => s.StepId == split.Id);
            if (entry.Arms is null)
            {
                entry = (split.Id, []);
                splits.Add(entry);
            }

            foreach (var arm in split.Arms.Where(arm => claimed.Add(arm.Name)))
            {
                entry.Arms.Add((arm.Name, arm.Percent));
            }
        }

        return new ExperimentsView(
            journeyId,
            period,
            version,
            JourneyMeasurementEndpoints.CountedAs,
            [.. splits.Where(s => s.Arms.Count > 0).Select(s => Experiment(s.StepId, s.Arms, counts, Decision(s.StepId)))]);

        // The winner recorded for the step on the newest version in scope that has one.
        SplitDecisionView? Decision(string stepId) =>
            definitions
                .Select(d => decisions.FirstOrDefault(entry => entry.Split == new SplitKey(journeyId, d.Version, stepId)))
                .FirstOrDefault(entry => entry is not null) is { } stored
                ? SplitDecisionView.From(stored.Decision, stored.Split.Version)
                : null;
    }

    /// <summary>The report as a table: one row per arm.</summary>
    public static ReportTable Table(ExperimentsView report)
    {
        ArgumentNullException.ThrowIfNull(report);
        static string? Number(double? value) => value is { } number ? ReportTable.Cell(number) : null;
        var rows = new List<IReadOnlyList<string?>>();
        foreach (var experiment in report.Experiments)
        {
            foreach (var arm in experiment.Arms)
            {
                rows.Add([
                    report.JourneyId, ReportTable.Cell(report.Period.From), ReportTable.Cell(report.Period.To), report.Version is { } v ? ReportTable.Cell(v) : "all",
                    experiment.StepId, arm.Name, ReportTable.Cell(arm.Entries), ReportTable.Cell(arm.Conversions), Number(arm.Rate), Number(arm.RateInterval?.Lower), Number(arm.RateInterval?.Upper),
                    ReportTable.Cell(arm.Revenue), Number(arm.RevenuePerEntry), ReportTable.Cell(arm.ProbabilityBest),
                    Number(arm.VersusFirst?.Difference), Number(arm.VersusFirst?.DifferenceInterval.Lower), Number(arm.VersusFirst?.DifferenceInterval.Upper), Number(arm.VersusFirst?.PValue),
                    Number(experiment.ChiSquare?.PValue),
                ]);
            }
        }

        return new ReportTable(
            ["journey", "from", "to", "version", "step", "arm", "entries", "conversions", "rate", "rate_lower", "rate_upper", "revenue", "revenue_per_entry", "probability_best",
                "difference_vs_first", "difference_lower", "difference_upper", "p_value_vs_first", "chi_square_p_value"],
            rows);
    }

    private static ExperimentView Experiment(string stepId, List<(string Name, double Percent)> arms, Dictionary<string, (long Entries, long Conversions, double Revenue)> counts, SplitDecisionView? decision)
    {
        var measured = arms.Select(arm => (arm.Name, arm.Percent, Counts: counts.GetValueOrDefault(arm.Name))).ToList();
        var best = BetaArms.ProbabilityBest([.. measured.Select(arm => (arm.Counts.Entries, arm.Counts.Conversions))]);
        var first = measured[0].Counts;
        var views = measured.Select((arm, i) =>
        {
            var (entries, conversions, revenue) = arm.Counts;
            ArmComparisonView? versus = i > 0 && entries > 0 && first.Entries > 0
                ? new ArmComparisonView(
                    measured[0].Name,
                    ((double)conversions / entries) - ((double)first.Conversions / first.Entries),
                    IntervalView.Of(Proportions.NewcombeDifference(conversions, entries, first.Conversions, first.Entries)),
                    Proportions.ZTestP(conversions, entries, first.Conversions, first.Entries))
                : null;
            return new ArmView(
                arm.Name,
                arm.Percent,
                entries,
                conversions,
                entries > 0 ? (double)conversions / entries : null,
                entries > 0 ? IntervalView.Of(Proportions.Wilson(conversions, entries)) : null,
                revenue,
                entries > 0 ? revenue / entries : null,
                best[i],
                versus);
        }).ToList();
        var test = ChiSquare.Independence([.. measured.Select(arm => (arm.Counts.Entries, arm.Counts.Conversions))]);
        return new ExperimentView(stepId, views, test is null ? null : new ChiSquareView(test.Statistic, test.DegreesOfFreedom, test.PValue), decision, Verdict(views, test));
    }

    private static string Verdict(List<ArmView> arms, ChiSquareTest? test)
    {
        var entered = arms.Where(arm => arm.Entries > 0).ToList();
        if (entered.Count < 2)
        {
            return "Not enough data yet: fewer than two arms have entries in this period.";
        }

        var leader = arms.MaxBy(arm => arm.ProbabilityBest)!;
        var chance = $"probability to be best {LiftReport.Percent(leader.ProbabilityBest)}";
        var across = test is null ? "no conversions to compare yet" : $"chi-square {LiftReport.P(test.PValue)} across {arms.Count} arms";
        var basis = string.Join(", ", arms.Select(arm => $"{arm.Name} {(arm.Rate is { } rate ? LiftReport.Percent(rate) : "–")} of {LiftReport.Count(arm.Entries)}"));
        if (test is { PValue: < 0.05 })
        {
            return $"Arm {leader.Name} converts best ({chance}; {across}; {basis}).";
        }

        return $"No arm is ahead yet: the arms' rates do not differ beyond chance ({across}; {leader.Name} leads with {chance}; {basis}).";
    }
}

/// <summary>A journey's experiments over a period.</summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Period">The period entries were counted in.</param>
/// <param name="Version">The version, or null for every version.</param>
/// <param name="CountedAs">How entries, conversions and revenue are counted.</param>
/// <param name="Experiments">Each experiment split, in document order (newest version first).</param>
internal sealed record ExperimentsView(string JourneyId, ReportPeriod Period, int? Version, string CountedAs, IReadOnlyList<ExperimentView> Experiments);

/// <summary>One experiment split.</summary>
/// <param name="StepId">The split step.</param>
/// <param name="Arms">Its arms, in document order; the first is the baseline the others are compared with.</param>
/// <param name="ChiSquare">Pearson's chi-square test of independence across the arms (null until it is defined).</param>
/// <param name="Decision">A recorded automatic-winner decision, when the split has one.</param>
/// <param name="Verdict">The conclusion in words, with the counts behind it.</param>
internal sealed record ExperimentView(string StepId, IReadOnlyList<ArmView> Arms, ChiSquareView? ChiSquare, SplitDecisionView? Decision, string Verdict);

/// <summary>One arm of an experiment.</summary>
/// <param name="Name">The arm.</param>
/// <param name="Percent">Its share of the split in the newest version in scope.</param>
/// <param name="Entries">Contacts that took the arm (first entry in the period each; holdout left out): the n behind the arm's figures.</param>
/// <param name="Conversions">Of them, how many reached the goal.</param>
/// <param name="Rate">Conversions / entries; null with no entries.</param>
/// <param name="RateInterval">The Wilson 95 % interval of the rate.</param>
/// <param name="Revenue">The revenue their conversions carried.</param>
/// <param name="RevenuePerEntry">Revenue / entries.</param>
/// <param name="ProbabilityBest">The posterior probability that this arm's rate is the highest (Beta(1 + conversions, 1 + failures)).</param>
/// <param name="VersusFirst">This arm against the first arm; null for the first arm or without entries.</param>
internal sealed record ArmView(string Name, double Percent, long Entries, long Conversions, double? Rate, IntervalView? RateInterval, double Revenue, double? RevenuePerEntry, double ProbabilityBest, ArmComparisonView? VersusFirst);

/// <summary>An arm against the first arm.</summary>
/// <param name="Baseline">The first arm's name.</param>
/// <param name="Difference">This arm's rate − the first arm's.</param>
/// <param name="DifferenceInterval">Newcombe's hybrid score 95 % interval.</param>
/// <param name="PValue">The pooled two-proportion z-test, two-sided (not corrected for comparing several arms).</param>
internal sealed record ArmComparisonView(string Baseline, double Difference, IntervalView DifferenceInterval, double PValue);

/// <summary>Pearson's chi-square test of independence of conversion across the arms.</summary>
/// <param name="Statistic">X².</param>
/// <param name="DegreesOfFreedom">Arms with entries − 1.</param>
/// <param name="PValue">P(χ² ≥ X²).</param>
internal sealed record ChiSquareView(double Statistic, int DegreesOfFreedom, double PValue);

