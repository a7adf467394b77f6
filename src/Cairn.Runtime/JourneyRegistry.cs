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
public sealed partial class JourneyRegistry(ICairnStore store, ILogger<JourneyRegistry> logger, TimeProvider? time = null)
{
    private readonly Lock _writing = new();
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

    private long _historyGeneration;

    /// <summary>
    /// The generation of the stored event histories: it changes when events are deleted other than by erasure (the
    /// retention pass), and each partition then drops the histories it holds, so it reads only what the store still has.
    /// </summary>
    public long HistoryGeneration => Interlocked.Read(ref _historyGeneration);

    /// <summary>Starts a new <see cref="HistoryGeneration"/>: events were deleted from the store.</summary>
    public void ForgetHistories() => Interlocked.Increment(ref _historyGeneration);

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

        // The adaptive splits decide with a snapshot of their evidence from the start (the split runner refreshes it).
        library = library with { Splits = await SplitSnapshots.ReadAsync(store, library, (time ?? TimeProvider.System).GetUtcNow(), cancellationToken).ConfigureAwait(false) };

        // Segments and scoring models are live at their latest version from the moment they are saved.
        var segments = Core.Segments.SegmentLibrary.Of((await LatestAsync<ParsedSegment>(DocumentParser.SegmentKind, cancellationToken).ConfigureAwait(false)).Select(parsed => parsed.Segment));
        var models = (await LatestAsync<ParsedScoringModel>(DocumentParser.ScoringKind, cancellationToken).ConfigureAwait(false)).Select(parsed => parsed.ScoringModel).ToList();
        var teams = await LatestAsync<ParsedSalesTeam>(DocumentParser.SalesTeamKind, cancellationToken).ConfigureAwait(false);
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
        lock (_writing)
        {
            // A snapshot the split runner handed over while this reload read is kept when it is newer.
            library = library with { Splits = Newer(library.Splits, Documents.Journeys.Splits, library, sameTime: false) };
            Volatile.Write(ref _documents, new LiveDocuments(
                library,
                segments,
                new Core.Scoring.ScoringLibrary([.. models.OrderBy(model => model.Id, StringComparer.Ordinal)]),
                policies.FirstOrDefault(parsed => parsed.Id == Core.Orchestration.Policy.DefaultId)?.Policy ?? Core.Orchestration.Policy.Default,
                teams.ToImmutableDictionary(parsed => parsed.Id, parsed => parsed.SalesTeam, StringComparer.Ordinal),
                Documents));
        }
    }

    /// <summary>
    /// Hands the partitions a new snapshot of the adaptive splits' evidence (the split runner's): the documents are
    /// replaced whole, with the journeys carrying it. A split's snapshot replaces an older one only.
    /// </summary>
    public void UseSplitEvidence(ImmutableDictionary<Core.Journeys.Engine.SplitKey, Core.Journeys.Engine.SplitEvidence> splits)
    {
        ArgumentNullException.ThrowIfNull(splits);
        lock (_writing)
        {
            var documents = Documents;
            var merged = Newer(documents.Journeys.Splits, splits, documents.Journeys, sameTime: true);
            if (!ReferenceEquals(merged, documents.Journeys.Splits))
            {
                Volatile.Write(ref _documents, documents.WithJourneys(documents.Journeys with { Splits = merged }));
            }
        }
    }

    /// <summary>
    /// <paramref name="current"/> with every snapshot of <paramref name="offered"/> that is newer (or as new, when
    /// <paramref name="sameTime"/>: a refresh at the same instant read later), for splits of versions <paramref name="library"/> has.
    /// </summary>
    private static ImmutableDictionary<Core.Journeys.Engine.SplitKey, Core.Journeys.Engine.SplitEvidence> Newer(
        ImmutableDictionary<Core.Journeys.Engine.SplitKey, Core.Journeys.Engine.SplitEvidence> current,
        ImmutableDictionary<Core.Journeys.Engine.SplitKey, Core.Journeys.Engine.SplitEvidence> offered,
        JourneyLibrary library,
        bool sameTime)
    {
        var newer = offered.Where(pair => library.Versions.ContainsKey((pair.Key.JourneyId, pair.Key.Version))
            && (!current.TryGetValue(pair.Key, out var held) || held.AsOf < pair.Value.AsOf || (held.AsOf == pair.Value.AsOf && (sameTime || (held.Decision is null && pair.Value.Decision is not null))))).ToList();
        return newer.Count == 0 ? current : current.SetItems(newer);
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
