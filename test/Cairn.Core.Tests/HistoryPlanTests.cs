using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Scoring;
using Cairn.Core.Segments;
using CsCheck;

namespace Cairn.Core.Tests;

/// <summary>
/// Exact history whatever its length: what a history plan reads (name by name, as a store answers it), what it keeps
/// as events are committed and time passes, and clauses folded from a stream, against the whole history.
/// </summary>
public sealed class HistoryPlanTests
{
    private static readonly DateTimeOffset T0 = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = T0.AddDays(30);
    private static readonly string[] Names = ["a", "b", "c"];
    private static readonly ContactState Ann = ContactState.New(new ContactId(Guid.Parse("0193a3c0-0000-7000-8000-00000000000c")), T0);

    // An event: which name, when (hours after T0; past 30 days is after now), and its amount property.
    private static readonly Gen<(int Name, int Hours, int Amount)[]> Events = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 32 * 24], Gen.Int[1, 3]).Array[0, 80];

    [Fact]
    public void Of_DerivesWhatEachClauseReads_PerName()
    {
        var plan = HistoryPlan.Of(
        [
            Clause("{ performed: a, at_least: 3, within: 7d }"),
            Clause("{ performed: a, exactly: 5, within: 30d }"),
            Clause("{ performed: b, where: { property: amount, op: gte, value: 2 }, within: 10d }"),
            Clause("{ first_performed: c, before: 90d }"),
            Clause("{ last_performed: d, not_followed_by: e }"),
            Clause("{ aggregate: sum, of: amount, event: f, within: 365d, op: gte, value: 5 }"),
            Clause("{ aggregate: count, event: f, op: gte, value: 5 }"),
            Clause("{ performed: g }"),
            Clause("{ performed: h, at_least: 1, where: { performed: i, within: 1d } }"),
        ]);
        Assert.Equal(new HistoryNeed("a", 6, false, false, null, false), plan.Needs["a"]);
        Assert.Equal(new HistoryNeed("b", 0, false, false, TimeSpan.FromDays(10), true), plan.Needs["b"]);
        Assert.Equal(new HistoryNeed("c", 0, false, true, null, false), plan.Needs["c"]);
        Assert.Equal(new HistoryNeed("d", 0, true, false, null, false), plan.Needs["d"]);
        Assert.Equal(new HistoryNeed("e", 0, true, false, null, false), plan.Needs["e"]);
        Assert.Equal(new HistoryNeed("f", 0, false, false, HistoryNeed.Ever, true), plan.Needs["f"]);

        // A plain count is the profile's counter; a clause inside a filter is read too.
        Assert.False(plan.Needs.ContainsKey("g"));
        Assert.Equal(1, plan.Needs["i"].Newest);
        Assert.Equal(["b", "f", "h"], plan.PropertyNames.Order(StringComparer.Ordinal));
        Assert.Equal(plan, HistoryPlan.Of([Clause("{ performed: a, at_least: 6, within: 1d }")]).With(plan));
    }

    [Fact]
    public void ReadNameByName_AnswersEveryClause_AsTheWholeHistoryDoes_ThenAndAfterCommitsAndTime()
    {
        Gen.Select(Events, Gen.Int[0, int.MaxValue], Gen.Int[1, 12], Events, Gen.Int[1, 20 * 24]).Sample((happened, seed, firstRead, later, hours) =>
        {
            var random = new Random(seed);
            var conditions = Enumerable.Range(0, 6).Select(_ => Clause(RandomClause(random))).ToList();
            var plan = HistoryPlan.Of(conditions);
            var full = History(happened, 0);

            // The first read takes the newest events of the plan's names; what it does not cover is read name by name.
            var loaded = Read(full, plan, firstRead, Now);
            AssertSameAnswers(conditions, full, new PastEvents(loaded), Now);

            // Held between batches: trimmed to what the plan reads, then committed events are added (some late) and
            // time passes; trimmed again, it still answers as the whole history does.
            var held = plan.Trim(new PastEvents(loaded), Now);
            var then = Now.AddHours(hours);
            var committed = History(later.Select(e => (e.Name, e.Hours + (hours / 2), e.Amount)).ToArray(), happened.Length);
            var merged = committed.Select(e => Stripped(e.Past, plan)).Concat(held).OrderByDescending(e => e.Timestamp).ToList();
            var kept = plan.Trim(merged, then);
            var whole = committed.Concat(full).OrderByDescending(e => e.Past.Timestamp).ThenByDescending(e => e.Sequence).ToList();
            AssertSameAnswers(conditions, whole, new PastEvents(kept), then);
        });
    }

    [Fact]
    public void FoldedFromAStream_InAnyOrder_ClausesAnswerAsTheWholeHistoryDoes()
    {
        Gen.Select(Events, Gen.Int[0, int.MaxValue]).Sample((happened, seed) =>
        {
            var random = new Random(seed);

            // Clauses that read every event of a span (filtered performed and occurrences, aggregates) over "a" and "b".
            var conditions = Enumerable.Range(0, 6).Select(_ => Clause(RandomClause(random, everyOnly: true))).ToList();
            var full = History(happened, 0);
            var context = new EvaluationContext(Ann, null, null, new PastEvents([.. full.Select(e => e.Past)]), Now);
            var folds = new Dictionary<Condition, HistoryFold>(ReferenceEqualityComparer.Instance);
            foreach (var clause in conditions.SelectMany(HistoryPlan.Clauses))
            {
                folds.TryAdd(clause, HistoryFold.Start(clause, Now)!);
            }

            // The store streams a name's events in its own order; the history holds none of "a" or "b", only the folds.
            foreach (var past in full.Select(e => e.Past).OrderBy(_ => random.Next()))
            {
                foreach (var fold in folds.Values.Where(fold => fold.Event == past.Name))
                {
                    fold.Add(past, context);
                }
            }

            var rest = new PastEvents([.. full.Select(e => e.Past).Where(past => past.Name == "c")]) { Folds = folds };
            AssertSameAnswers(conditions, full, rest, Now);
        });
    }

    [Fact]
    public void ScoreReplay_OneEventAtATime_RescoresAsTheWholeHistoryDoes()
    {
        var model = DocumentParser.Parse<ParsedScoringModel>("""
            kind: scoring_model
            id: m
            name: M
            half_life: 10d
            rules:
              - { id: a, event: a, points: 5, cap: { points: 12, per: 3d } }
              - { id: big-b, event: b, points: 7, where: { property: amount, op: gte, value: 2 } }
              - { id: c, event: c, points: -2 }
            thresholds: [{ at: 10, stage: mql }]
            """, "m.yaml").ScoringModel;
        var library = new ScoringLibrary([model]);
        Gen.Select(Events, Gen.Bool).Sample((happened, merged) =>
        {
            var full = History(happened, 0).Select(e => e.Past).ToList();
            var models = merged ? null : new HashSet<string>(StringComparer.Ordinal) { "m" };
            var expected = ScoreDecider.Rescore(Ann, library, full, models, Now);
            var replay = new ScoreReplay(library, Ann, models, Now);
            foreach (var past in Enumerable.Reverse(full))
            {
                replay.Add(past);
            }

            var actual = ScoreDecider.Rescore(Ann, library, replay, Now);
            var (want, got) = (expected.Profile.Scores["m"], actual.Profile.Scores["m"]);
            Assert.Equal((want.Score, want.Fit), (got.Score, got.Fit));
            Assert.Equal(want.Contributions, got.Contributions);
            Assert.Equal(expected.Events.Select(e => e.Properties.GetRawText()), actual.Events.Select(e => e.Properties.GetRawText()));
        });
    }

    [Fact]
    public void Aggregate_OfHugeValues_IsExactInDecimal_AndFallsBackToDoublesPastIt()
    {
        var sum = (AggregateCondition)Clause("{ aggregate: sum, of: amount, event: a, op: gte, value: 1 }");
        PastEvent Amount(string json, int hours) => new("a", T0.AddHours(hours), JsonDocument.Parse($$"""{"amount":{{json}}}""").RootElement.Clone());
        double? Sum(params PastEvent[] events) => ConditionEvaluator.AggregateOf(sum, new EvaluationContext(Ann, null, null, events, Now));

        Assert.Equal(0.3, Sum(Amount("0.1", 2), Amount("0.2", 1)));
        Assert.Equal(1e300 + 5, Sum(Amount("1e300", 2), Amount("5", 1)));
        Assert.Equal(1e29, Sum(Amount("70000000000000000000000000000", 2), Amount("30000000000000000000000000000", 1))!.Value, 1e14);
    }

    private static void AssertSameAnswers(List<Condition> conditions, List<(long Sequence, PastEvent Past)> full, PastEvents read, DateTimeOffset now)
    {
        var whole = new EvaluationContext(Ann, null, null, new PastEvents([.. full.Select(e => e.Past)]), now);
        var partial = new EvaluationContext(Ann, null, null, read, now);
        foreach (var condition in conditions)
        {
            Assert.True(
                ConditionEvaluator.Holds(condition, whole) == ConditionEvaluator.Holds(condition, partial),
                $"{Describe(condition)} at {now:O}: {ConditionEvaluator.Holds(condition, whole)} on the whole history");
            Assert.Equal(SegmentDecider.NextChange(condition, whole), SegmentDecider.NextChange(condition, partial));
        }
    }

    private static string Describe(Condition condition) => condition switch
    {
        PerformedCondition p => $"performed {p.Event} {p.AtLeast}..{p.AtMost} within {p.Within} where {p.Where is not null}",
        OccurrenceCondition o => $"{(o.First ? "first" : "last")} {o.Event} within {o.Within} before {o.Before} where {o.Where is not null} not followed by {o.NotFollowedBy}",
        AggregateCondition a => $"{a.Function} {a.Property} of {a.Event} within {a.Within} {a.Operator} {a.Value} where {a.Where is not null}",
        _ => condition.ToString(),
    };

    /// <summary>What a store answers for the plan: its newest events first, then what that does not cover, name by name.</summary>
    private static List<PastEvent> Read(List<(long Sequence, PastEvent Past)> full, HistoryPlan plan, int firstRead, DateTimeOffset now)
    {
        var ofPlan = full.Where(e => plan.Names.Contains(e.Past.Name)).ToList();
        var first = ofPlan.Take(firstRead).ToList();
        var read = new Dictionary<long, PastEvent>(first.Select(e => KeyValuePair.Create(e.Sequence, Stripped(e.Past, plan))));
        foreach (var need in plan.Uncovered(new PastEvents([.. first.Select(e => e.Past)]), first.Count < firstRead, now))
        {
            var named = ofPlan.Where(e => e.Past.Name == need.Event).ToList();
            var parts = named.Take(need.Newest);
            if (need.EverySince(now) is { } since)
            {
                parts = parts.Concat(named.Where(e => e.Past.Timestamp >= since));
            }

            if (need.LatestPast)
            {
                parts = parts.Concat(named.Where(e => e.Past.Timestamp > now)).Concat(named.Where(e => e.Past.Timestamp <= now).Take(1));
            }

            if (need.Oldest)
            {
                parts = parts.Concat(named.TakeLast(1));
            }

            foreach (var (sequence, past) in parts)
            {
                read.TryAdd(sequence, Stripped(past, plan));
            }
        }

        return [.. read.OrderByDescending(e => e.Value.Timestamp).ThenByDescending(e => e.Key).Select(e => e.Value)];
    }

    /// <summary>An event as a read for the plan holds it: without properties where no clause reads them.</summary>
    private static PastEvent Stripped(PastEvent past, HistoryPlan plan) => plan.PropertyNames.Contains(past.Name) ? past : new PastEvent(past.Name, past.Timestamp, null);

    private static List<(long Sequence, PastEvent Past)> History((int Name, int Hours, int Amount)[] events, long firstSequence) =>
    [
        .. events.Select((e, index) => (firstSequence + index, new PastEvent(Names[e.Name], T0.AddHours(e.Hours), JsonSerializer.SerializeToElement(new { amount = e.Amount }))))
            .OrderByDescending(e => e.Item2.Timestamp)
            .ThenByDescending(e => e.Item1),
    ];

    private static string RandomClause(Random random, bool everyOnly = false)
    {
        string Name() => everyOnly ? Names[random.Next(2)] : Names[random.Next(3)];
        string Days() => $"{random.Next(1, 20)}d";
        string Where() => $"{{ property: amount, op: {(random.Next(2) == 0 ? "gte" : "eq")}, value: {random.Next(1, 4)} }}";
        var kind = everyOnly ? random.Next(3, 8) : random.Next(9);
        return kind switch
        {
            0 => $"{{ performed: {Name()}, at_least: {random.Next(0, 5)}, within: {Days()} }}",
            1 => $"{{ performed: {Name()}, at_least: {random.Next(0, 3)}, at_most: {random.Next(3, 6)}, within: {Days()} }}",
            2 => $"{{ last_performed: {Name()}, {(random.Next(2) == 0 ? "before" : "within")}: {Days()} }}",
            3 => $"{{ performed: {Name()}, at_least: {random.Next(1, 5)}, where: {Where()}{(random.Next(2) == 0 ? $", within: {Days()}" : string.Empty)} }}",
            4 => $"{{ {(random.Next(2) == 0 ? "first" : "last")}_performed: {Name()}, where: {Where()}, {(random.Next(2) == 0 ? "before" : "within")}: {Days()} }}",
            5 or 6 => $"{{ aggregate: {new[] { "sum", "count", "distinct", "min", "max", "avg" }[random.Next(6)]}, of: amount, event: {Name()}, {(random.Next(3) > 0 ? $"within: {Days()}, " : string.Empty)}op: {new[] { "gte", "lt", "eq" }[random.Next(3)]}, value: {random.Next(0, 8)}{(random.Next(3) == 0 ? $", where: {Where()}" : string.Empty)} }}",
            7 => $"{{ aggregate: count, event: {Name()}, within: {Days()}, op: gte, value: {random.Next(0, 5)} }}",
            _ => random.Next(2) == 0
                ? $"{{ first_performed: {Name()}, {(random.Next(2) == 0 ? "before" : "within")}: {Days()} }}"
                : $"{{ last_performed: {Name()}, not_followed_by: {Name()} }}",
        };
    }

    private static Condition Clause(string yaml)
    {
        var parsed = DocumentParser.Parse($"kind: segment\nid: s\nname: S\ncondition: {yaml}", "s.yaml");
        Assert.Empty(parsed.Errors);
        return Assert.IsType<ParsedSegment>(parsed).Segment.Condition!;
    }
}
