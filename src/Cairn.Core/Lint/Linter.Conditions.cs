using System.Collections.Immutable;
using Cairn.Core.Journeys;
using Cairn.Core.Segments;

namespace Cairn.Core.Lint;

/// <summary>What the linter can prove about conditions without a contact: sameness and contradiction of their parts.</summary>
public static partial class Linter
{
    /// <summary>The parts that must all hold: the condition itself, or the members of an <c>all</c>, flattened (depth-limited).</summary>
    private static List<Condition> Conjuncts(Condition? condition)
    {
        var conjuncts = new List<Condition>();
        void Add(Condition? part, int depth)
        {
            if (part is null || depth > DocumentLimits.MaxConditionDepth)
            {
                return;
            }

            if (part is AllCondition all)
            {
                foreach (var member in all.Conditions)
                {
                    Add(member, depth + 1);
                }
            }
            else
            {
                conjuncts.Add(part);
            }
        }

        Add(condition, 0);
        return conjuncts;
    }

    /// <summary>What everyone a journey lets in meets: its audience's conjuncts, and the segment a <c>segment_entered</c> trigger names.</summary>
    private static List<Condition> AtEntry(JourneyDefinition journey)
    {
        var conjuncts = Conjuncts(journey.Entry.Audience);
        if (journey.Trigger is EventTrigger { Event: SegmentDefinition.EnteredEvent } trigger)
        {
            conjuncts.AddRange(Conjuncts(trigger.Where)
                .OfType<Comparison>()
                .Where(comparison => comparison is { Subject: Journeys.Subject.Property, Path: "segment", Operator: ComparisonOperator.Eq, Value.ValueKind: System.Text.Json.JsonValueKind.String })
                .Select(comparison => new SegmentCondition(comparison.Value!.Value.GetString()!, comparison.Location)));
        }

        return conjuncts;
    }

    /// <summary>True when the two conditions say the same (written alike; locations aside).</summary>
    private static bool Same(Condition? left, Condition? right, int depth = 0)
    {
        if (depth > DocumentLimits.MaxConditionDepth)
        {
            return false;
        }

        bool All(ImmutableArray<Condition> a, ImmutableArray<Condition> b) => a.Length == b.Length && a.Zip(b).All(pair => Same(pair.First, pair.Second, depth + 1));
        bool Values(System.Text.Json.JsonElement? a, System.Text.Json.JsonElement? b) =>
            a is null ? b is null : b is not null && System.Text.Json.JsonElement.DeepEquals(a.Value, b.Value);

        return (left, right) switch
        {
            (null, null) => true,
            (AllCondition a, AllCondition b) => All(a.Conditions, b.Conditions),
            (AnyCondition a, AnyCondition b) => All(a.Conditions, b.Conditions),
            (NotCondition a, NotCondition b) => Same(a.Condition, b.Condition, depth + 1),
            (Comparison a, Comparison b) => a.Subject == b.Subject && a.Path == b.Path && a.Operator == b.Operator && Values(a.Value, b.Value),
            (TagCondition a, TagCondition b) => a.Tag == b.Tag,
            (StageCondition a, StageCondition b) => a.Stage == b.Stage,
            (SegmentCondition a, SegmentCondition b) => a.Segment == b.Segment,
            (ConsentCondition a, ConsentCondition b) => a.Channel == b.Channel && a.Group == b.Group && a.State == b.State,
            (ScoreCondition a, ScoreCondition b) => a.Model == b.Model && a.Operator == b.Operator && a.Value.Equals(b.Value),
            (PerformedCondition a, PerformedCondition b) => a.Event == b.Event && a.AtLeast == b.AtLeast && a.AtMost == b.AtMost && a.Within == b.Within && Same(a.Where, b.Where, depth + 1),
            _ => false,
        };
    }

    /// <summary>True when no contact can meet both parts: a trait equal to two values, a tag had and not had, two stages, two consent states.</summary>
    private static bool Contradict(Condition left, Condition right)
    {
        static bool Values(Comparison a, Comparison b) => a.Value is { } x && b.Value is { } y && System.Text.Json.JsonElement.DeepEquals(x, y);

        return (left, right) switch
        {
            (NotCondition a, _) when Same(a.Condition, right) => true,
            (_, NotCondition b) when Same(left, b.Condition) => true,
            (Comparison a, Comparison b) when a.Subject == b.Subject && a.Path == b.Path => (a.Operator, b.Operator) switch
            {
                (ComparisonOperator.Eq, ComparisonOperator.Eq) => !Values(a, b),
                (ComparisonOperator.Eq, ComparisonOperator.Ne) or (ComparisonOperator.Ne, ComparisonOperator.Eq) => Values(a, b),
                (ComparisonOperator.Exists, ComparisonOperator.NotExists) or (ComparisonOperator.NotExists, ComparisonOperator.Exists) => true,
                (ComparisonOperator.Eq, ComparisonOperator.NotExists) or (ComparisonOperator.NotExists, ComparisonOperator.Eq) => true,
                _ => false,
            },
            (StageCondition a, StageCondition b) => a.Stage != b.Stage,
            (ConsentCondition a, ConsentCondition b) => a.Channel == b.Channel && a.Group == b.Group && a.State != b.State,
            _ => false,
        };
    }

    /// <summary>True when the conjunctions provably share no contact.</summary>
    private static bool Disjoint(IReadOnlyList<Condition> left, IReadOnlyList<Condition> right) =>
        left.Any(a => right.Any(b => Contradict(a, b)));
}
