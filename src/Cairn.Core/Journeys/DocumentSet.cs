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
    /// <param name="knownTemplates">Templates that exist elsewhere (e.g. on the server), by id.</param>
    /// <param name="knownJourneys">Journeys that exist elsewhere.</param>
    /// <param name="knownScoringModels">Scoring models that exist elsewhere.</param>
    public static DocumentSet Read(
        IEnumerable<(string Source, string Text)> documents,
        IReadOnlyDictionary<string, Channel>? knownTemplates = null,
        IReadOnlySet<string>? knownJourneys = null,
        IReadOnlySet<string>? knownScoringModels = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var parsed = documents.Select(document => DocumentParser.Parse(document.Text, document.Source)).ToList();
        var errors = parsed.SelectMany(document => document.Errors).ToList();

        var templates = new Dictionary<string, Channel>(knownTemplates ?? new Dictionary<string, Channel>(), StringComparer.Ordinal);
        var templateSources = new Dictionary<string, string>(StringComparer.Ordinal);
        var journeySources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var document in parsed)
        {
            if (document is ParsedTemplate { Template: var template } && !templateSources.TryAdd(template.Id, document.Source))
            {
                errors.Add(new DocumentError(document.Source, template.Location.Line, null, $"the template id '{template.Id}' is also used by {templateSources[template.Id]}"));
            }
            else if (document is ParsedTemplate { Template: var added })
            {
                templates[added.Id] = added.Channel;
            }

            if (document is ParsedJourney { Journey: var journey } && !journeySources.TryAdd(journey.Id, document.Source))
            {
                errors.Add(new DocumentError(document.Source, 1, null, $"the journey id '{journey.Id}' is also used by {journeySources[journey.Id]}"));
            }
        }

        var segments = parsed.OfType<ParsedSegment>().Select(document => document.Segment).ToList();
        var segmentSources = Sources<ParsedSegment>(parsed, "segment", errors);
        foreach (var (id, problem) in Cairn.Core.Segments.SegmentConditions.Problems(segments.DistinctBy(segment => segment.Id).ToList()))
        {
            errors.Add(new DocumentError(segmentSources[id], 1, null, problem));
        }

        var models = parsed.OfType<ParsedScoringModel>().Select(document => document.ScoringModel).ToList();
        var modelSources = Sources<ParsedScoringModel>(parsed, "scoring model", errors);
        Sources<ParsedSalesTeam>(parsed, "sales team", errors);
        var knownModels = modelSources.Keys.Concat(knownScoringModels ?? new HashSet<string>()).ToHashSet(StringComparer.Ordinal);
        errors.AddRange(parsed.SelectMany(document =>
            (document is ParsedSegment { Segment.Condition: { } segment } ? [segment] : document is ParsedJourney { Journey: var journey } ? journey.Conditions() : [])
                .SelectMany(condition => UnknownModels(condition, knownModels))
                .Select(unknown => new DocumentError(document.Source, unknown.Location.Line, null, $"there is no scoring model '{unknown.Model}'"))));

        var catalog = new JourneyCatalog(templates, new HashSet<string>(journeySources.Keys.Concat(knownJourneys ?? new HashSet<string>()), StringComparer.Ordinal));
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
            ScoringModels = [.. models],
            SalesTeams = [.. parsed.OfType<ParsedSalesTeam>().Select(document => document.SalesTeam)],
            Policies = [.. parsed.OfType<ParsedPolicy>().Select(document => document.Policy)],
            Warnings = [.. parsed.SelectMany(WarningsOf).OrderBy(warning => warning.Source, StringComparer.Ordinal).ThenBy(warning => warning.Line)],
        };
    }

    /// <summary>The source of each id of one kind of document; an id used twice is an error.</summary>
    private static Dictionary<string, string> Sources<TDocument>(List<ParsedDocument> parsed, string what, List<DocumentError> errors)
        where TDocument : ParsedDocument
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var document in parsed.OfType<TDocument>())
        {
            if (document.Id is { } id && !sources.TryAdd(id, document.Source))
            {
                errors.Add(new DocumentError(document.Source, 1, null, $"the {what} id '{id}' is also used by {sources[id]}"));
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
