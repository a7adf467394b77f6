namespace Cairn.Runtime.Storage;

/// <summary>
/// The funnel counters one commit adds to, each counted per UTC day so that a report sums the days of its period:
/// moves, the time spent in a step before moving on, goal conversions by the day their enrollment entered, and the
/// outcome counters (entries, conversions, revenue by holdout and arm) that lift and experiments read.
/// </summary>
public sealed class FunnelBatch
{
    /// <summary>Moves out of (or into) steps, and the other counted outcomes (drops, dropped sends).</summary>
    public List<FunnelMove> Moves { get; } = [];

    /// <summary>Times spent in a step before moving on, by duration bucket.</summary>
    public List<FunnelDuration> Durations { get; } = [];

    /// <summary>Goal conversions, by the day the enrollment entered and the time it took, by duration bucket.</summary>
    public List<FunnelConversion> Conversions { get; } = [];

    /// <summary>Changes to the outcome counters the lift and experiment reports sum (<see cref="OutcomeCount"/>).</summary>
    public List<OutcomeCount> Outcomes { get; } = [];

    /// <summary>True when the commit adds to no funnel counter.</summary>
    public bool IsEmpty => Moves.Count == 0 && Durations.Count == 0 && Conversions.Count == 0 && Outcomes.Count == 0;
}

/// <summary>
/// A change to one row of a journey's outcome counters: contacts' first enrollments by version, the UTC day they
/// entered, holdout and experiment arm (<paramref name="Arm"/> empty: the row every entry counts in, whatever its arm).
/// </summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version.</param>
/// <param name="EntryDay">The UTC day the enrollment entered (days since 1970-01-01).</param>
/// <param name="Control">True for the holdout.</param>
/// <param name="Arm">The experiment arm, or empty for every entry.</param>
/// <param name="Entries">Entries added (negative: taken away).</param>
/// <param name="Conversions">Goal conversions added.</param>
/// <param name="Revenue">Revenue added.</param>
/// <param name="RevenueSquares">Squared revenues added.</param>
public sealed record OutcomeCount(string JourneyId, int Version, int EntryDay, bool Control, string Arm, long Entries, long Conversions, double Revenue, double RevenueSquares);

/// <summary>
/// One counted move of the funnel on a UTC day (<paramref name="Day"/>: days since 1970-01-01). <paramref name="Exit"/>
/// is the exit taken, or for an enrollment that ended at a step one of the <see cref="FunnelExits"/> (<c>$goal</c>,
/// <c>$exit_criterion</c>, …); a send step's dropped message is <c>$suppressed</c> from the step to itself.
/// </summary>
public sealed record FunnelMove(string JourneyId, int Version, int Day, string FromStep, string Exit, string ToStep);

/// <summary>One time spent in <paramref name="Step"/> before moving on, in the duration bucket <paramref name="Bucket"/>, on the UTC day it left.</summary>
public sealed record FunnelDuration(string JourneyId, int Version, int Day, string Step, int Bucket);

/// <summary>One goal conversion of an enrollment that entered on UTC day <paramref name="EntryDay"/>, its time to convert in <paramref name="Bucket"/>.</summary>
public sealed record FunnelConversion(string JourneyId, int Version, int EntryDay, int Bucket);

/// <summary>The funnel counters of one journey version summed over a span of UTC days, as the store reads them.</summary>
/// <param name="Moves">Moves and outcomes summed over the span, by (from, exit, to).</param>
/// <param name="Entries">Entries into the journey (moves from <c>$entry</c>), by day.</param>
/// <param name="Durations">Times in step summed over the span, by step and bucket.</param>
/// <param name="Conversions">Conversions of enrollments that entered in the span, by entry day and bucket.</param>
/// <param name="Waiting">Enrollments at each step now: every move in minus every move out, over all days.</param>
public sealed record FunnelCounts(
    IReadOnlyList<FunnelMoveCount> Moves,
    IReadOnlyList<(int Day, long Count)> Entries,
    IReadOnlyList<FunnelBucketCount> Durations,
    IReadOnlyList<FunnelBucketCount> Conversions,
    IReadOnlyDictionary<string, long> Waiting);

/// <summary>A counted move summed over days.</summary>
public sealed record FunnelMoveCount(string FromStep, string Exit, string ToStep, long Count);

/// <summary>A histogram cell: a key (a step, or an entry day as its number) and a bucket, with its count.</summary>
public sealed record FunnelBucketCount(string Key, int Bucket, long Count);

/// <summary>The exit names the funnel counts an enrollment's end under (a step's own exits never start with <c>$</c>).</summary>
public static class FunnelExits
{
    /// <summary>The pseudo step an entry comes from.</summary>
    public const string Entry = "$entry";

    /// <summary>It reached the end or an exit step: counted as passed.</summary>
    public const string Completed = "$completed";

    /// <summary>It reached the goal, which ends the journey.</summary>
    public const string Goal = "$goal";

    /// <summary>An exit criterion held.</summary>
    public const string ExitCriterion = "$exit_criterion";

    /// <summary>The maximum run time passed.</summary>
    public const string Expired = "$expired";

    /// <summary>The step failed.</summary>
    public const string Error = "$error";

    /// <summary>The send step's message was dropped by the orchestrator (the enrollment went on).</summary>
    public const string Suppressed = "$suppressed";

    /// <summary>Moved to another version of the journey by a publish.</summary>
    public const string Migrated = "$migrated";

    /// <summary>True when an exit counts as moving on from the step (a step's own exit, or the end reached), not a drop.</summary>
    public static bool IsPassed(string exit) => exit == Completed || !exit.StartsWith('$');

    /// <summary>The UTC day number (days since 1970-01-01) of <paramref name="at"/>.</summary>
    public static int DayOf(DateTimeOffset at) => (int)(at.UtcTicks / TimeSpan.TicksPerDay - DateTimeOffset.UnixEpoch.UtcTicks / TimeSpan.TicksPerDay);

    /// <summary>The date of UTC day number <paramref name="day"/>.</summary>
    public static DateOnly DateOf(int day) => DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + day);
}
