using System.Collections.Immutable;
using System.Text.Json;

namespace Cairn.Core.Journeys.Engine;

/// <summary>One move of an enrollment through its journey, with the reason (the contact's path).</summary>
/// <param name="At">When.</param>
/// <param name="From">The step left (null on entry).</param>
/// <param name="Exit">The exit taken (<c>next</c>, <c>happened</c>, a branch case or arm name, <c>entry</c>).</param>
/// <param name="To">The step entered, or <see cref="JourneyStep.End"/>.</param>
/// <param name="Reason">Why, in words.</param>
public sealed record PathEntry(DateTimeOffset At, string? From, string Exit, string To, string Reason);

/// <summary>A contact's run through one version of a journey.</summary>
/// <param name="Id">Unique for the contact: <c>{journey}:{n}</c>.</param>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version entered; the enrollment finishes on it.</param>
/// <param name="StepId">The step it is at, or null once ended.</param>
/// <param name="EnteredAt">When it entered.</param>
/// <param name="WakeAt">When the pending timer of the current step is due (a wait, a wait_for timeout).</param>
/// <param name="Arm">The split arm taken, for experiment statistics.</param>
/// <param name="Control">True for holdout members: they move through the journey but are sent nothing.</param>
/// <param name="Payload">The trigger event or enrollment payload (templates and <c>payload</c> conditions read it).</param>
/// <param name="Sent">Message ids by send step id (for <c>correlate</c>).</param>
/// <param name="Path">Every transition, in order.</param>
/// <param name="ConvertedAt">When the goal was reached.</param>
/// <param name="EndedAt">When it ended.</param>
/// <param name="EndReason">Why it ended.</param>
public sealed record Enrollment(
    string Id,
    string JourneyId,
    int Version,
    string? StepId,
    DateTimeOffset EnteredAt,
    DateTimeOffset? WakeAt,
    string? Arm,
    bool Control,
    JsonElement? Payload,
    ImmutableDictionary<string, string> Sent,
    ImmutableList<PathEntry> Path,
    DateTimeOffset? ConvertedAt,
    DateTimeOffset? EndedAt,
    string? EndReason)
{
    /// <summary>True until the enrollment ends.</summary>
    public bool IsActive => EndedAt is null;

    /// <summary>
    /// What became of each send step's message, by step id, as delivery reports it: <c>sent</c>, <c>delivered</c>,
    /// <c>deferred to …: why</c>, <c>dropped: …</c> (suppressed or expired), <c>bounced: …</c>, <c>failed</c>.
    /// </summary>
    public ImmutableDictionary<string, string> Deliveries { get; init; } = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>The revenue the converting event carried (the goal's revenue property), when it converted with one.</summary>
    public decimal? Revenue { get; init; }

    /// <summary>True for the contact's first enrollment in the journey (the one measurement counts).</summary>
    public bool IsFirst => Id.Length == JourneyId.Length + 2 && Id.EndsWith(":1", StringComparison.Ordinal);

    /// <summary>The id of a contact's <paramref name="entry"/>th enrollment (from 1) in the journey.</summary>
    public static string IdOf(string journeyId, int entry) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{journeyId}:{entry}");
}

/// <summary>What a contact has done in one journey so far (for re-entry rules and enrollment ids).</summary>
/// <param name="Entries">How many times the contact entered.</param>
/// <param name="LastEndedAt">When the last enrollment ended.</param>
public sealed record JourneyHistory(int Entries, DateTimeOffset? LastEndedAt);

/// <summary>A contact's journeys: the active enrollment of each journey and the history of all.</summary>
/// <param name="Active">Active enrollments by journey id (at most one per journey).</param>
/// <param name="History">Entry history by journey id.</param>
public sealed record JourneyMemberships(ImmutableDictionary<string, Enrollment> Active, ImmutableDictionary<string, JourneyHistory> History)
{
    /// <summary>No journeys yet.</summary>
    public static JourneyMemberships Empty { get; } = new(
        ImmutableDictionary.Create<string, Enrollment>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, JourneyHistory>(StringComparer.Ordinal));
}
