using System.Collections.Immutable;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Cairn.Runtime;

/// <summary>
/// The published journeys the partitions run: the live version of every published journey (new entries) and
/// every version still in use (enrollments finish on the version they entered). Reloaded when a journey is
/// published, paused or archived.
/// </summary>
public sealed partial class JourneyRegistry(ICairnStore store, ILogger<JourneyRegistry> logger)
{
    private JourneyLibrary _library = new([], ImmutableDictionary<(string, int), JourneyDefinition>.Empty);

    /// <summary>True when a live or running journey has conditions over event history (windows or filters).</summary>
    public bool JourneysNeedHistory { get; private set; }

    private HistoryPlan _historyPlan = HistoryPlan.Empty;

    /// <summary>
    /// What the history clauses of live segments and of journeys read of a contact's history, per event name: a
    /// contact's history is read for these names only, and all of what they read, however long it is. The same
    /// instance while the needs do not change (holders of histories key them on it).
    /// </summary>
    public HistoryPlan HistoryPlan => Volatile.Read(ref _historyPlan);

    private HistoryPlan _replayPlan = HistoryPlan.Empty;

    /// <summary>
    /// What an input that rebuilds scores from history reads (a model saved, profiles merged): every event the live
    /// models' rules score, and what <see cref="HistoryPlan"/> reads for the segments decided with it.
    /// </summary>
    public HistoryPlan ReplayPlan => Volatile.Read(ref _replayPlan);

    private Core.Segments.SegmentLibrary _segments = Core.Segments.SegmentLibrary.Empty;

    /// <summary>The current library (replaced, never mutated).</summary>
    public JourneyLibrary Library => Volatile.Read(ref _library);

    /// <summary>The live segments, in evaluation order (replaced, never mutated).</summary>
    public Core.Segments.SegmentLibrary Segments => Volatile.Read(ref _segments);

    private Core.Scoring.ScoringLibrary _scoring = Core.Scoring.ScoringLibrary.Empty;

    private ImmutableDictionary<string, Core.Sales.SalesTeam> _teams = ImmutableDictionary<string, Core.Sales.SalesTeam>.Empty;

    /// <summary>The sales teams, by id (replaced, never mutated).</summary>
    public ImmutableDictionary<string, Core.Sales.SalesTeam> Teams => Volatile.Read(ref _teams);

    /// <summary>The live scoring models, in id order (replaced, never mutated).</summary>
    public Core.Scoring.ScoringLibrary Scoring => Volatile.Read(ref _scoring);

    private ImmutableDictionary<string, LiveTemplate> _templates = ImmutableDictionary<string, LiveTemplate>.Empty;

    /// <summary>The templates messages are rendered from, at their published version, by id (replaced, never mutated).</summary>
    public ImmutableDictionary<string, LiveTemplate> Templates => Volatile.Read(ref _templates);

    private ImmutableDictionary<string, string> _brokenTemplates = ImmutableDictionary<string, string>.Empty;

    /// <summary>
    /// Published templates whose stored version no longer passes validation (stored before a limit existed), by id,
    /// with why: a message for one fails with this reason rather than as a missing template.
    /// </summary>
    public ImmutableDictionary<string, string> BrokenTemplates => Volatile.Read(ref _brokenTemplates);

    private Core.Orchestration.Policy _policy = Core.Orchestration.Policy.Default;

    /// <summary>The orchestrator's rules: the stored policy, or the defaults (replaced, never mutated).</summary>
    public Core.Orchestration.Policy Policy => Volatile.Read(ref _policy);

    /// <summary>Reads the published versions and statuses from the store.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var versions = ImmutableDictionary.CreateBuilder<(string, int), JourneyDefinition>();
        foreach (var version in await store.GetVersionsAsync("journey", cancellationToken).ConfigureAwait(false))
        {
            var parsed = DocumentParser.Parse(version.Body, $"{version.Id} v{version.Version}");
            if (parsed is ParsedJourney { Journey: var journey })
            {
                versions[(version.Id, version.Version)] = journey;
            }
            else
            {
                LogUnreadable(logger, version.Id, version.Version, parsed.Errors.Length);
            }
        }

        var live = (await store.ListDocumentsAsync("journey", cancellationToken).ConfigureAwait(false))
            .Where(document => document.Status == DocumentStatus.Published && document.PublishedVersion is not null)
            .Select(document => versions.TryGetValue((document.Id, document.PublishedVersion!.Value), out var journey) ? new PublishedJourney(journey, document.PublishedVersion.Value) : null)
            .OfType<PublishedJourney>()
            .ToImmutableArray();
        var library = new JourneyLibrary(live, versions.ToImmutable());

        // Segments and scoring models are live at their latest version from the moment they are saved.
        var segments = Core.Segments.SegmentLibrary.Of((await LatestAsync<ParsedSegment>(DocumentParser.SegmentKind, cancellationToken).ConfigureAwait(false)).Select(parsed => parsed.Segment));
        var models = (await LatestAsync<ParsedScoringModel>(DocumentParser.ScoringKind, cancellationToken).ConfigureAwait(false)).Select(parsed => parsed.ScoringModel).ToList();
        var journeyConditions = library.Versions.Values.SelectMany(journey => journey.Conditions()).ToList();
        JourneysNeedHistory = !HistoryPlan.Of(journeyConditions).IsEmpty;
        var historyPlan = HistoryPlan.Of(journeyConditions.Concat(segments.Segments.Select(segment => segment.Condition)));
        var replayPlan = historyPlan.With(HistoryPlan.Replay(models));
        var teams = await LatestAsync<ParsedSalesTeam>(DocumentParser.SalesTeamKind, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _teams, teams.ToImmutableDictionary(parsed => parsed.Id, parsed => parsed.SalesTeam, StringComparer.Ordinal));
        var templates = ImmutableDictionary.CreateBuilder<string, LiveTemplate>(StringComparer.Ordinal);
        var liveTemplates = (await store.ListDocumentsAsync("template", cancellationToken).ConfigureAwait(false))
            .Where(document => document.Status == DocumentStatus.Published && document.PublishedVersion is not null)
            .ToDictionary(document => document.Id, document => document.PublishedVersion!.Value, StringComparer.Ordinal);
        var broken = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var version in await store.GetVersionsAsync("template", cancellationToken).ConfigureAwait(false))
        {
            if (liveTemplates.TryGetValue(version.Id, out var current) && current == version.Version)
            {
                var parsed = DocumentParser.Parse(version.Body, $"template {version.Id} v{version.Version}");
                if (parsed is ParsedTemplate { Template: var template })
                {
                    templates[version.Id] = new LiveTemplate(template, version.Version);
                }
                else
                {
                    broken[version.Id] = string.Join("; ", parsed.Errors.Select(error => error.ToString()));
                }
            }
        }

        Volatile.Write(ref _templates, templates.ToImmutable());
        Volatile.Write(ref _brokenTemplates, broken.ToImmutable());
        var policies = await LatestAsync<ParsedPolicy>(DocumentParser.PolicyKind, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _policy, policies.FirstOrDefault(parsed => parsed.Id == Core.Orchestration.Policy.DefaultId)?.Policy ?? Core.Orchestration.Policy.Default);
        if (!historyPlan.Equals(HistoryPlan))
        {
            Volatile.Write(ref _historyPlan, historyPlan);
        }

        if (!replayPlan.Equals(ReplayPlan))
        {
            Volatile.Write(ref _replayPlan, replayPlan);
        }

        Volatile.Write(ref _segments, segments);
        Volatile.Write(ref _scoring, new Core.Scoring.ScoringLibrary([.. models.OrderBy(model => model.Id, StringComparer.Ordinal)]));
        Volatile.Write(ref _library, library);
    }

    /// <summary>The latest version of every published (not archived) document of <paramref name="kind"/> that reads as a <typeparamref name="TDocument"/>.</summary>
    private async Task<List<TDocument>> LatestAsync<TDocument>(string kind, CancellationToken cancellationToken)
        where TDocument : ParsedDocument
    {
        var live = (await store.ListDocumentsAsync(kind, cancellationToken).ConfigureAwait(false))
            .Where(document => document.Status == DocumentStatus.Published)
            .Select(document => document.Id)
            .ToHashSet(StringComparer.Ordinal);
        return [.. (await store.GetVersionsAsync(kind, cancellationToken).ConfigureAwait(false))
            .Where(version => live.Contains(version.Id))
            .GroupBy(version => version.Id, StringComparer.Ordinal)
            .Select(group => group.MaxBy(version => version.Version)!)
            .Select(version => DocumentParser.Parse(version.Body, $"{kind} {version.Id} v{version.Version}"))
            .OfType<TDocument>()];
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Published journey {Journey} version {Version} no longer parses ({Errors} errors); it is skipped")]
    private static partial void LogUnreadable(ILogger logger, string journey, int version, int errors);
}

/// <summary>A template at the version messages are rendered from now.</summary>
public sealed record LiveTemplate(TemplateDefinition Definition, int Version);
