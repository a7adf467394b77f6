using System.Collections.Immutable;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Turns;
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
    private LiveDocuments _documents = LiveDocuments.Empty;

    /// <summary>
    /// The journeys, segments, scoring models, policy and sales teams the partitions decide with, as one value
    /// (replaced whole, never mutated): a batch reads it once and decides with one consistent set.
    /// </summary>
    public LiveDocuments Documents => Volatile.Read(ref _documents);

    /// <summary>True when a live or running journey has conditions over event history (windows or filters).</summary>
    public bool JourneysNeedHistory => Documents.JourneysNeedHistory;

    /// <summary>
    /// What the history clauses of live segments and of journeys read of a contact's history, per event name: a
    /// contact's history is read for these names only, and all of what they read, however long it is. The same
    /// instance while the needs do not change (holders of histories key them on it).
    /// </summary>
    public HistoryPlan HistoryPlan => Documents.HistoryPlan;

    /// <summary>
    /// What an input that rebuilds scores from history reads (a model saved, profiles merged): every event the live
    /// models' rules score, and what <see cref="HistoryPlan"/> reads for the segments decided with it.
    /// </summary>
    public HistoryPlan ReplayPlan => Documents.ReplayPlan;

    /// <summary>The current library (replaced, never mutated).</summary>
    public JourneyLibrary Library => Documents.Journeys;

    /// <summary>The live segments, in evaluation order (replaced, never mutated).</summary>
    public Core.Segments.SegmentLibrary Segments => Documents.Segments;

    /// <summary>The sales teams, by id (replaced, never mutated).</summary>
    public ImmutableDictionary<string, Core.Sales.SalesTeam> Teams => Documents.Teams;

    /// <summary>The live scoring models, in id order (replaced, never mutated).</summary>
    public Core.Scoring.ScoringLibrary Scoring => Documents.Scoring;

    private ImmutableDictionary<string, LiveTemplate> _templates = ImmutableDictionary<string, LiveTemplate>.Empty;

    /// <summary>The templates messages are rendered from, at their published version, by id (replaced, never mutated).</summary>
    public ImmutableDictionary<string, LiveTemplate> Templates => Volatile.Read(ref _templates);

    private ImmutableDictionary<string, string> _brokenTemplates = ImmutableDictionary<string, string>.Empty;

    /// <summary>
    /// Published templates whose stored version no longer passes validation (stored before a limit existed), by id,
    /// with why: a message for one fails with this reason rather than as a missing template.
    /// </summary>
    public ImmutableDictionary<string, string> BrokenTemplates => Volatile.Read(ref _brokenTemplates);

    /// <summary>The orchestrator's rules: the stored policy, or the defaults (replaced, never mutated).</summary>
    public Core.Orchestration.Policy Policy => Documents.Policy;

    /// <summary>Reads the published versions and statuses from the store.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var versions = ImmutableDictionary.CreateBuilder<(string, int), JourneyDefinition>();
        foreach (var version in await store.GetVersionsAsync("journey", cancellationToken).ConfigureAwait(false))
        {
            var parsed = JourneyDocument.Parse(version.Body, $"{version.Id} v{version.Version}");
            if (parsed.Journey is { } journey)
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
        var segments = Core.Segments.SegmentLibrary.Of(await LatestAsync("segment", parsed => parsed.Segment, cancellationToken).ConfigureAwait(false));
        var models = await LatestAsync(JourneyDocument.ScoringKind, parsed => parsed.ScoringModel, cancellationToken).ConfigureAwait(false);
        var teams = await LatestAsync(JourneyDocument.SalesTeamKind, parsed => parsed.SalesTeam, cancellationToken).ConfigureAwait(false);
        var templates = ImmutableDictionary.CreateBuilder<string, LiveTemplate>(StringComparer.Ordinal);
        var liveTemplates = (await store.ListDocumentsAsync("template", cancellationToken).ConfigureAwait(false))
            .Where(document => document.Status == DocumentStatus.Published && document.PublishedVersion is not null)
            .ToDictionary(document => document.Id, document => document.PublishedVersion!.Value, StringComparer.Ordinal);
        var broken = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var version in await store.GetVersionsAsync("template", cancellationToken).ConfigureAwait(false))
        {
            if (liveTemplates.TryGetValue(version.Id, out var current) && current == version.Version)
            {
                var parsed = JourneyDocument.Parse(version.Body, $"template {version.Id} v{version.Version}");
                if (parsed.Template is { } template)
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
        var policies = await LatestAsync(JourneyDocument.PolicyKind, parsed => parsed.Policy, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _documents, new LiveDocuments(
            library,
            segments,
            new Core.Scoring.ScoringLibrary([.. models.OrderBy(model => model.Id, StringComparer.Ordinal)]),
            policies.FirstOrDefault(policy => policy.Id == Core.Orchestration.Policy.DefaultId) ?? Core.Orchestration.Policy.Default,
            teams.ToImmutableDictionary(team => team.Id, StringComparer.Ordinal),
            Documents));
    }

    /// <summary>The latest version of every published (not archived) document of <paramref name="kind"/>, read with <paramref name="read"/>.</summary>
    private async Task<List<T>> LatestAsync<T>(string kind, Func<ParsedDocument, T?> read, CancellationToken cancellationToken)
        where T : class
    {
        var live = (await store.ListDocumentsAsync(kind, cancellationToken).ConfigureAwait(false))
            .Where(document => document.Status == DocumentStatus.Published)
            .Select(document => document.Id)
            .ToHashSet(StringComparer.Ordinal);
        return [.. (await store.GetVersionsAsync(kind, cancellationToken).ConfigureAwait(false))
            .Where(version => live.Contains(version.Id))
            .GroupBy(version => version.Id, StringComparer.Ordinal)
            .Select(group => group.MaxBy(version => version.Version)!)
            .Select(version => read(JourneyDocument.Parse(version.Body, $"{kind} {version.Id} v{version.Version}")))
            .OfType<T>()];
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Published journey {Journey} version {Version} no longer parses ({Errors} errors); it is skipped")]
    private static partial void LogUnreadable(ILogger logger, string journey, int version, int errors);
}

/// <summary>A template at the version messages are rendered from now.</summary>
public sealed record LiveTemplate(TemplateDefinition Definition, int Version);
