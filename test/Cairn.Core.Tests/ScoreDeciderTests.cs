using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Scoring;
using Cairn.Core.Segments;
using Cairn.Testing;
using CsCheck;

namespace Cairn.Core.Tests;

/// <summary>Lead scoring with explicit times: caps, negative and fit points, exact decay, thresholds and stages.</summary>
public sealed class ScoreDeciderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly ContactId Ann = new(Guid.Parse("0193a3c0-0000-7000-8000-00000000000b"));

    private static readonly ScoringModel Engagement = Model(ScoringExamples.Engagement);

    private static readonly ScoringLibrary Library = new([Engagement]);

    [Fact]
    public void Parse_ReadsModels_AndRejectsWhatCannotWork()
    {
        Assert.Equal(TimeSpan.FromDays(10), Engagement.HalfLife);
        Assert.Equal(new ScoreCap(30, TimeSpan.FromDays(7)), Engagement.Rules[0].Cap);
        Assert.Equal(ScoringModel.DefaultLifecycle, Engagement.Lifecycle);

        static IEnumerable<string> Errors(string yaml) => DocumentParser.Parse("kind: scoring_model\nid: m\nname: M\n" + yaml, "m.yaml").Errors.Select(e => e.Message);
        Assert.Contains("'points' must not be 0", Errors("rules: [{ id: a, event: x, points: 0 }]"));
        Assert.Contains("the rule id 'a' is used twice in this model", Errors("rules: [{ id: a, event: x, points: 1 }, { id: a, event: y, points: 1 }]"));
        Assert.Contains("the stage 'hot' is not in the lifecycle (subscriber, lead, mql, sql, opportunity, customer, evangelist)", Errors("rules: [{ id: a, event: x, points: 1 }]\nthresholds: [{ at: 10, stage: hot }]"));
        Assert.Contains("thresholds must be listed in ascending order of 'at', each once", Errors("rules: [{ id: a, event: x, points: 1 }]\nthresholds: [{ at: 10 }, { at: 5 }]"));
        Assert.Contains("a fit rule compares traits or tags (not events, stages, scores, segments or moving date ranges)", Errors("fit: [{ id: a, when: { performed: x }, points: 1 }]"));
        Assert.Contains("a scoring model needs at least one rule in 'rules' or 'fit'", Errors("half_life: 30d"));

        var set = DocumentSet.Read([("s.yaml", "kind: segment\nid: s\nname: S\ncondition: { score: nowhere, op: gte, value: 5 }")]);
        Assert.Contains(set.Errors, e => e.Message == "there is no scoring model 'nowhere'");
        Assert.Contains(DocumentParser.Parse("kind: segment\nid: s\nname: S\ncondition: { score: m, op: eq, value: 5 }", "s").Errors, e => e.Message == "op is gt, gte, lt or lte, not 'eq'");
    }

    [Fact]
    public void Caps_LimitARulePerRollingPeriod_AndNegativeAndFitPointsCount()
    {
        var contact = new Contact(Profile("""{"company_size":500,"role":"engineer"}"""));
        for (var i = 0; i < 5; i++)
        {
            contact.Page("/pricing", T0.AddHours(i));
        }

        var capped = contact.Score(T0.AddHours(5), decay: false);
        Assert.Equal(15 + 30, capped);
        Assert.Equal([10.0, 10.0, 10.0], contact.Profile.Scores["engagement"].Contributions.Where(c => c.Rule == "pricing").Select(c => c.Points));

        // Seven days after the first view, the window has room again.
        contact.Page("/pricing", T0.AddDays(7).AddHours(1));
        contact.Page("/careers/engineering", T0.AddDays(7).AddHours(2));
        contact.Event("unsubscribed", T0.AddDays(7).AddHours(3));
        Assert.Equal([10.0, 10.0, 10.0, 10.0, -5.0, -20.0], contact.Profile.Scores["engagement"].Contributions.Select(c => c.Points));
        Assert.Equal(15, contact.Profile.Scores["engagement"].Fit);
    }

    [Fact]
    public void Decay_HalvesBehaviouralPointsEveryHalfLife_ExactlyByTime_WhileFitStays()
    {
        var contact = new Contact(Profile("""{"company_size":500}"""));
        contact.Event("demo_requested", T0);
        var score = contact.Profile.Scores["engagement"];
        Assert.Equal(55, score.ValueAt(T0), 9);
        Assert.Equal(15 + 20, score.ValueAt(T0.AddDays(10)), 9);
        Assert.Equal(15 + 10, score.ValueAt(T0.AddDays(20)), 9);
        Assert.Equal(15 + (40 * Math.Pow(2, -0.35)), score.ValueAt(T0.AddDays(3.5)), 9);
    }

    [Fact]
    public void Thresholds_AnnounceCrossings_AdvanceTheStage_AndDecayCrossesExactlyWhenTheTimerSays()
    {
        var contact = new Contact(Profile("""{"company_size":500}"""));
        var decision = contact.Event("demo_requested", T0);

        Assert.Equal(
            [("score_crossed", """{"model":"engagement","threshold":20,"direction":"up","score":55}"""),
             ("score_crossed", """{"model":"engagement","threshold":50,"direction":"up","score":55}"""),
             ("stage_changed", """{"model":"engagement","from":null,"to":"mql","score":55}""")],
            decision.Events.Select(e => (e.Name, e.Properties.GetRawText())));
        Assert.Equal("mql", contact.Profile.TraitString(ConditionEvaluator.StageTrait));

        // 15 + 40 * 2^(-t/10d) = 50  =>  t = 10d * log2(40/35).
        var crossing = T0 + TimeSpan.FromDays(10 * Math.Log2(40.0 / 35));
        Assert.Equal(crossing.AddMilliseconds(1), decision.NextCheck!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Empty(contact.Recheck(crossing.AddMilliseconds(-1)).Events);
        var decayed = contact.Recheck(decision.NextCheck.Value);
        Assert.Equal([("score_crossed", "down", 50.0)], decayed.Events.Select(e => (e.Name, e.Properties.GetProperty("direction").GetString(), e.Properties.GetProperty("threshold").GetDouble())));

        // A stage is never taken back by decay, and a later stage set elsewhere is not overwritten.
        Assert.Equal("mql", contact.Profile.TraitString(ConditionEvaluator.StageTrait));
        var customer = new Contact(Profile("""{"company_size":500,"lifecycle_stage":"customer"}"""));
        Assert.DoesNotContain(customer.Event("demo_requested", T0).Events, e => e.Name == ScoreDecider.StageChangedEvent);
        Assert.Equal("customer", customer.Profile.TraitString(ConditionEvaluator.StageTrait));
    }

    [Fact]
    public void ExactlyTheThresholdsPoints_ReachIt_WhenTheEventIsProcessedLate_AndDecayTakesItBackByATimer()
    {
        // The example lead score: 20 points for a pricing view, a lead at 20. The view is processed 90 seconds late.
        var model = Model(File.ReadAllText(Path.Combine(Repository.Root, "examples", "scoring", "lead-score.yaml")));
        var library = new ScoringLibrary([model]);
        var viewed = new PastEvent("pricing_viewed", T0, null);
        var decision = ScoreDecider.Decide(Profile("{}"), library, viewed, T0.AddSeconds(90));

        Assert.Equal(
            [("score_crossed", """{"model":"lead-score","threshold":20,"direction":"up","score":20}"""),
             ("stage_changed", """{"model":"lead-score","from":null,"to":"lead","score":20}""")],
            decision.Events.Select(e => (e.Name, e.Properties.GetRawText())));
        Assert.Equal((20.0, T0), (decision.Profile.Scores["lead-score"].Score, decision.Profile.Scores["lead-score"].ScoredAt));

        // Exactly at 20, decay leaves the threshold at once: the timer is due the next instant, and fires after the up-crossing.
        Assert.Equal(T0.AddMilliseconds(1), decision.NextCheck);
        var decayed = ScoreDecider.Decide(decision.Profile, library, null, T0.AddSeconds(90));
        Assert.Equal([("score_crossed", "down")], decayed.Events.Select(e => (e.Name, e.Properties.GetProperty("direction").GetString())));
        Assert.Equal("lead", decayed.Profile.TraitString(ConditionEvaluator.StageTrait));

        // An event stamped in the future (a client clock ahead, with no sentAt to correct it) counts from when it is processed.
        var ahead = ScoreDecider.Decide(Profile("{}"), library, new PastEvent("pricing_viewed", T0.AddHours(1), null), T0);
        Assert.Equal(("up", T0), (ahead.Events[0].Properties.GetProperty("direction").GetString(), ahead.Profile.Scores["lead-score"].ScoredAt));
        Assert.Equal(T0, ahead.Profile.Scores["lead-score"].Contributions.Single().At);
    }

    [Fact]
    public void AnEventOlderThanTheLastJudgment_AnnouncesItsOwnCrossing_ThenWhatDecayLeftByThatJudgment()
    {
        var model = Model(File.ReadAllText(Path.Combine(Repository.Root, "examples", "scoring", "lead-score.yaml")));
        var library = new ScoringLibrary([model]);

        // A page view at 10:05 is judged first; a pricing view at 10:00 arrives after it (out of order).
        var first = ScoreDecider.Decide(Profile("{}"), library, new PastEvent("$page", T0.AddMinutes(5), null), T0.AddMinutes(6));
        Assert.Equal(T0.AddMinutes(5), first.Profile.Scores["lead-score"].ScoredAt);
        var late = ScoreDecider.Decide(first.Profile, library, new PastEvent("pricing_viewed", T0, null), T0.AddMinutes(7));
        Assert.Equal(
            [("score_crossed", "up", 20.0), ("stage_changed", null, 20.0), ("score_crossed", "down", 19.99)],
            late.Events.Select(e => (e.Name, e.Properties.TryGetProperty("direction", out var d) ? d.GetString() : null, e.Properties.GetProperty("score").GetDouble())));
        Assert.Equal(T0.AddMinutes(5), late.Profile.Scores["lead-score"].ScoredAt);

        // A late event that carries the score well over the thresholds: up-crossings only.
        var second = ScoreDecider.Decide(late.Profile, library, new PastEvent("demo_requested", T0.AddMinutes(1), null), T0.AddMinutes(8));
        Assert.Equal([("score_crossed", "up", 20.0), ("score_crossed", "up", 50.0)], second.Events.Where(e => e.Name == "score_crossed").Select(e => (e.Name, e.Properties.GetProperty("direction").GetString()!, e.Properties.GetProperty("threshold").GetDouble())));
        Assert.Equal("mql", second.Profile.TraitString(ConditionEvaluator.StageTrait));
    }

    [Fact]
    public void AwardingExactlyAThresholdsPoints_AlwaysCrossesIt_WhateverTheHalfLifeTimestampsAndDelays()
    {
        Gen.Select(Gen.Int[1, 100], Gen.Int[1, 365 * 24], Gen.Long[0, 90L * 24 * 3600 * 1000], Gen.Long[0, 90L * 24 * 3600 * 1000], Gen.Int[0, 3]).Sample((at, halfLifeHours, offsetMs, delayMs, earlier) =>
        {
            var threshold = new ScoreThreshold(at, "lead");
            var model = new ScoringModel(
                "m",
                "M",
                null,
                TimeSpan.FromHours(halfLifeHours),
                [new BehaviourRule("hit", "hit", null, at, null, new SourceLocation(1, 1))],
                [],
                [threshold],
                ScoringModel.DefaultLifecycle,
                new SourceLocation(1, 1));
            var library = new ScoringLibrary([model]);
            var happened = T0.AddMilliseconds(offsetMs);
            var profile = Profile("{}");

            // Sometimes the contact was judged before (an input earlier, or later: the event then arrives out of order).
            if (earlier > 0)
            {
                var judged = earlier == 1 ? happened.AddDays(-3) : happened.AddMilliseconds(delayMs / 2.0);
                profile = ScoreDecider.Decide(profile, library, null, judged).Profile;
            }

            var decision = ScoreDecider.Decide(profile, library, new PastEvent("hit", happened, null), happened.AddMilliseconds(delayMs));
            Assert.Contains(decision.Events, e => e.Name == ScoreDecider.ScoreCrossedEvent && e.Properties.GetProperty("direction").GetString() == "up" && e.Properties.GetProperty("threshold").GetDouble() == at);
            Assert.Equal("lead", decision.Profile.TraitString(ConditionEvaluator.StageTrait));
        });
    }

    [Fact]
    public void ScoreConditions_InSegments_FlipWhenDecayCrossesTheirValue()
    {
        var hot = DocumentParser.Parse<ParsedSegment>("kind: segment\nid: hot\nname: Hot\ncondition: { score: engagement, op: gte, value: 30 }", "hot.yaml").Segment;
        var contact = new Contact(Profile("{}"));
        contact.Event("demo_requested", T0);
        var segments = SegmentLibrary.Of([hot]);
        var entered = SegmentDecider.Decide(contact.Profile, segments, [], SegmentCause.All("test") with { Scores = new HashSet<string> { "engagement" } }, T0);
        Assert.True(entered.Changes.Single().Entered);

        // 40 * 2^(-t/10d) = 30.
        Assert.Equal(T0 + TimeSpan.FromDays(10 * Math.Log2(40.0 / 30)) + TimeSpan.FromMilliseconds(1), entered.NextCheck!.Value, TimeSpan.FromMilliseconds(1));
        var left = SegmentDecider.Decide(contact.Profile with { Segments = entered.Segments }, segments, [], SegmentCause.All("time passed"), entered.NextCheck.Value);
        Assert.False(left.Changes.Single().Entered);
    }

    [Fact]
    public void FoldingOldContributions_KeepsTheScoreExact()
    {
        var contact = new Contact(Profile("{}"));
        var expected = 0.0;
        var end = T0.AddDays(60);
        for (var i = 0; i < 100; i++)
        {
            var at = T0.AddHours(i * 13);
            contact.Event("demo_requested", at);
            expected += 40 * Math.Pow(2, -(end - at).TotalDays / 10);
        }

        var score = contact.Profile.Scores["engagement"];
        Assert.True(score.Contributions.Length <= ScoreDecider.KeepIndividual + 1);
        Assert.Equal(100, score.Contributions.Sum(c => c.Count));
        Assert.Equal(expected, score.ValueAt(end), 6);
    }

    [Fact]
    public void IncrementalScores_EqualARescoreFromHistory_ForRandomStreams()
    {
        string[] paths = ["/pricing", "/careers/jobs", "/blog"];
        string[] events = ["demo_requested", "unsubscribed", "webinar_joined"];
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 30 * 24], Gen.Int[0, 2]).Array[1, 60].Sample(inputs =>
        {
            var contact = new Contact(Profile("""{"role":"vp"}"""));
            var stages = new List<string?>();
            foreach (var (kind, hours, pick) in inputs.OrderBy(input => input.Item2))
            {
                var at = T0.AddHours(hours);
                contact.FireTimersUntil(at);
                if (kind < 3)
                {
                    contact.Page(paths[pick], at);
                }
                else
                {
                    contact.Event(events[pick], at);
                }
            }

            var end = T0.AddDays(45);
            contact.FireTimersUntil(end);
            var rescored = ScoreDecider.Rescore(contact.Profile with { Scores = contact.Profile.Scores.Clear() }, Library, contact.History, null, end);
            Assert.Equal(rescored.Profile.Scores["engagement"].ValueAt(end), contact.Profile.Scores["engagement"].ValueAt(end), 9);
            Assert.Equal(
                rescored.Profile.Scores["engagement"].Contributions.Select(c => (c.Rule, c.At, Math.Round(c.Points, 9), c.Count)),
                contact.Profile.Scores["engagement"].Contributions.Select(c => (c.Rule, c.At, Math.Round(c.Points, 9), c.Count)));
        });
    }

    private static ScoringModel Model(string yaml)
    {
        var parsed = DocumentParser.Parse(yaml, "model.yaml");
        Assert.Empty(parsed.Errors);
        return Assert.IsType<ParsedScoringModel>(parsed).ScoringModel;
    }

    private static ContactState Profile(string traits) =>
        ContactDecider.Decide(null, new MessageReceived(Ann, TestMessages.Identify("ann", null, traits, T0.AddDays(-30))), T0.AddDays(-30)).State;

    /// <summary>One contact scored as the partition does: each event when it happens, and decay timers when due.</summary>
    private sealed class Contact(ContactState profile)
    {
        private readonly List<PastEvent> _history = [];
        private readonly SortedSet<DateTimeOffset> _timers = [];

        public ContactState Profile { get; private set; } = profile;

        public IReadOnlyList<PastEvent> History => _history;

        public ScoreDecision Page(string path, DateTimeOffset at) =>
            Happen(new PastEvent("$page", at, JsonSerializer.SerializeToElement(new { path })));

        public ScoreDecision Event(string name, DateTimeOffset at) => Happen(new PastEvent(name, at, null));

        public ScoreDecision Recheck(DateTimeOffset at) => Apply(ScoreDecider.Decide(Profile, Library, null, at));

        public double Score(DateTimeOffset at, bool decay) =>
            decay ? Profile.Scores["engagement"].ValueAt(at) : Profile.Scores["engagement"].Fit + Profile.Scores["engagement"].Contributions.Sum(c => c.Points);

        public void FireTimersUntil(DateTimeOffset until)
        {
            while (_timers.Count > 0 && _timers.Min <= until)
            {
                var due = _timers.Min;
                _timers.Remove(due);
                Recheck(due);
            }
        }

        private ScoreDecision Happen(PastEvent past)
        {
            _history.Insert(0, past);
            return Apply(ScoreDecider.Decide(Profile, Library, past, past.Timestamp));
        }

        private ScoreDecision Apply(ScoreDecision decision)
        {
            Profile = decision.Profile;
            if (decision.NextCheck is { } next)
            {
                _timers.Add(next);
            }

            return decision;
        }
    }
}
