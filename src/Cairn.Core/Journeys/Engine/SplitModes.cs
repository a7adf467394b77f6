using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Cairn.Core.Journeys.Engine;

/// <summary>
/// How a split chooses a new entrant's arm, given the split's evidence (<see cref="SplitEvidence"/>, an input): by
/// its percentages (fixed; a winner not decided yet; a bandit with no evidence yet), the recorded winner, or Thompson
/// sampling with a floor per arm. Pure: the draws are seeded from the contact, the journey, the version, the step and
/// the evidence snapshot's counts, so the same inputs give the same arm. Also the winner rule, which a host applies to the
/// evidence it gathers and records once.
/// </summary>
public static class SplitModes
{
    /// <summary>Who decided a winner the winner rule chose.</summary>
    public const string AutomaticWinner = "automatic winner";

    /// <summary>How often the runtime takes a new evidence snapshot (the simulator does the same in virtual time).</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);

    // Draws per arm behind the displayed bandit weights (probability to be best); seeded, so the weights repeat.
    private const int WeightDraws = 4_000;

    /// <summary>The arm a new entrant takes, and the path reason (naming the evidence snapshot's counts, so a replay can reproduce it).</summary>
    /// <param name="split">The split step.</param>
    /// <param name="evidence">The split's evidence (null when the host gave none).</param>
    /// <param name="contact">The contact.</param>
    /// <param name="journeyId">The journey.</param>
    /// <param name="version">The version the enrollment runs on.</param>
    public static (SplitArm Arm, string Reason) Choose(SplitStep split, SplitEvidence? evidence, ContactId contact, string journeyId, int version)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(journeyId);
        var fixedArm = ByPercent(split, contact, journeyId);
        var percent = Percent(fixedArm.Percent);
        switch (split.Mode)
        {
            case SplitMode.Winner when evidence?.Decision is { } decision && split.Arms.FirstOrDefault(arm => arm.Name == decision.Arm) is { } winner:
                return (winner, string.Create(CultureInfo.InvariantCulture, $"arm '{winner.Name}': automatic winner decided {decision.DecidedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} ({string.Join(", ", decision.Arms)})"));
            case SplitMode.Winner:
                return (fixedArm, $"arm '{fixedArm.Name}' ({percent}%; winner pending)");
            case SplitMode.Bandit when evidence is not null:
                return Thompson(split, split.Bandit!.Floor, evidence, contact, journeyId, version);
            case SplitMode.Bandit:
                return (fixedArm, $"arm '{fixedArm.Name}' ({percent}%; bandit: no evidence yet)");
            default:
                return (fixedArm, $"arm '{fixedArm.Name}' ({percent}%)");
        }
    }

    /// <summary>
    /// The winner rule: null until <paramref name="split"/> has an automatic winner rule and no decision yet, its
    /// <c>after</c> has passed since the first entry, and every arm has at least <c>min_per_arm</c> entries; then the arm
    /// with the highest posterior mean conversion rate (c + 1) / (n + 2), ties to the earlier arm, decided at <paramref name="now"/>.
    /// </summary>
    public static SplitDecision? DueWinner(SplitStep split, SplitEvidence evidence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(evidence);
        if (split.Winner is not { } rule || evidence.Decision is not null || evidence.FirstEntryAt is not { } first || now - first < rule.After)
        {
            return null;
        }

        var arms = split.Arms.Select(arm => evidence.Of(arm.Name)).ToImmutableArray();
        if (arms.Length == 0 || arms.Any(arm => arm.Entries < rule.MinPerArm))
        {
            return null;
        }

        var best = arms[0];
        foreach (var arm in arms.Skip(1).Where(arm => arm.PosteriorMean > best.PosteriorMean))
        {
            best = arm;
        }

        return new SplitDecision(best.Arm, now, AutomaticWinner, arms);
    }

    /// <summary>
    /// The share of new entrants each arm takes now, in percent, in the split's order: the percentages (fixed, winner
    /// pending, bandit without evidence), 100 for a decided winner, or for a bandit its floor plus the rest times the
    /// arm's probability to be best (estimated with seeded draws, so it repeats).
    /// </summary>
    public static ImmutableArray<double> Weights(SplitStep split, SplitEvidence? evidence)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (split.Mode == SplitMode.Winner && evidence?.Decision is { } decision && split.Arms.Any(arm => arm.Name == decision.Arm))
        {
            return [.. split.Arms.Select(arm => arm.Name == decision.Arm ? 100.0 : 0.0)];
        }

        if (split.Mode != SplitMode.Bandit || evidence is null)
        {
            return [.. split.Arms.Select(arm => arm.Percent)];
        }

        var floor = split.Bandit!.Floor;
        var wins = new int[split.Arms.Length];
        var random = new SplitRandom(Seed("weights", Snapshot(split, evidence)));
        for (var draw = 0; draw < WeightDraws; draw++)
        {
            wins[Best(split, evidence, ref random)]++;
        }

        var rest = 100 - floor * split.Arms.Length;
        return [.. wins.Select(won => floor + rest * won / WeightDraws)];
    }

    /// <summary>
    /// The split's mode and state in words: <c>fixed: a 50%, b 50%</c>; <c>winner pending (after 7d, 500 per arm):
    /// evidence a 3/120, b 9/118</c>; <c>winner 'b' decided 2026-11-09T10:00:00Z by automatic winner (a 3/120, b 9/118)</c>;
    /// <c>bandit (floor 10%): a 12%, b 88%; evidence a 3/120, b 9/118</c>.
    /// </summary>
    public static string Describe(SplitStep split, SplitEvidence? evidence)
    {
        ArgumentNullException.ThrowIfNull(split);
        var weights = Weights(split, evidence);
        var shares = string.Join(", ", split.Arms.Select((arm, index) => $"{arm.Name} {Percent(weights[index])}%"));
        var counts = evidence is null ? "no evidence yet" : evidence.Describe(split);
        return split.Mode switch
        {
            SplitMode.Winner when evidence?.Decision is { } decision => string.Create(CultureInfo.InvariantCulture, $"winner '{decision.Arm}' decided {decision.DecidedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} by {decision.DecidedBy} ({string.Join(", ", decision.Arms)})"),
            SplitMode.Winner => $"winner pending (after {Journeys.Duration.Format(split.Winner!.After)}, {split.Winner.MinPerArm} per arm): {shares}; {counts}",
            SplitMode.Bandit => $"bandit (floor {Percent(split.Bandit!.Floor)}%): {shares}; {counts}",
            _ => $"fixed: {shares}",
        };
    }

    /// <summary>The arm the percentages give the contact (the same bucket a fixed split has always used).</summary>
    public static SplitArm ByPercent(SplitStep split, ContactId contact, string journeyId)
    {
        ArgumentNullException.ThrowIfNull(split);
        var bucket = JourneyDecider.Bucket(contact, journeyId + ":" + split.Id);
        var cumulative = 0.0;
        foreach (var candidate in split.Arms)
        {
            cumulative += candidate.Percent;
            if (bucket < cumulative)
            {
                return candidate;
            }
        }

        return split.Arms[^1];
    }

    private static (SplitArm, string) Thompson(SplitStep split, double floor, SplitEvidence evidence, ContactId contact, string journeyId, int version)
    {
        var snapshot = Snapshot(split, evidence);
        var described = evidence.Describe(split);
        var floorText = Percent(floor);

        // The floors first: a stable bucket below floor × arms gives each arm its floor share whatever the evidence.
        var bucket = JourneyDecider.Bucket(contact, $"{journeyId}:{version}:{split.Id}:bandit:{snapshot}");
        if (floor > 0 && bucket < floor * split.Arms.Length)
        {
            var floored = split.Arms[Math.Min((int)(bucket / floor), split.Arms.Length - 1)];
            return (floored, $"arm '{floored.Name}' (bandit: its {floorText}% floor; {described})");
        }

        var random = new SplitRandom(Seed($"{contact}:{journeyId}:{version}:{split.Id}", snapshot));
        var arm = split.Arms[Best(split, evidence, ref random)];
        return (arm, $"arm '{arm.Name}' (bandit: Thompson draw, floor {floorText}%; {described})");
    }

    /// <summary>One draw from every arm's Beta(1 + c, 1 + n − c) posterior; the highest wins, ties to the earlier arm.</summary>
    private static int Best(SplitStep split, SplitEvidence evidence, ref SplitRandom random)
    {
        var best = 0;
        var bestDraw = double.NegativeInfinity;
        for (var index = 0; index < split.Arms.Length; index++)
        {
            var counts = evidence.Of(split.Arms[index].Name);
            var conversions = Math.Clamp(counts.Conversions, 0, counts.Entries);
            var draw = random.Beta(1 + conversions, 1 + counts.Entries - conversions);
            if (draw > bestDraw)
            {
                (best, bestDraw) = (index, draw);
            }
        }

        return best;
    }

    /// <summary>The snapshot's identity in the seeds: every arm's counts (what the path reason names).</summary>
    private static string Snapshot(SplitStep split, SplitEvidence evidence) => string.Join("|", split.Arms.Select(arm => evidence.Of(arm.Name)));

    private static ulong Seed(string key, string snapshot)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(key + "#" + snapshot))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private static string Percent(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>SplitMix64: a small seeded generator, the same sequence on every platform and runtime version.</summary>
    private struct SplitRandom(ulong seed)
    {
        private ulong _state = seed;

        /// <summary>Uniform in (0, 1].</summary>
        public double Uniform()
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return ((z >> 11) + 1) * (1.0 / (1UL << 53));
        }

        /// <summary>Standard normal (Box–Muller).</summary>
        public double Normal() => Math.Sqrt(-2 * Math.Log(Uniform())) * Math.Cos(2 * Math.PI * Uniform());

        /// <summary>Gamma(shape, 1) for shape ≥ 1 (Marsaglia and Tsang).</summary>
        public double Gamma(double shape)
        {
            var d = shape - 1.0 / 3;
            var c = 1 / Math.Sqrt(9 * d);
            while (true)
            {
                var x = Normal();
                var v = 1 + c * x;
                if (v <= 0)
                {
                    continue;
                }

                v = v * v * v;
                var u = Uniform();
                if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v)))
                {
                    return d * v;
                }
            }
        }

        /// <summary>Beta(a, b) for a, b ≥ 1, as X / (X + Y) of two gammas.</summary>
        public double Beta(double a, double b)
        {
            var x = Gamma(a);
            return x / (x + Gamma(b));
        }
    }
}
