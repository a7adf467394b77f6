using Cairn.Core.Segments;

namespace Cairn.Core.Journeys;

/// <summary>
/// What the documents being validated may refer to besides each other: the documents a workspace already holds (on a
/// server, the stored documents that are not archived). A document read replaces the known one of its kind and id.
/// </summary>
public sealed record KnownDocuments
{
    /// <summary>Nothing is known: the documents read must refer only to each other (<c>cairn validate</c>).</summary>
    public static KnownDocuments None { get; } = new();

    /// <summary>
    /// Nothing is known, and a reference to a document that is not among those read may be to one stored elsewhere
    /// (<c>cairn apply</c>, before it sends the documents to a server that checks them again): only what the documents
    /// say among themselves is checked.
    /// </summary>
    public static KnownDocuments Elsewhere { get; } = new() { Open = true };

    /// <summary>The templates, with the channel of each, by id.</summary>
    public IReadOnlyDictionary<string, Channel> Templates { get; init; } = new Dictionary<string, Channel>(StringComparer.Ordinal);

    /// <summary>The journey ids.</summary>
    public IReadOnlySet<string> Journeys { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The segments (their references to each other are followed to find cycles).</summary>
    public IReadOnlyCollection<SegmentDefinition> Segments { get; init; } = [];

    /// <summary>The scoring model ids.</summary>
    public IReadOnlySet<string> ScoringModels { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>True when what is known is not everything: a reference to an unknown document is not an error. False by default.</summary>
    public bool Open { get; init; }
}
