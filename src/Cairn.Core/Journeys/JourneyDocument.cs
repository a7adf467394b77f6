using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;


/// <summary>What one document file holds once read: a journey, a template, or only errors.</summary>
public sealed record ParsedDocument(string Source, JourneyDefinition? Journey, TemplateDefinition? Template, ImmutableArray<DocumentError> Errors, Segments.SegmentDefinition? Segment = null, Scoring.ScoringModel? ScoringModel = null, Sales.SalesTeam? SalesTeam = null)
{
    /// <summary>The orchestrator policy, when the document is one.</summary>
    public Orchestration.Policy? Policy { get; init; }
}

/// <summary>
/// Reads journey and template documents (YAML or JSON). A document with <c>kind: template</c> is a template;
/// otherwise it is a journey. Every error is reported with its line and step; nothing stops at the first one.
/// </summary>
public static partial class JourneyDocument
{
    /// <summary>The default maximum run time of an enrollment.</summary>
    public static readonly TimeSpan DefaultMaxRunTime = TimeSpan.FromDays(90);

    private static readonly string[] JourneyKeys =
        ["kind", "id", "name", "description", "version", "priority", "category", "owner", "trigger", "entry", "start", "steps", "exit_when", "goal", "max_run_time"];

    private static readonly string[] StepKinds =
        ["wait", "wait_until", "wait_until_date", "wait_for", "branch", "split", "send", "update", "notify_owner", "webhook", "enter_journey", "exit"];

    /// <summary>The event a contact gets when it enters a segment (property <c>segment</c>: the id).</summary>
    public const string SegmentEnteredEvent = "segment_entered";

    /// <summary>The event a contact gets when it leaves a segment.</summary>
    public const string SegmentExitedEvent = "segment_exited";

    /// <summary>Reads one document.</summary>
    public static ParsedDocument Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new DocumentReader(source);
        var root = DocumentReader.Load(text, reader);
        if (root is null)
        {
            return new ParsedDocument(source, null, null, [.. reader.Errors]);
        }

        var kind = reader.String(root, "kind", required: false) ?? "journey";
        if (kind == "template")
        {
            var template = ReadTemplate(root, reader);
            return new ParsedDocument(source, null, reader.Errors.Count == 0 ? template : null, [.. reader.Errors]);
        }

        if (kind == "segment")
        {
            var segment = ReadSegment(root, reader);
            return new ParsedDocument(source, null, null, [.. reader.Errors], reader.Errors.Count == 0 ? segment : null);
        }

        if (kind == ScoringKind)
        {
            var model = ReadScoringModel(root, reader);
            return new ParsedDocument(source, null, null, [.. reader.Errors], null, reader.Errors.Count == 0 ? model : null);
        }

        if (kind == PolicyKind)
        {
            var policy = ReadPolicy(root, reader);
            return new ParsedDocument(source, null, null, [.. reader.Errors]) { Policy = reader.Errors.Count == 0 ? policy : null };
        }

        if (kind == SalesTeamKind)
        {
            var team = ReadSalesTeam(root, reader);
            return new ParsedDocument(source, null, null, [.. reader.Errors], SalesTeam: reader.Errors.Count == 0 ? team : null);
        }

        if (kind != "journey")
        {
            reader.Error(DocumentReader.Get(root, "kind")!, $"unknown kind '{kind}' (journey, template, segment, {ScoringKind}, {SalesTeamKind} or {PolicyKind})");
            return new ParsedDocument(source, null, null, [.. reader.Errors]);
        }

        var journey = ReadJourney(root, reader);
        return new ParsedDocument(source, reader.Errors.Count == 0 ? journey : null, null, [.. reader.Errors]);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,99}$")]
    private static partial Regex IdPattern();

    private static Segments.SegmentDefinition? ReadSegment(YamlMappingNode root, DocumentReader reader)
    {
        reader.OnlyKeys(root, "kind", "id", "name", "description", "condition", "static");
        var id = ReadId(root, reader, "segment");
        var name = reader.String(root, "name", required: true) ?? string.Empty;
        var description = reader.String(root, "description", required: false);
        var isStatic = reader.Boolean(root, "static") ?? false;
        Condition? condition = null;
        if (DocumentReader.Get(root, "condition") is { } node)
        {
            if (isStatic)
            {
                reader.Error(node, "a static list has no condition: its members are added and removed by upload or through the API");
            }

            condition = ReadCondition(node, reader, Subject.Trait, "condition");
            foreach (var leaf in Segments.SegmentConditions.Leaves(condition))
            {
                if (leaf is Comparison { Subject: not Subject.Trait } comparison)
                {
                    reader.Error(comparison.Location.Line, $"a segment condition compares traits; '{comparison.Subject.ToString().ToLowerInvariant()}' has no meaning here");
                }
                else if (leaf is EventCondition)
                {
                    reader.Error(leaf.Location.Line, "a segment condition cannot name the event being handled; use 'performed'");
                }
            }

            if (condition is null)
            {
                return null;
            }
        }
        else if (!isStatic)
        {
            reader.Error(root, "'condition' is required (or 'static: true' for a list managed by upload or through the API)");
            return null;
        }

        return id is null ? null : new Segments.SegmentDefinition(id, name, description, condition, DocumentReader.Location(root));
    }

    private static JourneyDefinition? ReadJourney(YamlMappingNode root, DocumentReader reader)
    {
        reader.OnlyKeys(root, JourneyKeys);
        var id = ReadId(root, reader, "journey");
        var name = reader.String(root, "name", required: true) ?? string.Empty;
        var description = reader.String(root, "description", required: false);
        var version = reader.Integer(root, "version", 1, int.MaxValue) ?? 1;
        var priority = reader.Integer(root, "priority", 0, 100) ?? 50;
        var category = ReadCategory(root, reader);
        var owner = reader.String(root, "owner", required: false);
        var trigger = ReadTrigger(root, reader);
        var entry = ReadEntry(root, reader);
        var steps = ReadSteps(root, reader);
        var exitWhen = reader.Sequence(DocumentReader.Get(root, "exit_when"), "exit_when")
            .Select(node => ReadExitCriterion(node, reader))
            .OfType<Condition>()
            .ToImmutableArray();
        var goal = ReadGoal(root, reader);
        var maxRunTime = reader.Duration(root, "max_run_time", required: false) ?? DefaultMaxRunTime;
        var start = reader.String(root, "start", required: false) ?? (steps.Length > 0 ? steps[0].Id : null);
        if (start is null && DocumentReader.Has(root, "steps"))
        {
            reader.Error(root, "a journey needs at least one step");
        }

        return id is null || trigger is null || start is null
            ? null
            : new JourneyDefinition(id, name, description, version, priority, category, owner, trigger, entry, start, steps, exitWhen, goal, maxRunTime);
    }

    private static string? ReadId(YamlMappingNode map, DocumentReader reader, string what)
    {
        var id = reader.String(map, "id", required: true, what);
        if (id is not null && !IdPattern().IsMatch(id))
        {
            reader.Error(DocumentReader.Get(map, "id")!, $"the {what} id '{id}' must be lower-case letters, digits, '-' or '_' (at most 100)");
            return null;
        }

        return id;
    }

    private static JourneyCategory ReadCategory(YamlMappingNode root, DocumentReader reader)
    {
        var text = reader.String(root, "category", required: false) ?? "promotional";
        return CategoryNamed(text, DocumentReader.Get(root, "category"), reader);
    }

    private static JourneyCategory CategoryNamed(string text, YamlNode? node, DocumentReader reader)
    {
        switch (text)
        {
            case "transactional":
                return JourneyCategory.Transactional;
            case "promotional":
                return JourneyCategory.Promotional;
            case "operational":
                return JourneyCategory.Operational;
            default:
                reader.Error(node!, $"unknown category '{text}' (transactional, promotional or operational)");
                return JourneyCategory.Promotional;
        }
    }

    private static Channel? ReadChannel(YamlMappingNode map, DocumentReader reader, bool required = true)
    {
        var text = reader.String(map, "channel", required);
        var channel = Channels.Parse(text);
        if (text is not null && channel is null)
        {
            reader.Error(DocumentReader.Get(map, "channel")!, $"unknown channel '{text}' (email, sms, push, webhook or in_app)");
        }

        return channel;
    }

    private static Trigger? ReadTrigger(YamlMappingNode root, DocumentReader reader)
    {
        if (reader.Mapping(DocumentReader.Get(root, "trigger"), "trigger") is not { } map)
        {
            if (!DocumentReader.Has(root, "trigger"))
            {
                reader.Error(root, "'trigger' is required (event, date or api)");
            }

            return null;
        }

        var location = DocumentReader.Location(map);
        if (DocumentReader.Has(map, "event"))
        {
            reader.OnlyKeys(map, "event", "where");
            var name = reader.String(map, "event", required: true);
            var where = ReadOptionalCondition(map, "where", reader, Subject.Property);
            return name is null ? null : new EventTrigger(name, where, location);
        }

        if (DocumentReader.Has(map, "date"))
        {
            reader.OnlyKeys(map, "date");
            if (reader.Mapping(DocumentReader.Get(map, "date"), "date") is not { } date)
            {
                return null;
            }

            reader.OnlyKeys(date, "trait", "days_before", "days_after", "on_the_day", "annually", "at");
            var trait = reader.String(date, "trait", required: true, "a date trigger");
            var offsets = Days(date, "days_before", -1, reader).Concat(Days(date, "days_after", 1, reader)).ToList();
            if (reader.Boolean(date, "on_the_day") == true)
            {
                offsets.Add(0);
            }

            var at = reader.TimeOfDay(date, "at", required: false) ?? new TimeOnly(9, 0);
            return trait is null ? null : new DateTrigger(trait, [.. offsets.Distinct().Order()], reader.Boolean(date, "annually") ?? false, at, location);
        }

        if (DocumentReader.Has(map, "api"))
        {
            reader.OnlyKeys(map, "api");
            return new ApiTrigger(location);
        }

        foreach (var change in (string[])[SegmentEnteredEvent, SegmentExitedEvent])
        {
            if (DocumentReader.Has(map, change))
            {
                reader.OnlyKeys(map, change);
                var segment = reader.String(map, change, required: true);
                return segment is null ? null : new EventTrigger(
                    change,
                    new Comparison(Subject.Property, "segment", ComparisonOperator.Eq, System.Text.Json.JsonSerializer.SerializeToElement(segment), location),
                    location);
            }
        }

        reader.Error(map, "the trigger needs one of 'event', 'date', 'api', 'segment_entered' or 'segment_exited'");
        return null;
    }

    private static IEnumerable<int> Days(YamlMappingNode map, string key, int sign, DocumentReader reader)
    {
        var node = DocumentReader.Get(map, key);
        var items = node is YamlScalarNode ? [node] : reader.Sequence(node, key);
        foreach (var item in items)
        {
            if (item is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days <= 3660)
            {
                yield return sign * days;
            }
            else
            {
                reader.Error(item, $"'{key}' must hold whole numbers of days");
            }
        }
    }

    private static EntryRules ReadEntry(YamlMappingNode root, DocumentReader reader)
    {
        if (reader.Mapping(DocumentReader.Get(root, "entry"), "entry") is not { } map)
        {
            return EntryRules.Default;
        }

        reader.OnlyKeys(map, "reentry", "audience", "holdout");
        var reentry = ReentryKind.Never;
        var cooldown = TimeSpan.Zero;
        var text = reader.String(map, "reentry", required: false) ?? "never";
        if (text == "always")
        {
            reentry = ReentryKind.Always;
        }
        else if (text.StartsWith("after ", StringComparison.Ordinal) && Duration.TryParse(text[6..], out cooldown, out _))
        {
            reentry = ReentryKind.After;
        }
        else if (text != "never")
        {
            reader.Error(DocumentReader.Get(map, "reentry")!, $"'reentry' must be never, always or 'after <duration>' (e.g. after 30d), not '{text}'");
        }

        var audience = ReadOptionalCondition(map, "audience", reader, Subject.Trait);
        var holdout = reader.Number(map, "holdout", 0, 99) ?? 0;
        return new EntryRules(reentry, cooldown, audience, holdout);
    }

    private static Goal? ReadGoal(YamlMappingNode root, DocumentReader reader)
    {
        if (reader.Mapping(DocumentReader.Get(root, "goal"), "goal") is not { } map)
        {
            return null;
        }

        reader.OnlyKeys(map, "event", "where", "within", "exit");
        var name = reader.String(map, "event", required: true, "the goal");
        var where = ReadOptionalCondition(map, "where", reader, Subject.Property);
        var within = reader.Duration(map, "within", required: true);
        var exit = reader.Boolean(map, "exit") ?? true;
        return name is null || within is null ? null : new Goal(name, where, within.Value, exit);
    }

    private static Condition? ReadExitCriterion(YamlNode node, DocumentReader reader)
    {
        // `- event: order_completed` (with an optional `where`) ends the enrollment when that event arrives;
        // anything else is a condition over the contact.
        if (node is YamlMappingNode map && DocumentReader.Has(map, "event"))
        {
            reader.OnlyKeys(map, "event", "where");
            var name = reader.String(map, "event", required: true);
            var where = ReadOptionalCondition(map, "where", reader, Subject.Property);
            return name is null ? null : new EventCondition(name, where, DocumentReader.Location(map));
        }

        return ReadCondition(node, reader, Subject.Trait, "exit_when");
    }

    private static ImmutableArray<JourneyStep> ReadSteps(YamlMappingNode root, DocumentReader reader)
    {
        var node = DocumentReader.Get(root, "steps");
        if (node is null)
        {
            reader.Error(root, "'steps' is required");
            return [];
        }

        if (node is YamlSequenceNode { Children.Count: > DocumentLimits.MaxSteps } many)
        {
            reader.Error(node, string.Create(CultureInfo.InvariantCulture, $"a journey has at most {DocumentLimits.MaxSteps:N0} steps; this one has {many.Children.Count:N0}"));
        }

        var steps = ImmutableArray.CreateBuilder<JourneyStep>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in reader.Sequence(node, "steps"))
        {
            if (reader.Mapping(item, "a step") is not { } map)
            {
                continue;
            }

            var id = reader.String(map, "id", required: true, "every step");
            if (id is null)
            {
                continue;
            }

            reader.CurrentStep = id;
            if (!IdPattern().IsMatch(id) || id == JourneyStep.End)
            {
                reader.Error(map, $"the step id '{id}' must be lower-case letters, digits, '-' or '_', and not '{JourneyStep.End}'");
            }
            else if (!seen.Add(id))
            {
                reader.Error(map, $"the step id '{id}' is used twice");
            }
            else if (ReadStep(id, map, reader) is { } step)
            {
                steps.Add(step);
            }

            reader.CurrentStep = null;
        }

        return steps.ToImmutable();
    }

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

        var kind = kinds[0];
        var body = DocumentReader.Get(map, kind)!;
        var location = DocumentReader.Location(map);
        StepExit Next() => new("next", reader.String(map, "next", required: false) ?? JourneyStep.End, DocumentReader.Location(DocumentReader.Get(map, "next") ?? map));

        switch (kind)
        {
            case "wait":
                reader.OnlyKeys(map, "id", "wait", "next");
                return reader.Duration(map, "wait", required: true) is { } duration ? new WaitStep(id, duration, Next(), location) : null;

            case "wait_until":
            {
                reader.OnlyKeys(map, "id", "wait_until", "next");
                if (reader.Mapping(body, "wait_until") is not { } until)
                {
                    return null;
                }

                reader.OnlyKeys(until, "time", "days");
                var time = reader.TimeOfDay(until, "time", required: true);
                var days = reader.Sequence(DocumentReader.Get(until, "days"), "days").Select(day => ReadDay(day, reader)).OfType<DayOfWeek>().ToImmutableArray();
                return time is null ? null : new WaitUntilStep(id, time.Value, days, Next(), location);
            }

            case "wait_until_date":
            {
                reader.OnlyKeys(map, "id", "wait_until_date", "next");
                if (reader.Mapping(body, "wait_until_date") is not { } until)
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
                return trait is null ? null : new WaitUntilDateStep(id, trait, TimeSpan.FromDays(after ?? -(before ?? 0)), at, Next(), location);
            }

            case "wait_for":
            {
                reader.OnlyKeys(map, "id", "wait_for", "exits");
                if (reader.Mapping(body, "wait_for") is not { } waitFor)
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
                return name is null || timeout is null ? null : new WaitForStep(id, name, where, correlate, timeout.Value, Exit("happened"), Exit("timed_out"), location);
            }

            case "branch":
            {
                reader.OnlyKeys(map, "id", "branch", "else");
                var cases = ImmutableArray.CreateBuilder<BranchCase>();
                var written = 0;
                foreach (var item in reader.Sequence(body, "branch"))
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
                return new BranchStep(id, cases.ToImmutable(), new StepExit("else", reader.String(map, "else", required: false), DocumentReader.Location(elseNode ?? map)), location);
            }

            case "split":
            {
                reader.OnlyKeys(map, "id", "split", "experiment");
                var arms = ImmutableArray.CreateBuilder<SplitArm>();
                foreach (var item in reader.Sequence(body, "split"))
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

                return new SplitStep(id, arms.ToImmutable(), reader.Boolean(map, "experiment") ?? false, location);
            }

            case "send":
            {
                reader.OnlyKeys(map, "id", "send", "next");
                if (reader.Mapping(body, "send") is not { } send)
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

                return channel is null || template is null ? null : new SendStep(id, channel.Value, template, Next(), location) { Fallback = [.. fallback], BestTimeWithin = bestTime };
            }

            case "update":
            {
                reader.OnlyKeys(map, "id", "update", "next");
                if (reader.Mapping(body, "update") is not { } update)
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

                return action is null || name is null ? null : new UpdateStep(id, action.Value, name, value, Next(), location);
            }

            case "notify_owner":
            {
                reader.OnlyKeys(map, "id", "notify_owner", "next");
                var message = reader.Mapping(body, "notify_owner") is { } notify ? reader.String(notify, "message", required: true, "notify_owner") : null;
                return message is null ? null : new NotifyOwnerStep(id, message, Next(), location);
            }

            case "webhook":
            {
                reader.OnlyKeys(map, "id", "webhook", "next");
                var url = reader.Mapping(body, "webhook") is { } webhook ? reader.String(webhook, "url", required: true, "webhook") : null;
                if (url is null)
                {
                    return null;
                }

                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                {
                    reader.Error(body, $"'{url}' is not an http(s) URL");
                    return null;
                }

                return new WebhookStep(id, uri, Next(), location);
            }

            case "enter_journey":
            {
                reader.OnlyKeys(map, "id", "enter_journey", "next");
                var journey = reader.Scalar(body, "enter_journey");
                return journey is null ? null : new EnterJourneyStep(id, journey, Next(), location);
            }

            default:
                reader.OnlyKeys(map, "id", "exit");
                return new ExitStep(id, location);
        }
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

    private static Condition? ReadOptionalCondition(YamlMappingNode map, string key, DocumentReader reader, Subject defaultSubject) =>
        DocumentReader.Get(map, key) is { } node ? ReadCondition(node, reader, defaultSubject, key) : null;

    /// <summary>
    /// A condition: a list (all of them), <c>all</c> / <c>any</c> / <c>not</c>, a comparison on a <c>trait</c>,
    /// <c>property</c> or <c>payload</c>, <c>performed</c> / <c>not_performed</c>, <c>tag</c> or <c>stage</c>.
    /// </summary>
    /// <param name="node">The condition's node.</param>
    /// <param name="reader">The document being read.</param>
    /// <param name="defaultSubject">What a bare comparison reads.</param>
    /// <param name="name">Its place in the enclosing condition or document (<c>condition</c>, <c>all[2]</c>, <c>not</c>, <c>where</c>), for errors.</param>
    /// <remarks>
    /// Recursive, so it counts its own depth (<c>where</c> included) and stops at <see cref="DocumentLimits.MaxConditionDepth"/>
    /// before it recurses further: what evaluates conditions afterwards (<c>ConditionEvaluator.Holds</c>,
    /// <c>SegmentDecider.Affected</c>, <c>JourneyValidator.NeverHolds</c>) recurses as deep, and no deeper.
    /// </remarks>
    private static Condition? ReadCondition(YamlNode node, DocumentReader reader, Subject defaultSubject, string name)
    {
        if (!reader.EnterCondition(node, name))
        {
            return null;
        }

        try
        {
            return ReadConditionAt(node, reader, defaultSubject);
        }
        finally
        {
            reader.LeaveCondition();
        }
    }

    private static Condition? ReadConditionAt(YamlNode node, DocumentReader reader, Subject defaultSubject)
    {
        var location = DocumentReader.Location(node);
        if (node is YamlSequenceNode list)
        {
            var all = list.Children.Select((child, index) => ReadCondition(child, reader, defaultSubject, $"[{index}]")).ToList();
            return all.Count == 0 || all.Any(condition => condition is null) ? null : new AllCondition([.. all!], location);
        }

        if (reader.Mapping(node, "a condition") is not { } map)
        {
            return null;
        }

        if (DocumentReader.Has(map, "all") || DocumentReader.Has(map, "any"))
        {
            var isAll = DocumentReader.Has(map, "all");
            reader.OnlyKeys(map, isAll ? "all" : "any");
            var children = reader.Sequence(DocumentReader.Get(map, isAll ? "all" : "any"), isAll ? "all" : "any")
                .Select((child, index) => ReadCondition(child, reader, defaultSubject, $"{(isAll ? "all" : "any")}[{index}]"))
                .ToList();
            if (children.Count == 0)
            {
                reader.Error(map, $"'{(isAll ? "all" : "any")}' needs at least one condition");
                return null;
            }

            return children.Any(child => child is null) ? null
                : isAll ? new AllCondition([.. children!], location) : new AnyCondition([.. children!], location);
        }

        if (DocumentReader.Get(map, "not") is { } notNode)
        {
            reader.OnlyKeys(map, "not");
            return ReadCondition(notNode, reader, defaultSubject, "not") is { } inner ? new NotCondition(inner, location) : null;
        }

        if (DocumentReader.Has(map, "performed") || DocumentReader.Has(map, "not_performed"))
        {
            var negative = DocumentReader.Has(map, "not_performed");
            reader.OnlyKeys(map, negative ? ["not_performed", "where", "within"] : ["performed", "where", "at_least", "at_most", "exactly", "within"]);
            var name = reader.String(map, negative ? "not_performed" : "performed", required: true);
            var where = ReadOptionalCondition(map, "where", reader, Subject.Property);
            var exactly = negative ? null : reader.Integer(map, "exactly", 0, 1_000_000);
            if (exactly is not null && (DocumentReader.Has(map, "at_least") || DocumentReader.Has(map, "at_most")))
            {
                reader.Error(map, "'exactly' cannot be combined with 'at_least' or 'at_most'");
            }

            var atLeast = negative ? 0 : exactly ?? reader.Integer(map, "at_least", 0, 1_000_000) ?? 1;
            var atMost = negative ? 0 : exactly ?? reader.Integer(map, "at_most", 0, 1_000_000);
            if (atMost < atLeast)
            {
                reader.Error(map, $"at_most ({atMost}) is less than at_least ({atLeast}): the condition can never hold");
            }

            var within = reader.Duration(map, "within", required: false);
            return name is null ? null : new PerformedCondition(name, where, atLeast, atMost, within, location);
        }

        if (DocumentReader.Has(map, "first_performed") || DocumentReader.Has(map, "last_performed"))
        {
            return ReadOccurrence(map, reader);
        }

        if (DocumentReader.Has(map, "aggregate"))
        {
            return ReadAggregate(map, reader);
        }

        if (DocumentReader.Has(map, "engaged"))
        {
            return ReadEngagement(map, reader);
        }

        if (DocumentReader.Has(map, "consent"))
        {
            return ReadConsent(map, reader);
        }

        if (DocumentReader.Has(map, "in_segment"))
        {
            reader.OnlyKeys(map, "in_segment");
            return reader.String(map, "in_segment", required: true) is { } segment ? new SegmentCondition(segment, location) : null;
        }

        if (DocumentReader.Has(map, "tag"))
        {
            reader.OnlyKeys(map, "tag");
            return reader.String(map, "tag", required: true) is { } tag ? new TagCondition(tag, location) : null;
        }

        if (DocumentReader.Has(map, "score"))
        {
            return ReadScoreCondition(map, reader);
        }

        if (DocumentReader.Has(map, "stage"))
        {
            reader.OnlyKeys(map, "stage");
            return reader.String(map, "stage", required: true) is { } stage ? new StageCondition(stage, location) : null;
        }

        var subject = DocumentReader.Has(map, "trait") ? Subject.Trait
            : DocumentReader.Has(map, "property") ? Subject.Property
            : DocumentReader.Has(map, "payload") ? Subject.Payload
            : (Subject?)null;
        if (subject is null)
        {
            reader.Error(map, "a condition needs one of: trait, property, payload, performed, not_performed, first_performed, last_performed, aggregate, engaged, consent, tag, stage, score, in_segment, all, any, not");
            return null;
        }

        var subjectKey = subject.Value.ToString().ToLowerInvariant();
        reader.OnlyKeys(map, subjectKey, "op", "value");
        var path = reader.String(map, subjectKey, required: true);
        var opText = reader.String(map, "op", required: false) ?? "eq";
        ComparisonOperator? op = opText switch
        {
            "eq" => ComparisonOperator.Eq,
            "ne" => ComparisonOperator.Ne,
            "in" => ComparisonOperator.In,
            "not_in" => ComparisonOperator.NotIn,
            "contains" => ComparisonOperator.Contains,
            "starts_with" => ComparisonOperator.StartsWith,
            "gt" => ComparisonOperator.Gt,
            "gte" => ComparisonOperator.Gte,
            "lt" => ComparisonOperator.Lt,
            "lte" => ComparisonOperator.Lte,
            "exists" => ComparisonOperator.Exists,
            "not_exists" => ComparisonOperator.NotExists,
            "within_last" => ComparisonOperator.WithinLast,
            "within_next" => ComparisonOperator.WithinNext,
            _ => null,
        };
        if (op is null)
        {
            reader.Error(DocumentReader.Get(map, "op")!, $"unknown op '{opText}' (eq, ne, in, not_in, contains, starts_with, gt, gte, lt, lte, exists, not_exists, within_last, within_next)");
            return null;
        }

        if (op is ComparisonOperator.WithinLast or ComparisonOperator.WithinNext
            && (DocumentReader.Get(map, "value") is not YamlScalarNode { Value: var span } || !Duration.TryParse(span, out _, out _)))
        {
            reader.Error(map, $"op '{opText}' needs a duration as 'value' (e.g. 30d)");
            return null;
        }

        var valueNode = DocumentReader.Get(map, "value");
        var needsValue = op is not (ComparisonOperator.Exists or ComparisonOperator.NotExists);
        if (needsValue && valueNode is null)
        {
            reader.Error(map, $"op '{opText}' needs 'value'");
            return null;
        }

        if (op is ComparisonOperator.In or ComparisonOperator.NotIn && valueNode is not YamlSequenceNode)
        {
            reader.Error(valueNode!, $"op '{opText}' needs a list as 'value'");
            return null;
        }

        System.Text.Json.JsonElement? value = null;
        if (valueNode is not null && (value = reader.Json(valueNode, "value")) is null)
        {
            return null;
        }

        return path is null ? null : new Comparison(subject.Value, path, op.Value, value, location);
    }
}
