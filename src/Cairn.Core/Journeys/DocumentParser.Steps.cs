using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>The steps of a journey: which kind each step is, and one reader per kind.</summary>
public static partial class DocumentParser
{
    private static readonly string[] StepKinds =
        ["wait", "wait_until", "wait_until_date", "wait_for", "branch", "split", "send", "update", "notify_owner", "webhook", "enter_journey", "exit"];

    private static readonly string[] BanditKeys = ["floor", "metric"];

    private static JourneyStep? ReadStep(string id, YamlMappingNode map, DocumentReader reader)
    {
        var kinds = StepKinds.Where(kind => DocumentReader.Has(map, kind)).ToList();
        if (kinds.Count != 1)
        {
            reader.Error(map, kinds.Count == 0
                ? $"a step needs one of: {string.Join(", ", StepKinds)}"
                : $"a step has exactly one kind; this one has {string.Join(" and ", kinds)}");
            return null;
        }

        var step = new StepNode(id, map, DocumentReader.Get(map, kinds[0])!, DocumentReader.Location(map), reader);
        return kinds[0] switch
        {
            "wait" => ReadWait(step),
            "wait_until" => ReadWaitUntil(step),
            "wait_until_date" => ReadWaitUntilDate(step),
            "wait_for" => ReadWaitFor(step),
            "branch" => ReadBranch(step),
            "split" => ReadSplit(step),
            "send" => ReadSend(step),
            "update" => ReadUpdate(step),
            "notify_owner" => ReadNotifyOwner(step),
            "webhook" => ReadWebhook(step),
            "enter_journey" => ReadEnterJourney(step),
            _ => ReadExit(step),
        };
    }

    private static WaitStep? ReadWait(StepNode step)
    {
        var (map, reader) = (step.Map, step.Reader);
        reader.OnlyKeys(map, "id", "wait", "next");
        return reader.Duration(map, "wait", required: true) is { } duration ? new WaitStep(step.Id, duration, step.Next(), step.Location) : null;
    }

    private static WaitUntilStep? ReadWaitUntil(StepNode step)
    {
        var reader = step.Reader;
        reader.OnlyKeys(step.Map, "id", "wait_until", "next");
        if (reader.Mapping(step.Body, "wait_until") is not { } until)
        {
            return null;
        }

        reader.OnlyKeys(until, "time", "days");
        var time = reader.TimeOfDay(until, "time", required: true);
        var days = reader.Sequence(DocumentReader.Get(until, "days"), "days").Select(day => ReadDay(day, reader)).OfType<DayOfWeek>().ToImmutableArray();
        return time is null ? null : new WaitUntilStep(step.Id, time.Value, days, step.Next(), step.Location);
    }

    private static WaitUntilDateStep? ReadWaitUntilDate(StepNode step)
    {
        var reader = step.Reader;
        reader.OnlyKeys(step.Map, "id", "wait_until_date", "next");
        if (reader.Mapping(step.Body, "wait_until_date") is not { } until)
        {
            return null;
        }

        reader.OnlyKeys(until, "trait", "days_before", "days_after", "at");
        var trait = reader.String(until, "trait", required: true, "wait_until_date");
        var before = reader.Integer(until, "days_before", 0, 3660);
        var after = reader.Integer(until, "days_after", 0, 3660);
        if (before is not null && after is not null)
        {
            reader.Error(until, "give days_before or days_after, not both");
        }

        var at = reader.TimeOfDay(until, "at", required: false) ?? new TimeOnly(9, 0);
        return trait is null ? null : new WaitUntilDateStep(step.Id, trait, TimeSpan.FromDays(after ?? -(before ?? 0)), at, step.Next(), step.Location);
    }

    private static WaitForStep? ReadWaitFor(StepNode step)
    {
        var (map, reader) = (step.Map, step.Reader);
        reader.OnlyKeys(map, "id", "wait_for", "exits");
        if (reader.Mapping(step.Body, "wait_for") is not { } waitFor)
        {
            return null;
        }

        reader.OnlyKeys(waitFor, "event", "where", "correlate", "timeout");
        var name = reader.String(waitFor, "event", required: true, "wait_for");
        var where = ReadOptionalCondition(waitFor, "where", reader, Subject.Property);
        var correlate = reader.String(waitFor, "correlate", required: false);
        var timeout = reader.Duration(waitFor, "timeout", required: true);
        var exits = reader.Mapping(DocumentReader.Get(map, "exits"), "exits");
        if (exits is null)
        {
            reader.Error(map, "wait_for needs 'exits' with 'happened' and 'timed_out'");
        }
        else
        {
            reader.OnlyKeys(exits, "happened", "timed_out");
        }

        StepExit Exit(string exitName) => new(
            exitName,
            exits is null ? null : reader.String(exits, exitName, required: false),
            DocumentReader.Location((exits is null ? null : DocumentReader.Get(exits, exitName)) ?? exits ?? map));
        return name is null || timeout is null ? null : new WaitForStep(step.Id, name, where, correlate, timeout.Value, Exit("happened"), Exit("timed_out"), step.Location);
    }

    private static BranchStep ReadBranch(StepNode step)
    {
        var (map, reader) = (step.Map, step.Reader);
        reader.OnlyKeys(map, "id", "branch", "else");
        var cases = ImmutableArray.CreateBuilder<BranchCase>();
        var written = 0;
        foreach (var item in reader.Sequence(step.Body, "branch"))
        {
            if (reader.Mapping(item, "a branch case") is not { } branchCase)
            {
                continue;
            }

            written++;

            reader.OnlyKeys(branchCase, "name", "when", "next");
            var caseName = reader.String(branchCase, "name", required: false) ?? $"case {cases.Count + 1}";
            var when = DocumentReader.Get(branchCase, "when") is { } whenNode ? ReadCondition(whenNode, reader, Subject.Trait, "when") : null;
            if (when is null && !DocumentReader.Has(branchCase, "when"))
            {
                reader.Error(branchCase, $"branch case '{caseName}' needs 'when'");
            }

            var target = reader.String(branchCase, "next", required: false);
            if (when is not null)
            {
                cases.Add(new BranchCase(caseName, when, new StepExit(caseName, target, DocumentReader.Location(branchCase))));
            }
        }

        if (written == 0)
        {
            // A case whose condition has errors is reported there, not as a missing case.
            reader.Error(map, "a branch needs at least one case");
        }

        var elseNode = DocumentReader.Get(map, "else");
        return new BranchStep(step.Id, cases.ToImmutable(), new StepExit("else", reader.String(map, "else", required: false), DocumentReader.Location(elseNode ?? map)), step.Location);
    }

    private static SplitStep ReadSplit(StepNode step)
    {
        var (map, reader) = (step.Map, step.Reader);
        reader.OnlyKeys(map, "id", "split", "experiment", "winner", "mode", "floor", "metric");
        var arms = ImmutableArray.CreateBuilder<SplitArm>();
        foreach (var item in reader.Sequence(step.Body, "split"))
        {
            if (reader.Mapping(item, "a split arm") is not { } arm)
            {
                continue;
            }

            reader.OnlyKeys(arm, "arm", "percent", "next");
            var armName = reader.String(arm, "arm", required: true, "every split arm") ?? $"arm {arms.Count + 1}";
            var percent = reader.Number(arm, "percent", 0.01, 100);
            if (percent is null && !DocumentReader.Has(arm, "percent"))
            {
                reader.Error(arm, $"split arm '{armName}' needs 'percent'");
            }

            arms.Add(new SplitArm(armName, percent ?? 0, new StepExit(armName, reader.String(arm, "next", required: false), DocumentReader.Location(arm))));
        }

        if (arms.Count < 2)
        {
            reader.Error(map, "a split needs at least two arms");
        }

        var experiment = reader.Boolean(map, "experiment");
        var (winner, bandit) = ReadSplitMode(map, reader, arms.Count);
        if ((winner is not null || bandit is not null) && experiment == false)
        {
            reader.Error(DocumentReader.Get(map, "experiment")!, "an automatic winner or a bandit compares the arms' conversions: the split is an experiment (leave out 'experiment: false')");
        }

        // An adaptive split is an experiment: the enrollment records its arm, whose conversions are the evidence.
        return new SplitStep(step.Id, arms.ToImmutable(), experiment ?? (winner is not null || bandit is not null), step.Location) { Winner = winner, Bandit = bandit };
    }

    /// <summary>
    /// The split's mode: <c>winner: { metric: goal, after: 7d, min_per_arm: 500 }</c>, or <c>mode: bandit</c> with
    /// <c>floor</c> (percent each arm keeps, default 5) and <c>metric: goal</c>; <c>mode: fixed</c> is the default.
    /// </summary>
    private static (SplitWinnerRule? Winner, SplitBanditRule? Bandit) ReadSplitMode(YamlMappingNode map, DocumentReader reader, int arms)
    {
        var mode = reader.String(map, "mode", required: false);
        var winnerNode = DocumentReader.Get(map, "winner");
        if (mode is not (null or "fixed" or "winner" or "bandit"))
        {
            reader.Error(DocumentReader.Get(map, "mode")!, $"'mode' must be fixed, winner or bandit, not '{mode}'");
            return (null, null);
        }

        if (mode != "bandit")
        {
            foreach (var key in BanditKeys.Where(key => DocumentReader.Has(map, key)))
            {
                reader.Error(DocumentReader.Get(map, key)!, $"'{key}' belongs to 'mode: bandit'{(key == "metric" ? " (a winner names its metric inside 'winner:')" : string.Empty)}");
            }
        }

        if (mode == "bandit")
        {
            if (winnerNode is not null)
            {
                reader.Error(winnerNode, "a split is either a bandit or has an automatic winner, not both: remove 'winner' or 'mode: bandit'");
            }

            ReadMetric(map, reader);
            var floor = reader.Number(map, "floor", 0, 50) ?? (DocumentReader.Has(map, "floor") ? 0 : 5);
            if (arms > 0 && floor * arms > 100)
            {
                reader.Error(DocumentReader.Get(map, "floor") ?? map, $"a floor of {floor.ToString(System.Globalization.CultureInfo.InvariantCulture)}% for each of {arms} arms is more than 100%: at most {(100.0 / arms).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}%");
            }

            return (null, new SplitBanditRule(floor, DocumentReader.Location(DocumentReader.Get(map, "mode")!)));
        }

        if (winnerNode is null)
        {
            if (mode == "winner")
            {
                reader.Error(DocumentReader.Get(map, "mode")!, "'mode: winner' needs its rule: winner: { metric: goal, after: 7d, min_per_arm: 500 }");
            }

            return (null, null);
        }

        if (mode == "fixed")
        {
            reader.Error(winnerNode, "'mode: fixed' splits by the percentages alone: remove 'winner' or 'mode: fixed'");
        }

        if (reader.Mapping(winnerNode, "winner") is not { } rule)
        {
            return (null, null);
        }

        reader.OnlyKeys(rule, "metric", "after", "min_per_arm");
        ReadMetric(rule, reader);
        var after = reader.Duration(rule, "after", required: true);
        if (after is { } wait && wait < TimeSpan.FromHours(1))
        {
            reader.Error(DocumentReader.Get(rule, "after")!, "'after' must be at least 1h: a winner decided sooner reads the noise of the first entrants");
        }

        var minimum = reader.Integer(rule, "min_per_arm", 1, 1_000_000);
        if (!DocumentReader.Has(rule, "min_per_arm"))
        {
            reader.Error(rule, "'winner' needs 'min_per_arm': the entries every arm needs before a winner is decided");
        }

        return (new SplitWinnerRule(after ?? TimeSpan.FromHours(1), minimum ?? 1, DocumentReader.Location(winnerNode)), null);
    }

    /// <summary>The metric an adaptive split compares: the journey's goal (the only one; the validator checks the journey has one).</summary>
    private static void ReadMetric(YamlMappingNode map, DocumentReader reader)
    {
        if (reader.String(map, "metric", required: false) is { } metric && metric != "goal")
        {
            reader.Error(DocumentReader.Get(map, "metric")!, $"'metric' must be goal (the journey's goal conversion), not '{metric}'");
        }
    }

    private static SendStep? ReadSend(StepNode step)
    {
        var reader = step.Reader;
        reader.OnlyKeys(step.Map, "id", "send", "next");
        if (reader.Mapping(step.Body, "send") is not { } send)
        {
            return null;
        }

        reader.OnlyKeys(send, "channel", "template", "fallback", "at", "within");
        TimeSpan? bestTime = null;
        if (reader.String(send, "at", required: false) is { } at)
        {
            if (at != "best_time")
            {
                reader.Error(DocumentReader.Get(send, "at")!, "'at' is best_time (send at the contact's best hour, within 'within')");
            }

            bestTime = reader.Duration(send, "within", required: false) ?? TimeSpan.FromHours(24);
            if (bestTime <= TimeSpan.Zero || bestTime > TimeSpan.FromDays(7))
            {
                reader.Error(DocumentReader.Get(send, "within")!, "'within' is a duration up to 7d");
            }
        }
        else if (DocumentReader.Has(send, "within"))
        {
            reader.Error(DocumentReader.Get(send, "within")!, "'within' goes with 'at: best_time'");
        }

        var channel = ReadChannel(send, reader);
        var template = reader.String(send, "template", required: true, "send");
        var fallback = new List<ChannelTemplate>();
        foreach (var node in reader.Sequence(DocumentReader.Get(send, "fallback"), "fallback"))
        {
            if (reader.Mapping(node, "a fallback") is { } alternative)
            {
                reader.OnlyKeys(alternative, "channel", "template");
                if (ReadChannel(alternative, reader) is { } other && reader.String(alternative, "template", required: true, "a fallback") is { } otherTemplate)
                {
                    fallback.Add(new ChannelTemplate(other, otherTemplate));
                }
            }
        }

        return channel is null || template is null ? null : new SendStep(step.Id, channel.Value, template, step.Next(), step.Location) { Fallback = [.. fallback], BestTimeWithin = bestTime };
    }

    private static UpdateStep? ReadUpdate(StepNode step)
    {
        var reader = step.Reader;
        reader.OnlyKeys(step.Map, "id", "update", "next");
        if (reader.Mapping(step.Body, "update") is not { } update)
        {
            return null;
        }

        reader.OnlyKeys(update, "action", "name", "value");
        var actionText = reader.String(update, "action", required: true, "update");
        UpdateAction? action = actionText switch
        {
            "set_trait" => UpdateAction.SetTrait,
            "unset_trait" => UpdateAction.UnsetTrait,
            "add_tag" => UpdateAction.AddTag,
            "remove_tag" => UpdateAction.RemoveTag,
            "add_score" => UpdateAction.AddScore,
            "set_stage" => UpdateAction.SetStage,
            "add_note" => UpdateAction.AddNote,
            _ => null,
        };
        if (actionText is not null && action is null)
        {
            reader.Error(update, $"unknown update action '{actionText}' (set_trait, unset_trait, add_tag, remove_tag, add_score, set_stage, add_note)");
        }

        var name = reader.String(update, "name", required: true, "update");
        var valueNode = DocumentReader.Get(update, "value");
        var value = valueNode is null ? null : reader.Json(valueNode, "value");
        if (action is UpdateAction.SetTrait or UpdateAction.AddScore && valueNode is null)
        {
            reader.Error(update, $"'{actionText}' needs 'value'");
        }

        return action is null || name is null ? null : new UpdateStep(step.Id, action.Value, name, value, step.Next(), step.Location);
    }

    private static NotifyOwnerStep? ReadNotifyOwner(StepNode step)
    {
        var reader = step.Reader;
        reader.OnlyKeys(step.Map, "id", "notify_owner", "next");
        var message = reader.Mapping(step.Body, "notify_owner") is { } notify ? reader.String(notify, "message", required: true, "notify_owner") : null;
        return message is null ? null : new NotifyOwnerStep(step.Id, message, step.Next(), step.Location);
    }

    private static WebhookStep? ReadWebhook(StepNode step)
    {
        var reader = step.Reader;
        reader.OnlyKeys(step.Map, "id", "webhook", "next");
        var url = reader.Mapping(step.Body, "webhook") is { } webhook ? reader.String(webhook, "url", required: true, "webhook") : null;
        if (url is null)
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            reader.Error(step.Body, $"'{url}' is not an http(s) URL");
            return null;
        }

        return new WebhookStep(step.Id, uri, step.Next(), step.Location);
    }

    private static EnterJourneyStep? ReadEnterJourney(StepNode step)
    {
        var reader = step.Reader;
        reader.OnlyKeys(step.Map, "id", "enter_journey", "next");
        var journey = reader.Scalar(step.Body, "enter_journey");
        return journey is null ? null : new EnterJourneyStep(step.Id, journey, step.Next(), step.Location);
    }

    private static ExitStep ReadExit(StepNode step)
    {
        step.Reader.OnlyKeys(step.Map, "id", "exit");
        return new ExitStep(step.Id, step.Location);
    }

    private static DayOfWeek? ReadDay(YamlNode node, DocumentReader reader)
    {
        DayOfWeek? day = (node as YamlScalarNode)?.Value?.ToLowerInvariant() switch
        {
            "mon" or "monday" => DayOfWeek.Monday,
            "tue" or "tuesday" => DayOfWeek.Tuesday,
            "wed" or "wednesday" => DayOfWeek.Wednesday,
            "thu" or "thursday" => DayOfWeek.Thursday,
            "fri" or "friday" => DayOfWeek.Friday,
            "sat" or "saturday" => DayOfWeek.Saturday,
            "sun" or "sunday" => DayOfWeek.Sunday,
            _ => null,
        };
        if (day is null)
        {
            reader.Error(node, "days are mon, tue, wed, thu, fri, sat or sun");
        }

        return day;
    }

    /// <summary>One step while it is read: its id, its mapping, the value under its kind's key, and where it is.</summary>
    private readonly record struct StepNode(string Id, YamlMappingNode Map, YamlNode Body, SourceLocation Location, DocumentReader Reader)
    {
        /// <summary>
        /// The step's <c>next</c> exit (<c>end</c> when absent). Read when the step is built, as it always was: a step
        /// that fails earlier reports nothing about its <c>next</c>.
        /// </summary>
        public StepExit Next() =>
            new("next", Reader.String(Map, "next", required: false) ?? JourneyStep.End, DocumentReader.Location(DocumentReader.Get(Map, "next") ?? Map));
    }
}
