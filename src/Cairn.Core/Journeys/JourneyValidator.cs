using System.Collections.Immutable;
using System.Text.Json;

namespace Cairn.Core.Journeys;

/// <summary>What a journey may refer to: templates (with their channels) and other journeys.</summary>
/// <param name="Templates">Known templates by id.</param>
/// <param name="Journeys">Known journey ids.</param>
public sealed record JourneyCatalog(IReadOnlyDictionary<string, Channel> Templates, IReadOnlySet<string> Journeys)
{
    /// <summary>True when the templates and journeys known are not all there are: a reference to another is not an error. False by default.</summary>
    public bool Open { get; init; }
}

/// <summary>
/// Checks a parsed journey's graph and references: every target exists, every exit leads somewhere, every step
/// is reachable, every cycle passes through a wait, split arms add up, references resolve, and the trigger can
/// fire at all.
/// </summary>
public static class JourneyValidator
{
    /// <summary>Every problem of <paramref name="journey"/>, in document order.</summary>
    public static ImmutableArray<DocumentError> Validate(JourneyDefinition journey, string source, JourneyCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentNullException.ThrowIfNull(catalog);
        var errors = new List<DocumentError>();
        void Error(SourceLocation location, string? step, string message) => errors.Add(new DocumentError(source, location.Line, step, message));

        var steps = journey.Steps.ToDictionary(step => step.Id, StringComparer.Ordinal);
        if (!steps.ContainsKey(journey.Start))
        {
            Error(default, null, $"'start' names the unknown step '{journey.Start}'");
        }

        foreach (var step in journey.Steps)
        {
            foreach (var exit in step.Exits)
            {
                if (exit.Target is null)
                {
                    Error(exit.Location, step.Id, $"exit '{exit.Name}' goes nowhere: give the step it leads to, or '{JourneyStep.End}'");
                }
                else if (exit.Target != JourneyStep.End && !steps.ContainsKey(exit.Target))
                {
                    Error(exit.Location, step.Id, $"exit '{exit.Name}' leads to the unknown step '{exit.Target}'");
                }
            }

            CheckStep(step, steps, catalog, journey.Id, Error);
        }

        var reachable = Reachable(journey.Start, steps);
        foreach (var step in journey.Steps.Where(step => !reachable.Contains(step.Id)))
        {
            Error(step.Location, step.Id, $"the step is unreachable from the start step '{journey.Start}'");
        }

        foreach (var cycle in CyclesWithoutWait(journey.Steps, steps))
        {
            var first = steps[cycle[0]];
            Error(first.Location, first.Id, $"the steps {string.Join(" → ", cycle.Append(cycle[0]))} form a cycle without a wait: a contact would loop forever at once");
        }

        CheckTrigger(journey.Trigger, Error);
        CheckSplitModes(journey, Error);
        if (journey.Goal is { Where: { } goalFilter } && NeverHolds(goalFilter) is { } goalReason)
        {
            Error(goalFilter.Location, null, $"the goal can never be reached: {goalReason}");
        }

        return [.. errors.OrderBy(error => error.Line)];
    }

    private static void CheckStep(JourneyStep step, Dictionary<string, JourneyStep> steps, JourneyCatalog catalog, string journeyId, Action<SourceLocation, string?, string> error)
    {
        switch (step)
        {
            case SendStep send:
                foreach (var (channel, template) in send.Fallback.Select(option => (option.Channel, option.Template)).Prepend((send.Channel, send.Template)))
                {
                    if (!catalog.Templates.TryGetValue(template, out var actual))
                    {
                        if (!catalog.Open)
                        {
                            error(send.Location, send.Id, $"the template '{template}' does not exist");
                        }
                    }
                    else if (actual != channel)
                    {
                        error(send.Location, send.Id, $"the template '{template}' is {(actual is Channel.Email or Channel.InApp ? "an" : "a")} {actual.DocumentName()} template, not {channel.DocumentName()}");
                    }
                }

                if (send.Fallback.Select(option => option.Channel).Prepend(send.Channel).GroupBy(channel => channel).Any(group => group.Count() > 1))
                {
                    error(send.Location, send.Id, "a fallback names a channel the step already tries");
                }

                break;
            case SplitStep split when split.Arms.Length > 0 && Math.Abs(split.Arms.Sum(arm => arm.Percent) - 100) > 0.001:
                error(split.Location, split.Id, $"the arms' percentages add up to {split.Arms.Sum(arm => arm.Percent)}, not 100");
                break;
            case SplitStep split when split.Arms.Select(arm => arm.Name).Distinct(StringComparer.Ordinal).Count() != split.Arms.Length:
                error(split.Location, split.Id, "two arms have the same name");
                break;
            case WaitForStep { CorrelateWith: { } correlated } waitFor when !steps.TryGetValue(correlated, out var sent) || sent is not SendStep:
                error(waitFor.Location, waitFor.Id, $"'correlate' must name a send step; '{correlated}' is not one");
                break;
            case WaitForStep { Where: { } filter } waitFor when NeverHolds(filter) is { } reason:
                error(filter.Location, waitFor.Id, $"the awaited event can never match: {reason}");
                break;
            case EnterJourneyStep enter when enter.Journey == journeyId:
                error(enter.Location, enter.Id, "a journey cannot enter itself");
                break;
            case EnterJourneyStep enter when !catalog.Open && !catalog.Journeys.Contains(enter.Journey):
                error(enter.Location, enter.Id, $"the journey '{enter.Journey}' does not exist");
                break;
            case BranchStep branch:
                foreach (var branchCase in branch.Cases.Where(branchCase => NeverHolds(branchCase.When) is not null))
                {
                    error(branchCase.When.Location, branch.Id, $"branch case '{branchCase.Name}' can never be taken: {NeverHolds(branchCase.When)}");
                }

                break;
        }
    }

    /// <summary>
    /// An automatic winner or a bandit compares the arms' goal conversions: the journey needs a goal, and the split must
    /// be its only experiment split (an enrollment records one arm, whose conversions are that split's evidence).
    /// </summary>
    private static void CheckSplitModes(JourneyDefinition journey, Action<SourceLocation, string?, string> error)
    {
        var experiments = journey.Steps.OfType<SplitStep>().Where(split => split.Experiment).ToList();
        foreach (var split in experiments.Where(split => split.Mode != SplitMode.Fixed))
        {
            var location = split.Winner?.Location ?? split.Bandit!.Location;
            var what = split.Mode == SplitMode.Winner ? "an automatic winner" : "a bandit";
            if (journey.Goal is null)
            {
                error(location, split.Id, $"{what} compares the arms' goal conversions (metric: goal): give the journey a 'goal'");
            }

            if (experiments.Count > 1)
            {
                error(location, split.Id, $"{what} needs the split to be the journey's only experiment split: an enrollment records one arm, and its conversions are this split's evidence");
            }
        }
    }

    private static void CheckTrigger(Trigger trigger, Action<SourceLocation, string?, string> error)
    {
        switch (trigger)
        {
            case EventTrigger { Where: { } filter } when NeverHolds(filter) is { } reason:
                error(filter.Location, null, $"the trigger can never fire: {reason}");
                break;
            case DateTrigger { OffsetDays.Length: 0 } date:
                error(date.Location, null, "the trigger can never fire: give days_before, days_after or on_the_day: true");
                break;
        }
    }

    private static HashSet<string> Reachable(string start, Dictionary<string, JourneyStep> steps)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([start]);
        while (pending.TryPop(out var id))
        {
            if (steps.TryGetValue(id, out var step) && seen.Add(id))
            {
                foreach (var exit in step.Exits)
                {
                    if (exit.Target is { } target)
                    {
                        pending.Push(target);
                    }
                }
            }
        }

        return seen;
    }

    /// <summary>Strongly connected components (Tarjan) that form a cycle in which no step waits.</summary>
    /// <remarks>
    /// <see cref="Graphs.Components"/> walks with an explicit stack: a chain of steps as long as the journey (a
    /// generated journey of 100,000 steps) must not become a chain of calls.
    /// </remarks>
    private static List<List<string>> CyclesWithoutWait(ImmutableArray<JourneyStep> order, Dictionary<string, JourneyStep> steps)
    {
        IEnumerable<string> Successors(string id) =>
            steps[id].Exits.Select(exit => exit.Target).OfType<string>().Where(steps.ContainsKey);

        return [.. Graphs.Components(order.Select(step => step.Id).Where(steps.ContainsKey).Distinct(StringComparer.Ordinal), Successors)
            .Where(component => (component.Count > 1 || Successors(component[0]).Contains(component[0])) && !component.Any(step => steps[step].Waits))
            .Select(component => component.ToHashSet(StringComparer.Ordinal))
            .Select(members => order.Select(step => step.Id).Where(members.Contains).ToList())];
    }

    /// <summary>
    /// Why a condition can never hold, when that can be seen from the condition alone: comparisons of one value
    /// joined by "all" that contradict each other (equal to two different values, an empty range, an empty list).
    /// </summary>
    /// <remarks>Recurses as deep as the condition nests: at most <see cref="DocumentLimits.MaxConditionDepth"/>, checked when it was read.</remarks>
    public static string? NeverHolds(Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        switch (condition)
        {
            case Comparison { Operator: ComparisonOperator.In, Value: { ValueKind: JsonValueKind.Array } list } comparison when list.GetArrayLength() == 0:
                return $"'{comparison.Path}' must be in an empty list";
            case AllCondition all:
                foreach (var child in all.Conditions)
                {
                    if (NeverHolds(child) is { } reason)
                    {
                        return reason;
                    }
                }

                return Contradiction([.. all.Conditions.OfType<Comparison>()]);
            case AnyCondition any:
                // Each child once: asking the first child again (as this once did) doubled the work per level.
                string? first = null;
                foreach (var child in any.Conditions)
                {
                    if (NeverHolds(child) is not { } reason)
                    {
                        return null;
                    }

                    first ??= reason;
                }

                return first;
            default:
                return null;
        }
    }

    private static string? Contradiction(List<Comparison> comparisons)
    {
        foreach (var group in comparisons.GroupBy(comparison => (comparison.Subject, comparison.Path)))
        {
            var path = group.Key.Path;
            var equals = group.Where(c => c.Operator == ComparisonOperator.Eq).Select(c => c.Value!.Value.GetRawText()).Distinct().ToList();
            if (equals.Count > 1)
            {
                return $"'{path}' cannot equal both {equals[0]} and {equals[1]}";
            }

            if (equals.Count == 1)
            {
                if (group.Any(c => c.Operator == ComparisonOperator.Ne && c.Value!.Value.GetRawText() == equals[0]))
                {
                    return $"'{path}' must equal and not equal {equals[0]}";
                }

                if (group.Any(c => c.Operator == ComparisonOperator.NotExists))
                {
                    return $"'{path}' must equal {equals[0]} and not exist";
                }
            }

            if (group.Any(c => c.Operator == ComparisonOperator.Exists) && group.Any(c => c.Operator == ComparisonOperator.NotExists))
            {
                return $"'{path}' must exist and not exist";
            }

            double? lower = null;
            double? upper = null;
            var lowerInclusive = true;
            var upperInclusive = true;
            foreach (var comparison in group.Where(c => c.Value is { ValueKind: JsonValueKind.Number }))
            {
                var value = comparison.Value!.Value.GetDouble();
                switch (comparison.Operator)
                {
                    case ComparisonOperator.Gt or ComparisonOperator.Gte when lower is null || value > lower || (value == lower && comparison.Operator == ComparisonOperator.Gt):
                        lower = value;
                        lowerInclusive = comparison.Operator == ComparisonOperator.Gte;
                        break;
                    case ComparisonOperator.Lt or ComparisonOperator.Lte when upper is null || value < upper || (value == upper && comparison.Operator == ComparisonOperator.Lt):
                        upper = value;
                        upperInclusive = comparison.Operator == ComparisonOperator.Lte;
                        break;
                }
            }

            if (lower is not null && upper is not null && (lower > upper || (lower == upper && !(lowerInclusive && upperInclusive))))
            {
                return $"no value of '{path}' is both {(lowerInclusive ? "≥" : ">")} {lower} and {(upperInclusive ? "≤" : "<")} {upper}";
            }
        }

        return null;
    }
}
