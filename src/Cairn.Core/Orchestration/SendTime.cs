namespace Cairn.Core.Orchestration;

/// <summary>
/// Send-time optimisation: the hour of the week (UTC, 168 slots) a contact is most likely to open, estimated from
/// their opens and clicks and smoothed toward the population's distribution (a Dirichlet prior): with no history a
/// contact gets the population's best hour; with a long history, their own. <see cref="PriorWeight"/> is how many
/// of their own events it takes to count as much as the population. Counts are pooled half by hour of the week and
/// half by hour of the day (spread over the week's seven days), so an evening opener on Mondays and Wednesdays is
/// an evening opener on Tuesdays too.
/// </summary>
public sealed class SendTime
{
    /// <summary>Slots in a week.</summary>
    public const int Hours = 168;

    /// <summary>How many of a contact's own events weigh as much as the population prior.</summary>
    public const double PriorWeight = 5;

    private readonly double[] _population;

    /// <param name="population">Opens and clicks across all contacts per hour of the week (any scale; all zero means uniform).</param>
    public SendTime(IReadOnlyList<double> population)
    {
        ArgumentNullException.ThrowIfNull(population);
        if (population.Count != Hours)
        {
            throw new ArgumentException($"the population has {population.Count} slots, not {Hours}", nameof(population));
        }

        var pooled = Pool(population);
        var total = pooled.Sum();
        _population = [.. pooled.Select(count => total > 0 ? (count + 0.5) / (total + (0.5 * Hours)) : 1.0 / Hours)];
    }

    /// <summary>The slot of an instant: hours since Monday 00:00 UTC.</summary>
    public static int SlotOf(DateTimeOffset at) => ((((int)at.UtcDateTime.DayOfWeek + 6) % 7) * 24) + at.UtcDateTime.Hour;

    /// <summary>The posterior probability that an open of this contact falls in each slot.</summary>
    public double[] Posterior(IEnumerable<DateTimeOffset> engagements)
    {
        ArgumentNullException.ThrowIfNull(engagements);
        var counts = new double[Hours];
        var n = 0;
        foreach (var at in engagements)
        {
            counts[SlotOf(at)]++;
            n++;
        }

        return [.. Pool(counts).Select((count, slot) => (count + (PriorWeight * _population[slot])) / (n + PriorWeight))];
    }

    /// <summary>Half of each slot's count stays; half goes to the same hour of every day (the total is kept).</summary>
    private static double[] Pool(IReadOnlyList<double> counts)
    {
        var byHour = new double[24];
        for (var slot = 0; slot < Hours; slot++)
        {
            byHour[slot % 24] += counts[slot];
        }

        return [.. Enumerable.Range(0, Hours).Select(slot => (0.5 * counts[slot]) + (0.5 * byHour[slot % 24] / 7))];
    }

    /// <summary>
    /// The best instant to send within <paramref name="window"/> from <paramref name="now"/>: the start of the slot
    /// with the highest posterior (now, when the current slot is the best), and that slot's probability.
    /// </summary>
    public (DateTimeOffset At, double Probability) Best(IEnumerable<DateTimeOffset> engagements, DateTimeOffset now, TimeSpan window)
    {
        var posterior = Posterior(engagements);
        var best = (At: now, Probability: posterior[SlotOf(now)]);
        var hourStart = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour), TimeSpan.Zero);
        for (var next = hourStart.AddHours(1); next < now + window; next = next.AddHours(1))
        {
            if (posterior[SlotOf(next)] > best.Probability)
            {
                best = (next, posterior[SlotOf(next)]);
            }
        }

        return best;
    }
}
