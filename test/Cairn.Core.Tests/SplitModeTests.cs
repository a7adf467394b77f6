using System.Collections.Immutable;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Core.Tests;

/// <summary>
/// Adaptive splits: the automatic winner (decided once, after its wait and minimum, then taken by every new entrant)
/// and the bandit (Thompson sampling with a floor per arm), deterministic given the split's evidence.
/// </summary>
public sealed class SplitModeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);

    private const string WinnerJourney = """
        id: ab
        name: AB
        trigger: { event: signed_up }
        entry: { reentry: always }
        steps:
          - id: pick
            split:
              - { arm: a, percent: 50, next: hold }
              - { arm: b, percent: 50, next: hold }
            winner: { metric: goal, after: 7d, min_per_arm: 100 }
          - id: hold
            wait: 7d
            next: end
        goal: { event: order_completed, within: 7d }
        """;

    private const string BanditJourney = """
        id: ab
        name: AB
        trigger: { event: signed_up }
        entry: { reentry: always }
        steps:
          - id: pick
            split:
              - { arm: a, percent: 50, next: hold }
              - { arm: b, percent: 50, next: hold }
            mode: bandit
            floor: 10
            metric: goal
          - id: hold
            wait: 7d
            next: end
        goal: { event: order_completed, within: 7d }
        """;

    private static readonly SplitKey Pick = new("ab", 1, "pick");

    [Fact]
    public void Parse_ReadsTheWinnerRuleAndTheBandit()
    {
        var winner = Assert.IsType<SplitStep>(Journey(WinnerJourney).Find("pick"));
        Assert.Equal(SplitMode.Winner, winner.Mode);
        Assert.Equal(TimeSpan.FromDays(7), winner.Winner!.After);
        Assert.Equal(100, winner.Winner.MinPerArm);
        Assert.True(winner.Experiment);

        var bandit = Assert.IsType<SplitStep>(Journey(BanditJourney).Find("pick"));
        Assert.Equal(SplitMode.Bandit, bandit.Mode);
        Assert.Equal(10, bandit.Bandit!.Floor);
        Assert.True(bandit.Experiment);
    }

    [Theory]
    [InlineData("winner: { metric: goal, after: 30m, min_per_arm: 10 }", "at least 1h", 9)]
    [InlineData("winner: { metric: goal, after: 1d, min_per_arm: 0 }", "'min_per_arm' must be a whole number from 1 to 1000000", 9)]
    [InlineData("winner: { metric: goal, after: 1d, min_per_arm: 1000001 }", "'min_per_arm' must be a whole number from 1 to 1000000", 9)]
    [InlineData("winner: { metric: goal, after: 1d }", "needs 'min_per_arm'", 9)]
    [InlineData("winner: { metric: revenue, after: 1d, min_per_arm: 10 }", "'metric' must be goal", 9)]
    [InlineData("mode: bandit\n    floor: 60", "'floor' must be a number from 0 to 50", 10)]
    [InlineData("mode: bandit\n    floor: 40\n    experiment: true\n    x_arms: 1", "unknown field 'x_arms'", 12)]
    [InlineData("mode: bandit\n    winner: { metric: goal, after: 1d, min_per_arm: 10 }", "either a bandit or has an automatic winner", 10)]
    [InlineData("mode: bandit\n    experiment: false", "the split is an experiment", 10)]
    [InlineData("mode: fast", "'mode' must be fixed, winner or bandit", 9)]
    [InlineData("mode: winner", "'mode: winner' needs its rule", 9)]
    [InlineData("floor: 5", "'floor' belongs to 'mode: bandit'", 9)]
    public void Validate_SplitModeMistakes_AreReportedWhereTheyAre(string mode, string expected, int line)
    {
        var set = Read($"""
            id: j
            name: J
            trigger: {"{"} event: go {"}"}
            steps:
              - id: s
                split:
                  - {"{"} arm: a, percent: 50, next: end {"}"}
                  - {"{"} arm: b, percent: 50, next: end {"}"}
                {mode}
            goal: {"{"} event: bought, within: 7d {"}"}
            """);
        Assert.Contains(set.Errors, error => error.Message.Contains(expected, StringComparison.Ordinal) && error.Line == line);
    }

    [Fact]
    public void Validate_FloorTimesArms_AtMost100_TheGoal_AndOneExperimentSplit()
    {
        var set = Read("""
            id: j
            name: J
            trigger: { event: go }
            steps:
              - id: s
                split:
                  - { arm: a, percent: 34, next: t }
                  - { arm: b, percent: 33, next: t }
                  - { arm: c, percent: 33, next: t }
                mode: bandit
                floor: 20
              - id: t
                split:
                  - { arm: x, percent: 50, next: end }
                  - { arm: y, percent: 50, next: end }
                experiment: true
            """);
        var floors = Read("""
            id: j
            name: J
            trigger: { event: go }
            steps:
              - id: s
                split:
                  - { arm: a, percent: 34, next: end }
                  - { arm: b, percent: 33, next: end }
                  - { arm: c, percent: 33, next: end }
                mode: bandit
                floor: 40
            goal: { event: bought, within: 7d }
            """);
        Assert.Contains(floors.Errors, error => error.Message.Contains("a floor of 40% for each of 3 arms is more than 100%: at most 33.33%", StringComparison.Ordinal) && error.Line == 11);
        Assert.Contains(set.Errors, error => error.Message.Contains("give the journey a 'goal'", StringComparison.Ordinal) && error.Line == 10);
        Assert.Contains(set.Errors, error => error.Message.Contains("the journey's only experiment split", StringComparison.Ordinal) && error.Line == 10);
    }

    [Fact]
    public void Winner_IsDueOnlyAfterItsWaitAndMinimum_ThenTheBestPosteriorMean_TiesToTheEarlierArm()
    {
        var split = (SplitStep)Journey(WinnerJourney).Find("pick")!;
        SplitEvidence Evidence(long aN, long aC, long bN, long bC) => new([new ArmCount("a", aN, aC), new ArmCount("b", bN, bC)], T0, T0);

        Assert.Null(SplitModes.DueWinner(split, Evidence(500, 10, 500, 50), T0.AddDays(7).AddSeconds(-1)));
        Assert.Null(SplitModes.DueWinner(split, Evidence(500, 10, 99, 50), T0.AddDays(8)));
        Assert.Null(SplitModes.DueWinner(split, SplitEvidence.None(T0), T0.AddDays(8)));

        var decision = SplitModes.DueWinner(split, Evidence(500, 10, 100, 5), T0.AddDays(7))!;
        Assert.Equal("b", decision.Arm);
        Assert.Equal(T0.AddDays(7), decision.DecidedAt);
        Assert.Equal(SplitModes.AutomaticWinner, decision.DecidedBy);
        Assert.Equal([new ArmCount("a", 500, 10), new ArmCount("b", 100, 5)], decision.Arms);

        Assert.Equal("a", SplitModes.DueWinner(split, Evidence(200, 20, 200, 20), T0.AddDays(8))!.Arm);
        Assert.Null(SplitModes.DueWinner(split, Evidence(500, 10, 100, 5) with { Decision = decision }, T0.AddDays(9)));
    }

    [Fact]
    public void Winner_BeforeTheDecision_ArmsTakeTheirPercentages_AfterIt_EveryNewEntrantTakesTheWinner()
    {
        var library = Library(WinnerJourney);
        var pending = Arms(library, 400);
        Assert.InRange(pending.Count(arm => arm.Arm == "a"), 150, 250);
        Assert.All(pending, arm => Assert.EndsWith("winner pending)", arm.Reason, StringComparison.Ordinal));

        var decision = new SplitDecision("b", T0.AddDays(7), SplitModes.AutomaticWinner, [new ArmCount("a", 120, 3), new ArmCount("b", 118, 9)]);
        var decided = library with { Splits = library.Splits.Add(Pick, new SplitEvidence(decision.Arms, T0, T0.AddDays(7)) { Decision = decision }) };
        var after = Arms(decided, 400);
        Assert.All(after, arm => Assert.Equal("b", arm.Arm));
        Assert.Equal("arm 'b': automatic winner decided 2026-11-09T10:00:00Z (a 3/120, b 9/118)", after[0].Reason);
        Assert.Equal([0.0, 100.0], SplitModes.Weights((SplitStep)decided.Versions[("ab", 1)].Find("pick")!, decided.Splits[Pick]));
    }

    [Fact]
    public void Bandit_TheSameInputsGiveTheSameArm_AndTheReasonNamesTheSnapshot()
    {
        var evidence = new SplitEvidence([new ArmCount("a", 300, 15), new ArmCount("b", 300, 30)], T0, T0.AddHours(1));
        var library = Library(BanditJourney) with { Splits = ImmutableDictionary<SplitKey, SplitEvidence>.Empty.Add(Pick, evidence) };
        var first = Arms(library, 300);
        var again = Arms(library, 300);
        Assert.Equal(first, again);
        Assert.Contains(first, arm => arm.Reason.Contains("Thompson draw, floor 10%; evidence a 15/300, b 30/300", StringComparison.Ordinal));

        // When the snapshot was read does not matter, its counts do: another snapshot draws again (some contacts change
        // arm), and the better arm still takes most.
        Assert.Equal(first, Arms(library with { Splits = library.Splits.SetItem(Pick, evidence with { AsOf = T0.AddHours(2) }) }, 300));
        var later = Arms(library with { Splits = library.Splits.SetItem(Pick, new SplitEvidence([new ArmCount("a", 301, 15), new ArmCount("b", 300, 30)], T0, T0.AddHours(2))) }, 300);
        Assert.NotEqual(first.Select(arm => arm.Arm), later.Select(arm => arm.Arm));
        Assert.True(later.Count(arm => arm.Arm == "b") > 200);
    }

    [Fact]
    public void Bandit_EveryArmKeepsItsFloor_HoweverStrongTheEvidence()
    {
        var evidence = new SplitEvidence([new ArmCount("a", 5_000, 50), new ArmCount("b", 5_000, 1_000)], T0, T0.AddHours(1));
        var library = Library(BanditJourney) with { Splits = ImmutableDictionary<SplitKey, SplitEvidence>.Empty.Add(Pick, evidence) };
        var arms = Arms(library, 4_000);
        var a = arms.Count(arm => arm.Arm == "a") / 40.0;
        Assert.InRange(a, 8.5, 11.5);
        Assert.All(arms.Where(arm => arm.Arm == "a"), arm => Assert.Contains("its 10% floor", arm.Reason, StringComparison.Ordinal));

        var weights = SplitModes.Weights((SplitStep)library.Versions[("ab", 1)].Find("pick")!, evidence);
        Assert.Equal(10, weights[0], 3);
        Assert.Equal(90, weights[1], 3);
        Assert.Equal(weights, SplitModes.Weights((SplitStep)library.Versions[("ab", 1)].Find("pick")!, evidence));
    }

    [Fact]
    public void Bandit_WithoutEvidence_UsesThePercentages()
    {
        var arms = Arms(Library(BanditJourney), 50);
        Assert.All(arms, arm => Assert.EndsWith("bandit: no evidence yet)", arm.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Bandit_LosesFewerConversionsThanAFixedHalfSplit_OnPlantedRates()
    {
        // Arm a converts 5 %, arm b 10 %. Entrants arrive one a minute; the evidence is refreshed every 100 entries
        // (each entrant's conversion is known by then: the planted outcome is drawn when it enters).
        var library = Library(BanditJourney);
        var split = (SplitStep)library.Versions[("ab", 1)].Find("pick")!;
        var rates = new Dictionary<string, double>(StringComparer.Ordinal) { ["a"] = 0.05, ["b"] = 0.10 };
        const int Entrants = 4_000;
        const int RefreshEvery = 100;
        var random = new Random(2126);
        var counts = new Dictionary<string, (long N, long C)>(StringComparer.Ordinal) { ["a"] = (0, 0), ["b"] = (0, 0) };
        var evidence = SplitEvidence.None(T0);
        double banditRegret = 0, fixedRegret = 0;
        long banditConversions = 0, fixedConversions = 0;
        for (var i = 0; i < Entrants; i++)
        {
            var now = T0.AddMinutes(i);
            if (i % RefreshEvery == 0)
            {
                evidence = new SplitEvidence([.. counts.Select(pair => new ArmCount(pair.Key, pair.Value.N, pair.Value.C))], T0, now);
            }

            var contact = new ContactId(new Guid(i + 1, 7, 7, new byte[8]));
            var draw = random.NextDouble();
            var (arm, _) = SplitModes.Choose(split, evidence, contact, "ab", 1);
            var converted = draw < rates[arm.Name];
            counts[arm.Name] = (counts[arm.Name].N + 1, counts[arm.Name].C + (converted ? 1 : 0));
            banditRegret += 0.10 - rates[arm.Name];
            banditConversions += converted ? 1 : 0;

            var fixedArm = SplitModes.ByPercent(split, contact, "ab");
            fixedRegret += 0.10 - rates[fixedArm.Name];
            fixedConversions += draw < rates[fixedArm.Name] ? 1 : 0;
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Entrants} entrants, a 5 %, b 10 %, evidence every {RefreshEvery} entries: bandit regret {banditRegret:0.0} conversions (b took {counts["b"].N}, {banditConversions} converted); fixed 50/50 regret {fixedRegret:0.0} ({fixedConversions} converted)");
        Assert.True(banditRegret < fixedRegret / 2, $"bandit regret {banditRegret:0.0} vs fixed {fixedRegret:0.0}");
        Assert.True(counts["b"].N > Entrants * 0.7);
    }

    [Fact]
    public void Simulation_DecidesTheWinnerFromItsOwnCounts_ThenNewEntrantsTakeIt_AndReplaysExactly()
    {
        // 60 sign-ups a day for 12 days; arm b's contacts order, a's do not. The winner (after 7 days, 100 per arm) is
        // decided at the first refresh once both hold, and every later entrant takes b.
        var library = Library(WinnerJourney);
        var events = new List<Messages.SegmentMessage>();
        for (var i = 0; i < 720; i++)
        {
            var at = T0.AddMinutes(i * 24);
            var user = $"u{i}";
            events.Add(TestMessages.Track(user, null, "signed_up", at));
            var arm = SplitModes.ByPercent((SplitStep)library.Versions[("ab", 1)].Find("pick")!, JourneySimulator.IdFor(user), "ab").Name;
            if (arm == "b" || i % 10 == 0)
            {
                events.Add(TestMessages.Track(user, null, "order_completed", at.AddHours(1)));
            }
        }

        var result = JourneySimulator.Run(library, [], events, cancellationToken: TestContext.Current.CancellationToken);
        var again = JourneySimulator.Run(library, [], events, cancellationToken: TestContext.Current.CancellationToken);
        var evidence = result.Splits[Pick];
        var decision = Assert.IsType<SplitDecision>(evidence.Decision);
        Assert.Equal("b", decision.Arm);
        Assert.True(decision.DecidedAt >= T0.AddDays(7));
        Assert.All(decision.Arms, arm => Assert.True(arm.Entries >= 100));
        Assert.Equal((decision.Arm, decision.DecidedAt), (again.Splits[Pick].Decision!.Arm, again.Splits[Pick].Decision!.DecidedAt));
        Assert.Equal(decision.Arms, again.Splits[Pick].Decision!.Arms);

        var moves = result.Contacts.SelectMany(contact => contact.Moves).Where(move => move.Entry.From == "pick").ToList();
        Assert.All(moves.Where(move => move.Entry.At > decision.DecidedAt), move => Assert.Equal("b", move.Entry.Exit));
        Assert.Contains(moves, move => move.Entry.At < decision.DecidedAt && move.Entry.Exit == "a");
        Assert.Equal(
            moves.Select(move => (move.EnrollmentId, move.Entry.Exit, move.Entry.Reason)),
            again.Contacts.SelectMany(contact => contact.Moves).Where(move => move.Entry.From == "pick").Select(move => (move.EnrollmentId, move.Entry.Exit, move.Entry.Reason)));
    }

    private static List<(string Arm, string Reason)> Arms(JourneyLibrary library, int contacts) =>
        [.. Enumerable.Range(1, contacts).Select(i =>
        {
            var id = new ContactId(new Guid(i, 3, 3, new byte[8]));
            var decision = JourneyDecider.Decide(JourneyMemberships.Empty, ContactState.New(id, T0), new EventOccurred(TestMessages.Track("u" + i, null, "signed_up", T0)), library, [], T0);
            var moved = decision.Effects.OfType<EnrollmentMoved>().Single(move => move.Entry.From == "pick");
            return (moved.Entry.Exit, moved.Entry.Reason);
        })];

    private static DocumentSet Read(string journey) => DocumentSet.Read([("test.yaml", journey)]);

    private static JourneyDefinition Journey(string yaml)
    {
        var set = Read(yaml);
        Assert.Empty(set.Errors);
        return Assert.Single(set.Journeys);
    }

    private static JourneyLibrary Library(string yaml) => JourneyLibrary.Of(new PublishedJourney(Journey(yaml), 1));
}
