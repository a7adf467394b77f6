using System.Collections.Immutable;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Core.Turns;

/// <summary>What a contact turn starts from: the contact (null before it exists) and whether it was erased.</summary>
/// <param name="Contact">
/// The profile with everything the turn reads and changes: traits, consent, scores and stage, segment memberships,
/// journey enrollments and open hand-offs.
/// </param>
/// <param name="Erased">True once the contact was erased: every later input is dropped, and nothing is decided for it.</param>
public sealed record TurnState(ContactState? Contact, bool Erased = false)
{
    /// <summary>A contact that does not exist yet.</summary>
    public static TurnState None { get; } = new((ContactState?)null);
}

/// <summary>
/// The contact's stored history as a host read it for a turn, and this batch's events of the contact that are not
/// stored yet (the turn puts its own events in front of both).
/// </summary>
/// <param name="Stored">The stored events a plan reads, newest first; for clauses too long to hold, their folds (<see cref="PastEvents.Folds"/>).</param>
/// <param name="Earlier">The contact's events that earlier turns of the same batch appended, in the order they were appended.</param>
/// <param name="Exceeded">The names of which more events matched than the host holds (null: none): a rescore then replays them from a stream.</param>
public sealed record LoadedHistory(PastEvents Stored, IReadOnlyList<PastEvent> Earlier, IReadOnlySet<string>? Exceeded = null)
{
    /// <summary>A contact with no history.</summary>
    public static LoadedHistory Empty { get; } = new(PastEvents.Empty, []);
}

/// <summary>An owner turn the host took for a hand-off (see <see cref="OwnerTurnNeeded"/>).</summary>
/// <param name="Team">The team.</param>
/// <param name="Owner">The owner whose turn it was.</param>
public sealed record OwnerTurnTaken(string Team, string Owner);

/// <summary>
/// What a host read for a turn from outside the contact's own state: its history (as the documents' plans read it),
/// the scores replayed from a history too long to hold, and the answers of the workspace's routing memory. A turn
/// asks for each when it needs it (<see cref="TurnNeeds"/>); the host reads it and calls the turn again with it.
/// </summary>
public sealed record TurnReads
{
    /// <summary>Nothing read.</summary>
    public static TurnReads None { get; } = new();

    /// <summary>The history as <see cref="LiveDocuments.HistoryPlan"/> reads it (null: not read).</summary>
    public LoadedHistory? History { get; init; }

    /// <summary>The history as <see cref="LiveDocuments.ReplayPlan"/> reads it, for a rescore (null: not read).</summary>
    public LoadedHistory? Replay { get; init; }

    /// <summary>The scores replayed from a stream of the store (<see cref="ScoreReplayNeeded"/>; null: not read).</summary>
    public Scoring.ScoreReplay? Replayed { get; init; }

    /// <summary>The owner turns taken for this turn's hand-offs, in the order the turn asked for them.</summary>
    public ImmutableList<OwnerTurnTaken> OwnerTurns { get; init; } = [];

    /// <summary>The owner each team last routed an account's leads to (null: none yet), by team and email domain.</summary>
    public ImmutableDictionary<(string Team, string Domain), string?> AccountOwners { get; init; } = ImmutableDictionary<(string Team, string Domain), string?>.Empty;
}

/// <summary>Something a turn needs read before it can decide (the host reads it, then calls the turn again).</summary>
public abstract record TurnRequest
{
    private protected TurnRequest()
    {
    }
}

/// <summary>The contact's stored history: as <see cref="LiveDocuments.HistoryPlan"/> reads it, or for a rescore as <see cref="LiveDocuments.ReplayPlan"/> does.</summary>
/// <param name="Replay">True for the rescore's plan (<see cref="TurnReads.Replay"/>), false for <see cref="TurnReads.History"/>.</param>
/// <param name="Profile">The contact as the turn has it: what folded clauses' filters read besides the event.</param>
public sealed record HistoryNeeded(bool Replay, ContactState Profile) : TurnRequest;

/// <summary>
/// A rescore of a history that has more events of a scored name than the host holds: feed <paramref name="Replay"/> the
/// stored events of <paramref name="Names"/> oldest first (with the message properties of <paramref name="PropertyNames"/>),
/// with <paramref name="Newer"/> (this batch's, oldest first) in between by time, a stored event first on a tie; then
/// give it back as <see cref="TurnReads.Replayed"/>.
/// </summary>
public sealed record ScoreReplayNeeded(Scoring.ScoreReplay Replay, IReadOnlySet<string> Names, IReadOnlySet<string> PropertyNames, IReadOnlyList<PastEvent> Newer) : TurnRequest;

/// <summary>
/// A hand-off routes by turn: the workspace-wide rotation must give the lead to one of <paramref name="Candidates"/>
/// and remember it (atomically across partitions); the answer goes to <see cref="TurnReads.OwnerTurns"/>.
/// </summary>
public sealed record OwnerTurnNeeded(string Team, ImmutableArray<string> Candidates) : TurnRequest;

/// <summary>A hand-off routes by account: who did <paramref name="Team"/> route leads from <paramref name="Domain"/> to? (<see cref="TurnReads.AccountOwners"/>)</summary>
public sealed record AccountOwnerNeeded(string Team, string Domain) : TurnRequest;

/// <summary>What a turn gives back: its decision, or what it needs read first.</summary>
public abstract record TurnResult
{
    private protected TurnResult()
    {
    }
}

/// <summary>The turn decided: the contact's new state and what the host must do, in order.</summary>
/// <param name="State">The state after the input.</param>
/// <param name="Changed">True when the contact must be written (its state differs from the one the turn started from).</param>
/// <param name="Effects">Plain data, in the order they were decided: see <see cref="ContactTurn"/> for the kinds.</param>
public sealed record TurnDecided(TurnState State, bool Changed, ImmutableArray<Effect> Effects) : TurnResult;

/// <summary>The turn cannot decide before <paramref name="Request"/> is read; nothing was decided.</summary>
public sealed record TurnNeeds(TurnRequest Request) : TurnResult;
