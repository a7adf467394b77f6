using Cairn.Core.Scoring;
using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>Scoring model documents (<c>kind: scoring_model</c>) and the <c>score</c> condition.</summary>
public static partial class DocumentParser
{
    /// <summary>The document kind of scoring models.</summary>
    public const string ScoringKind = "scoring_model";

    private const double MaxPoints = 1_000_000;

    private static ScoringModel? ReadScoringModel(YamlMappingNode root, DocumentReader reader)
    {
        reader.OnlyKeys(root, "kind", "id", "name", "description", "half_life", "rules", "fit", "thresholds", "lifecycle");
        var id = ReadId(root, reader, "scoring model");
        var name = reader.String(root, "name", required: true) ?? string.Empty;
        var description = reader.String(root, "description", required: false);
        var halfLife = reader.Duration(root, "half_life", required: false);
        if (halfLife is { } half && half <= TimeSpan.Zero)
        {
            reader.Error(DocumentReader.Get(root, "half_life")!, "'half_life' must be longer than zero");
        }

        var ruleIds = new HashSet<string>(StringComparer.Ordinal);
        void Unique(YamlMappingNode rule, string? ruleId)
        {
            if (ruleId is not null && !ruleIds.Add(ruleId))
            {
                reader.Error(rule, $"the rule id '{ruleId}' is used twice in this model");
            }
        }

        var rules = new List<BehaviourRule>();
        foreach (var node in reader.Sequence(DocumentReader.Get(root, "rules"), "rules"))
        {
            if (reader.Mapping(node, "a rule") is not { } rule)
            {
                continue;
            }

            reader.OnlyKeys(rule, "id", "event", "where", "points", "cap");
            var ruleId = ReadId(rule, reader, "rule");
            Unique(rule, ruleId);
            var eventName = reader.String(rule, "event", required: true, "a rule");
            var where = ReadOptionalCondition(rule, "where", reader, Subject.Property);
            foreach (var leaf in Segments.SegmentConditions.Leaves(where).Where(leaf => leaf is not Comparison { Subject: Subject.Property }))
            {
                reader.Error(leaf.Location.Line, "a rule's 'where' compares the event's properties ('property: ...')");
            }

            var points = ReadPoints(rule, reader);
            ScoreCap? cap = null;
            if (DocumentReader.Get(rule, "cap") is { } capNode && reader.Mapping(capNode, "'cap'") is { } capMap)
            {
                reader.OnlyKeys(capMap, "points", "per");
                var capPoints = reader.Number(capMap, "points", 0.000001, MaxPoints);
                var per = reader.Duration(capMap, "per", required: true);
                if (capPoints is null && !DocumentReader.Has(capMap, "points"))
                {
                    reader.Error(capMap, "'points' is required for a cap (the most points per period)");
                }

                cap = capPoints is { } most && per is { } period ? new ScoreCap(most, period) : null;
            }

            if (ruleId is not null && eventName is not null && points is { } value)
            {
                rules.Add(new BehaviourRule(ruleId, eventName, where, value, cap, DocumentReader.Location(rule)));
            }
        }

        var fit = new List<FitRule>();
        foreach (var node in reader.Sequence(DocumentReader.Get(root, "fit"), "fit"))
        {
            if (reader.Mapping(node, "a fit rule") is not { } rule)
            {
                continue;
            }

            reader.OnlyKeys(rule, "id", "when", "points");
            var ruleId = ReadId(rule, reader, "rule");
            Unique(rule, ruleId);
            var when = ReadOptionalCondition(rule, "when", reader, Subject.Trait);
            if (when is null && !DocumentReader.Has(rule, "when"))
            {
                reader.Error(rule, "'when' is required for a fit rule (a condition over traits)");
            }

            foreach (var leaf in Segments.SegmentConditions.Leaves(when))
            {
                if (leaf is not (Comparison { Subject: Subject.Trait, Operator: not (ComparisonOperator.WithinLast or ComparisonOperator.WithinNext) } or TagCondition))
                {
                    reader.Error(leaf.Location.Line, "a fit rule compares traits or tags (not events, stages, scores, segments or moving date ranges)");
                }
            }

            var points = ReadPoints(rule, reader);
            if (ruleId is not null && when is not null && points is { } value)
            {
                fit.Add(new FitRule(ruleId, when, value, DocumentReader.Location(rule)));
            }
        }

        if (rules.Count == 0 && fit.Count == 0 && !reader.Errors.Any())
        {
            reader.Error(root, "a scoring model needs at least one rule in 'rules' or 'fit'");
        }

        var lifecycle = ScoringModel.DefaultLifecycle;
        if (DocumentReader.Get(root, "lifecycle") is { } lifecycleNode)
        {
            var stages = reader.Sequence(lifecycleNode, "lifecycle").Select(stage => reader.Scalar(stage, "a lifecycle stage")).OfType<string>().ToList();
            if (stages.Count == 0 || stages.Distinct(StringComparer.Ordinal).Count() != stages.Count)
            {
                reader.Error(lifecycleNode, "'lifecycle' lists the stages in order, each once");
            }

            lifecycle = [.. stages];
        }

        var thresholds = new List<ScoreThreshold>();
        foreach (var node in reader.Sequence(DocumentReader.Get(root, "thresholds"), "thresholds"))
        {
            if (reader.Mapping(node, "a threshold") is not { } threshold)
            {
                continue;
            }

            reader.OnlyKeys(threshold, "at", "stage");
            var at = reader.Number(threshold, "at", -MaxPoints, MaxPoints);
            if (at is null && !DocumentReader.Has(threshold, "at"))
            {
                reader.Error(threshold, "'at' is required for a threshold (the score)");
            }

            var stage = reader.String(threshold, "stage", required: false);
            if (stage is not null && !lifecycle.Contains(stage))
            {
                reader.Error(DocumentReader.Get(threshold, "stage")!, $"the stage '{stage}' is not in the lifecycle ({string.Join(", ", lifecycle)})");
            }

            if (at is { } value)
            {
                if (thresholds.Count > 0 && value <= thresholds[^1].At)
                {
                    reader.Error(threshold, "thresholds must be listed in ascending order of 'at', each once");
                }

                thresholds.Add(new ScoreThreshold(value, stage));
            }
        }

        return id is null
            ? null
            : new ScoringModel(id, name, description, halfLife, [.. rules], [.. fit], [.. thresholds], lifecycle, DocumentReader.Location(root));
    }

    private static double? ReadPoints(YamlMappingNode rule, DocumentReader reader)
    {
        var points = reader.Number(rule, "points", -MaxPoints, MaxPoints);
        if (points is null && !DocumentReader.Has(rule, "points"))
        {
            reader.Error(rule, "'points' is required (negative points subtract)");
        }
        else if (points == 0)
        {
            reader.Error(DocumentReader.Get(rule, "points")!, "'points' must not be 0");
            return null;
        }

        return points;
    }

    private static ScoreCondition? ReadScoreCondition(YamlMappingNode map, DocumentReader reader)
    {
        reader.OnlyKeys(map, "score", "op", "value");
        var model = reader.String(map, "score", required: true);
        var op = ReadNumericOperator(map, reader, equality: false);
        var value = reader.Number(map, "value", -MaxPoints, MaxPoints);
        if (value is null && !DocumentReader.Has(map, "value"))
        {
            reader.Error(map, "'value' is required: the score to compare with");
        }

        return model is null || op is null || value is null ? null : new ScoreCondition(model, op.Value, value.Value, DocumentReader.Location(map));
    }
}
