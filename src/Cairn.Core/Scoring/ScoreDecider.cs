using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Core.Scoring;

/// <summary>An event scoring puts on the contact's timeline (journeys trigger on it).</summary>
/// <param name="Name"><see cref="ScoreDecider.ScoreCrossedEvent"/> or <see cref="ScoreDecider.StageChangedEvent"/>.</param>
/// <param name="Model">The model that caused it.</param>
/// <param name="Properties">The event's properties.</param>
public sealed record ScoreEvent(string Name, string Model, JsonElement Properties);

/// <summary>
/// The contact after scoring, the events it announces, the models whose points changed (a rule or fit rule, not decay
/// alone), and when decay next crosses a threshold.
/// </summary>
public sealed record ScoreDecision(ContactState Profile, ImmutableArray<ScoreEvent> Events, IReadOnlySet<string> Changed, DateTimeOffset? NextCheck);

/// <summary>
/// Keeps a contact's lead scores: an event earns the points of the rules it matches (within their caps), traits earn
/// fit points, behavioural points decay exactly with the model's half-life, and crossing a threshold announces
/// <c>score_crossed</c> and may advance the lifecycle stage (<c>stage_changed</c>). Says when decay alone will next
/// carry a score across a threshold, so the host wakes the contact exactly then. No I/O.
/// </summary>
public static class ScoreDecider
{
    /// <summary>The event announcing that a score crossed a threshold (properties: model, threshold, direction, score).</summary>
    public const string ScoreCrossedEvent = "score_crossed";

    /// <summary>The event announcing a lifecycle stage change by a threshold (properties: model, from, to, score).</summary>
    public const string StageChangedEvent = "stage_changed";

    /// <summary>Individual contributions kept per model before older ones (outside every cap window) are folded per rule.</summary>
    public const int KeepIndividual = 25;

    /// <summary>
    /// Scores the contact after an input: <paramref name="happened"/> is the event it recorded, if any. Thresholds are
    /// judged at the event's own time (an event processed late still reaches a threshold its points reach), not
    /// before the last judgment (an event older than one already judged is counted at that judgment, after its own
    /// crossing, if it made one, is announced); without an event, at <paramref name="now"/>.
    /// </summary>
    public static ScoreDecision Decide(ContactState profile, ScoringLibrary library, PastEvent? happened, DateTimeOffset now) =>
        Settle(
            profile,
            library,
            (model, state) => happened is null ? state.Contributions : Apply(model, profile, state.Contributions, happened, now),
            happened is null ? null : (happened.Timestamp < now ? happened.Timestamp : now),
            now);

    /// <summary>
    /// Rebuilds the behavioural points of <paramref name="models"/> (all when null) by replaying
    /// <paramref name="history"/> (newest first) through their rules, as if each event had just happened: a model
    /// saved or edited scores existing contacts from what they did, and merged profiles from both histories.
    /// </summary>
    public static ScoreDecision Rescore(ContactState profile, ScoringLibrary library, IReadOnlyList<PastEvent> history, IReadOnlySet<string>? models, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(history);
        var ordered = history.Where(past => past.Timestamp <= now).Reverse().OrderBy(past => past.Timestamp).ToList();
        return Settle(
            profile,
            library,
            (model, state) =>
            {
                if (models is not null && !models.Contains(model.Id))
                {
                    return state.Contributions;
                }

                var contributions = ImmutableArray<ScoreContribution>.Empty;
                foreach (var past in ordered)
                {
                    contributions = Apply(model, profile, contributions, past, past.Timestamp);
                }

                return contributions;
            },
            null,
            now);
    }

    /// <summary>
    /// <see cref="Rescore(ContactState, ScoringLibrary, IReadOnlyList{PastEvent}, IReadOnlySet{string}?, DateTimeOffset)"/>
    /// from a history replayed one event at a time (<paramref name="replay"/>), for a history too long to hold.
    /// </summary>
    public static ScoreDecision Rescore(ContactState profile, ScoringLibrary library, ScoreReplay replay, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(replay);
        return Settle(profile, library, (model, state) => replay.Replays(model.Id) ? replay.ContributionsOf(model.Id) : state.Contributions, null, now);
    }

    /// <summary>One event of a replay: as <see cref="Rescore(ContactState, ScoringLibrary, IReadOnlyList{PastEvent}, IReadOnlySet{string}?, DateTimeOffset)"/> applies it.</summary>
    internal static ImmutableArray<ScoreContribution> Replay(ScoringModel model, ContactState profile, ImmutableArray<ScoreContribution> contributions, PastEvent past) =>
        Apply(model, profile, contributions, past, past.Timestamp);

    /// <summary>The fit rules that hold for the contact, with their points.</summary>
    public static IEnumerable<FitRule> FitRulesHolding(ScoringModel model, ContactState profile, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(model);
        var context = new EvaluationContext(profile, null, null, [], now);
        return model.Fit.Where(rule => ConditionEvaluator.Holds(rule.When, context));
    }

    /// <summary>
    /// Applies <paramref name="behaviour"/> to every model and announces the thresholds crossed since the last
    /// judgment. <paramref name="happenedAt"/> is the time of the event being scored (no later than
    /// <paramref name="now"/>), when there is one: the judgment is made then, not at the processing time, so decay
    /// between the event and its processing does not take back points the event just reached a threshold with.
    /// </summary>
    private static ScoreDecision Settle(ContactState profile, ScoringLibrary library, Func<ScoringModel, ContactScore, ImmutableArray<ScoreContribution>> behaviour, DateTimeOffset? happenedAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(library);
        var scores = profile.Scores;
        var events = ImmutableArray.CreateBuilder<ScoreEvent>();
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var live = library.Models.Select(model => model.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in scores.Keys.Where(id => !live.Contains(id)).ToList())
        {
            scores = scores.Remove(gone);
            changed.Add(gone);
        }

        DateTimeOffset? next = null;
        foreach (var model in library.Models)
        {
            var at = happenedAt ?? now;
            var stored = scores.GetValueOrDefault(model.Id);
            var before = stored ?? ContactScore.Empty(model, at);

            // What was announced last stands: an event older than that judgment is judged with it, after its own crossing.
            var judgedAt = before.ScoredAt > at ? (before.ScoredAt < now ? before.ScoredAt : now) : at;
            var fit = FitRulesHolding(model, profile, now).Sum(rule => rule.Points);
            var after = before with { Fit = fit, HalfLife = model.HalfLife, Contributions = behaviour(model, before) };
            var announced = before.Score;
            if (happenedAt is not null && at < judgedAt)
            {
                // The event's own step at its own time, among the contributions that existed then.
                var then = after.ValueAsOf(at);
                if (model.Thresholds.Any(threshold => (before.ValueAsOf(at) < threshold.At) != (then < threshold.At)))
                {
                    profile = Announce(model, profile, announced, then, events, now);
                    announced = then;
                }
            }

            var score = after.ValueAt(judgedAt);
            profile = Announce(model, profile, announced, score, events, now);
            after = after with { Score = score, ScoredAt = judgedAt };

            // Decay alone does not count: conditions on the score flip by the timers set where decay crosses their value.
            if (stored is null || stored.Fit != fit || stored.Contributions != after.Contributions)
            {
                changed.Add(model.Id);
            }

            scores = scores.SetItem(model.Id, after);
            foreach (var threshold in model.Thresholds)
            {
                // From the judgment: a crossing that decay made before the processing time is due at once, after this one.
                if (after.CrossingAfter(threshold.At, judgedAt) is { } crossing && (next is null || crossing < next))
                {
                    next = crossing;
                }
            }
        }

        return new ScoreDecision(profile with { Scores = scores }, events.ToImmutable(), changed, next);
    }

    /// <summary>
    /// Announces the thresholds between the score last announced and <paramref name="score"/>, and moves the stage
    /// when an upward crossing names one further along the lifecycle; returns the profile with the stage.
    /// </summary>
    private static ContactState Announce(ScoringModel model, ContactState profile, double announced, double score, ImmutableArray<ScoreEvent>.Builder events, DateTimeOffset now)
    {
        var up = model.Thresholds.Where(threshold => announced < threshold.At && score >= threshold.At).ToList();
        var down = model.Thresholds.Where(threshold => announced >= threshold.At && score < threshold.At).ToList();
        foreach (var threshold in up)
        {
            events.Add(Crossed(model, threshold, "up", score));
        }

        foreach (var threshold in down.AsEnumerable().Reverse())
        {
            events.Add(Crossed(model, threshold, "down", score));
        }

        if (up.LastOrDefault(threshold => threshold.Stage is not null) is { Stage: { } stage }
            && Advances(model, profile.TraitString(ConditionEvaluator.StageTrait), stage) is var from && from.Advances)
        {
            profile = profile with
            {
                Traits = profile.Traits.SetItem(ConditionEvaluator.StageTrait, new TraitValue(JsonSerializer.SerializeToElement(stage), now)),
                UpdatedAt = now,
            };
            events.Add(new ScoreEvent(StageChangedEvent, model.Id, JsonSerializer.SerializeToElement(new { model = model.Id, from = from.Current, to = stage, score = Math.Round(score, 2) })));
        }

        return profile;
    }

    private static (bool Advances, string? Current) Advances(ScoringModel model, string? current, string stage) =>
        (current is null || model.Lifecycle.IndexOf(stage) > model.Lifecycle.IndexOf(current), current);

    /// <summary>
    /// The crossing event. Its score is shown to two decimals, rounded down after a downward crossing: a score that
    /// decayed to 19.9999 left the threshold 20, and says 19.99, not 20.
    /// </summary>
    private static ScoreEvent Crossed(ScoringModel model, ScoreThreshold threshold, string direction, double score) =>
        new(ScoreCrossedEvent, model.Id, JsonSerializer.SerializeToElement(new { model = model.Id, threshold = threshold.At, direction, score = direction == "down" ? Math.Floor(score * 100) / 100 : Math.Round(score, 2) }));

    /// <summary>
    /// The contributions after <paramref name="happened"/>: each matching rule adds its points, less whatever would
    /// take the rule past its cap in the period ending at the event; then older entries are folded.
    /// </summary>
    private static ImmutableArray<ScoreContribution> Apply(ScoringModel model, ContactState profile, ImmutableArray<ScoreContribution> contributions, PastEvent happened, DateTimeOffset now)
    {
        var at = happened.Timestamp < now ? happened.Timestamp : now;
        var context = new EvaluationContext(profile, happened.Properties, null, [], now);
        var added = false;
        foreach (var rule in model.Rules)
        {
            if (rule.Event != happened.Name || (rule.Where is not null && !ConditionEvaluator.Holds(rule.Where, context)))
            {
                continue;
            }

            var points = rule.Points;
            if (rule.Cap is { } cap)
            {
                var awarded = contributions.Where(c => c.Rule == rule.Id && c.Count == 1 && c.At > at - cap.Per && c.At <= at).Sum(c => c.Points);
                var room = Math.Max(0, cap.Points - (Math.Sign(points) * awarded));
                points = Math.Sign(points) * Math.Min(Math.Abs(points), room);
            }

            if (points != 0)
            {
                contributions = contributions.Add(new ScoreContribution(rule.Id, happened.Name, at, points));
                added = true;
            }
        }

        return added ? Fold(model, contributions, now) : contributions;
    }

    /// <summary>
    /// Folds individual contributions beyond the newest <see cref="KeepIndividual"/> into one entry per rule, as long as
    /// they are outside their rule's cap window (caps count individual entries only). Exact: decay is exponential.
    /// </summary>
    private static ImmutableArray<ScoreContribution> Fold(ScoringModel model, ImmutableArray<ScoreContribution> contributions, DateTimeOffset now)
    {
        var individual = contributions.Count(c => c.Count == 1);
        if (individual <= KeepIndividual)
        {
            return contributions;
        }

        var caps = model.Rules.ToDictionary(rule => rule.Id, rule => rule.Cap?.Per ?? TimeSpan.Zero, StringComparer.Ordinal);
        var folded = contributions.Where(c => c.Count > 1).ToDictionary(c => c.Rule, StringComparer.Ordinal);
        var kept = new List<ScoreContribution>();
        var excess = individual - KeepIndividual;
        foreach (var contribution in contributions.Where(c => c.Count == 1))
        {
            if (excess > 0 && contribution.At <= now - caps.GetValueOrDefault(contribution.Rule))
            {
                excess--;
                folded[contribution.Rule] = folded.TryGetValue(contribution.Rule, out var earlier)
                    ? Merge(earlier, contribution, model.HalfLife)
                    : contribution;
            }
            else
            {
                kept.Add(contribution);
            }
        }

        return [.. folded.Values.OrderBy(c => c.At).ThenBy(c => c.Rule, StringComparer.Ordinal), .. kept];
    }

    private static ScoreContribution Merge(ScoreContribution a, ScoreContribution b, TimeSpan? halfLife)
    {
        var at = a.At > b.At ? a.At : b.At;
        return new ScoreContribution(a.Rule, a.Event, at, a.ValueAt(at, halfLife) + b.ValueAt(at, halfLife), a.Count + b.Count);
    }
}
