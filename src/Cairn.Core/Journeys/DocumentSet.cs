using System.Collections.Immutable;

namespace Cairn.Core.Journeys;

/// <summary>
/// Documents read together (a directory of journeys and templates, as <c>cairn validate</c> and <c>cairn apply</c>
/// see them): each is parsed, references between them are resolved, and every error is collected.
/// </summary>
public sealed record DocumentSet(ImmutableArray<JourneyDefinition> Journeys, ImmutableArray<TemplateDefinition> Templates, ImmutableArray<DocumentError> Errors)
{
    /// <summary>The segment documents.</summary>
    public ImmutableArray<Segments.SegmentDefinition> Segments { get; init; } = [];

    /// <summary>The scoring model documents.</summary>
    public ImmutableArray<Scoring.ScoringModel> ScoringModels { get; init; } = [];

    /// <summary>The sales team documents.</summary>
    public ImmutableArray<Sales.SalesTeam> SalesTeams { get; init; } = [];

    /// <summary>The orchestrator policies read (a workspace uses the one with id <c>default</c>).</summary>
    public ImmutableArray<Orchestration.Policy> Policies { get; init; } = [];

    /// <summary>
    /// What is allowed but probably should not be (e.g. a policy that lets promotional SMS go without an opt-in):
    /// reported beside the errors, never failing the documents.
    /// </summary>
    public ImmutableArray<DocumentError> Warnings { get; init; } = [];

    /// <summary>The warnings about one parsed document (see <see cref="Warnings"/>).</summary>
    public static IEnumerable<DocumentError> WarningsOf(ParsedDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return document is ParsedPolicy { Policy: var policy }
            ? policy.Warnings().Select(warning => new DocumentError(document.Source, policy.Location.Line, null, warning))
            : [];
    }

    /// <summary>Reads and validates <paramref name="documents"/> (source name and text of each).</summary>
    /// <param name="documents">The documents.</param>
    /// <param name="known">What exists besides them (e.g. on the server); <see cref="KnownDocuments.None"/> when null.</param>
    public static DocumentSet Read(IEnumerable<(string Source, string Text)> documents, KnownDocuments? known = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return Of([.. documents.Select(document => DocumentParser.Parse(document.Text, document.Source))], known);
    }

    /// <summary>
    /// Validates parsed documents together and against what is <paramref name="known"/>: the one validation of
    /// documents, for the CLI (a directory of files) and the server (one document against those it stores). Ids used
    /// twice, references to templates, journeys, segments and scoring models that do not exist, segments that refer to
    /// each other in a cycle, and each journey's graph.
    /// </summary>
    /// <param name="parsed">The parsed documents (invalid ones contribute their errors).</param>
    /// <param name="known">What exists besides them; <see cref="KnownDocuments.None"/> when null.</param>
    public static DocumentSet Of(IReadOnlyList<ParsedDocument> parsed, KnownDocuments? known = null)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        known ??= KnownDocuments.None;
        var errors = parsed.SelectMany(document => document.Errors).ToList();

        var templates = new Dictionary<string, Channel>(known.Templates, StringComparer.Ordinal);
        Sources<ParsedTemplate>(parsed, "template", errors);
        foreach (var document in parsed.OfType<ParsedTemplate>().DistinctBy(document => document.Template.Id, StringComparer.Ordinal))
        {
            templates[document.Template.Id] = document.Template.Channel;
        }

        var journeySources = Sources<ParsedJourney>(parsed, "journey", errors);
        var segments = parsed.OfType<ParsedSegment>().Select(document => document.Segment).ToList();
        Sources<ParsedSegment>(parsed, "segment", errors);
        errors.AddRange(SegmentErrors(parsed, known));

        var modelSources = Sources<ParsedScoringModel>(parsed, "scoring model", errors);
        Sources<ParsedSalesTeam>(parsed, "sales team", errors);
        if (!known.Open)
        {
            var models = modelSources.Keys.Concat(known.ScoringModels).ToHashSet(StringComparer.Ordinal);
            errors.AddRange(parsed.SelectMany(document => Conditions(document)
                .SelectMany(condition => UnknownModels(condition, models))
                .Select(unknown => new DocumentError(document.Source, unknown.Location.Line, null, $"there is no scoring model '{unknown.Model}'"))));
        }

        var catalog = new JourneyCatalog(templates, journeySources.Keys.Concat(known.Journeys).ToHashSet(StringComparer.Ordinal)) { Open = known.Open };
        foreach (var document in parsed.OfType<ParsedJourney>())
        {
            errors.AddRange(JourneyValidator.Validate(document.Journey, document.Source, catalog));
        }

        return new DocumentSet(
            [.. parsed.OfType<ParsedJourney>().Select(document => document.Journey)],
            [.. parsed.OfType<ParsedTemplate>().Select(document => document.Template)],
            [.. errors.OrderBy(error => error.Source, StringComparer.Ordinal).ThenBy(error => error.Line)])
        {
            Segments = [.. segments],
            ScoringModels = [.. parsed.OfType<ParsedScoringModel>().Select(document => document.ScoringModel)],
            SalesTeams = [.. parsed.OfType<ParsedSalesTeam>().Select(document => document.SalesTeam)],
            Policies = [.. parsed.OfType<ParsedPolicy>().Select(document => document.Policy)],
            Warnings = [.. parsed.SelectMany(WarningsOf).OrderBy(warning => warning.Source, StringComparer.Ordinal).ThenBy(warning => warning.Line)],
        };
    }

    /// <summary>The conditions of a document that may name scoring models: a segment's, a journey's, the policy's rules.</summary>
    private static IEnumerable<Condition> Conditions(ParsedDocument document) => document switch
    {
        ParsedSegment { Segment.Condition: { } condition } => [condition],
        ParsedJourney { Journey: var journey } => journey.Conditions(),
        ParsedPolicy { Policy: var policy } => policy.Rules.Select(rule => rule.When),
        _ => [],
    };

    /// <summary>
    /// References from the segments read to segments that exist neither among them nor among the known ones, and the
    /// reference cycles through the segments read: one per group of segments that refer to each other, named from the
    /// first segment read in the group (by id), at its reference to the next segment of the cycle.
    /// </summary>
    private static IEnumerable<DocumentError> SegmentErrors(IReadOnlyList<ParsedDocument> parsed, KnownDocuments known)
    {
        var read = parsed.OfType<ParsedSegment>().DistinctBy(document => document.Segment.Id, StringComparer.Ordinal).ToDictionary(document => document.Segment.Id, StringComparer.Ordinal);
        var byId = known.Segments.Where(segment => !read.ContainsKey(segment.Id)).DistinctBy(segment => segment.Id, StringComparer.Ordinal)
            .Concat(read.Values.Select(document => document.Segment))
            .ToDictionary(segment => segment.Id, StringComparer.Ordinal);
        foreach (var document in read.Values.Where(_ => !known.Open))
        {
            foreach (var reference in Cairn.Core.Segments.SegmentConditions.Leaves(document.Segment.Condition).OfType<SegmentCondition>()
                .Where(reference => !byId.ContainsKey(reference.Segment))
                .DistinctBy(reference => reference.Segment, StringComparer.Ordinal))
            {
                yield return new DocumentError(document.Source, reference.Location.Line, null, $"segment '{document.Segment.Id}' refers to the unknown segment '{reference.Segment}'");
            }
        }

        // A strongly connected component with a cycle is such a group; a group of known segments alone is not reported.
        IEnumerable<string> Successors(string id) => Cairn.Core.Segments.SegmentConditions.References(byId[id].Condition).Where(byId.ContainsKey);
        var groups = Graphs.Components(byId.Keys.Order(StringComparer.Ordinal), Successors)
            .Select(group => group.ToHashSet(StringComparer.Ordinal))
            .Where(group => group.Count > 1 || Successors(group.First()).Contains(group.First()));
        foreach (var group in groups)
        {
            if (group.Where(read.ContainsKey).Order(StringComparer.Ordinal).FirstOrDefault() is not { } first)
            {
                continue;
            }

            var cycle = Graphs.CycleThrough(first, Successors, group)!;
            var segment = read[first];
            var line = Cairn.Core.Segments.SegmentConditions.Leaves(segment.Segment.Condition).OfType<SegmentCondition>().First(reference => reference.Segment == cycle[1]).Location.Line;
            yield return new DocumentError(segment.Source, line, null, Cairn.Core.Segments.SegmentConditions.CycleMessage(cycle));
        }
    }

    /// <summary>The source of each id of one kind of document; an id used twice is an error at the second.</summary>
    private static Dictionary<string, string> Sources<TDocument>(IReadOnlyList<ParsedDocument> parsed, string what, List<DocumentError> errors)
        where TDocument : ParsedDocument
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var document in parsed.OfType<TDocument>())
        {
            if (document.Id is { } id && !sources.TryAdd(id, document.Source))
            {
                errors.Add(new DocumentError(document.Source, document is ParsedTemplate { Template: var template } ? template.Location.Line : 1, null, $"the {what} id '{id}' is also used by {sources[id]}"));
            }
        }

        return sources;
    }

    /// <summary>The <c>score</c> conditions in <paramref name="condition"/> naming a model not in <paramref name="known"/>.</summary>
    public static IEnumerable<ScoreCondition> UnknownModels(Condition? condition, IReadOnlySet<string> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        return Cairn.Core.Segments.SegmentConditions.Leaves(condition).OfType<ScoreCondition>().Where(score => !known.Contains(score.Model));
    }
}
