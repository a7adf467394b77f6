using Cairn.Core.Journeys.Engine;

namespace Cairn.Runtime.Storage;

/// <summary>
/// What adaptive splits (automatic winner, bandit) read and record: each experiment arm's entries and goal conversions,
/// counted on an index of the enrollment rows, and the winners decided, one per split of a journey version.
/// </summary>
public interface ISplitStore
{
    /// <summary>
    /// Per version and arm of <paramref name="journeyId"/>, the treated enrollments (holdout members left out) that
    /// took the arm, how many of them converted, and when the first of them entered: an aggregate over the covering
    /// index of the enrollment rows that carry an arm.
    /// </summary>
    Task<IReadOnlyList<SplitArmCount>> CountSplitArmsAsync(string journeyId, CancellationToken cancellationToken);

    /// <summary>Records a split's winner unless one is recorded already; true when this call recorded it (a winner is decided once).</summary>
    Task<bool> RecordSplitDecisionAsync(StoredSplitDecision decision, CancellationToken cancellationToken);

    /// <summary>The winners decided, of one journey or (null) of all, by journey, version and step.</summary>
    Task<IReadOnlyList<StoredSplitDecision>> GetSplitDecisionsAsync(string? journeyId, CancellationToken cancellationToken);
}

/// <summary>One arm's enrollments on one version of a journey.</summary>
/// <param name="Version">The version.</param>
/// <param name="Arm">The arm.</param>
/// <param name="Entries">Treated enrollments that took it.</param>
/// <param name="Conversions">Of those, how many reached the goal.</param>
/// <param name="FirstEntryAt">When the first of them entered the journey.</param>
public sealed record SplitArmCount(int Version, string Arm, long Entries, long Conversions, DateTimeOffset FirstEntryAt);

/// <summary>A split's recorded winner.</summary>
/// <param name="Split">The journey, version and split step.</param>
/// <param name="Decision">The arm, when, by whom, and the evidence.</param>
public sealed record StoredSplitDecision(SplitKey Split, SplitDecision Decision);
