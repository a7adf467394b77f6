using System.Collections.Immutable;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>Journey documents (<c>kind: journey</c>, the default): the trigger, entry rules, exit criteria, goal and steps.</summary>
public static partial class DocumentParser
{
    /// <summary>The default maximum run time of an enrollment.</summary>
    public static readonly TimeSpan DefaultMaxRunTime = TimeSpan.FromDays(90);

    private static readonly string[] JourneyKeys =
        ["kind", "id", "name", "description", "version", "priority", "category", "owner", "trigger", "entry", "start", "steps", "exit_when", "goal", "max_run_time"];

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

        foreach (var change in (string[])[Segments.SegmentDefinition.EnteredEvent, Segments.SegmentDefinition.ExitedEvent])
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

        reader.OnlyKeys(map, "event", "where", "within", "exit", "revenue");
        var name = reader.String(map, "event", required: true, "the goal");
        var where = ReadOptionalCondition(map, "where", reader, Subject.Property);
        var within = reader.Duration(map, "within", required: true);
        var exit = reader.Boolean(map, "exit") ?? true;
        var revenue = reader.String(map, "revenue", required: false) ?? Goal.DefaultRevenueProperty;
        return name is null || within is null ? null : new Goal(name, where, within.Value, exit) { RevenueProperty = revenue };
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

}
