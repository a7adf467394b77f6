using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>Conditions: lists, all / any / not, comparisons, history, consent, tags, stages, scores and segments.</summary>
public static partial class DocumentParser
{
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
            if (list.Children.Count == 0)
            {
                // Said, not skipped: an empty list once made a filter or a whole segment vanish without a word.
                reader.Error(list, "a list of conditions needs at least one condition");
                return null;
            }

            var all = list.Children.Select((child, index) => ReadCondition(child, reader, defaultSubject, $"[{index}]")).ToList();
            return all.Any(condition => condition is null) ? null : new AllCondition([.. all!], location);
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
