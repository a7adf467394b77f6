using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Core.Scoring;
using Cairn.Core.Segments;
using Cairn.Core.Turns;

namespace Cairn.Core.Journeys.Engine;

/// <summary>One message a simulated journey would have sent.</summary>
public sealed record SimulatedMessage(DateTimeOffset At, string JourneyId, string EnrollmentId, string StepId, Channel Channel, string Template);

/// <summary>
/// A message held back in a simulation: by the orchestrator (deferred, so it may still go out; suppressed; expired), or
/// by the suppression list the channels check before sending (suppressed; <see cref="ListedBecause"/> says why the
/// address is on it).
/// </summary>
public sealed record SimulatedDecision(DateTimeOffset At, string JourneyId, string EnrollmentId, string StepId, Channel Channel, string Template, Orchestration.DecisionKind Kind, string Reason)
{
    /// <summary>When the suppression list held it back: why the address is on the list (<c>hard bounce: …</c>, <c>complaint (marked as spam)</c>, …); null for the orchestrator's decisions.</summary>
    public string? ListedBecause { get; init; }

    /// <summary>What the decision did to the message, in words: deferred, suppressed or expired.</summary>
    public string Outcome => Kind switch
    {
        Orchestration.DecisionKind.Defer => "deferred",
        Orchestration.DecisionKind.Expire => "expired",
        _ => "suppressed",
    };
}

/// <summary>What became of a message a simulated journey queued.</summary>
public enum MessageOutcome
{
    /// <summary>It went out (the channel could reach the contact).</summary>
    Sent,

    /// <summary>The orchestrator deferred it, and its slot came after the end of the simulation.</summary>
    Deferred,

    /// <summary>Stopped: by the orchestrator (consent, a drop rule, sunset) or by the suppression list.</summary>
    Suppressed,

    /// <summary>Its next chance came after its validity.</summary>
    Expired,

    /// <summary>The contact has no address for the channel (no email address, no phone number).</summary>
    Undeliverable,

    /// <summary>Whether it could go out is not in the stream (push: registered devices are not recorded there).</summary>
    Unknown,
}

/// <summary>
/// One message a simulated journey queued and what became of it, as the server's dispatcher would decide: the
/// orchestrator (under a policy), then whether the channel can reach the contact (<see cref="Orchestration.Reachability"/>),
/// falling back along the step's channels as the server does. Channel and template are the ones it ended on.
/// </summary>
/// <param name="QueuedAt">When the journey queued it (the outbox row's creation).</param>
/// <param name="At">When its outcome was decided (sent, or stopped).</param>
/// <param name="JourneyId">The journey.</param>
/// <param name="EnrollmentId">The enrollment.</param>
/// <param name="StepId">The send step.</param>
/// <param name="Channel">The channel it ended on.</param>
/// <param name="Template">The template it ended on.</param>
/// <param name="Outcome">What became of it.</param>
/// <param name="Reason">Why it did not go out, in words (null when sent).</param>
public sealed record SimulatedDelivery(DateTimeOffset QueuedAt, DateTimeOffset At, string JourneyId, string EnrollmentId, string StepId, Channel Channel, string Template, MessageOutcome Outcome, string? Reason)
{
    /// <summary>The outcome in lower case, as printed: sent, deferred, suppressed, expired, undeliverable, unknown.</summary>
    public string OutcomeName => Outcome.ToString().ToLowerInvariant();
}

/// <summary>One line of a simulated contact's timeline.</summary>
/// <param name="At">When.</param>
/// <param name="JourneyId">The journey.</param>
/// <param name="EnrollmentId">The enrollment.</param>
/// <param name="Kind"><c>move</c>, <c>send</c>, <c>notify_owner</c>, <c>webhook</c>, <c>converted</c>, <c>ended</c>, <c>announced</c> (a score crossing, stage change, segment entry or exit), <c>orchestrator</c> (under a policy: a message sent, deferred, suppressed or expired), <c>delivery</c> (a message the channel could not reach the contact with, or cannot tell), or <c>not_counted</c> (a recorded event a waiting <c>correlate</c> did not count, and why).</param>
/// <param name="Text">What happened, in words.</param>
public sealed record TimelineEntry(DateTimeOffset At, string JourneyId, string EnrollmentId, string Kind, string Text);

/// <summary>What one contact went through in a simulation.</summary>
/// <param name="Key">The contact's userId (or anonymousId) in the event stream.</param>
/// <param name="ContactId">The contact id the simulation gave it (derived from the key: the same every run).</param>
/// <param name="Moves">Every transition, in order.</param>
/// <param name="Messages">Every message that would have been sent (gone out on its channel).</param>
/// <param name="Ends">Every enrollment end, with its reason.</param>
/// <param name="Conversions">Every goal conversion.</param>
/// <param name="Timeline">Everything above, in the order it happened.</param>
public sealed record SimulatedContact(
    string Key,
    ContactId ContactId,
    ImmutableArray<TimelineEntry> Timeline,
    ImmutableArray<EnrollmentMoved> Moves,
    ImmutableArray<SimulatedMessage> Messages,
    ImmutableArray<EnrollmentEnded> Ends,
    ImmutableArray<EnrollmentConverted> Conversions)
{
    /// <summary>
    /// Every time a message was held back: by the orchestrator, under a policy (a deferred message that went out later is
    /// in <see cref="Messages"/> too), or by the suppression list (also when the step then fell back to another channel).
    /// </summary>
    public ImmutableArray<SimulatedDecision> Decisions { get; init; } = [];

    /// <summary>Every message the journeys queued, in order, with what became of it.</summary>
    public ImmutableArray<SimulatedDelivery> Deliveries { get; init; } = [];
}

/// <summary>The outcome of a simulation: each contact's path and messages, in contact order of first appearance.</summary>
public sealed record SimulationResult(ImmutableArray<SimulatedContact> Contacts, DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>
    /// The evidence of every adaptive split (automatic winner, bandit) at the end: the arms' entries and conversions the
    /// simulation counted (on top of the evidence the library carried), and the winner it decided, if any.
    /// </summary>
    public ImmutableDictionary<SplitKey, SplitEvidence> Splits { get; init; } = ImmutableDictionary<SplitKey, SplitEvidence>.Empty;

    /// <summary>How many times each step of each journey was entered.</summary>
    public ImmutableSortedDictionary<string, int> StepTotals =>
        Contacts.SelectMany(c => c.Moves).Where(m => m.Entry.To != JourneyStep.End)
            .GroupBy(m => $"{m.JourneyId}/{m.Entry.To}")
            .ToImmutableSortedDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}

/// <summary>
/// Runs journeys against a recorded event stream in virtual time through the very turn the server's partitions decide
/// with (<see cref="ContactTurn"/>: profile, consent, scores, segments, journeys), each contact's whole history in
/// memory: events in time order, and before each one every timer its turns scheduled that fell due, in due order.
/// Under a policy, every send passes the orchestrator as on the server: caps, quiet hours, consent and suppression
/// rules defer or stop it, a deferred message is decided again when its slot comes (highest priority first). Then, as
/// the channels do, the reachability rule (<see cref="Orchestration.Reachability"/>): no address of the channel's kind
/// is undeliverable, an address on the given suppression list is suppressed, and push — whose registered devices a
/// stream does not record — is unknown; an unreachable message falls back along the step's channels. Journeys see the
/// same <c>{channel}_sent</c>, <c>message_suppressed</c> and <c>message_expired</c> events the dispatcher records.
/// Contacts are keyed by userId (else anonymousId); ids are derived from the key, so holdouts and splits repeat
/// exactly. Deterministic: the same input gives the same result.
/// </summary>
public static class JourneySimulator
{
    /// <summary>Simulates <paramref name="events"/> (and <paramref name="profiles"/>, applied first) through <paramref name="library"/>.</summary>
    /// <param name="library">The journeys to run.</param>
    /// <param name="profiles">
    /// Messages (usually identify) that set up profiles before the stream; they trigger nothing (no journey is live yet).
    /// The journeys then go live at the start, as a publish reaches the contacts that exist: date triggers schedule from
    /// the dates the profiles have.
    /// </param>
    /// <param name="events">The event stream.</param>
    /// <param name="from">Events before this are ignored (default: the first event).</param>
    /// <param name="to">Events after this are ignored and timers stop here (default: the last event plus the longest maximum run time).</param>
    /// <param name="contactIds">The contact id of each key (default <see cref="IdFor"/>): holdouts and splits depend on it.</param>
    /// <param name="scoring">The scoring models (none by default).</param>
    /// <param name="segments">The segments (none by default).</param>
    /// <param name="policy">The orchestrator's policy; without one, every message is sent when its journey decides it.</param>
    /// <param name="subscriptions">Each template's subscription group (whose consent a send needs), by template id.</param>
    /// <param name="suppressions">Addresses on the suppression list (email addresses, phone numbers; case does not matter) with the reason of each.</param>
    /// <param name="keyOf">The contact a message belongs to (default: its userId, else its anonymousId); a replay of recorded events keys them by the contact they were resolved to.</param>
    /// <param name="cancellationToken">Stops the run between two events (a caller that went away).</param>
    public static SimulationResult Run(
        JourneyLibrary library,
        IEnumerable<SegmentMessage> profiles,
        IEnumerable<SegmentMessage> events,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        Func<string, ContactId>? contactIds = null,
        ScoringLibrary? scoring = null,
        SegmentLibrary? segments = null,
        Orchestration.Policy? policy = null,
        IReadOnlyDictionary<string, string?>? subscriptions = null,
        IReadOnlyDictionary<string, string>? suppressions = null,
        Func<SegmentMessage, string>? keyOf = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(library);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(events);
        var stream = events.Select((message, index) => (message, index))
            .OrderBy(item => item.message.Timestamp).ThenBy(item => item.index)
            .Select(item => item.message)
            .Where(message => (from is null || message.Timestamp >= from) && (to is null || message.Timestamp <= to))
            .ToList();
        var setup = profiles.ToList();
        var start = from ?? (stream.Count > 0 ? stream[0].Timestamp : setup.Count > 0 ? setup.Max(message => message.Timestamp) : DateTimeOffset.UnixEpoch);
        var longest = library.Live.Select(j => j.Definition.MaxRunTime).DefaultIfEmpty(TimeSpan.Zero).Max();
        var end = to ?? (stream.Count > 0 ? stream[^1].Timestamp : start) + longest;

        // The documents the turns decide with; no sales team, so a notify_owner alerts the journey's owner by name.
        var documents = new LiveDocuments(library, segments ?? SegmentLibrary.Empty, scoring ?? ScoringLibrary.Empty, policy ?? Orchestration.Policy.Default, ImmutableDictionary<string, Sales.SalesTeam>.Empty);
        var beforeStart = documents.WithJourneys(JourneyLibrary.Of());

        var contacts = new Dictionary<string, ContactRun>(StringComparer.Ordinal);
        var order = new List<string>();
        ContactRun ContactOf(SegmentMessage message)
        {
            var key = keyOf?.Invoke(message) ?? message.UserId ?? message.AnonymousId!;
            if (!contacts.TryGetValue(key, out var run))
            {
                run = new ContactRun(key, (contactIds ?? IdFor)(key), policy, suppressions);
                contacts[key] = run;
                order.Add(key);
            }

            return run;
        }

        // The timers the contacts' turns scheduled (journey waits, segment rechecks, date triggers), in due order, ties
        // in the order they were scheduled. A deferred send is an item too (Input null); at the same instant, higher
        // priorities go first. A timer scheduled again for the same contact, enrollment, step and time while it is
        // pending is one timer, as in the store (whose key they are).
        var queue = new PriorityQueue<(ContactRun Contact, ContactInput? Input, SendMessage? Send), (DateTimeOffset, int, long)>();
        var pending = new HashSet<TimerDue>();
        long scheduled = 0;

        // Adaptive splits (automatic winner, bandit) decide with the simulation's own evidence, refreshed as the runtime refreshes it.
        var ledger = SplitLedger.For(library);

        void Apply(ContactRun contact, ContactInput input, LiveDocuments live, DateTimeOffset now)
        {
            if (ReferenceEquals(live, documents))
            {
                live = documents = ledger.Refresh(documents, now);
            }

            foreach (var timer in contact.Turn(input, live, now, ledger))
            {
                var due = new TimerDue(contact.Id, timer.EnrollmentId, timer.StepId, timer.DueAt);
                if (pending.Add(due))
                {
                    queue.Enqueue((contact, due, null), (timer.DueAt, 0, scheduled++));
                }
            }

            // The sends the journeys decided go to the dispatcher (the orchestrator, then the channel), highest priority first, as it takes them.
            foreach (var send in contact.TakeQueued().OrderByDescending(send => send.Priority).ThenBy(send => send.MessageId, StringComparer.Ordinal))
            {
                Orchestrate(contact, send, now);
            }
        }

        void Orchestrate(ContactRun contact, SendMessage send, DateTimeOffset now)
        {
            var (decision, report, held) = contact.Deliver(policy, send, template => subscriptions?.GetValueOrDefault(template), now);
            if (decision is { Kind: Orchestration.DecisionKind.Defer, Until: { } until })
            {
                queue.Enqueue((contact, null, held), (until, -held.Priority, scheduled++));
            }

            // What the dispatcher puts on the timeline reaches the contact's turn as any event does (a wait_for on the message moves).
            if (report is not null)
            {
                Apply(contact, new MessageReceived(contact.Id, report), documents, now);
            }
        }

        void FireUntil(DateTimeOffset until)
        {
            while (queue.TryPeek(out var next, out var due) && due.Item1 <= until)
            {
                queue.Dequeue();
                if (next.Send is { } deferred)
                {
                    Orchestrate(next.Contact, deferred, due.Item1);
                }
                else
                {
                    pending.Remove((TimerDue)next.Input!);
                    Apply(next.Contact, next.Input!, documents, due.Item1);
                }
            }
        }

        foreach (var message in setup)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var contact = ContactOf(message);
            Apply(contact, new MessageReceived(contact.Id, message), beforeStart, message.Timestamp);
        }

        foreach (var key in order.ToList())
        {
            foreach (var journey in library.Live.Where(journey => journey.Definition.Trigger is DateTrigger))
            {
                Apply(contacts[key], new RolloutReached(contacts[key].Id, journey.Definition.Id, journey.Version, ImmutableDictionary<string, string>.Empty), documents, start);
            }
        }

        foreach (var message in stream)
        {
            cancellationToken.ThrowIfCancellationRequested();
            FireUntil(message.Timestamp);
            var contact = ContactOf(message);
            contact.ExplainUncounted(message, library, message.Timestamp);
            Apply(contact, new MessageReceived(contact.Id, message), documents, message.Timestamp);
        }

        FireUntil(end);
        return new SimulationResult([.. order.Select(key => contacts[key].Result())], start, end) { Splits = ledger.Snapshot(end) };
    }

    /// <summary>A contact id derived from the stream's key (a name-based GUID), so every run uses the same ids.</summary>
    public static ContactId IdFor(string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("cairn-simulation:" + key));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new ContactId(new Guid(hash.AsSpan(0, 16)));
    }

    private sealed class ContactRun(string key, ContactId id, Orchestration.Policy? policy, IReadOnlyDictionary<string, string>? suppressions)
    {
        private readonly bool _orchestrated = policy is not null;
        private readonly List<SimulatedDelivery> _deliveries = [];
        private readonly Dictionary<string, int> _deliveryIndex = new(StringComparer.Ordinal);

        private readonly List<Effect> _effects = [];
        private readonly List<SimulatedMessage> _messages = [];
        private readonly List<SimulatedDecision> _decisions = [];
        private readonly List<SendMessage> _queued = [];
        private readonly List<Orchestration.SentMessage> _sent = [];
        private readonly Dictionary<string, DateTimeOffset> _createdAt = new(StringComparer.Ordinal);
        private readonly List<TimelineEntry> _timeline = [];

        // The contact's whole history, newest first (later-recorded first among events at the same instant, as the store reads it).
        private readonly List<PastEvent> _history = [];
        private TurnState _state = TurnState.None;

        public ContactId Id => id;

        public ContactState Profile(DateTimeOffset at) => _state.Contact ?? ContactState.New(id, at);

        /// <summary>
        /// Decides one input with the contact's turn, given its whole history; records what it did on the timeline, and
        /// returns the timers it scheduled.
        /// </summary>
        public List<ScheduleTimer> Turn(ContactInput input, LiveDocuments documents, DateTimeOffset now, SplitLedger ledger)
        {
            var history = new LoadedHistory(new PastEvents(_history), []);
            var result = ContactTurn.Decide(_state, input, documents, new TurnReads { History = history, Replay = history }, now);
            if (result is not TurnDecided decided)
            {
                // The whole history is given, and no sales team routes: a turn asks for nothing else.
                throw new InvalidOperationException($"A simulated turn asked for {((TurnNeeds)result).Request}.");
            }

            if (decided.Changed)
            {
                _state = decided.State;
            }

            ledger.Observe(decided.Effects, _state.Contact);

            var recorded = (input as MessageReceived)?.Message;
            var timers = new List<ScheduleTimer>();
            foreach (var effect in decided.Effects)
            {
                switch (effect)
                {
                    case AppendEvent append:
                        Record(append.Message);
                        if (!ReferenceEquals(append.Message, recorded) && IsAnnouncement(append.Message))
                        {
                            _timeline.Add(new TimelineEntry(now, string.Empty, "(" + append.Message.Event!.Split('_')[0] + ")", "announced", Describe(append.Message)));
                        }

                        continue;
                    case ScheduleTimer timer:
                        timers.Add(timer);
                        break;
                    case SendMessage message:
                        _queued.Add(message);
                        _createdAt[message.MessageId] = now;
                        break;
                }

                _effects.Add(effect);
                TimelineEntry? line = effect switch
                {
                    EnrollmentMoved moved => new(now, moved.JourneyId, moved.EnrollmentId, "move", $"{moved.Entry.From ?? "(entry)"} -{moved.Entry.Exit}-> {moved.Entry.To}: {moved.Entry.Reason}"),
                    SendMessage send => new(now, send.JourneyId, send.EnrollmentId, "send", $"{(_orchestrated ? "queues" : "sends")} {send.Channel.DocumentName()} '{send.Template}' (step {send.StepId})"),
                    NotifyOwner notify => new(now, notify.JourneyId, notify.EnrollmentId, "notify_owner", $"notifies {notify.Owner ?? "the owner"}: {notify.Message}"),
                    CallWebhook webhook => new(now, webhook.JourneyId, webhook.EnrollmentId, "webhook", $"calls {webhook.Url}"),
                    EnrollmentConverted converted => new(now, converted.JourneyId, converted.EnrollmentId, "converted", "reached the goal"),
                    EnrollmentEnded ended => new(now, ended.JourneyId, ended.EnrollmentId, "ended", ended.NeedsReview ? $"ended for review: {ended.Reason}" : $"ended: {ended.Reason}"),
                    _ => null,
                };
                if (line is not null)
                {
                    _timeline.Add(line);
                }
            }

            return timers;
        }

        /// <summary>Puts an event the turn appended in the history, by time (newest first; the latest recorded first on a tie).</summary>
        private void Record(SegmentMessage message)
        {
            var past = new PastEvent(ContactDecider.CounterName(message), message.Timestamp, message.Properties);
            var index = _history.FindIndex(e => e.Timestamp <= past.Timestamp);
            _history.Insert(index < 0 ? _history.Count : index, past);
        }

        private static bool IsAnnouncement(SegmentMessage message) =>
            message.Event is ScoreDecider.ScoreCrossedEvent or ScoreDecider.StageChangedEvent or Segments.SegmentDefinition.EnteredEvent or Segments.SegmentDefinition.ExitedEvent;

        private static string Describe(SegmentMessage message)
        {
            string Text(string name) => ConditionEvaluator.Path(message.Properties, name) is { ValueKind: not System.Text.Json.JsonValueKind.Null } value
                ? value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString()! : value.GetRawText()
                : "none";
            return message.Event switch
            {
                ScoreDecider.ScoreCrossedEvent => $"score '{Text("model")}' crossed {Text("threshold")} {Text("direction")} (now {Text("score")})",
                ScoreDecider.StageChangedEvent => $"stage {Text("from")} -> {Text("to")} (score '{Text("model")}' at {Text("score")})",
                Segments.SegmentDefinition.EnteredEvent => $"entered segment '{Text("segment")}': {Text("reason")}",
                _ => $"left segment '{Text("segment")}': {Text("reason")}",
            };
        }

        /// <summary>The sends the journeys decided since the last call, for the orchestrator.</summary>
        public List<SendMessage> TakeQueued()
        {
            var queued = _queued.ToList();
            _queued.Clear();
            return queued;
        }

        /// <summary>
        /// Decides one send as the dispatcher does and records the outcome: the orchestrator (under a policy; webhooks
        /// reach systems, not the contact, and pass it), then whether the channel reaches the contact, falling back along
        /// the step's channels when it cannot (no address, no consent, a suppressed address). Returns the decision, the
        /// event the dispatcher would put on the timeline (none while a message is only deferred again, and none for an
        /// undeliverable one), and the message as it stands (on the channel it fell back to).
        /// </summary>
        public (Orchestration.SendDecision? Decision, SegmentMessage? Report, SendMessage Send) Deliver(Orchestration.Policy? policy, SendMessage send, Func<string, string?> subscriptionOf, DateTimeOffset now)
        {
            var profile = Profile(now);
            while (true)
            {
                var channel = send.Channel.DocumentName();
                var what = $"{channel} '{send.Template}'";
                var deferredBefore = _decisions.Any(earlier => earlier.StepId == send.StepId && earlier.EnrollmentId == send.EnrollmentId && earlier.Kind == Orchestration.DecisionKind.Defer);
                Orchestration.SendDecision? decision = null;
                if (policy is not null && send.Channel != Channel.Webhook)
                {
                    var request = new Orchestration.SendRequest(send.MessageId, channel, send.Category, send.Priority, subscriptionOf(send.Template), _createdAt.GetValueOrDefault(send.MessageId, now));
                    decision = Orchestration.Orchestrator.Decide(policy, profile, request, _sent, _history, now);
                }

                if (decision is null || decision.Kind == Orchestration.DecisionKind.Send)
                {
                    var listed = SuppressedBecause(channel, profile);
                    var reach = Orchestration.Reachability.Check(channel, profile, new Orchestration.AddressFacts(listed, null));
                    switch (reach.Kind)
                    {
                        case Orchestration.ReachKind.Reachable:
                            if (send.Channel != Channel.Webhook)
                            {
                                // What the caps count: the messages that reach the contact.
                                _sent.Add(new Orchestration.SentMessage(channel, send.Category, now));
                            }

                            _messages.Add(new SimulatedMessage(now, send.JourneyId, send.EnrollmentId, send.StepId, send.Channel, send.Template));
                            Record(send, now, MessageOutcome.Sent, null);
                            if (_orchestrated)
                            {
                                _timeline.Add(new TimelineEntry(now, send.JourneyId, send.EnrollmentId, "orchestrator", $"{what} sent"));
                            }

                            return (decision, Report(profile, $"{channel}_sent", send, new { deferred = deferredBefore }, now), send);
                        case Orchestration.ReachKind.Unknown:
                            Record(send, now, MessageOutcome.Unknown, reach.Reason);
                            _timeline.Add(new TimelineEntry(now, send.JourneyId, send.EnrollmentId, "delivery", $"{what} unknown: {reach.Reason}"));
                            return (decision, null, send);
                    }

                    var outcome = reach.Kind == Orchestration.ReachKind.Suppressed ? MessageOutcome.Suppressed : MessageOutcome.Undeliverable;
                    if (outcome == MessageOutcome.Suppressed)
                    {
                        // Held back by the suppression list, as the channel would (before rendering, before any fallback).
                        _decisions.Add(new SimulatedDecision(now, send.JourneyId, send.EnrollmentId, send.StepId, send.Channel, send.Template, Orchestration.DecisionKind.Suppress, reach.Reason!) { ListedBecause = listed });
                    }

                    if (send.Fallback is [var next, .. var rest])
                    {
                        _timeline.Add(new TimelineEntry(now, send.JourneyId, send.EnrollmentId, "delivery", $"{what} {outcome.ToString().ToLowerInvariant()}: {reach.Reason}; falling back to {next.Channel.DocumentName()} '{next.Template}'"));
                        send = send with { Channel = next.Channel, Template = next.Template, Fallback = [.. rest] };
                        continue;
                    }

                    Record(send, now, outcome, reach.Reason);
                    _timeline.Add(new TimelineEntry(now, send.JourneyId, send.EnrollmentId, "delivery", $"{what} {outcome.ToString().ToLowerInvariant()}: {reach.Reason}"));
                    return (decision, outcome == MessageOutcome.Suppressed ? Report(profile, "message_suppressed", send, new { reason = reach.Reason }, now) : null, send);
                }

                var held = new SimulatedDecision(now, send.JourneyId, send.EnrollmentId, send.StepId, send.Channel, send.Template, decision.Kind, decision.Reason);
                _decisions.Add(held);
                if (decision.Kind == Orchestration.DecisionKind.Suppress && send.Fallback is [var other, .. var others])
                {
                    _timeline.Add(new TimelineEntry(now, send.JourneyId, send.EnrollmentId, "orchestrator", $"{what} suppressed: {decision.Reason}; falling back to {other.Channel.DocumentName()} '{other.Template}'"));
                    send = send with { Channel = other.Channel, Template = other.Template, Fallback = [.. others] };
                    continue;
                }

                _timeline.Add(new TimelineEntry(now, send.JourneyId, send.EnrollmentId, "orchestrator", decision.Kind == Orchestration.DecisionKind.Defer ? $"{what} {decision.Reason}" : $"{what} {held.Outcome}: {decision.Reason}"));
                Record(send, now, decision.Kind switch { Orchestration.DecisionKind.Defer => MessageOutcome.Deferred, Orchestration.DecisionKind.Expire => MessageOutcome.Expired, _ => MessageOutcome.Suppressed }, decision.Reason);
                return decision.Kind switch
                {
                    Orchestration.DecisionKind.Defer => (decision, deferredBefore ? null : Report(profile, "message_deferred", send, new { reason = decision.Reason, until = decision.Until }, now), send),
                    Orchestration.DecisionKind.Expire => (decision, Report(profile, "message_expired", send, new { reason = decision.Reason }, now), send),
                    _ => (decision, Report(profile, "message_suppressed", send, new { reason = decision.Reason }, now), send),
                };
            }
        }

        /// <summary>The suppression list's reason for the contact's address on the channel, if it is on it.</summary>
        private string? SuppressedBecause(string channel, ContactState profile) =>
            suppressions is not null && Orchestration.Reachability.AddressOf(channel, profile) is { } address
            && suppressions.TryGetValue(address.Trim().ToLowerInvariant(), out var reason) ? reason : null;

        /// <summary>Records what became of a message (the latest decision stands).</summary>
        private void Record(SendMessage send, DateTimeOffset now, MessageOutcome outcome, string? reason)
        {
            var delivery = new SimulatedDelivery(_createdAt.GetValueOrDefault(send.MessageId, now), now, send.JourneyId, send.EnrollmentId, send.StepId, send.Channel, send.Template, outcome, reason);
            if (_deliveryIndex.TryGetValue(send.MessageId, out var index))
            {
                _deliveries[index] = delivery;
            }
            else
            {
                _deliveryIndex[send.MessageId] = _deliveries.Count;
                _deliveries.Add(delivery);
            }
        }

        /// <summary>
        /// Puts on the timeline why a recorded event that a waiting <c>wait_for</c> awaits does not count for its
        /// <c>correlate</c> (it names another message, or carries neither a message id nor the step's template, …).
        /// </summary>
        public void ExplainUncounted(SegmentMessage message, JourneyLibrary library, DateTimeOffset now)
        {
            foreach (var enrollment in (_state.Contact?.Journeys ?? JourneyMemberships.Empty).Active.Values.OrderBy(e => e.JourneyId, StringComparer.Ordinal))
            {
                if (enrollment.StepId is { } step && library.Versions.TryGetValue((enrollment.JourneyId, enrollment.Version), out var journey)
                    && journey.Find(step) is WaitForStep { CorrelateWith: not null } waitFor && waitFor.Event == message.Event
                    && JourneyDecider.Uncorrelated(enrollment, journey, waitFor, message) is { } reason)
                {
                    _timeline.Add(new TimelineEntry(now, enrollment.JourneyId, enrollment.Id, "not_counted", $"{message.Event} not counted by {waitFor.Id}: {reason}"));
                }
            }
        }

        private static SegmentMessage Report(ContactState profile, string name, SendMessage send, object details, DateTimeOffset now)
        {
            var properties = System.Text.Json.JsonSerializer.SerializeToElement(details);
            var merged = new Dictionary<string, System.Text.Json.JsonElement>(StringComparer.Ordinal)
            {
                [JourneyDecider.MessageIdProperty] = System.Text.Json.JsonSerializer.SerializeToElement(send.MessageId),
                ["channel"] = System.Text.Json.JsonSerializer.SerializeToElement(send.Channel.DocumentName()),
                ["template"] = System.Text.Json.JsonSerializer.SerializeToElement(send.Template),
                ["journey_id"] = System.Text.Json.JsonSerializer.SerializeToElement(send.JourneyId),
                ["step_id"] = System.Text.Json.JsonSerializer.SerializeToElement(send.StepId),
            };
            foreach (var property in properties.EnumerateObject())
            {
                merged[property.Name] = property.Value.Clone();
            }

            return AudienceDecider.Announcement(profile, name, send.MessageId, System.Text.Json.JsonSerializer.SerializeToElement(merged), now);
        }

        public SimulatedContact Result() => new(
            key,
            id,
            [.. _timeline],
            [.. _effects.OfType<EnrollmentMoved>()],
            [.. _messages],
            [.. _effects.OfType<EnrollmentEnded>()],
            [.. _effects.OfType<EnrollmentConverted>()])
        {
            Decisions = [.. _decisions],
            Deliveries = [.. _deliveries],
        };
    }
}
