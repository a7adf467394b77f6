namespace Cairn.Core;

/// <summary>
/// The kinds of document Cairn stores: the <c>kind:</c> a document declares and the stored value of its kind. One
/// definition for the parser, the storage and the endpoints. The values are persisted: never rename one.
/// </summary>
public static class DocumentKind
{
    /// <summary>A journey (the default when a document declares no kind).</summary>
    public const string Journey = "journey";

    /// <summary>A message template.</summary>
    public const string Template = "template";

    /// <summary>A segment (a static list is a segment too).</summary>
    public const string Segment = "segment";

    /// <summary>A scoring model.</summary>
    public const string ScoringModel = "scoring_model";

    /// <summary>A sales team (routing, SLA and escalation of hand-offs).</summary>
    public const string SalesTeam = "sales_team";

    /// <summary>The orchestrator's policy (one per workspace).</summary>
    public const string Policy = "policy";
}
