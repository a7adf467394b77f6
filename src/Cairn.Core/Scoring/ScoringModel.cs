using System.Collections.Immutable;
using Cairn.Core.Journeys;

namespace Cairn.Core.Scoring;

/// <summary>
/// A lead-scoring model: behavioural rules award points for events (capped per period, optionally decaying with a
/// half-life), fit rules award points for traits, and thresholds announce crossings and move the lifecycle stage.
/// </summary>
/// <param name="Id">Unique in the workspace.</param>
/// <param name="Name">Shown in the UI and the API.</param>
/// <param name="Description">What it measures.</param>
/// <param name="HalfLife">Behavioural points lose half their value every half-life; null: they keep it.</param>
/// <param name="Rules">Behavioural rules.</param>
/// <param name="Fit">Fit rules.</param>
/// <param name="Thresholds">Score thresholds, ascending.</param>
/// <param name="Lifecycle">The lifecycle stages in order; a threshold only moves a contact forward along it.</param>
/// <param name="Location">Where it is written.</param>
public sealed record ScoringModel(
    string Id,
    string Name,
    string? Description,
    TimeSpan? HalfLife,
    ImmutableArray<BehaviourRule> Rules,
    ImmutableArray<FitRule> Fit,
    ImmutableArray<ScoreThreshold> Thresholds,
    ImmutableArray<string> Lifecycle,
    SourceLocation Location)
{
    /// <summary>The lifecycle when a model names none.</summary>
    public static ImmutableArray<string> DefaultLifecycle { get; } = ["subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist"];
}

/// <summary>An event (matching <see cref="Where"/>) is worth <see cref="Points"/> (negative to subtract).</summary>
/// <param name="Id">Unique in the model; contributions name it.</param>
/// <param name="Event">The event name as counted on the profile (<c>$page</c> for page views).</param>
/// <param name="Where">A filter on the event's properties.</param>
/// <param name="Points">Points per event.</param>
/// <param name="Cap">At most this many points (in absolute value) from this rule per period.</param>
/// <param name="Location">Where it is written.</param>
public sealed record BehaviourRule(string Id, string Event, Condition? Where, double Points, ScoreCap? Cap, SourceLocation Location);

/// <summary>A rule awards at most <see cref="Points"/> within any rolling <see cref="Per"/>.</summary>
public sealed record ScoreCap(double Points, TimeSpan Per);

/// <summary>A contact for whom <see cref="When"/> holds (a condition over traits and tags) gets <see cref="Points"/>.</summary>
public sealed record FitRule(string Id, Condition When, double Points, SourceLocation Location);

/// <summary>
/// A score value: crossing it (either way) is announced with a <c>score_crossed</c> event; crossing it upward moves the
/// contact to <see cref="Stage"/> when that is further along the lifecycle than where the contact is.
/// </summary>
public sealed record ScoreThreshold(double At, string? Stage);

/// <summary>The live scoring models, by id order.</summary>
public sealed record ScoringLibrary(ImmutableArray<ScoringModel> Models)
{
    /// <summary>No models.</summary>
    public static ScoringLibrary Empty { get; } = new([]);

    /// <summary>The model with the id, if live.</summary>
    public ScoringModel? Find(string id) => Models.FirstOrDefault(model => model.Id == id);
}
