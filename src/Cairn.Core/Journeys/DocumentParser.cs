using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>
/// Reads Cairn's documents (YAML, or JSON, a subset of YAML): journeys (the default kind), templates, segments, scoring
/// models, sales teams and the orchestrator policy, each into its <see cref="ParsedDocument"/>. Every error is reported
/// with its line and step; nothing stops at the first one. Every document is read within <see cref="DocumentLimits"/>.
/// </summary>
public static partial class DocumentParser
{
    /// <summary>The document kind of journeys (the kind of a document that names none).</summary>
    public const string JourneyKind = "journey";

    /// <summary>The document kind of message templates.</summary>
    public const string TemplateKind = "template";

    /// <summary>The document kind of segments.</summary>
    public const string SegmentKind = "segment";

    /// <summary>Reads one document.</summary>
    /// <param name="text">The document's text.</param>
    /// <param name="source">Its file or other source name, which errors name.</param>
    /// <returns>The definition of its kind, or an <see cref="InvalidDocument"/> with every error.</returns>
    public static ParsedDocument Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        var reader = new DocumentReader(source);
        var root = DocumentReader.Load(text, reader);
        if (root is null)
        {
            return new InvalidDocument(source, JourneyKind, [.. reader.Errors]);
        }

        var kind = reader.String(root, "kind", required: false) ?? JourneyKind;
        ParsedDocument Read<TDefinition>(TDefinition? definition, Func<TDefinition, ParsedDocument> parsed)
            where TDefinition : class
        {
            if (reader.Errors.Count == 0 && definition is not null)
            {
                return parsed(definition);
            }

            if (reader.Errors.Count == 0)
            {
                // Every reader reports why it returns nothing; this keeps a document that slipped through from
                // vanishing without a word.
                reader.Error(root, $"the document could not be read as a {kind}");
            }

            return new InvalidDocument(source, kind, [.. reader.Errors]);
        }

        switch (kind)
        {
            case JourneyKind:
                return Read(ReadJourney(root, reader), journey => new ParsedJourney(source, journey));
            case TemplateKind:
                return Read(ReadTemplate(root, reader), template => new ParsedTemplate(source, template));
            case SegmentKind:
                return Read(ReadSegment(root, reader), segment => new ParsedSegment(source, segment));
            case ScoringKind:
                return Read(ReadScoringModel(root, reader), model => new ParsedScoringModel(source, model));
            case SalesTeamKind:
                return Read(ReadSalesTeam(root, reader), team => new ParsedSalesTeam(source, team));
            case PolicyKind:
                return Read(ReadPolicy(root, reader), policy => new ParsedPolicy(source, policy));
            default:
                reader.Error(DocumentReader.Get(root, "kind")!, $"unknown kind '{kind}' (journey, template, segment, {ScoringKind}, {SalesTeamKind} or {PolicyKind})");
                return new InvalidDocument(source, kind, [.. reader.Errors]);
        }
    }

    /// <summary>
    /// Reads a document that must be valid and of one kind — a shipped example, a test's fixture — and throws
    /// <see cref="FormatException"/> naming its errors when it is not. Input from users goes through
    /// <see cref="Parse(string, string)"/>, whose errors are answers, not exceptions.
    /// </summary>
    /// <typeparam name="TDocument">The kind expected (<see cref="ParsedSegment"/>, <see cref="ParsedTemplate"/> …).</typeparam>
    /// <param name="text">The document's text.</param>
    /// <param name="source">Its file or other source name.</param>
    public static TDocument Parse<TDocument>(string text, string source)
        where TDocument : ParsedDocument => Parse(text, source) switch
        {
            TDocument document => document,
            InvalidDocument invalid => throw new FormatException($"{source} is not a valid {invalid.Kind}: {string.Join("; ", invalid.Errors)}"),
            var other => throw new FormatException($"{source} is a {other.Kind}, not a {typeof(TDocument).Name}."),
        };

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,99}$")]
    private static partial Regex IdPattern();

    private static string? ReadId(YamlMappingNode map, DocumentReader reader, string what)
    {
        var id = reader.String(map, "id", required: true, what);
        if (id is not null && !IdPattern().IsMatch(id))
        {
            reader.Error(DocumentReader.Get(map, "id")!, $"the {what} id '{id}' must be lower-case letters, digits, '-' or '_' (at most 100)");
            return null;
        }

        return id;
    }

    private static JourneyCategory ReadCategory(YamlMappingNode root, DocumentReader reader)
    {
        var text = reader.String(root, "category", required: false) ?? "promotional";
        return CategoryNamed(text, DocumentReader.Get(root, "category"), reader);
    }

    private static JourneyCategory CategoryNamed(string text, YamlNode? node, DocumentReader reader)
    {
        switch (text)
        {
            case "transactional":
                return JourneyCategory.Transactional;
            case "promotional":
                return JourneyCategory.Promotional;
            case "operational":
                return JourneyCategory.Operational;
            default:
                reader.Error(node!, $"unknown category '{text}' (transactional, promotional or operational)");
                return JourneyCategory.Promotional;
        }
    }

    private static Channel? ReadChannel(YamlMappingNode map, DocumentReader reader, bool required = true)
    {
        var text = reader.String(map, "channel", required);
        var channel = Channels.Parse(text);
        if (text is not null && channel is null)
        {
            reader.Error(DocumentReader.Get(map, "channel")!, $"unknown channel '{text}' (email, sms, push, webhook or in_app)");
        }

        return channel;
    }
}
