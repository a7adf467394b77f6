using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>History conditions beyond <c>performed</c>: first / last occurrence, aggregates, message engagement.</summary>
public static partial class DocumentParser
{
    /// <summary>The engagement verbs and the event suffix each reads (<c>email_opened</c>, <c>sms_delivered</c>, …).</summary>
    private static readonly Dictionary<string, string> Engagements = new(StringComparer.Ordinal)
    {
        ["opened"] = "opened",
        ["clicked"] = "clicked",
        ["received"] = "delivered",
    };

    private static OccurrenceCondition? ReadOccurrence(YamlMappingNode map, DocumentReader reader)
    {
        var first = DocumentReader.Has(map, "first_performed");
        var key = first ? "first_performed" : "last_performed";
        reader.OnlyKeys(map, key, "where", "within", "before", "after", "not_followed_by");
        var name = reader.String(map, key, required: true);
        var notFollowedBy = reader.String(map, "not_followed_by", required: false);
        if (notFollowedBy is not null && first)
        {
            reader.Error(DocumentReader.Get(map, "not_followed_by")!, "'not_followed_by' goes with 'last_performed'");
        }
        var where = ReadOptionalCondition(map, "where", reader, Subject.Property);
        var within = reader.Duration(map, "within", required: false);
        var (before, until) = ReadSpanOrDate(map, "before", reader);
        var (after, since) = ReadSpanOrDate(map, "after", reader);
        if (!DocumentReader.Has(map, "within") && !DocumentReader.Has(map, "before") && !DocumentReader.Has(map, "after") && notFollowedBy is null)
        {
            reader.Error(map, $"'{key}' needs 'within' (in the last …), 'before' (longer ago than …, or before a date), 'after' (a date) and/or 'not_followed_by' (an event that did not come after it)");
            return null;
        }

        if (within is not null && after is not null)
        {
            reader.Error(map, "'after' with a duration is 'within'; give one of them");
        }

        return name is null ? null : new OccurrenceCondition(name, where, first, within ?? after, before, DocumentReader.Location(map)) { Since = since, Until = until, NotFollowedBy = notFollowedBy };
    }

    /// <summary>A value that is either a duration back from now (<c>90d</c>) or a date (<c>2026-01-01</c>).</summary>
    private static (TimeSpan? Span, DateTimeOffset? Date) ReadSpanOrDate(YamlMappingNode map, string key, DocumentReader reader)
    {
        if (reader.String(map, key, required: false) is not { } text)
        {
            return (null, null);
        }

        if (Duration.TryParse(text, out var span, out _))
        {
            return (span, null);
        }

        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var date))
        {
            return (null, date);
        }

        reader.Error(DocumentReader.Get(map, key)!, $"'{key}' is a duration (e.g. 90d) or a date (e.g. 2026-01-01), not '{text}'");
        return (null, null);
    }

    private static AggregateCondition? ReadAggregate(YamlMappingNode map, DocumentReader reader)
    {
        reader.OnlyKeys(map, "aggregate", "of", "event", "where", "within", "op", "value");
        var functionText = reader.String(map, "aggregate", required: true);
        Aggregate? function = functionText switch
        {
            "sum" => Aggregate.Sum,
            "count" => Aggregate.Count,
            "distinct" => Aggregate.Distinct,
            "min" => Aggregate.Min,
            "max" => Aggregate.Max,
            "avg" or "average" => Aggregate.Average,
            _ => null,
        };
        if (function is null && functionText is not null)
        {
            reader.Error(DocumentReader.Get(map, "aggregate")!, $"aggregate is sum, count, distinct, min, max or avg, not '{functionText}'");
        }

        var eventName = reader.String(map, "event", required: true, "an aggregate");
        var property = reader.String(map, "of", required: false);
        if (property is null && function is not (null or Aggregate.Count))
        {
            reader.Error(map, $"'{functionText}' needs 'of': the event property to aggregate (a dotted path)");
        }

        var where = ReadOptionalCondition(map, "where", reader, Subject.Property);
        var within = reader.Duration(map, "within", required: false);
        var op = ReadNumericOperator(map, reader, equality: true);
        var value = reader.Number(map, "value", double.MinValue, double.MaxValue);
        if (value is null && !DocumentReader.Has(map, "value"))
        {
            reader.Error(map, "'value' is required: the number to compare the aggregate with");
        }

        return function is null || eventName is null || op is null || value is null || (property is null && function != Aggregate.Count)
            ? null
            : new AggregateCondition(function.Value, eventName, property, where, within, op.Value, value.Value, DocumentReader.Location(map));
    }

    /// <summary><c>engaged: opened | clicked | received</c> (of a channel's messages, optionally one template's) within a span: a <c>performed</c> over the messaging events.</summary>
    private static PerformedCondition? ReadEngagement(YamlMappingNode map, DocumentReader reader)
    {
        reader.OnlyKeys(map, "engaged", "channel", "template", "within", "at_least");
        var verb = reader.String(map, "engaged", required: true);
        if (verb is not null && !Engagements.ContainsKey(verb))
        {
            reader.Error(DocumentReader.Get(map, "engaged")!, $"engaged is opened, clicked or received, not '{verb}'");
            return null;
        }

        var channel = ReadChannel(map, reader, required: false) ?? Channel.Email;
        var template = reader.String(map, "template", required: false);
        var within = reader.Duration(map, "within", required: false);
        var atLeast = reader.Integer(map, "at_least", 1, 1_000_000) ?? 1;
        var location = DocumentReader.Location(map);
        var where = template is null
            ? null
            : new Comparison(Subject.Property, "template", ComparisonOperator.Eq, System.Text.Json.JsonSerializer.SerializeToElement(template), location);
        return verb is null ? null : new PerformedCondition($"{channel.DocumentName()}_{Engagements[verb]}", where, atLeast, null, within, location);
    }

    /// <summary><c>consent: email</c> (and optionally <c>group</c>, <c>state</c>: opted_in, opted_out, pending or never_asked).</summary>
    private static ConsentCondition? ReadConsent(YamlMappingNode map, DocumentReader reader)
    {
        reader.OnlyKeys(map, "consent", "group", "state");
        var channel = reader.String(map, "consent", required: true);
        if (channel is not null && !Consent.Consents.IsChannel(channel))
        {
            reader.Error(DocumentReader.Get(map, "consent")!, $"unknown channel '{channel}' ({string.Join(", ", Consent.Consents.ChannelNames)})");
            return null;
        }

        var stateText = reader.String(map, "state", required: false) ?? "opted_in";
        var state = Consent.Consents.Parse(stateText);
        if (state is null)
        {
            reader.Error(DocumentReader.Get(map, "state")!, $"state is opted_in, opted_out, pending or never_asked, not '{stateText}'");
        }

        return channel is null || state is null ? null : new ConsentCondition(channel, reader.String(map, "group", required: false), state.Value, DocumentReader.Location(map));
    }

    /// <summary>The <c>op</c> of a comparison with a number (default <c>gte</c>); eq and ne only when <paramref name="equality"/> makes sense.</summary>
    private static ComparisonOperator? ReadNumericOperator(YamlMappingNode map, DocumentReader reader, bool equality)
    {
        var text = reader.String(map, "op", required: false) ?? "gte";
        ComparisonOperator? op = text switch
        {
            "eq" when equality => ComparisonOperator.Eq,
            "ne" when equality => ComparisonOperator.Ne,
            "gt" => ComparisonOperator.Gt,
            "gte" => ComparisonOperator.Gte,
            "lt" => ComparisonOperator.Lt,
            "lte" => ComparisonOperator.Lte,
            _ => null,
        };
        if (op is null)
        {
            reader.Error(DocumentReader.Get(map, "op")!, $"op is {(equality ? "eq, ne, " : string.Empty)}gt, gte, lt or lte, not '{text}'");
        }

        return op;
    }
}
