using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Messages;

namespace Cairn.Core.Journeys.Engine;

/// <summary>Something that happened to a contact that journeys react to.</summary>
public abstract record JourneyInput;

/// <summary>An event (any Segment message) arrived for the contact.</summary>
public sealed record EventOccurred(SegmentMessage Message) : JourneyInput;

/// <summary>A timer the engine scheduled is due.</summary>
/// <param name="EnrollmentId">The enrollment it belongs to.</param>
/// <param name="StepId">The step that scheduled it (<see cref="JourneyDecider.MaxRunTimeTimer"/> for the run-time limit).</param>
/// <param name="DueAt">When it was due.</param>
public sealed record TimerFired(string EnrollmentId, string StepId, DateTimeOffset DueAt) : JourneyInput;

/// <summary>An explicit enrollment (the API trigger, a date trigger's occurrence, or another journey's <c>enter_journey</c>).</summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Payload">What templates and <c>payload</c> conditions read.</param>
/// <param name="Reason">Why, for the contact's path (default: enrolled by request).</param>
public sealed record EnrollRequested(string JourneyId, JsonElement? Payload, string? Reason = null) : JourneyInput;

/// <summary>
/// A version of a journey was published: active enrollments on older versions whose step is in
/// <paramref name="StepMap"/> move to the mapped step of <paramref name="Version"/>; the others finish where they are.
/// </summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version published.</param>
/// <param name="StepMap">Old step id to new step id; empty when nobody moves.</param>
public sealed record VersionPublished(string JourneyId, int Version, ImmutableDictionary<string, string> StepMap) : JourneyInput;

/// <summary>A published version of a journey.</summary>
/// <param name="Definition">The document.</param>
/// <param name="Version">The published version number.</param>
public sealed record PublishedJourney(JourneyDefinition Definition, int Version);

/// <summary>The journeys the engine knows: the live versions (new entries) and every version still in use.</summary>
/// <param name="Live">The current version of every journey that takes new entries (published, not paused).</param>
/// <param name="Versions">Every published version, by journey id and version.</param>
public sealed record JourneyLibrary(ImmutableArray<PublishedJourney> Live, ImmutableDictionary<(string Journey, int Version), JourneyDefinition> Versions)
{
    /// <summary>
    /// The evidence of every split with an automatic winner or a bandit, by journey, version and step, as of the
    /// host's last snapshot (with the recorded winner, once decided): an input of the decision, so a replay given the
    /// same evidence takes the same arms. Empty by default (splits then use their percentages).
    /// </summary>
    public ImmutableDictionary<SplitKey, SplitEvidence> Splits { get; init; } = ImmutableDictionary<SplitKey, SplitEvidence>.Empty;


    /// <summary>A library of these live journeys (and only their versions).</summary>
    public static JourneyLibrary Of(params PublishedJourney[] live) => new(
        [.. live],
        live.ToImmutableDictionary(journey => (journey.Definition.Id, journey.Version), journey => journey.Definition));
}
