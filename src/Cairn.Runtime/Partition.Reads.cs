using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Turns;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Cairn.Runtime;

/// <summary>What a partition reads for its turns: contact histories (held across batches when it can), score replays, routing memory.</summary>
internal sealed partial class Partition
{
    // How many of a contact's newest events of the names history clauses read one query takes first: a history no
    // longer than that (nearly all) is read whole in one go; a longer one is then read name by name, as far as each
    // clause reads (HistoryPlan).
    private const int FirstHistoryRead = 1000;

    // A turn asks for each read once (history, replay, a routing answer per hand-off): more means a bug, not a contact.
    private const int MaxReadsPerTurn = 32;

    /// <summary>
    /// Decides one input's turn: calls it, reads what it asks for (from memory when the partition holds it, else from
    /// the store), and calls it again, until it decides.
    /// </summary>
    private async ValueTask<TurnDecided> DecideAsync(TurnState state, ContactInput input, LiveDocuments documents, BatchHistories histories, DateTimeOffset now)
    {
        var turn = ContactTurn.Begin(state, input, documents, now);
        var reads = TurnReads.None;
        for (var asked = 0; ; asked++)
        {
            switch (turn.Decide(reads))
            {
                case TurnDecided decided:
                    return decided;
                case TurnNeeds { Request: var request } when asked < MaxReadsPerTurn:
                    reads = await ReadAsync(input.ContactId, request, reads, documents, histories, now).ConfigureAwait(false);
                    break;
                case var other:
                    throw new InvalidOperationException($"The turn of {input.GetType().Name} for contact {input.ContactId} kept asking for reads ({other}).");
            }
        }
    }

    private async ValueTask<TurnReads> ReadAsync(ContactId id, TurnRequest request, TurnReads reads, LiveDocuments documents, BatchHistories histories, DateTimeOffset now)
    {
        switch (request)
        {
            case HistoryNeeded { Replay: var replay, Profile: var profile }:
                var loaded = await HistoryAsync(id, replay, profile, documents, histories, now).ConfigureAwait(false);
                return replay ? reads with { Replay = loaded } : reads with { History = loaded };
            case ScoreReplayNeeded replayNeeded:
                await ReplayAsync(id, replayNeeded).ConfigureAwait(false);
                return reads with { Replayed = replayNeeded.Replay };
            case OwnerTurnNeeded turn:
                return reads with { OwnerTurns = reads.OwnerTurns.Add(new OwnerTurnTaken(turn.Team, _router.TakeTurn(turn.Team, turn.Candidates, now))) };
            case AccountOwnerNeeded account:
                return reads with { AccountOwners = reads.AccountOwners.SetItem((account.Team, account.Domain), _router.AccountOwner(account.Team, account.Domain)) };
            default:
                throw new InvalidOperationException($"Unknown turn request {request.GetType().Name}.");
        }
    }

    /// <summary>
    /// The contact's stored history as the documents' <see cref="HistoryPlan"/> reads it (or the
    /// <see cref="LiveDocuments.ReplayPlan"/> for a rescore), read once per batch (and held across batches for active
    /// contacts), with the events this batch added before this turn. Clauses that read every event of a span longer than
    /// this partition holds come folded from a stream of the store.
    /// </summary>
    private async ValueTask<LoadedHistory> HistoryAsync(ContactId id, bool replay, Core.Contacts.ContactState profile, LiveDocuments documents, BatchHistories histories, DateTimeOffset now)
    {
        if (!histories.Stored.TryGetValue((id, replay), out var stored))
        {
            var plan = replay ? documents.ReplayPlan : documents.HistoryPlan;
            if (!replay && _histories.TryGet(id, plan, _journeys.HistoryGeneration, now, out var held))
            {
                stored = new StoredHistory(held, null);
            }
            else
            {
                stored = await ReadHistoryAsync(id, plan, profile, documents, now).ConfigureAwait(false);
                if (!replay && stored.Exceeded is null)
                {
                    stored = stored with { Events = _histories.Put(id, stored.Events, now) };
                }
            }

            histories.Stored[(id, replay)] = stored;
        }

        return new LoadedHistory(stored.Events, histories.Earlier(id), stored.Exceeded);
    }

    /// <summary>
    /// Reads what <paramref name="plan"/> reads of a contact's stored history: first its newest events of the plan's
    /// names, which for nearly every contact is all of them; then, name by name, what a clause reads that this first
    /// read does not hold (a rarer name's events behind many of another, an oldest occurrence), in one query. Where a
    /// clause reads every event of a span that holds more than <see cref="_maxHistoryEventsPerName"/> of one name, the
    /// clauses over that name are folded from a stream of those events instead of holding them (see
    /// <see cref="HistoryFold"/>), with <paramref name="profile"/> for what their filters read besides the event.
    /// </summary>
    private async Task<StoredHistory> ReadHistoryAsync(ContactId id, HistoryPlan plan, Core.Contacts.ContactState profile, LiveDocuments documents, DateTimeOffset now)
    {
        if (plan.IsEmpty)
        {
            return new StoredHistory(PastEvents.Empty, null);
        }

        var limit = Math.Min(FirstHistoryRead, _maxHistoryEventsPerName);
        var first = await _store.GetHistoryAsync(id, plan.Names, plan.PropertyNames, limit, CancellationToken.None).ConfigureAwait(false);
        var events = new PastEvents([.. first.Select(PastEventOf)]);
        var uncovered = plan.Uncovered(events, first.Count < limit, now).ToList();
        if (uncovered.Count == 0)
        {
            return new StoredHistory(events, null);
        }

        var requests = uncovered.Select(need => new HistoryRequest(need.Event, need.Newest, need.EverySince(now), need.LatestPast, need.Oldest, need.Properties)).ToList();
        var read = await _store.GetHistoryAsync(id, requests, now, _maxHistoryEventsPerName, CancellationToken.None).ConfigureAwait(false);
        List<PastEvent> merged = [.. first.Concat(read.Events)
            .DistinctBy(stored => stored.Sequence)
            .OrderByDescending(stored => stored.Timestamp)
            .ThenByDescending(stored => stored.Sequence)
            .Select(PastEventOf)];
        events = new PastEvents(merged);
        if (read.Exceeded.Count == 0)
        {
            return new StoredHistory(events, null);
        }

        // Too many events of a name to hold for the clauses that read every one of a span: those clauses are folded
        // from the store, one event at a time. (A name whose events after now were too many is still exact now: its
        // latest event up to now was read; the history is only not held for later.)
        var streamed = read.Exceeded.Where(name => plan.Needs[name].Every is not null).ToHashSet(StringComparer.Ordinal);
        var folds = new Dictionary<Condition, HistoryFold>(ReferenceEqualityComparer.Instance);
        foreach (var clause in documents.HistoryConditions.SelectMany(HistoryPlan.Clauses))
        {
            if (HistoryPlan.NeedsOf(clause).Any(need => need.Every is not null && streamed.Contains(need.Event)) && HistoryFold.Start(clause, now) is { } fold)
            {
                folds.TryAdd(clause, fold);
            }
        }

        // (A clause of a document saved while this batch runs is not among them: it reads the events held, and the
        // document's rollout decides it again.)
        var context = new EvaluationContext(profile, null, null, events, now);
        foreach (var name in streamed)
        {
            var ofName = folds.Values.Where(fold => fold.Event == name).ToList();
            if (ofName.Count == 0)
            {
                continue;
            }

            var need = plan.Needs[name];
            await foreach (var stored in _store.StreamHistoryAsync(id, [name], need.Properties ? [name] : [], need.EverySince(now)!.Value, oldestFirst: false, CancellationToken.None).ConfigureAwait(false))
            {
                var past = PastEventOf(stored);
                foreach (var fold in ofName)
                {
                    fold.Add(past, context);
                }
            }
        }

        if (folds.Count == 0)
        {
            return new StoredHistory(events, read.Exceeded);
        }

        LogHistoryFolded(_logger, Index, id.ToString(), string.Join(", ", streamed.Order(StringComparer.Ordinal)), _maxHistoryEventsPerName);
        return new StoredHistory(new PastEvents(merged) { Folds = folds }, read.Exceeded);
    }

    /// <summary>
    /// A rescore of a history too long to hold: every event the live models' rules score, fed to the turn's replay
    /// oldest first as they are read from the store, with this batch's events in between by time.
    /// </summary>
    private async Task ReplayAsync(ContactId id, ScoreReplayNeeded request)
    {
        var newer = request.Newer;
        var next = 0;
        await foreach (var storedEvent in _store.StreamHistoryAsync(id, request.Names, request.PropertyNames, DateTimeOffset.MinValue, oldestFirst: true, CancellationToken.None).ConfigureAwait(false))
        {
            var past = PastEventOf(storedEvent);
            for (; next < newer.Count && newer[next].Timestamp < past.Timestamp; next++)
            {
                request.Replay.Add(newer[next]);
            }

            request.Replay.Add(past);
        }

        for (; next < newer.Count; next++)
        {
            request.Replay.Add(newer[next]);
        }
    }

    /// <summary>A stored event as conditions see it.</summary>
    internal static PastEvent PastEventOf(StoredEvent stored) => stored.ToPastEvent();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition}: contact {ContactId} has more than {Limit} events of {Names} in a window a clause reads whole; those clauses were computed from a stream of the store (exact, slower), and its history is not held between batches")]
    private static partial void LogHistoryFolded(ILogger logger, int partition, string contactId, string names, int limit);

    /// <summary>
    /// A contact's stored history as one batch reads it: the events (what the plan reads, newest first; with the folds
    /// of clauses read from a stream, if any), and the names that had more events than are held (null: none; the
    /// history may be held across batches only then).
    /// </summary>
    private sealed record StoredHistory(PastEvents Events, IReadOnlySet<string>? Exceeded);

    /// <summary>What one batch knows of its contacts' histories: the stored part, read once, and the events it adds.</summary>
    private sealed class BatchHistories(CommitBatch commit)
    {
        private readonly Dictionary<ContactId, List<StoredEvent>> _pending = [];
        private int _indexed;

        /// <summary>Each contact's stored history (for the history plan, or the rescore plan), as read this batch.</summary>
        public Dictionary<(ContactId, bool), StoredHistory> Stored { get; } = [];

        /// <summary>The contact's events this batch appended so far, in the order they were appended.</summary>
        public List<PastEvent> Earlier(ContactId id)
        {
            // The batch's events only grow: they are indexed once.
            for (; _indexed < commit.Events.Count; _indexed++)
            {
                var stored = commit.Events[_indexed];
                if (!_pending.TryGetValue(stored.ContactId, out var list))
                {
                    _pending[stored.ContactId] = list = [];
                }

                list.Add(stored);
            }

            return _pending.TryGetValue(id, out var found) ? [.. found.Select(PastEventOf)] : [];
        }
    }
}
