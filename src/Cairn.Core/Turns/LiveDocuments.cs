using System.Collections.Immutable;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Orchestration;
using Cairn.Core.Sales;
using Cairn.Core.Scoring;
using Cairn.Core.Segments;

namespace Cairn.Core.Turns;

/// <summary>
/// The documents a contact turn decides with, as one value: the journeys (live versions and every version still in
/// use), segments, scoring models, the policy and the sales teams, and what their history clauses read. A host
/// replaces it whole when a document is published, so a batch of turns decides with one consistent set. Immutable.
/// </summary>
public sealed class LiveDocuments
{
    /// <summary>Builds the set and what its history clauses read.</summary>
    /// <param name="journeys">The published journeys.</param>
    /// <param name="segments">The live segments, in evaluation order.</param>
    /// <param name="scoring">The live scoring models.</param>
    /// <param name="policy">The orchestrator's rules (<see cref="Policy.Default"/> when none is stored).</param>
    /// <param name="teams">The sales teams, by id.</param>
    /// <param name="previous">
    /// The set this one replaces: a history plan equal to its plan is kept as the same instance, so holders of
    /// histories keyed on the plan (by reference) keep them while the needs do not change.
    /// </param>
    public LiveDocuments(JourneyLibrary journeys, SegmentLibrary segments, ScoringLibrary scoring, Policy policy, ImmutableDictionary<string, SalesTeam> teams, LiveDocuments? previous = null)
    {
        ArgumentNullException.ThrowIfNull(journeys);
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(scoring);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(teams);
        Journeys = journeys;
        Segments = segments;
        Scoring = scoring;
        Policy = policy;
        Teams = teams;
        JourneyConditions = [.. journeys.Versions.Values.SelectMany(JourneyDocument.Conditions)];
        JourneysNeedHistory = !HistoryPlan.Of(JourneyConditions).IsEmpty;
        var historyPlan = HistoryPlan.Of(JourneyConditions.Concat(segments.Segments.Select(segment => segment.Condition)));
        var replayPlan = historyPlan.With(HistoryPlan.Replay(scoring.Models));
        HistoryPlan = previous is not null && historyPlan.Equals(previous.HistoryPlan) ? previous.HistoryPlan : historyPlan;
        ReplayPlan = previous is not null && replayPlan.Equals(previous.ReplayPlan) ? previous.ReplayPlan : replayPlan;
    }

    /// <summary>No documents: nothing live, the default policy.</summary>
    public static LiveDocuments Empty { get; } = new(JourneyLibrary.Of(), SegmentLibrary.Empty, ScoringLibrary.Empty, Policy.Default, ImmutableDictionary<string, SalesTeam>.Empty);

    /// <summary>The published journeys: live versions take entries, every version in use runs its enrollments.</summary>
    public JourneyLibrary Journeys { get; }

    /// <summary>The live segments, in evaluation order.</summary>
    public SegmentLibrary Segments { get; }

    /// <summary>The live scoring models, in id order.</summary>
    public ScoringLibrary Scoring { get; }

    /// <summary>The orchestrator's rules (a turn reads the double opt-in channels).</summary>
    public Policy Policy { get; }

    /// <summary>The sales teams, by id (hand-offs route to their owners).</summary>
    public ImmutableDictionary<string, SalesTeam> Teams { get; }

    /// <summary>Every condition of every journey version in use (branches, exits, audiences, filters, goals).</summary>
    public ImmutableArray<Condition> JourneyConditions { get; }

    /// <summary>True when a journey in use has a condition over event history: journey decisions then read it.</summary>
    public bool JourneysNeedHistory { get; }

    /// <summary>
    /// What the history clauses of the live segments and of the journeys read of a contact's history, per event name:
    /// a host reads a contact's history for these names only, and all of what they read, however long it is.
    /// </summary>
    public HistoryPlan HistoryPlan { get; }

    /// <summary>
    /// What an input that rebuilds scores from history reads (a model saved, profiles merged): every event the live
    /// models' rules score, and what <see cref="HistoryPlan"/> reads for the segments decided with it.
    /// </summary>
    public HistoryPlan ReplayPlan { get; }

    /// <summary>Every condition whose history clauses a host may have to fold from a stream: the journeys' and the segments'.</summary>
    public IEnumerable<Condition> HistoryConditions =>
        JourneyConditions.Concat(Segments.Segments.Select(segment => segment.Condition).OfType<Condition>());

    /// <summary>The same documents with <paramref name="journeys"/> in place of the journeys.</summary>
    public LiveDocuments WithJourneys(JourneyLibrary journeys) => new(journeys, Segments, Scoring, Policy, Teams, this);
}
