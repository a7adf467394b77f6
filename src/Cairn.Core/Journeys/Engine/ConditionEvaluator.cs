using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;

namespace Cairn.Core.Journeys.Engine;

/// <summary>A past event as conditions see it: its name (as counted in the profile), time and properties.</summary>
public sealed class PastEvent
{
    // The stored message, until something asks for its properties; then the properties, boxed so that concurrent
    // readers never see a half-written value.
    private readonly string? _message;
    private StrongBox<JsonElement?>? _properties;

    /// <summary>An event whose properties are at hand.</summary>
    public PastEvent(string name, DateTimeOffset timestamp, JsonElement? properties)
    {
        Name = name;
        Timestamp = timestamp;
        _properties = new StrongBox<JsonElement?>(properties);
    }

    private PastEvent(string name, DateTimeOffset timestamp, string message)
    {
        Name = name;
        Timestamp = timestamp;
        _message = message;
    }

    /// <summary>
    /// A stored event whose properties are read from <paramref name="message"/> (the Segment message JSON) only when a
    /// condition asks for them: most history clauses look at names and times alone.
    /// </summary>
    public static PastEvent Stored(string name, DateTimeOffset timestamp, string message) => new(name, timestamp, message);

    /// <summary>The event name (a track event's name; <c>$page</c>, <c>$identify</c> … for the other types).</summary>
    public string Name { get; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Its properties, if any.</summary>
    public JsonElement? Properties => (Volatile.Read(ref _properties) ?? Read()).Value;

    private StrongBox<JsonElement?> Read()
    {
        using var document = JsonDocument.Parse(_message!);
        var properties = new StrongBox<JsonElement?>(document.RootElement.TryGetProperty("properties", out var value) ? value.Clone() : null);
        Volatile.Write(ref _properties, properties);
        return properties;
    }
}

/// <summary>What a condition is evaluated against.</summary>
/// <param name="Profile">The contact.</param>
/// <param name="Event">The event being matched (for <c>property</c> comparisons), if any.</param>
/// <param name="Payload">The trigger event or enrollment payload (for <c>payload</c> comparisons), if any.</param>
/// <param name="History">The contact's recent events, newest first (for <c>performed</c> within a window).</param>
/// <param name="Now">The decision's time.</param>
/// <param name="Message">The message being handled, if the input is one (for event criteria).</param>
public sealed record EvaluationContext(ContactState Profile, JsonElement? Event, JsonElement? Payload, IReadOnlyList<PastEvent> History, DateTimeOffset Now, SegmentMessage? Message = null);

/// <summary>
/// Evaluates journey conditions. Tags are the <c>tags</c> trait (a list), the lifecycle stage the
/// <c>lifecycle_stage</c> trait. A missing value fails every comparison except <c>ne</c>, <c>not_in</c> and
/// <c>not_exists</c>.
/// </summary>
public static class ConditionEvaluator
{
    /// <summary>The trait holding a contact's tags.</summary>
    public const string TagsTrait = "tags";

    /// <summary>The trait holding a contact's lifecycle stage.</summary>
    public const string StageTrait = "lifecycle_stage";

    /// <summary>True when <paramref name="condition"/> holds in <paramref name="context"/>.</summary>
    /// <remarks>
    /// Recurses as deep as the condition nests (<c>where</c> filters included), which reading the document bounded
    /// at <see cref="DocumentLimits.MaxConditionDepth"/>.
    /// </remarks>
    public static bool Holds(Condition condition, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(context);
        return condition switch
        {
            AllCondition all => all.Conditions.All(child => Holds(child, context)),
            AnyCondition any => any.Conditions.Any(child => Holds(child, context)),
            NotCondition not => !Holds(not.Condition, context),
            Comparison { Operator: ComparisonOperator.WithinLast or ComparisonOperator.WithinNext } window => Window(window, context) is var (from, to)
                && Date(Read(window, context)) is { } date && date >= from && date <= to,
            Comparison comparison => Compare(Read(comparison, context), comparison.Operator, comparison.Value),
            SegmentCondition member => context.Profile.Segments.ContainsKey(member.Segment),
            TagCondition tag => Tags(context.Profile).Contains(tag.Tag),
            StageCondition stage => context.Profile.TraitString(StageTrait) == stage.Stage,
            PerformedCondition performed => Performed(performed, context),
            ScoreCondition score => Score(score, context),
            OccurrenceCondition occurrence => Occurrence(occurrence, context),
            ConsentCondition consent => Consent.Consents.StateOf(context.Profile.Consents, consent.Channel, consent.Group) == consent.State,
            AggregateCondition aggregate => AggregateOf(aggregate, context) is { } value && CompareNumbers(value, aggregate.Operator, aggregate.Value),
            EventCondition happened => context.Message is { } message && Matches(message, happened.Event, happened.Where, context),
            _ => throw new InvalidOperationException($"Unknown condition {condition.GetType().Name}."),
        };
    }

    /// <summary>True when a message is the event a trigger, wait_for, exit or goal names, and matches its filter.</summary>
    public static bool Matches(SegmentMessage message, string eventName, Condition? where, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        return ContactDecider.CounterName(message) == eventName && (where is null || Holds(where, context with { Event = message.Properties }));
    }

    /// <summary>The contact's tags.</summary>
    public static IReadOnlySet<string> Tags(ContactState profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return profile.Traits.TryGetValue(TagsTrait, out var tags) && tags.Value.ValueKind == JsonValueKind.Array
            ? tags.Value.EnumerateArray().Where(tag => tag.ValueKind == JsonValueKind.String).Select(tag => tag.GetString()!).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
    }

    private static bool Performed(PerformedCondition performed, EvaluationContext context)
    {
        long count;
        if (performed.Within is null && performed.Where is null)
        {
            count = context.Profile.EventCounts.GetValueOrDefault(performed.Event);
        }
        else if (performed.Where is null)
        {
            // Counted only as far as the answer needs: past at_most, or up to at_least.
            var since = performed.Within is { } window ? context.Now - window : DateTimeOffset.MinValue;
            count = Matching(performed.Event, performed.Where, context, since).Take(performed.AtMost is { } atMost ? atMost + 1 : performed.AtLeast).Count();
        }
        else
        {
            // A filter reads every event of the window (the fold stops at the bound, newest first).
            count = PerformedFold.Of(performed, context).CountSince(performed.Within is { } window ? context.Now - window : DateTimeOffset.MinValue);
        }

        return count >= performed.AtLeast && (performed.AtMost is not { } most || count <= most);
    }

    /// <summary>The contact's score in the model at the context's time (0 before anything scored).</summary>
    public static double ScoreOf(string model, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Profile.Scores.TryGetValue(model, out var score) ? score.ValueAt(context.Now) : 0;
    }

    private static bool Score(ScoreCondition condition, EvaluationContext context) => CompareNumbers(ScoreOf(condition.Model, context), condition.Operator, condition.Value);

    private static bool CompareNumbers(double actual, ComparisonOperator op, double expected) => op switch
    {
        ComparisonOperator.Eq => actual == expected,
        ComparisonOperator.Ne => actual != expected,
        ComparisonOperator.Gt => actual > expected,
        ComparisonOperator.Gte => actual >= expected,
        ComparisonOperator.Lt => actual < expected,
        _ => actual <= expected,
    };

    /// <summary>
    /// The events a history condition looks at: <paramref name="name"/> matching <paramref name="where"/>, newest
    /// first, at or after <paramref name="since"/> (the history is newest first: the older ones are not looked at).
    /// </summary>
    public static IEnumerable<PastEvent> Matching(string name, Condition? where, EvaluationContext context, DateTimeOffset? since = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var named = Named(name, context);
        var recent = since is { } from ? named.TakeWhile(past => past.Timestamp >= from) : named;
        return recent.Where(past => past.Name == name && (where is null || Holds(where, context with { Event = past.Properties })));
    }

    // The history's events of one name: read from its grouping when it has one (see PastEvents).
    private static IReadOnlyList<PastEvent> Named(string name, EvaluationContext context) =>
        context.History is PastEvents grouped ? grouped.Named(name) : context.History;

    /// <summary>When the contact first (or last) performed the event, as far as its history goes; null when it never did.</summary>
    public static DateTimeOffset? OccurredAt(OccurrenceCondition condition, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return OccurrenceFold.Of(condition, context).At;
    }

    private static bool Occurrence(OccurrenceCondition condition, EvaluationContext context) =>
        OccurredAt(condition, context) is { } at
        && (condition.Within is not { } within || at >= context.Now - within)
        && (condition.Before is not { } before || at < context.Now - before)
        && (condition.Since is not { } since || at >= since)
        && (condition.Until is not { } until || at < until)
        && (condition.NotFollowedBy is not { } closer || !Named(closer, context).Any(past => past.Name == closer && past.Timestamp >= at && past.Timestamp <= context.Now));

    /// <summary>
    /// The aggregate's value now; null when there is nothing to aggregate (min, max, average of no values). A distinct
    /// count is counted one past the value it is compared with (the comparison is decided there).
    /// </summary>
    public static double? AggregateOf(AggregateCondition condition, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return AggregateFold.Of(condition, context).Value;
    }

    /// <summary>The time range a <c>within_last</c> / <c>within_next</c> comparison accepts now.</summary>
    public static (DateTimeOffset From, DateTimeOffset To) Window(Comparison comparison, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        ArgumentNullException.ThrowIfNull(context);
        var span = comparison.Value is { ValueKind: JsonValueKind.String } text && Duration.TryParse(text.GetString(), out var parsed, out _) ? parsed : TimeSpan.Zero;
        return comparison.Operator == ComparisonOperator.WithinLast ? (context.Now - span, context.Now) : (context.Now, context.Now + span);
    }

    /// <summary>A JSON value as a point in time: ISO 8601 text (a date alone is midnight UTC), or null.</summary>
    public static DateTimeOffset? Date(JsonElement? value) =>
        value is { ValueKind: JsonValueKind.String } text
        && DateTimeOffset.TryParse(text.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : null;

    /// <summary>What a comparison reads in <paramref name="context"/>.</summary>
    public static JsonElement? Read(Comparison comparison, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        ArgumentNullException.ThrowIfNull(context);
        return comparison.Subject switch
        {
            Subject.Trait => context.Profile.Traits.TryGetValue(comparison.Path, out var trait) ? trait.Value : null,
            Subject.Property => Path(context.Event, comparison.Path),
            _ => Path(context.Payload, comparison.Path),
        };
    }

    /// <summary>Follows a dotted path into a JSON object.</summary>
    public static JsonElement? Path(JsonElement? root, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var current = root;
        foreach (var part in path.Split('.'))
        {
            if (current is not { ValueKind: JsonValueKind.Object } value || !value.TryGetProperty(part, out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    private static bool Compare(JsonElement? actual, ComparisonOperator op, JsonElement? expected)
    {
        var present = actual is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) };
        switch (op)
        {
            case ComparisonOperator.Exists:
                return present;
            case ComparisonOperator.NotExists:
                return !present;
            case ComparisonOperator.Ne:
                return !present || !Equal(actual!.Value, expected!.Value);
            case ComparisonOperator.NotIn:
                return !present || !expected!.Value.EnumerateArray().Any(item => Equal(actual!.Value, item));
        }

        if (!present)
        {
            return false;
        }

        var value = actual!.Value;
        var constant = expected!.Value;
        return op switch
        {
            ComparisonOperator.Eq => Equal(value, constant),
            ComparisonOperator.In => constant.EnumerateArray().Any(item => Equal(value, item)),
            ComparisonOperator.Contains => value.ValueKind switch
            {
                JsonValueKind.String => constant.ValueKind == JsonValueKind.String && value.GetString()!.Contains(constant.GetString()!, StringComparison.Ordinal),
                JsonValueKind.Array => value.EnumerateArray().Any(item => Equal(item, constant)),
                _ => false,
            },
            ComparisonOperator.StartsWith => value.ValueKind == JsonValueKind.String && constant.ValueKind == JsonValueKind.String
                && value.GetString()!.StartsWith(constant.GetString()!, StringComparison.Ordinal),
            _ => Order(value, constant) is { } order && op switch
            {
                ComparisonOperator.Gt => order > 0,
                ComparisonOperator.Gte => order >= 0,
                ComparisonOperator.Lt => order < 0,
                _ => order <= 0,
            },
        };
    }

    private static bool Equal(JsonElement left, JsonElement right) =>
        (left.ValueKind, right.ValueKind) switch
        {
            (JsonValueKind.Number, JsonValueKind.Number) => left.GetDecimal() == right.GetDecimal(),
            (JsonValueKind.String, JsonValueKind.String) => left.GetString() == right.GetString(),
            (JsonValueKind.True or JsonValueKind.False, JsonValueKind.True or JsonValueKind.False) => left.ValueKind == right.ValueKind,
            (JsonValueKind.String, JsonValueKind.Number) => decimal.TryParse(left.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number == right.GetDecimal(),
            _ => JsonElement.DeepEquals(left, right),
        };

    /// <summary>Numbers by value, dates (ISO 8601 text) by time; null when the two cannot be ordered.</summary>
    private static int? Order(JsonElement left, JsonElement right)
    {
        if (Number(left) is { } a && Number(right) is { } b)
        {
            return a.CompareTo(b);
        }

        return left.ValueKind == JsonValueKind.String && right.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(left.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var x)
            && DateTimeOffset.TryParse(right.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var y)
            ? x.CompareTo(y)
            : null;
    }

    private static decimal? Number(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => element.GetDecimal(),
        JsonValueKind.String when decimal.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => number,
        _ => null,
    };
}
