using Cairn.Core.Journeys.Engine;

namespace Cairn.Http;

/// <summary>
/// A journey's splits and how each chooses now: <c>GET /api/journeys/{id}/splits</c> lists every split step of every
/// published version, with its mode (fixed, winner, bandit), the share of new entrants each arm takes now, the evidence
/// the partitions decide with (as of its snapshot) and the automatic winner once decided (who, when, the numbers).
/// </summary>
internal static class SplitEndpoints
{
    /// <summary>Maps <c>/journeys/{id}/splits</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapSplits(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/journeys/{id}/splits", SplitsAsync).WithTags("Journeys")
            .WithSummary("A journey's splits, newest version first: each one's mode (fixed, winner, bandit), the share of new entrants each arm takes now, the arms' treated entries and goal conversions as of the evidence snapshot the partitions decide with, and the automatic winner once decided (who, when, the numbers).");
        return api;
    }

    private static async Task<Results<Ok<JourneySplitsView>, ProblemHttpResult>> SplitsAsync(string id, JourneyRegistry journeyRegistry, IDocumentStore documentStore, ISplitStore splitStore, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await documentStore.GetDocumentAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false) is not { } document)
        {
            return Problems.NotFound($"There is no journey '{id}'.");
        }

        var library = journeyRegistry.Library;
        var versions = library.Versions.Where(pair => pair.Key.Journey == id).OrderByDescending(pair => pair.Key.Version).ToList();
        var splits = versions.SelectMany(pair => pair.Value.Steps.OfType<SplitStep>().Select(split => (pair.Key.Version, Split: split))).ToList();
        var decisions = splits.Count == 0 ? [] : (await splitStore.GetSplitDecisionsAsync(id, cancellationToken).ConfigureAwait(false)).ToDictionary(entry => entry.Split, entry => entry.Decision);

        // Fixed experiment splits are not in the partitions' snapshots: their arms are counted now.
        var counted = splits.Any(pair => pair.Split is { Mode: SplitMode.Fixed, Experiment: true })
            ? await splitStore.CountSplitArmsAsync(id, cancellationToken).ConfigureAwait(false)
            : [];
        var now = time.GetUtcNow();
        var views = new List<SplitView>();
        foreach (var (version, split) in splits)
        {
            var key = new SplitKey(id, version, split.Id);
            var evidence = split.Mode != SplitMode.Fixed
                ? library.Splits.GetValueOrDefault(key)
                : split.Experiment
                    ? new SplitEvidence([.. split.Arms.Select(arm => counted.FirstOrDefault(count => count.Version == version && count.Arm == arm.Name) is { } count ? new ArmCount(arm.Name, count.Entries, count.Conversions) : new ArmCount(arm.Name, 0, 0))], null, now)
                    : null;
            if (evidence is not null && decisions.TryGetValue(key, out var recorded))
            {
                evidence = evidence with { Decision = recorded };
            }

            var weights = SplitModes.Weights(split, evidence);
            views.Add(new SplitView(
                version,
                split.Id,
                split.Mode.ToString().ToLowerInvariant(),
                split.Experiment,
                SplitModes.Describe(split, evidence),
                evidence?.AsOf,
                evidence?.FirstEntryAt,
                split.Winner is { } rule ? Duration.Format(rule.After) : null,
                split.Winner?.MinPerArm,
                split.Bandit?.Floor,
                [.. split.Arms.Select((arm, index) => new SplitArmView(
                    arm.Name,
                    arm.Next.Target ?? JourneyStep.End,
                    arm.Percent,
                    weights[index],
                    evidence?.Of(arm.Name).Entries,
                    evidence?.Of(arm.Name).Conversions,
                    evidence?.Of(arm.Name).PosteriorMean))],
                evidence?.Decision is { } decision ? SplitDecisionView.From(decision, version) : null));
        }

        return TypedResults.Ok(new JourneySplitsView(id, document.PublishedVersion, SplitModes.RefreshInterval.TotalSeconds, views));
    }
}

/// <summary>A journey's splits.</summary>
/// <param name="Id">The journey.</param>
/// <param name="PublishedVersion">The version new entrants take (null before the first publish).</param>
/// <param name="RefreshSeconds">How often the evidence of adaptive splits is refreshed, in seconds.</param>
/// <param name="Splits">Every split step of every published version, newest version first, in document order.</param>
internal sealed record JourneySplitsView(string Id, int? PublishedVersion, double RefreshSeconds, IReadOnlyList<SplitView> Splits);

/// <summary>One split of one version, and how it chooses now.</summary>
/// <param name="Version">The journey version.</param>
/// <param name="StepId">The split step.</param>
/// <param name="Mode"><c>fixed</c>, <c>winner</c> or <c>bandit</c>.</param>
/// <param name="Experiment">True when the enrollments record their arm (its conversions are compared).</param>
/// <param name="State">The mode and state in words (<c>winner pending (after 7d, 500 per arm): …</c>, <c>winner 'b' decided … (a 3/120, b 9/118)</c>, <c>bandit (floor 5%): …</c>).</param>
/// <param name="EvidenceAsOf">When the arms' counts were read (the snapshot the partitions decide with, for an adaptive split); null when the split is no experiment.</param>
/// <param name="FirstEntryAt">When the first enrollment that took an arm on this version entered (a winner's <c>after</c> counts from it).</param>
/// <param name="WinnerAfter">The winner rule's wait (e.g. <c>7d</c>).</param>
/// <param name="MinPerArm">The winner rule's entries per arm.</param>
/// <param name="Floor">The bandit's floor, in percent of new entrants per arm.</param>
/// <param name="Arms">The arms, in document order.</param>
/// <param name="Decision">The automatic winner, once decided.</param>
internal sealed record SplitView(
    int Version,
    string StepId,
    string Mode,
    bool Experiment,
    string State,
    DateTimeOffset? EvidenceAsOf,
    DateTimeOffset? FirstEntryAt,
    string? WinnerAfter,
    int? MinPerArm,
    double? Floor,
    IReadOnlyList<SplitArmView> Arms,
    SplitDecisionView? Decision);

/// <summary>One arm of a split.</summary>
/// <param name="Arm">Its name.</param>
/// <param name="Next">The step it leads to.</param>
/// <param name="Percent">Its declared percentage.</param>
/// <param name="Weight">The share of new entrants it takes now, in percent (the winner 100; a bandit's floor plus its probability to be best times the rest).</param>
/// <param name="Entries">Treated enrollments that took it (holdout members left out), as of the evidence; null when the split is no experiment.</param>
/// <param name="Conversions">Of those, how many reached the goal.</param>
/// <param name="PosteriorMean">(conversions + 1) / (entries + 2): the rate the winner rule compares.</param>
internal sealed record SplitArmView(string Arm, string Next, double Percent, double Weight, long? Entries, long? Conversions, double? PosteriorMean);

/// <summary>A split's recorded winner.</summary>
/// <param name="Arm">The winning arm.</param>
/// <param name="DecidedAt">When.</param>
/// <param name="DecidedBy">Who (<c>automatic winner</c>).</param>
/// <param name="Arms">The numbers it was decided on, per arm.</param>
/// <param name="Version">The journey version whose split it decided.</param>
/// <param name="Reason">The decision in words, with the numbers it rested on.</param>
internal sealed record SplitDecisionView(string Arm, DateTimeOffset DecidedAt, string DecidedBy, IReadOnlyList<SplitEvidenceView> Arms, int Version, string Reason)
{
    /// <summary>The view of a decision about a split of <paramref name="version"/>.</summary>
    public static SplitDecisionView From(SplitDecision decision, int version) =>
        new(
            decision.Arm,
            decision.DecidedAt,
            decision.DecidedBy,
            [.. decision.Arms.Select(arm => new SplitEvidenceView(arm.Arm, arm.Entries, arm.Conversions, arm.PosteriorMean))],
            version,
            $"{decision.DecidedBy}: arm {decision.Arm} had the highest posterior conversion rate ({string.Join(", ", decision.Arms.Select(arm => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{arm} = {arm.PosteriorMean:0.0%}")))}); every new entrant of version {version} takes it.");
}

/// <summary>One arm's numbers behind a decision.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="Entries">Treated enrollments that had taken it.</param>
/// <param name="Conversions">Of those, how many had reached the goal.</param>
/// <param name="PosteriorMean">(conversions + 1) / (entries + 2).</param>
internal sealed record SplitEvidenceView(string Arm, long Entries, long Conversions, double PosteriorMean);
