using System.Collections.Immutable;

namespace Cairn.Core.Scoring;

/// <summary>
/// Points a behavioural rule awarded: one event, or (<see cref="Count"/> &gt; 1) earlier events of the same rule folded
/// together, valued at <see cref="At"/>. Decay is exponential, so a folded entry decays exactly like its parts.
/// </summary>
/// <param name="Rule">The rule's id.</param>
/// <param name="Event">The event name.</param>
/// <param name="At">The event's time (for a folded entry, the latest of its events).</param>
/// <param name="Points">The points as of <see cref="At"/>.</param>
/// <param name="Count">How many events it stands for.</param>
public sealed record ScoreContribution(string Rule, string Event, DateTimeOffset At, double Points, int Count = 1)
{
    /// <summary>The points left at <paramref name="now"/> after decay with <paramref name="halfLife"/>.</summary>
    public double ValueAt(DateTimeOffset now, TimeSpan? halfLife) => Decay(Points, At, now, halfLife);

    /// <summary><paramref name="points"/> awarded at <paramref name="at"/>, as of <paramref name="now"/>.</summary>
    public static double Decay(double points, DateTimeOffset at, DateTimeOffset now, TimeSpan? halfLife) =>
        halfLife is { } half && now > at ? points * Math.Pow(2, -(now - at).TotalSeconds / half.TotalSeconds) : points;
}

/// <summary>
/// A contact's standing in one scoring model, self-contained so conditions can read the score at any time without
/// the model: fit points (constant until traits change), behavioural contributions and their half-life.
/// </summary>
/// <param name="Score">The score at <see cref="ScoredAt"/>: what thresholds were last compared against.</param>
/// <param name="ScoredAt">When the score was last evaluated.</param>
/// <param name="Fit">Fit points, from the traits at <see cref="ScoredAt"/>.</param>
/// <param name="HalfLife">The model's half-life for behavioural points.</param>
/// <param name="Contributions">Behavioural contributions, oldest first.</param>
public sealed record ContactScore(double Score, DateTimeOffset ScoredAt, double Fit, TimeSpan? HalfLife, ImmutableArray<ScoreContribution> Contributions)
{
    /// <summary>A model's standing before anything scored.</summary>
    public static ContactScore Empty(ScoringModel model, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new(0, now, 0, model.HalfLife, []);
    }

    /// <summary>Behavioural points at <paramref name="now"/>.</summary>
    public double BehaviourAt(DateTimeOffset now)
    {
        var sum = 0.0;
        foreach (var contribution in Contributions)
        {
            sum += contribution.ValueAt(now, HalfLife);
        }

        return sum;
    }

    /// <summary>The score at <paramref name="now"/>: fit plus decayed behaviour.</summary>
    public double ValueAt(DateTimeOffset now) => Fit + BehaviourAt(now);

    /// <summary>
    /// The score as it stood at <paramref name="at"/>, from the contributions of events up to then only (an entry
    /// folded from several events counts from its latest): what an event that arrived late is judged against.
    /// </summary>
    public double ValueAsOf(DateTimeOffset at)
    {
        var sum = Fit;
        foreach (var contribution in Contributions)
        {
            if (contribution.At <= at)
            {
                sum += contribution.ValueAt(at, HalfLife);
            }
        }

        return sum;
    }

    /// <summary>
    /// The first instant after <paramref name="now"/> at which decay alone carries the score across
    /// <paramref name="value"/> (the score moves from fit + behaviour toward fit), or null when it never does.
    /// </summary>
    public DateTimeOffset? CrossingAfter(double value, DateTimeOffset now)
    {
        if (HalfLife is not { } half)
        {
            return null;
        }

        var behaviour = BehaviourAt(now);
        var ratio = (value - Fit) / behaviour;

        // Exactly at the value (ratio 1), decay leaves it at once: the crossing is the next instant.
        if (behaviour == 0 || double.IsNaN(ratio) || ratio <= 0 || ratio > 1)
        {
            return null;
        }

        var seconds = half.TotalSeconds * Math.Log2(1 / ratio);

        // A millisecond past the exact instant: the first moment the score is on the other side, whatever the rounding.
        return seconds >= (DateTimeOffset.MaxValue - now).TotalSeconds - 1 ? null : now + TimeSpan.FromSeconds(seconds) + TimeSpan.FromMilliseconds(1);
    }
}
