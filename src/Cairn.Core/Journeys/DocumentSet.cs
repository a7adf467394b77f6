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
        return document.Policy is { } policy
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
        var parsed = documents.Select(document => JourneyDocument.Parse(document.Text, document.Source)).ToList();
        var errors = parsed.SelectMany(document => document.Errors).ToList();

        var templates = new Dictionary<string, Channel>(knownTemplates ?? new Dictionary<string, Channel>(), StringComparer.Ordinal);
        var templateSources = new Dictionary<string, string>(StringComparer.Ordinal);
        var journeySources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var document in parsed)
        {
            if (document.Template is { } template && !templateSources.TryAdd(template.Id, document.Source))
            {
                errors.Add(new DocumentError(document.Source, template.Location.Line, null, $"the template id '{template.Id}' is also used by {templateSources[template.Id]}"));
            }
            else if (document.Template is { } added)
            {
                templates[added.Id] = added.Channel;
            }

            if (document.Journey is { } journey && !journeySources.TryAdd(journey.Id, document.Source))
            {
                errors.Add(new DocumentError(document.Source, 1, null, $"the journey id '{journey.Id}' is also used by {journeySources[journey.Id]}"));
            }
        }

        var segments = parsed.Select(document => document.Segment).OfType<Segments.SegmentDefinition>().ToList();
        var segmentSources = Sources(parsed, document => document.Segment?.Id, "segment", errors);
        foreach (var (id, problem) in Cairn.Core.Segments.SegmentConditions.Problems(segments.DistinctBy(segment => segment.Id).ToList()))
        {
            errors.Add(new DocumentError(segmentSources[id], 1, null, problem));
        }

        var models = parsed.Select(document => document.ScoringModel).OfType<Scoring.ScoringModel>().ToList();
        var modelSources = Sources(parsed, document => document.ScoringModel?.Id, "scoring model", errors);
        Sources(parsed, document => document.SalesTeam?.Id, "sales team", errors);
        var knownModels = modelSources.Keys.Concat(knownScoringModels ?? new HashSet<string>()).ToHashSet(StringComparer.Ordinal);
        errors.AddRange(parsed.SelectMany(document =>
            (document.Segment is { Condition: { } segment } ? [segment] : document.Journey is { } journey ? JourneyDocument.Conditions(journey) : [])
                .SelectMany(condition => UnknownModels(condition, knownModels))
                .Select(unknown => new DocumentError(document.Source, unknown.Location.Line, null, $"there is no scoring model '{unknown.Model}'"))));

        var catalog = new JourneyCatalog(templates, new HashSet<string>(journeySources.Keys.Concat(knownJourneys ?? new HashSet<string>()), StringComparer.Ordinal));
        foreach (var document in parsed.Where(document => document.Journey is not null))
        {
            errors.AddRange(JourneyValidator.Validate(document.Journey!, document.Source, catalog));
        }

        return new DocumentSet(
            [.. parsed.Select(document => document.Journey).OfType<JourneyDefinition>()],
            [.. parsed.Select(document => document.Template).OfType<TemplateDefinition>()],
            [.. errors.OrderBy(error => error.Source, StringComparer.Ordinal).ThenBy(error => error.Line)])
        {
            Segments = [.. segments],
            ScoringModels = [.. models],
            SalesTeams = [.. parsed.Select(document => document.SalesTeam).OfType<Sales.SalesTeam>()],
            Policies = [.. parsed.Select(document => document.Policy).OfType<Orchestration.Policy>()],
            Warnings = [.. parsed.SelectMany(WarningsOf).OrderBy(warning => warning.Source, StringComparer.Ordinal).ThenBy(warning => warning.Line)],
        };
    }

    /// <summary>The source of each id of one kind of document; an id used twice is an error.</summary>
    private static Dictionary<string, string> Sources(List<ParsedDocument> parsed, Func<ParsedDocument, string?> idOf, string what, List<DocumentError> errors)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var document in parsed)
        {
            if (idOf(document) is { } id && !sources.TryAdd(id, document.Source))
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
