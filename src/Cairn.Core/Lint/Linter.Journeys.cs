using Cairn.Core.Journeys;
using Cairn.Core.Orchestration;

namespace Cairn.Core.Lint;

/// <summary>The checks on journeys: collisions, caps on the typical path, exits at entry, goals, awaited events, hygiene.</summary>
public static partial class Linter
{
    /// <summary>What enrolls a contact, as a key journeys entered together share; null for API enrollment (each call names one journey).</summary>
    private static string? TriggerKey(JourneyDefinition journey) => journey.Trigger switch
    {
        EventTrigger trigger => $"event:{trigger.Event}",
        DateTrigger trigger => $"date:{trigger.Trait}:{string.Join(',', trigger.OffsetDays)}:{trigger.Annually}:{trigger.At}",
        _ => null,
    };

    private static string DescribeTrigger(JourneyDefinition journey) => journey.Trigger switch
    {
        EventTrigger trigger => $"the event {trigger.Event}",
        DateTrigger trigger => $"the date trait {trigger.Trait}",
        _ => "an API call",
    };

    /// <summary>
    /// Pairs of promotional journeys (in id order) that the same trigger can enter at once for a contact both audiences let
    /// in, and that both send within <see cref="ShortTime"/> of entry on their typical path.
    /// </summary>
    private static IEnumerable<(JourneyDefinition First, JourneyDefinition Second, TimeSpan FirstAt, TimeSpan SecondAt)> CollidingPairs(Workspace workspace)
    {
        var candidates = workspace.Journeys
            .Where(journey => journey.Category == JourneyCategory.Promotional && TriggerKey(journey) is not null)
            .Select(journey => (Journey: journey, FirstSend: TypicalPath(journey).FirstOrDefault()?.At))
            .Where(candidate => candidate.FirstSend <= ShortTime)
            .OrderBy(candidate => candidate.Journey.Id, StringComparer.Ordinal)
            .ToList();
        for (var i = 0; i < candidates.Count; i++)
        {
            for (var j = i + 1; j < candidates.Count; j++)
            {
                var (first, second) = (candidates[i].Journey, candidates[j].Journey);
                if (TriggerKey(first) != TriggerKey(second)
                    || Disjoint(Conjuncts((first.Trigger as EventTrigger)?.Where), Conjuncts((second.Trigger as EventTrigger)?.Where))
                    || Disjoint(AtEntry(first), AtEntry(second)))
                {
                    continue;
                }

                yield return (first, second, candidates[i].FirstSend!.Value, candidates[j].FirstSend!.Value);
            }
        }
    }

    private static IEnumerable<LintFinding> OverlappingPromotions(Workspace workspace, LintFacts facts)
    {
        foreach (var (first, second, firstAt, secondAt) in CollidingPairs(workspace))
        {
            var overlap = string.Empty;
            if (facts.Overlaps?.GetValueOrDefault(PairKey(first.Id, second.Id)) is { } estimate)
            {
                if (estimate is { Exact: true, Count: 0 })
                {
                    continue;
                }

                overlap = estimate.Exact
                    ? $" {estimate.Count} of {estimate.Population} contacts match both audiences today."
                    : $" About {estimate.Count} (± {estimate.Margin}) of {estimate.Population} contacts match both audiences today (estimated from a sample).";
            }

            yield return new LintFinding(
                Codes.OverlappingPromotions,
                LintSeverity.Warning,
                $"the promotional journeys '{first.Id}' and '{second.Id}' both start on {DescribeTrigger(first)} for audiences that can overlap, and send {Duration.Format(firstAt)} and {Duration.Format(secondAt)} after entry: a contact in both gets two promotions at once.{overlap} Exclude one audience from the other, merge the journeys, or move one to another trigger.",
                [Subject(first, line: first.Trigger.Location.Line), Subject(second, line: second.Trigger.Location.Line)]);
        }
    }

    private static IEnumerable<LintFinding> CapsExceeded(Workspace workspace)
    {
        var groups = workspace.Journeys.GroupBy(journey => TriggerKey(journey) ?? $"api:{journey.Id}", StringComparer.Ordinal).OrderBy(group => group.Key, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var sends = group.SelectMany(journey => TypicalPath(journey).Select(send => (Journey: journey, Send: send))).ToList();
            foreach (var cap in workspace.Policy.Caps)
            {
                var covered = sends.Where(pair => cap.Covers(pair.Send.Channel.DocumentName(), pair.Journey.Category)).OrderBy(pair => pair.Send.At).ToList();
                var window = covered.Select((pair, index) => covered.Skip(index).TakeWhile(later => later.Send.At - pair.Send.At < cap.Length).ToList())
                    .MaxBy(inWindow => inWindow.Count);
                if (window is null || window.Count <= cap.Max)
                {
                    continue;
                }

                var journeys = window.Select(pair => pair.Journey).DistinctBy(journey => journey.Id).OrderBy(journey => journey.Id, StringComparer.Ordinal).ToList();
                var who = journeys.Count == 1 ? $"the journey '{journeys[0].Id}' sends" : $"the journeys {string.Join(", ", journeys.Select(journey => $"'{journey.Id}'"))}, all entered on {DescribeTrigger(journeys[0])}, send";
                var period = cap.Per == CapPeriod.Day ? "day" : "week";
                yield return new LintFinding(
                    Codes.CapsExceeded,
                    LintSeverity.Warning,
                    $"on the typical path {who} {window.Count} messages within a {period} ({string.Join(", ", window.Select(pair => $"{pair.Journey.Id}/{pair.Send.Step.Id} at {Duration.Format(pair.Send.At)}"))}), more than the cap '{cap.Id}' allows ({cap.Max} per {period}): the orchestrator defers the rest, so they arrive late or expire. Space the sends out, or lower a journey's priority on purpose.",
                    [.. journeys.Select(journey => Subject(journey, window.First(pair => pair.Journey.Id == journey.Id).Send.Step)), Subject(workspace.Policy)]);
            }
        }
    }

    private static IEnumerable<LintFinding> ExitsAtEntry(Workspace workspace)
    {
        foreach (var journey in workspace.Journeys)
        {
            var atEntry = AtEntry(journey);
            foreach (var exit in journey.ExitWhen.Where(exit => HoldsGiven(exit, atEntry, 0)))
            {
                yield return new LintFinding(
                    Codes.ExitsAtEntry,
                    LintSeverity.Error,
                    $"the exit criterion on line {exit.Location.Line} holds for everyone the journey lets in (its trigger or audience requires the same), so every enrollment ends at the contact's next event, before the journey has done its work. Remove the criterion or change the audience.",
                    [Subject(journey, line: exit.Location.Line)]);
            }
        }
    }

    /// <summary>True when <paramref name="condition"/> holds whenever every one of <paramref name="known"/> does (written alike).</summary>
    private static bool HoldsGiven(Condition condition, List<Condition> known, int depth) => depth <= DocumentLimits.MaxConditionDepth && condition switch
    {
        AllCondition all => all.Conditions.All(member => HoldsGiven(member, known, depth + 1)),
        AnyCondition any => any.Conditions.Any(member => HoldsGiven(member, known, depth + 1)),
        EventCondition => false,
        _ => known.Any(fact => Same(fact, condition)),
    };

    private static IEnumerable<LintFinding> GoalIsTrigger(Workspace workspace) =>
        workspace.Journeys
            .Where(journey => journey is { Trigger: EventTrigger trigger, Goal: { } goal } && goal.Event == trigger.Event)
            .Select(journey => new LintFinding(
                Codes.GoalIsTrigger,
                LintSeverity.Warning,
                $"the goal is the trigger event {journey.Goal!.Event}: the event that enrolled a contact does not count, so the goal measures doing it again, not converting. Name the conversion the journey works toward (e.g. order_completed after cart_abandoned).",
                [Subject(journey, line: journey.Trigger.Location.Line)]));

    private static IEnumerable<LintFinding> StaleWaitFor(Workspace workspace, LintFacts facts) =>
        facts.RecentEvents is not { } recent ? [] :
        workspace.Journeys.SelectMany(journey => journey.Steps.OfType<WaitForStep>()
            .Where(wait => !recent.Contains(wait.Event))
            .Select(wait => new LintFinding(
                Codes.StaleWaitFor,
                LintSeverity.Warning,
                $"the step waits for the event {wait.Event}, which no source has sent in the last 30 days, so every contact will time out ({Duration.Format(wait.Timeout)}). Check the event's name and that the source sends it.",
                [Subject(journey, wait)])));

    private static IEnumerable<LintFinding> JourneyHygiene(Workspace workspace)
    {
        foreach (var journey in workspace.Journeys)
        {
            if (string.IsNullOrWhiteSpace(journey.Owner))
            {
                yield return new LintFinding(
                    Codes.NoOwner,
                    LintSeverity.Warning,
                    "the journey has no owner: nobody is named to answer for it in the inventory or to receive its hand-off alerts. Add owner: with a person or team address.",
                    [Subject(journey, line: 1)]);
            }

            if (LongestPath(journey) is var longest && longest > journey.MaxRunTime)
            {
                yield return new LintFinding(
                    Codes.RunTimeTooShort,
                    LintSeverity.Warning,
                    $"the journey's longest path takes {Duration.Format(longest)}, longer than its maximum run time of {Duration.Format(journey.MaxRunTime)}{(journey.MaxRunTime == DocumentParser.DefaultMaxRunTime ? " (the default)" : string.Empty)}: enrollments on it end early and are listed for review. Raise max_run_time or shorten the waits.",
                    [Subject(journey, line: 1)]);
            }
        }
    }
}
