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
    public bool NeedsHistory { get; private set; }

    private Core.Segments.SegmentLibrary _segments = Core.Segments.SegmentLibrary.Empty;

    /// <summary>The current library (replaced, never mutated).</summary>
    public JourneyLibrary Library => Volatile.Read(ref _library);

    /// <summary>The live segments, in evaluation order (replaced, never mutated).</summary>
    public Core.Segments.SegmentLibrary Segments => Volatile.Read(ref _segments);

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

        // A segment is live at its latest version from the moment it is saved.
        var segmentVersions = (await store.GetVersionsAsync("segment", cancellationToken).ConfigureAwait(false))
            .GroupBy(version => version.Id, StringComparer.Ordinal)
            .Select(group => group.MaxBy(version => version.Version)!);
        var liveSegments = (await store.ListDocumentsAsync("segment", cancellationToken).ConfigureAwait(false))
            .Where(document => document.Status == DocumentStatus.Published)
            .Select(document => document.Id)
            .ToHashSet(StringComparer.Ordinal);
        var segments = Core.Segments.SegmentLibrary.Of(segmentVersions
            .Where(version => liveSegments.Contains(version.Id))
            .Select(version => JourneyDocument.Parse(version.Body, $"segment {version.Id} v{version.Version}").Segment)
            .OfType<Core.Segments.SegmentDefinition>());
        NeedsHistory = library.Versions.Values.Any(UsesHistory) || segments.Segments.Any(segment => Core.Segments.SegmentConditions.UsesHistory(segment.Condition));
        Volatile.Write(ref _segments, segments);
        Volatile.Write(ref _library, library);
    }

    private static bool UsesHistory(JourneyDefinition journey)
    {
        static IEnumerable<Condition> All(Condition? condition) => condition switch
        {
            null => [],
            AllCondition all => all.Conditions.SelectMany(All).Prepend(all),
            AnyCondition any => any.Conditions.SelectMany(All).Prepend(any),
            NotCondition not => All(not.Condition).Prepend(not),
            _ => [condition],
        };

        var conditions = journey.Steps.OfType<BranchStep>().SelectMany(branch => branch.Cases.Select(c => c.When))
            .Concat(journey.ExitWhen)
            .Append(journey.Entry.Audience)
            .SelectMany(All);
        return conditions.Any(condition => condition is PerformedCondition { Within: not null } or PerformedCondition { Where: not null });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Published journey {Journey} version {Version} no longer parses ({Errors} errors); it is skipped")]
    private static partial void LogUnreadable(ILogger logger, string journey, int version, int errors);
}
