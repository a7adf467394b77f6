using System.Collections.Immutable;
using System.Globalization;

namespace Cairn.Core.Journeys.Engine;

/// <summary>Names one split of one journey version: evidence and decisions are kept per version (a new version is a new experiment).</summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version whose enrollments took the arms.</param>
/// <param name="StepId">The split step.</param>
public readonly record struct SplitKey(string JourneyId, int Version, string StepId);

/// <summary>One arm's evidence: its entries (treated enrollments that took it; holdout members are left out) and their goal conversions.</summary>
/// <param name="Arm">The arm's name.</param>
/// <param name="Entries">Enrollments that took the arm.</param>
/// <param name="Conversions">Of those, how many reached the journey's goal.</param>
public sealed record ArmCount(string Arm, long Entries, long Conversions)
{
    /// <summary>The posterior mean conversion rate under a uniform prior, (c + 1) / (n + 2): what the winner rule compares.</summary>
    public double PosteriorMean => (Conversions + 1.0) / (Entries + 2.0);

    /// <summary>The arm in words: <c>b 9/118</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Arm} {Conversions}/{Entries}");
}

/// <summary>A split's recorded winner: the arm every new entrant takes from then on.</summary>
/// <param name="Arm">The winning arm.</param>
/// <param name="DecidedAt">When it was decided.</param>
/// <param name="DecidedBy">Who decided it (<see cref="SplitModes.AutomaticWinner"/>).</param>
/// <param name="Arms">The evidence it was decided on, per arm in the split's order.</param>
public sealed record SplitDecision(string Arm, DateTimeOffset DecidedAt, string DecidedBy, ImmutableArray<ArmCount> Arms);

/// <summary>
/// What a split knows of its arms as of a snapshot the host took (the runtime every
/// <see cref="SplitModes.RefreshInterval"/>; the simulator from its own counts): an input to the journey decision, like
/// the documents, so a replay given the same evidence takes the same arms.
/// </summary>
/// <param name="Arms">Each arm's entries and conversions (arms not listed have none).</param>
/// <param name="FirstEntryAt">When the first enrollment that took an arm on this version entered the journey (null before any).</param>
/// <param name="AsOf">When the snapshot was taken.</param>
public sealed record SplitEvidence(ImmutableArray<ArmCount> Arms, DateTimeOffset? FirstEntryAt, DateTimeOffset AsOf)
{
    /// <summary>The recorded winner, once decided.</summary>
    public SplitDecision? Decision { get; init; }

    /// <summary>No evidence yet, as of <paramref name="asOf"/>.</summary>
    public static SplitEvidence None(DateTimeOffset asOf) => new([], null, asOf);

    /// <summary>The counts of <paramref name="arm"/> (zero when not listed).</summary>
    public ArmCount Of(string arm) => Arms.FirstOrDefault(count => count.Arm == arm) ?? new ArmCount(arm, 0, 0);

    /// <summary>
    /// The snapshot in words, for a path reason: <c>evidence a 3/120, b 9/118</c> (conversions / entries per arm). The
    /// bandit's draws are seeded from exactly these counts (not from when they were read), so the reason is enough to
    /// replay the choice.
    /// </summary>
    public string Describe(SplitStep split)
    {
        ArgumentNullException.ThrowIfNull(split);
        return $"evidence {string.Join(", ", split.Arms.Select(arm => Of(arm.Name)))}";
    }
}
