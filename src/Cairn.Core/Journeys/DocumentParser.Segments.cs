using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>Segment documents (<c>kind: segment</c>): a condition over traits and history, or a static list.</summary>
public static partial class DocumentParser
{
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
}
