namespace Cairn.Core.Journeys;

/// <summary>
/// The limits every document (journey, template, segment, scoring model, sales team, policy) is read within, checked
/// before anything recurses over it: a document past them is an error with its line, never a stack overflow. Real
/// documents stay far below each one.
/// </summary>
public static class DocumentLimits
{
    /// <summary>
    /// How deep lists and mappings may nest in a document, counting the document's own mapping: 128. Checked over the
    /// YAML event stream before the document is loaded (YamlDotNet builds its nodes recursively).
    /// </summary>
    public const int MaxNesting = 128;

    /// <summary>
    /// How deep conditions may nest: every <c>all</c>, <c>any</c>, <c>not</c>, list and <c>where</c> is a level, the
    /// outermost condition the first: 32.
    /// </summary>
    public const int MaxConditionDepth = 32;

    /// <summary>
    /// How deep a value may nest (a comparison's <c>value</c>, an update step's <c>value</c>, a template's
    /// <c>sample</c>): 32, as event data (<see cref="Messages.MessageLimits.MaxDepth"/>), since such values become traits.
    /// </summary>
    public const int MaxValueDepth = Messages.MessageLimits.MaxDepth;

    /// <summary>
    /// How many values (scalars, lists and mappings) a document may hold once YAML aliases (<c>*name</c>) are expanded:
    /// 1,000,000 — more than a 1 MB document can hold without aliases.
    /// </summary>
    public const int MaxNodes = 1_000_000;

    /// <summary>The most steps one journey may have: 1,000.</summary>
    public const int MaxSteps = 1_000;
}
