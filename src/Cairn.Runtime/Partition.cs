using System.Threading.Channels;
using Cairn.Core;
using Cairn.Core.Consent;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Channel = System.Threading.Channels.Channel;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;
using Cairn.Core.Sales;
using Cairn.Core.Scoring;
using Cairn.Core.Segments;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Cairn.Runtime;

/// <summary>A request to erase a contact (with its merged contacts), processed on its own in its partition.</summary>
/// <param name="ContactId">The contact (a survivor of merges).</param>
/// <param name="Reason">Why, for the audit log.</param>
/// <param name="BeforeDelete">Sees the profiles before they are deleted.</param>
/// <param name="Erased">Completed with the erasure's record.</param>
internal sealed record ErasureRequested(
    ContactId ContactId,
    string Reason,
    Func<IReadOnlyList<ContactState>, CancellationToken, Task>? BeforeDelete,
    TaskCompletionSource<ErasureRecord> Erased) : ContactInput(ContactId);

/// <summary>One input for a partition, with what must be persisted beside it and whom to tell when it is durable.</summary>
/// <param name="Input">The input.</param>
/// <param name="Identities">Identities identity resolution mapped to the input's contact.</param>
/// <param name="Completion">Completed once the input is durable (or failed); null for internal inputs.</param>
internal sealed record PartitionWork(
    ContactInput Input,
    IReadOnlyList<IdentityKey> Identities,
    TaskCompletionSource<InputOutcome>? Completion);

/// <summary>
/// The single writer of a set of contacts: takes inputs strictly in order on one loop, decides each one with
/// <see cref="ContactDecider"/>, and commits everything it took in one transaction (group commit) before it
/// acknowledges any of it. Effects that reach other contacts are sent only after the commit.
/// </summary>
internal sealed partial class Partition
{
    // How many of a contact's newest events of the names history clauses read one query takes first: a history no
    // longer than that (nearly all) is read whole in one go; a longer one is then read name by name, as far as each
    // clause reads (HistoryPlan).
    private const int FirstHistoryRead = 1000;

    // How many recent events a hand-off alert carries.
    private const int HandOffTimeline = 20;

    /// <summary>
    /// The enrollment id of a contact's recheck timer: a segment membership can flip, or a decaying score cross a
    /// threshold, by time alone then.
    /// </summary>
    public const string SegmentTimer = "$segments";

    /// <summary>The enrollment id of hand-off SLA timers (the step id is the hand-off's id).</summary>
    public const string HandOffTimer = "$handoff";

    /// <summary>The event a consent change puts on the contact's timeline (properties: channel, group, state, source).</summary>
    public const string ConsentEvent = "consent_changed";

    /// <summary>The outbox channel of hand-off alerts (to the contact's owner, not to the contact).</summary>
    public const string OwnerChannel = "owner";

    // History events kept in memory between batches (the most active contacts' histories), per partition.
    private const int MaxCachedHistoryEvents = 50_000;

    private readonly Channel<PartitionWork> _inbox = Channel.CreateUnbounded<PartitionWork>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    // Contact states kept in memory between batches; beyond _maxCachedContacts, the cache is dropped and reloaded on demand.
    private readonly Dictionary<ContactId, ContactState> _cache = [];
    private readonly int _maxCachedContacts;
    private readonly HistoryCache _histories;
    private readonly int _maxHistoryEventsPerName;
    private readonly ICairnStore _store;
    private readonly TimeProvider _time;
    private readonly JourneyRegistry _journeys;
    private readonly int _maxBatch;
    private readonly Action<PartitionWork> _route;
    private readonly Action<int> _processed;
    private readonly ILogger _logger;
    private readonly OwnerRouter _router;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ContactId, bool> _erased;

    public Partition(
        int index,
        ICairnStore store,
        TimeProvider time,
        JourneyRegistry journeys,
        int maxBatch,
        int maxCachedContacts,
        Action<PartitionWork> route,
        Action<int> processed,
        ILogger logger,
        OwnerRouter router,
        System.Collections.Concurrent.ConcurrentDictionary<ContactId, bool> erased,
        int maxHistoryEventsPerName)
    {
        _maxHistoryEventsPerName = maxHistoryEventsPerName;
        _histories = new HistoryCache(MaxCachedHistoryEvents, maxHistoryEventsPerName);
        _erased = erased;
        _router = router;
        _processed = processed;
        Index = index;
        _store = store;
        _time = time;
        _journeys = journeys;
        _maxBatch = maxBatch;
        _maxCachedContacts = maxCachedContacts;
        _route = route;
        _logger = logger;
    }

    public int Index { get; }

    public bool TryEnqueue(PartitionWork work) => _inbox.Writer.TryWrite(work);

    /// <summary>No more external inputs; <see cref="RunAsync"/> ends once the inbox is drained.</summary>
    public void Complete() => _inbox.Writer.TryComplete();

    public async Task RunAsync()
    {
        var batch = new List<PartitionWork>(_maxBatch);
        PartitionWork? held = null;
        while (held is not null || await _inbox.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (held is not null)
            {
                batch.Add(held);
                held = null;
            }

            // An erasure runs on its own, after the inputs before it are committed.
            while (batch.Count < _maxBatch && batch is not [{ Input: ErasureRequested }] && _inbox.Reader.TryRead(out var work))
            {
                if (work.Input is ErasureRequested && batch.Count > 0)
                {
                    held = work;
                    break;
                }

                batch.Add(work);
            }

            try
            {
                if (batch is [{ Input: ErasureRequested erasure } alone])
                {
                    await EraseAsync(erasure).ConfigureAwait(false);
                    Acknowledge(alone, InputOutcome.Stored);
                }
                else
                {
                    await ProcessAsync(batch).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                LogBatchFailed(_logger, exception, Index, batch.Count);
                _cache.Clear();
                foreach (var work in batch)
                {
                    work.Completion?.TrySetException(exception);
                }
            }

            _processed(batch.Count);
            batch.Clear();
        }
    }

    private async Task ProcessAsync(List<PartitionWork> batch)
    {
        var now = _time.GetUtcNow();
        await LoadMissingAsync(batch).ConfigureAwait(false);
        var existing = await FindDuplicatesAsync(batch).ConfigureAwait(false);

        var commit = new CommitBatch();
        var library = _journeys.Library;
        var states = new Dictionary<ContactId, ContactState>();
        var after = new List<PartitionWork>();
        var acknowledgements = new List<(TaskCompletionSource<InputOutcome> Completion, InputOutcome Outcome)>(batch.Count);
        var alerts = new List<OwnerAlert>();

        // Stored events do not change before this batch commits: each contact's stored history is read once.
        var histories = new BatchHistories(commit);

        foreach (var work in batch)
        {
            if (_erased.ContainsKey(work.Input.ContactId))
            {
                Acknowledge(work, InputOutcome.Erased);
                continue;
            }

            if (work.Input is MessageReceived received && !existing.Add(received.Message.MessageId))
            {
                Acknowledge(work, InputOutcome.Duplicate);
                continue;
            }

            var id = work.Input.ContactId;
            if (work.Input is ContactAbsorbed)
            {
                // The merged contact's events were handed over to this one (in its partition's commit): read them anew.
                _histories.Forget(id);
            }

            var state = states.TryGetValue(id, out var pending) ? pending : _cache.GetValueOrDefault(id);
            var decision = ContactDecider.Decide(state, work.Input, now);
            var next = decision.State;
            var changed = decision.Changed;
            if (work.Input is TimerDue due)
            {
                // Deleted with whatever the timer causes; a crash before the commit fires it again.
                commit.TimersDone.Add(new StoredTimer(due.ContactId, due.EnrollmentId, due.StepId, due.DueAt));
            }

            if (work.Input is MessageReceived or TraitsPatched && decision.Changed)
            {
                Collect(id, DateTriggers.Schedule(state, next, library, now), commit, now);
            }

            if (work.Input is RolloutReached rollout && state is not null && next.MergedInto is null
                && DateTriggers.ScheduleFor(next, rollout.JourneyId, library, now) is { } occurrence)
            {
                Collect(id, [occurrence], commit, now);
            }

            var journeyInput = JourneyInputOf(work.Input, decision);
            if (journeyInput is TimerFired { EnrollmentId: var timerOf } fired && timerOf.StartsWith(DateTriggers.TimerPrefix, StringComparison.Ordinal))
            {
                var (enroll, following) = DateTriggers.Fire(next, fired, library);
                journeyInput = enroll;
                if (following is not null)
                {
                    Collect(id, [following], commit, now);
                }
            }

            // Scores and segments see the profile after the input; what they announce (threshold crossings, stage
            // changes, segment entries and exits) are events journeys react to.
            async Task<List<JourneyInput>> AudienceAsync(AudienceInput audienceInput, ContactState? before)
            {
                if (next.MergedInto is not null
                    || (_journeys.Scoring.Models.IsEmpty && next.Scores.IsEmpty && _journeys.Segments.Segments.IsEmpty && next.Segments.IsEmpty))
                {
                    return [];
                }

                // The stored history is read only when a decision will look at it: most inputs change no history segment.
                var needed = AudienceDecider.NeedsHistory(before, next, _journeys.Scoring, _journeys.Segments, audienceInput);
                var rescore = audienceInput is AudienceInput.ModelSaved or AudienceInput.Merged;
                var message = (journeyInput as EventOccurred)?.Message;
                var history = await HistoryAsync(id, message, histories, needed, next, library, now, rescore).ConfigureAwait(false);
                var replayed = rescore ? await ReplayAsync(id, message, histories, next, audienceInput, now).ConfigureAwait(false) : null;
                var audience = AudienceDecider.Decide(before, next, _journeys.Scoring, _journeys.Segments, audienceInput, history, now, replayed);
                if (!ReferenceEquals(audience.Profile, next))
                {
                    next = audience.Profile;
                    changed = true;
                }

                foreach (var change in audience.SegmentChanges)
                {
                    commit.SegmentMembers.Add(new SegmentMemberChange(change.Segment, id, change.Entered ? next.Segments[change.Segment] : null));
                }

                commit.Events.AddRange(audience.Announced.Select(message => StoredEvent.From(id, message)));
                if (audience.NextCheck is { } recheck)
                {
                    commit.Timers.Add(new StoredTimer(id, SegmentTimer, "recheck", recheck));
                }

                return [.. audience.Announced.Select(message => new EventOccurred(message))];
            }

            async Task JourneysAsync(IEnumerable<JourneyInput> inputs)
            {
                foreach (var input in inputs)
                {
                    if (library.Live.Length == 0 && next.Journeys.Active.IsEmpty)
                    {
                        break;
                    }

                    var history = await HistoryAsync(id, (input as EventOccurred)?.Message, histories, _journeys.JourneysNeedHistory, next, library, now).ConfigureAwait(false);
                    var journeys = JourneyDecider.Decide(next.Journeys, next, input, library, history, now);
                    if (!ReferenceEquals(journeys.Memberships, next.Journeys) || !ReferenceEquals(journeys.Profile, next))
                    {
                        IndexEnrollments(id, next.Journeys, journeys.Memberships, commit);
                        next = journeys.Profile with { Journeys = journeys.Memberships };
                        changed = true;
                    }

                    Collect(id, journeys.Effects, commit, now);
                    foreach (var notify in journeys.Effects.OfType<NotifyOwner>())
                    {
                        next = HandOff(next, notify, commit, alerts, now);
                        changed = true;
                    }
                }
            }

            // A consent change is on the contact's timeline, and journeys react to it (an unsubscribe ends a nurture).
            // Consent also comes in identify traits: each answer that changes something is recorded the same way.
            var consentEvents = new List<JourneyInput>();
            if (work.Input is ConsentChanged consent && decision.Changed)
            {
                journeyInput = RecordConsent(next, consent.Channel, consent.Group, consent.Record, commit, now);
            }
            else if (work.Input is MessageReceived { Message: var carrier } && next.MergedInto is null && decision.Effects.OfType<AppendEvent>().Any())
            {
                var (withConsent, recorded) = TraitConsent.Apply(next, carrier, _journeys.Policy.DoubleOptIn, now);
                foreach (var answer in recorded)
                {
                    consentEvents.Add(RecordConsent(withConsent, answer.Channel, answer.Group, answer.Record, commit, now));
                }

                changed |= recorded.Count > 0;
                next = withConsent;
            }

            var announced = AudienceInputOf(work.Input, decision) is { } audienceInput ? await AudienceAsync(audienceInput, state).ConfigureAwait(false) : [];
            var beforeJourneys = next;
            await JourneysAsync(announced.Prepend(journeyInput).Concat(consentEvents).OfType<JourneyInput>()).ConfigureAwait(false);

            // Traits the journeys set (an update step, a hand-off's owner) reach scores and segments in the same input;
            // what that announces reaches the journeys once more.
            if (!ReferenceEquals(beforeJourneys.Traits, next.Traits))
            {
                await JourneysAsync(await AudienceAsync(new AudienceInput.TraitsSet("set by a journey step"), beforeJourneys).ConfigureAwait(false)).ConfigureAwait(false);
            }

            // Acknowledgements (an event the team counts as one, or the API) and missed SLAs.
            if (next.MergedInto is null && FollowUp(work.Input, decision, next, commit, alerts, now) is { } followed)
            {
                next = followed;
                changed = true;
            }

            if (changed)
            {
                states[id] = next;
                commit.Contacts[id] = next;
            }

            foreach (var identity in IdentitiesToPersist(work, state, decision))
            {
                commit.Identities.Add(new IdentityMapping(identity, id));
            }

            var forwarded = false;
            foreach (var effect in decision.Effects)
            {
                switch (effect)
                {
                    case AppendEvent append:
                        commit.Events.Add(StoredEvent.From(append.ContactId, append.Message));
                        break;
                    case RequestMerge request:
                        commit.MergesRequested.Add(new PendingMerge(request.From, request.Into));
                        after.Add(new PartitionWork(new MergeRequested(request.From, request.Into), [], null));
                        break;
                    case HandOver handOver:
                        commit.HandOvers.Add(new PendingMerge(handOver.From, handOver.Into));
                        after.Add(new PartitionWork(new ContactAbsorbed(handOver.Into, handOver.Snapshot), [], null));
                        break;
                    case CompleteMerge complete:
                        commit.MergesCompleted.Add(new PendingMerge(complete.From, complete.Into));
                        break;
                    case ForwardInput forward:
                        // The survivor commits it; the sender is acknowledged then, not now.
                        after.Add(work with { Input = forward.Input });
                        forwarded = true;
                        break;
                    default:
                        throw new InvalidOperationException($"Unknown effect {effect.GetType().Name}.");
                }
            }

            if (!forwarded && work.Completion is { } completion)
            {
                acknowledgements.Add((completion, InputOutcome.Stored));
            }
        }

        // Alerts carry the contact as the batch leaves it, and its timeline (which needs the stored events).
        foreach (var alert in alerts)
        {
            var contact = states.TryGetValue(alert.ContactId, out var final) ? final : _cache[alert.ContactId];
            commit.Outbox[alert.Index] = commit.Outbox[alert.Index] with { Payload = await AlertPayloadAsync(contact, alert, commit, now).ConfigureAwait(false) };
        }

        if (!commit.IsEmpty)
        {
            await _store.CommitAsync(commit, CancellationToken.None).ConfigureAwait(false);
            _histories.Committed(commit.Events, now);
            commit.HandOvers.ForEach(handOver => _histories.Forget(handOver.From));
        }

        if (_cache.Count + states.Count > _maxCachedContacts)
        {
            _cache.Clear();
        }

        foreach (var (id, state) in states)
        {
            _cache[id] = state;
        }

        foreach (var (completion, outcome) in acknowledgements)
        {
            completion.TrySetResult(outcome);
        }

        foreach (var work in after)
        {
            _route(work);
        }
    }

    /// <summary>
    /// Erases a contact and the contacts merged into it: the caller's hook sees the profiles, then one transaction
    /// deletes what is stored about them; later inputs for any of them are dropped.
    /// </summary>
    private async Task EraseAsync(ErasureRequested erasure)
    {
        try
        {
            var group = await _store.GetContactGroupAsync(erasure.ContactId, CancellationToken.None).ConfigureAwait(false);
            if (erasure.BeforeDelete is { } hook)
            {
                await hook(group, CancellationToken.None).ConfigureAwait(false);
            }

            var ids = group.Select(contact => contact.Id).Append(erasure.ContactId).ToHashSet();
            var segments = group.SelectMany(contact => contact.Segments.Keys).Concat(_journeys.Segments.Segments.Select(segment => segment.Id)).ToHashSet(StringComparer.Ordinal);
            var record = await _store.EraseContactsAsync(erasure.ContactId, ids, segments, erasure.Reason, _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            foreach (var id in ids)
            {
                _erased[id] = true;
                _cache.Remove(id);
                _histories.Forget(id);
            }

            erasure.Erased.TrySetResult(record);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            erasure.Erased.TrySetException(exception);
        }
    }

    /// <summary>
    /// The identities resolution mapped, plus any the profile gained: the latter re-persists mappings whose
    /// first commit failed, so the identity table never lags the profiles.
    /// </summary>
    private static IEnumerable<IdentityKey> IdentitiesToPersist(PartitionWork work, ContactState? before, Decision decision)
    {
        if (!decision.Changed || decision.State.MergedInto is not null)
        {
            return work.Identities;
        }

        var known = before?.Identities.ToHashSet() ?? [];
        return work.Identities.Union(decision.State.Identities.Where(identity => !known.Contains(identity)));
    }

    private static void Acknowledge(PartitionWork work, InputOutcome outcome) => work.Completion?.TrySetResult(outcome);

    private async Task LoadMissingAsync(List<PartitionWork> batch)
    {
        HashSet<ContactId>? missing = null;
        foreach (var work in batch)
        {
            if (!_cache.ContainsKey(work.Input.ContactId))
            {
                (missing ??= []).Add(work.Input.ContactId);
            }
        }

        if (missing is null)
        {
            return;
        }

        var loaded = await _store.GetContactsAsync(missing, CancellationToken.None).ConfigureAwait(false);
        foreach (var (id, state) in loaded)
        {
            _cache[id] = state;
        }
    }

    private async Task<HashSet<string>> FindDuplicatesAsync(List<PartitionWork> batch)
    {
        var ids = new List<string>();
        foreach (var work in batch)
        {
            if (work.Input is MessageReceived received)
            {
                ids.Add(received.Message.MessageId);
            }
        }

        if (ids.Count == 0)
        {
            return [];
        }

        var existing = await _store.FindExistingMessageIdsAsync(ids, CancellationToken.None).ConfigureAwait(false);
        return new HashSet<string>(existing, StringComparer.Ordinal);
    }

    /// <summary>The journey input an accepted input is, if any: a stored message, a due timer, an enrollment request.</summary>
    private static JourneyInput? JourneyInputOf(ContactInput input, Decision decision) => input switch
    {
        MessageReceived received when decision.Effects.OfType<AppendEvent>().Any() => new EventOccurred(received.Message),
        TimerDue { EnrollmentId: SegmentTimer or HandOffTimer } => null,
        TimerDue due when decision.State.MergedInto is null => new TimerFired(due.EnrollmentId, due.StepId, due.DueAt),
        EnrollmentRequested request when decision.State.MergedInto is null => new EnrollRequested(request.JourneyId, request.Payload),
        RolloutReached rollout when decision.State.MergedInto is null => new VersionPublished(rollout.JourneyId, rollout.Version, rollout.StepMap),
        _ => null,
    };

    /// <summary>What an input is to scores and segments; null when it cannot change them.</summary>
    private static AudienceInput? AudienceInputOf(ContactInput input, Decision decision) => input switch
    {
        MessageReceived received when decision.Effects.OfType<AppendEvent>().Any() => new AudienceInput.Recorded(received.Message),
        TraitsPatched when decision.Changed => new AudienceInput.TraitsSet(),
        TimerDue { EnrollmentId: SegmentTimer } => new AudienceInput.TimePassed(),
        SegmentsChanged changed => new AudienceInput.SegmentSaved(changed.Reason),
        ScoresChanged rescore => new AudienceInput.ModelSaved(rescore.Model, rescore.Reason),
        ContactAbsorbed => new AudienceInput.Merged(),
        ListMembershipChanged list => new AudienceInput.ListChanged(list.Segment, list.Add, list.Reason),
        ConsentChanged consent when decision.Changed => new AudienceInput.ConsentGiven(Consents.Key(consent.Channel, consent.Group), consent.Record),
        _ => null,
    };

    /// <summary>Journey effects that are written in the same transaction as the state change.</summary>
    private static void Collect(ContactId id, IEnumerable<Effect> effects, CommitBatch commit, DateTimeOffset now)
    {
        foreach (var effect in effects)
        {
            switch (effect)
            {
                case ScheduleTimer timer:
                    commit.Timers.Add(new StoredTimer(id, timer.EnrollmentId, timer.StepId, timer.DueAt));
                    break;
                case EnrollmentMoved moved:
                    commit.Moves.Add(new JourneyMove(moved.JourneyId, moved.Version, moved.Entry.From ?? "$entry", moved.Entry.Exit, moved.Entry.To));
                    break;
                case EnrollmentConverted converted:
                    commit.Conversions.Add(new JourneyConversion(converted.JourneyId, converted.Version, converted.Arm ?? string.Empty, converted.Control));
                    break;
                case EnrollmentEnded ended:
                    commit.Enrollments.Add(new EnrollmentRecord(id, ended.Final));
                    if (ended.NeedsReview)
                    {
                        commit.Reviews.Add(new JourneyReview(ended.JourneyId, ended.Version, ended.EnrollmentId, id, ended.Reason, ended.At));
                    }

                    break;
                case SendMessage send:
                    commit.Outbox.Add(new OutboxMessage(
                        send.MessageId,
                        id,
                        send.JourneyId,
                        send.Version,
                        send.EnrollmentId,
                        send.StepId,
                        send.Channel.DocumentName(),
                        send.Template,
                        send.Category.ToString().ToLowerInvariant(),
                        send.Priority,
                        "queued",
                        now,
                        send.Payload?.GetRawText())
                    {
                        Fallback = send.Fallback.IsEmpty ? null : System.Text.Json.JsonSerializer.Serialize(send.Fallback.Select(option => new { channel = option.Channel.DocumentName(), template = option.Template })),
                        SendWindow = send.BestTimeWithin,
                    });
                    break;
                case NotifyOwner:
                    // A hand-off changes the contact (its owner, its open hand-offs): HandOff decides it.
                    break;
                case CallWebhook webhook:
                    commit.Outbox.Add(new OutboxMessage(
                        webhook.MessageId,
                        id,
                        webhook.JourneyId,
                        webhook.Version,
                        webhook.EnrollmentId,
                        webhook.StepId,
                        Core.Journeys.Channel.Webhook.DocumentName(),
                        string.Empty,
                        webhook.Category.ToString().ToLowerInvariant(),
                        webhook.Priority,
                        "queued",
                        now,
                        System.Text.Json.JsonSerializer.Serialize(new { url = webhook.Url, payload = webhook.Payload })));
                    break;
            }
        }
    }

    /// <summary>
    /// A recorded consent answer: a <c>consent_changed</c> event on the timeline and, for a pending opt-in (double
    /// opt-in), the confirmation email in the same transaction. Returns the event as journeys see it.
    /// </summary>
    private static EventOccurred RecordConsent(ContactState contact, string channel, string? group, ConsentRecord record, CommitBatch commit, DateTimeOffset now)
    {
        var id = contact.Id;
        var key = Consents.Key(channel, group);
        var message = AudienceDecider.Announcement(
            contact,
            ConsentEvent,
            key,
            System.Text.Json.JsonSerializer.SerializeToElement(new { channel, group, state = Consents.NameOf(record.State), source = record.Source, proof = record.Proof, at = record.At }),
            now);
        commit.Events.Add(StoredEvent.From(id, message));
        if (record.State == ConsentState.Pending)
        {
            commit.Outbox.Add(new OutboxMessage(
                $"{id}:{Consents.ConfirmationJourney}:{key}:{now.UtcTicks}",
                id,
                Consents.ConfirmationJourney,
                0,
                Consents.ConfirmationJourney,
                key,
                Core.Journeys.Channel.Email.DocumentName(),
                Consents.ConfirmationTemplate,
                "transactional",
                100,
                "queued",
                now,
                System.Text.Json.JsonSerializer.Serialize(new { channel, group })));
        }

        return new EventOccurred(message);
    }

    /// <summary>
    /// A journey's <c>notify_owner</c>: when the journey's owner is a sales team, the lead is routed to one of its
    /// owners and a hand-off is opened with its SLA timer; the alert goes in the outbox either way, in this transaction.
    /// </summary>
    private ContactState HandOff(ContactState contact, NotifyOwner notify, CommitBatch commit, List<OwnerAlert> alerts, DateTimeOffset now)
    {
        var index = commit.Outbox.Count;
        commit.Outbox.Add(new OutboxMessage(notify.MessageId, contact.Id, notify.JourneyId, notify.Version, notify.EnrollmentId, notify.StepId, OwnerChannel, string.Empty, "internal", 0, "queued", now));
        if (notify.Owner is null || !_journeys.Teams.TryGetValue(notify.Owner, out var team))
        {
            alerts.Add(new OwnerAlert(index, contact.Id, "handoff", notify.Message, notify.JourneyId, null, null, notify.Owner, null));
            return contact;
        }

        var routed = HandOffDecider.Route(team, contact, _router, now);
        var (next, handOff) = HandOffDecider.Open(contact, team, notify.MessageId, routed, now);
        _router.Remember(team.Id, routed.Domain, routed.Owner);
        commit.HandOffs.Add(new HandOffRecord(handOff.Id, contact.Id, team.Id, routed.Owner, routed.By, routed.Domain, notify.JourneyId, now, handOff.DueAt));
        if (handOff.DueAt is { } due)
        {
            commit.Timers.Add(new StoredTimer(contact.Id, HandOffTimer, handOff.Id, due));
        }

        alerts.Add(new OwnerAlert(index, contact.Id, "handoff", notify.Message, notify.JourneyId, team, handOff, routed.Owner, routed.By));
        return next;
    }

    /// <summary>
    /// What follows a hand-off: an event the team counts as an acknowledgement (a CRM's <c>deal_stage_changed</c>)
    /// or an acknowledgement through the API closes the contact's open hand-offs; an SLA timer whose hand-off is
    /// still open escalates it. Null when the input concerns no hand-off.
    /// </summary>
    private ContactState? FollowUp(ContactInput input, Decision decision, ContactState contact, CommitBatch commit, List<OwnerAlert> alerts, DateTimeOffset now)
    {
        if (contact.HandOffs.IsEmpty)
        {
            return null;
        }

        switch (input)
        {
            case MessageReceived received when decision.Effects.OfType<AppendEvent>().Any():
                var name = ContactDecider.CounterName(received.Message);
                var acknowledged = HandOffDecider.AcknowledgedBy(contact, name, team => _journeys.Teams.GetValueOrDefault(team)).ToList();
                foreach (var handOff in acknowledged)
                {
                    contact = HandOffDecider.Acknowledge(contact, handOff.Id).Profile;
                    commit.HandOffAcknowledgements.Add(new HandOffAcknowledgement(handOff.Id, now, name));
                }

                return acknowledged.Count > 0 ? contact : null;
            case HandOffAcknowledged ack:
                var (after, closed) = HandOffDecider.Acknowledge(contact, ack.HandOffId);
                commit.HandOffAcknowledgements.AddRange(closed.Select(handOff => new HandOffAcknowledgement(handOff.Id, now, ack.By)));
                return closed.IsEmpty ? null : after;
            case TimerDue { EnrollmentId: HandOffTimer } due
                when contact.HandOffs.FirstOrDefault(h => h.Id == due.StepId) is { } open && _journeys.Teams.TryGetValue(open.Team, out var team)
                && HandOffDecider.Escalate(contact, team, open.Id, _router, now) is var (escalated, handOff, alertTo, by):
                commit.HandOffEscalations.Add(new HandOffEscalation(handOff.Id, now, alertTo, handOff.Owner, handOff.DueAt));
                if (handOff.DueAt is { } next)
                {
                    commit.Timers.Add(new StoredTimer(contact.Id, HandOffTimer, handOff.Id, next));
                }

                var index = commit.Outbox.Count;
                commit.Outbox.Add(new OutboxMessage($"{handOff.Id}:escalation:{handOff.Escalations}", contact.Id, HandOffTimer, 0, handOff.Id, "escalation", OwnerChannel, string.Empty, "internal", 0, "queued", now));
                var message = $"Not acknowledged within {Duration.Format(team.Sla!.Value)}: {by}.";
                alerts.Add(new OwnerAlert(index, contact.Id, "escalation", message, null, team, handOff, alertTo, by, EscalatedFrom: open.Owner));
                return escalated;
            default:
                return null;
        }
    }

    /// <summary>
    /// An owner alert's payload: where it goes (<c>deliverTo</c>), the hand-off with its SLA and acknowledgement
    /// link, the owner, the contact (traits, stage, scores with their latest contributions) and the behaviour
    /// timeline (the newest <see cref="HandOffTimeline"/> events, this batch's included), so sales sees why.
    /// </summary>
    private async Task<string> AlertPayloadAsync(ContactState contact, OwnerAlert alert, CommitBatch commit, DateTimeOffset now)
    {
        var id = contact.Id;
        var stored = await _store.GetEventsAsync(id, null, HandOffTimeline, CancellationToken.None).ConfigureAwait(false);
        var timeline = commit.Events.Where(e => e.ContactId == id).Concat(stored.Items)
            .OrderByDescending(e => e.Timestamp)
            .Take(HandOffTimeline)
            .Select(e =>
            {
                using var document = System.Text.Json.JsonDocument.Parse(e.Json);
                var properties = document.RootElement.TryGetProperty("properties", out var value) ? value.Clone() : (System.Text.Json.JsonElement?)null;
                return new { type = e.Type.ToWireName(), name = e.Name, timestamp = e.Timestamp, properties };
            })
            .ToList();
        object? Person(string? ownerId) => alert.Team?.Owner(ownerId) is { } owner ? new { id = owner.Id, name = owner.Name, email = owner.Email } : null;
        return System.Text.Json.JsonSerializer.Serialize(new
        {
            kind = alert.Kind,
            deliverTo = alert.Team?.WebhookFor(alert.Owner)?.ToString(),
            message = alert.Message,
            journey = alert.JourneyId,
            handoff = alert.HandOff is { } handOff
                ? new { id = handOff.Id, team = handOff.Team, routedBy = alert.RoutedBy, createdAt = handOff.CreatedAt, dueAt = handOff.DueAt, escalations = handOff.Escalations, acknowledge = $"/api/handoffs/{Uri.EscapeDataString(handOff.Id)}/ack" }
                : null,
            owner = alert.Team is null ? (object?)alert.Owner : Person(alert.Owner),
            escalatedFrom = Person(alert.EscalatedFrom),
            contact = new
            {
                id = id.ToString(),
                userId = contact.UserId,
                email = contact.Email,
                name = contact.DisplayName,
                stage = contact.TraitString(ConditionEvaluator.StageTrait),
                traits = contact.Traits.ToDictionary(trait => trait.Key, trait => trait.Value.Value, StringComparer.Ordinal),
            },
            scores = contact.Scores.Select(score => new
            {
                model = score.Key,
                score = Math.Round(score.Value.ValueAt(now), 2),
                fit = Math.Round(score.Value.Fit, 2),
                contributions = score.Value.Contributions.Reverse().Take(10).Select(c => new { rule = c.Rule, @event = c.Event, at = c.At, points = Math.Round(c.Points, 2), now = Math.Round(c.ValueAt(now, score.Value.HalfLife), 2), count = c.Count }),
            }),
            timeline,
        });
    }

    /// <summary>
    /// Indexes the enrollments that started or moved to another version (the ones that ended are indexed from
    /// their <see cref="EnrollmentEnded"/> effect, which carries the whole path).
    /// </summary>
    private static void IndexEnrollments(ContactId id, JourneyMemberships before, JourneyMemberships after, CommitBatch commit)
    {
        foreach (var (journey, enrollment) in after.Active)
        {
            if (before.Active.GetValueOrDefault(journey) is not { } previous || previous.Id != enrollment.Id || previous.Version != enrollment.Version)
            {
                commit.Enrollments.Add(new EnrollmentRecord(id, enrollment));
            }
        }
    }

    /// <summary>
    /// The contact's history as conditions see it, newest first: what the registry's <see cref="HistoryPlan"/> reads of
    /// its stored events (or the <see cref="JourneyRegistry.ReplayPlan"/> for a rescore), read once per batch (and held
    /// across batches for active contacts), with the events this batch adds before <paramref name="current"/>, and it.
    /// Clauses that read every event of a span longer than this partition holds come folded from a stream of the store.
    /// </summary>
    private async Task<IReadOnlyList<PastEvent>> HistoryAsync(
        ContactId id,
        SegmentMessage? current,
        BatchHistories histories,
        bool needed,
        ContactState profile,
        JourneyLibrary library,
        DateTimeOffset now,
        bool rescore = false)
    {
        if (!needed)
        {
            return [];
        }

        if (!histories.Stored.TryGetValue((id, rescore), out var stored))
        {
            var plan = rescore ? _journeys.ReplayPlan : _journeys.HistoryPlan;
            if (!rescore && _histories.TryGet(id, plan, now, out var held))
            {
                stored = new StoredHistory(held, null, null);
            }
            else
            {
                stored = await ReadHistoryAsync(id, plan, profile, library, now).ConfigureAwait(false);
                if (!rescore && stored.Cacheable)
                {
                    stored = stored with { Events = _histories.Put(id, stored.Events, now) };
                }
            }

            histories.Stored[(id, rescore)] = stored;
        }

        var added = histories.Added(id, current);

        // The stored part is newest first already: the few events of this batch go in front of it, sorted, without
        // copying it (nor regrouping it by name) — unless one of them is older than the newest stored event (a late
        // timestamp), then all is sorted.
        var events = stored.Events;
        IReadOnlyDictionary<Condition, HistoryFold>? folds = null;
        if (stored.Folds is { } storedFolds && added.Count > 0)
        {
            // The folds of the stored events take this batch's events in too.
            var copies = storedFolds.ToDictionary(fold => fold.Key, fold => fold.Value.Copy(), (IEqualityComparer<Condition>)ReferenceEqualityComparer.Instance);
            var context = new EvaluationContext(profile, null, null, events, now);
            foreach (var past in added)
            {
                foreach (var fold in copies.Values)
                {
                    if (fold.Event == past.Name)
                    {
                        fold.Add(past, context);
                    }
                }
            }

            folds = copies;
        }

        return added.Count == 0 ? events
            : events.Count == 0 || added[^1].Timestamp >= events[0].Timestamp ? new PastEvents(added, events) { Folds = folds }
            : new PastEvents([.. added.Concat(events).OrderByDescending(e => e.Timestamp)]) { Folds = folds };
    }

    /// <summary>
    /// Reads what <paramref name="plan"/> reads of a contact's stored history: first its newest events of the plan's
    /// names, which for nearly every contact is all of them; then, name by name, what a clause reads that this first
    /// read does not hold (a rarer name's events behind many of another, an oldest occurrence), in one query. Where a
    /// clause reads every event of a span that holds more than <see cref="_maxHistoryEventsPerName"/> of one name, the
    /// clauses over that name are folded from a stream of those events instead of holding them (see
    /// <see cref="HistoryFold"/>), with <paramref name="profile"/> for what their filters read besides the event.
    /// </summary>
    private async Task<StoredHistory> ReadHistoryAsync(ContactId id, HistoryPlan plan, ContactState profile, JourneyLibrary library, DateTimeOffset now)
    {
        if (plan.IsEmpty)
        {
            return new StoredHistory(PastEvents.Empty, null, null);
        }

        var limit = Math.Min(FirstHistoryRead, _maxHistoryEventsPerName);
        var first = await _store.GetHistoryAsync(id, plan.Names, plan.PropertyNames, limit, CancellationToken.None).ConfigureAwait(false);
        var events = new PastEvents([.. first.Select(PastEventOf)]);
        var uncovered = plan.Uncovered(events, first.Count < limit, now).ToList();
        if (uncovered.Count == 0)
        {
            return new StoredHistory(events, null, null);
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
            return new StoredHistory(events, null, null);
        }

        // Too many events of a name to hold for the clauses that read every one of a span: those clauses are folded
        // from the store, one event at a time. (A name whose events after now were too many is still exact now: its
        // latest event up to now was read; the history is only not held for later.)
        var streamed = read.Exceeded.Where(name => plan.Needs[name].Every is not null).ToHashSet(StringComparer.Ordinal);
        var folds = new Dictionary<Condition, HistoryFold>(ReferenceEqualityComparer.Instance);
        var conditions = library.Versions.Values.SelectMany(journey => journey.Conditions()).Concat(_journeys.Segments.Segments.Select(segment => segment.Condition));
        foreach (var clause in conditions.SelectMany(HistoryPlan.Clauses))
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
            return new StoredHistory(events, null, read.Exceeded);
        }

        LogHistoryFolded(_logger, Index, id.ToString(), string.Join(", ", streamed.Order(StringComparer.Ordinal)), _maxHistoryEventsPerName);
        return new StoredHistory(new PastEvents(merged) { Folds = folds }, folds, read.Exceeded);
    }

    /// <summary>
    /// For a rescore whose history holds too many events of a scored name to hold them all: every event the live
    /// models' rules score, replayed oldest first as they are read from the store, then this batch's events. Null when
    /// the history held is whole (the rescore replays it).
    /// </summary>
    private async Task<ScoreReplay?> ReplayAsync(ContactId id, SegmentMessage? current, BatchHistories histories, ContactState profile, AudienceInput input, DateTimeOffset now)
    {
        var scoring = _journeys.Scoring;
        var scored = scoring.Models.SelectMany(model => model.Rules).Select(rule => rule.Event).ToHashSet(StringComparer.Ordinal);
        if (!histories.Stored.TryGetValue((id, true), out var stored) || stored.Exceeded is not { } exceeded || !exceeded.Overlaps(scored))
        {
            return null;
        }

        var replay = new ScoreReplay(scoring, profile, input is AudienceInput.ModelSaved saved ? new HashSet<string>(StringComparer.Ordinal) { saved.Model } : null, now);
        var filtered = scoring.Models.SelectMany(model => model.Rules).Where(rule => rule.Where is not null).Select(rule => rule.Event).ToHashSet(StringComparer.Ordinal);

        // This batch's events, oldest first, go in between the stored ones by time (a stored event first on a tie), as
        // a replay of the whole history held in memory would take them.
        var added = histories.Added(id, current).Where(past => scored.Contains(past.Name)).Reverse().ToList();
        var next = 0;
        await foreach (var storedEvent in _store.StreamHistoryAsync(id, scored, filtered, DateTimeOffset.MinValue, oldestFirst: true, CancellationToken.None).ConfigureAwait(false))
        {
            var past = PastEventOf(storedEvent);
            for (; next < added.Count && added[next].Timestamp < past.Timestamp; next++)
            {
                replay.Add(added[next]);
            }

            replay.Add(past);
        }

        for (; next < added.Count; next++)
        {
            replay.Add(added[next]);
        }

        return replay;
    }

    /// <summary>
    /// A contact's stored history as one batch reads it: the events (what the plan reads, newest first), the clauses
    /// folded from the store instead (null when none), and the names that had more events than are held (null: none).
    /// </summary>
    private sealed record StoredHistory(PastEvents Events, IReadOnlyDictionary<Condition, HistoryFold>? Folds, IReadOnlySet<string>? Exceeded)
    {
        /// <summary>True when the history may be held across batches: it has every event the plan reads.</summary>
        public bool Cacheable => Exceeded is null;
    }

    /// <summary>What one batch knows of its contacts' histories: the stored part, read once, and the events it adds.</summary>
    private sealed class BatchHistories(CommitBatch commit)
    {
        private readonly Dictionary<ContactId, List<StoredEvent>> _pending = [];
        private int _indexed;

        /// <summary>Each contact's stored history (for the history plan, or the rescore plan), as read this batch.</summary>
        public Dictionary<(ContactId, bool), StoredHistory> Stored { get; } = [];

        /// <summary>
        /// The events this batch adds for the contact so far, and <paramref name="current"/> (the message being handled,
        /// when it is not among them), newest first.
        /// </summary>
        public List<PastEvent> Added(ContactId id, SegmentMessage? current)
        {
            var pending = PendingOf(id);
            var recent = pending.Select(PastEventOf);
            if (current is not null && !pending.Exists(e => e.MessageId == current.MessageId))
            {
                recent = recent.Append(new PastEvent(ContactDecider.CounterName(current), current.Timestamp, current.Properties));
            }

            return [.. recent.OrderByDescending(e => e.Timestamp)];
        }

        /// <summary>The contact's events this batch adds so far (the batch's events only grow: they are indexed once).</summary>
        private List<StoredEvent> PendingOf(ContactId id)
        {
            for (; _indexed < commit.Events.Count; _indexed++)
            {
                var stored = commit.Events[_indexed];
                if (!_pending.TryGetValue(stored.ContactId, out var list))
                {
                    _pending[stored.ContactId] = list = [];
                }

                list.Add(stored);
            }

            return _pending.TryGetValue(id, out var found) ? found : [];
        }
    }

    /// <summary>A stored event as conditions see it.</summary>
    internal static PastEvent PastEventOf(StoredEvent stored) => stored.ToPastEvent();

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} failed to commit a batch of {Count} inputs; they were not acknowledged")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int partition, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition}: contact {ContactId} has more than {Limit} events of {Names} in a window a clause reads whole; those clauses were computed from a stream of the store (exact, slower), and its history is not held between batches")]
    private static partial void LogHistoryFolded(ILogger logger, int partition, string contactId, string names, int limit);

    /// <summary>An owner alert put in the outbox this batch, whose payload is written just before the commit.</summary>
    private sealed record OwnerAlert(
        int Index,
        ContactId ContactId,
        string Kind,
        string Message,
        string? JourneyId,
        SalesTeam? Team,
        OpenHandOff? HandOff,
        string? Owner,
        string? RoutedBy,
        string? EscalatedFrom = null);
}
