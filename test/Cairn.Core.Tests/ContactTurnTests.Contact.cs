using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Cairn.Core.Consent;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Turns;
using CsCheck;

namespace Cairn.Core.Tests;

/// <summary>The contact whose turns the properties run, as a partition runs them.</summary>
public sealed partial class ContactTurnTests
{
    /// <summary>
    /// One contact's turns, run as a partition runs them: each given the whole history it asks for, and routing answers
    /// from a rotation of its own; the timers a turn schedules come back as inputs when the clock passes them.
    /// </summary>
    private sealed class Contact(LiveDocuments documents, ContactId id, DateTimeOffset now)
    {
        private readonly List<PastEvent> _history = [];
        private readonly List<(DateTimeOffset Due, long Order, ContactInput Input)> _timers = [];
        private readonly Dictionary<string, int> _turns = new(StringComparer.Ordinal);
        private long _scheduled;

        public TurnState State { get; private set; } = TurnState.None;

        /// <summary>The state before the last turn.</summary>
        public TurnState Before { get; private set; } = TurnState.None;

        public DateTimeOffset Now { get; private set; } = now;

        public List<string> Trace { get; } = [];

        public List<SendMessage> Sent { get; } = [];

        /// <summary>What the last resolved turn was given to read.</summary>
        public TurnReads LastReads { get; private set; } = TurnReads.None;

        /// <summary>The contact's history before the last turn, newest first (later-recorded first on a tie, as the store reads it).</summary>
        public ImmutableArray<PastEvent> HistoryBefore { get; private set; } = [];

        public static Contact Run(LiveDocuments documents, ContactId id, (int Kind, int Hours, int Pick)[] steps, Action<DateTimeOffset, TurnDecided>? check = null) =>
            Run(documents, id, steps, check is null ? null : (now, decided, _, _) => check(now, decided));

        public static Contact Run(LiveDocuments documents, ContactId id, (int Kind, int Hours, int Pick)[] steps, Action<DateTimeOffset, TurnDecided, ContactInput, Contact>? check)
        {
            var contact = new Contact(documents, id, T0);
            foreach (var (kind, hours, pick) in steps)
            {
                var now = contact.Now.AddHours(hours);
                foreach (var (due, input) in contact.Due(now))
                {
                    var at = input is TimerDue timer ? timer.DueAt : due;
                    var fired = contact.Turn(input, at);
                    check?.Invoke(at, fired, input, contact);
                }

                var next = Input(id, kind, pick, now, contact.Trace.Count);
                var decided = contact.Turn(next, now);
                check?.Invoke(now, decided, next, contact);
            }

            return contact;
        }

        /// <summary>
        /// Decides <paramref name="input"/> for <paramref name="state"/>, reading what the turn asks for (the whole history
        /// of this contact, a rotation of its own, no account owner yet), without taking the decision.
        /// </summary>
        public TurnDecided Resolve(TurnState state, ContactInput input, DateTimeOffset at)
        {
            var reads = TurnReads.None;
            var turn = ContactTurn.Begin(state, input, documents, at);
            TurnResult result;
            while ((result = turn.Decide(reads)) is TurnNeeds { Request: var request })
            {
                var whole = new LoadedHistory(new PastEvents([.. _history]), []);
                reads = request switch
                {
                    HistoryNeeded { Replay: true } => reads with { Replay = whole },
                    HistoryNeeded => reads with { History = whole },
                    OwnerTurnNeeded owner => reads with { OwnerTurns = reads.OwnerTurns.Add(new OwnerTurnTaken(owner.Team, TakeTurn(owner))) },
                    AccountOwnerNeeded account => reads with { AccountOwners = reads.AccountOwners.SetItem((account.Team, account.Domain), null) },
                    _ => throw new InvalidOperationException($"Unexpected request {request}."),
                };
            }

            LastReads = reads;
            return (TurnDecided)result;
        }

        /// <summary>
        /// The timers due by <paramref name="until"/>, in due order (ties in the order they were scheduled), each taken off
        /// the list as it is reached: a timer that a turn of an earlier one schedules before <paramref name="until"/> comes
        /// in its place, as the server's timer pump would fire it.
        /// </summary>
        public IEnumerable<(DateTimeOffset Due, ContactInput Input)> Due(DateTimeOffset until)
        {
            while (true)
            {
                var next = -1;
                for (var i = 0; i < _timers.Count; i++)
                {
                    if (_timers[i].Due <= until && (next < 0 || (_timers[i].Due, _timers[i].Order).CompareTo((_timers[next].Due, _timers[next].Order)) < 0))
                    {
                        next = i;
                    }
                }

                if (next < 0)
                {
                    yield break;
                }

                var (due, _, input) = _timers[next];
                _timers.RemoveAt(next);
                yield return (due, input);
            }
        }

        public TurnDecided Turn(ContactInput input, DateTimeOffset at)
        {
            Now = at > Now ? at : Now;
            HistoryBefore = [.. _history];
            var decided = Resolve(State, input, at);
            Before = State;
            if (decided.Changed)
            {
                State = decided.State;
            }

            foreach (var effect in decided.Effects)
            {
                switch (effect)
                {
                    case AppendEvent append:
                        var past = new PastEvent(ContactDecider.CounterName(append.Message), append.Message.Timestamp, append.Message.Properties);
                        var index = _history.FindIndex(e => e.Timestamp <= past.Timestamp);
                        _history.Insert(index < 0 ? _history.Count : index, past);
                        break;
                    case ScheduleTimer timer:
                        _timers.Add((timer.DueAt, _scheduled++, new TimerDue(id, timer.EnrollmentId, timer.StepId, timer.DueAt)));
                        break;
                    case SendMessage send:
                        Sent.Add(send);
                        break;
                }
            }

            Trace.Add($"{at:O} {input.GetType().Name}: {Describe(decided)}");
            return decided;
        }

        private string TakeTurn(OwnerTurnNeeded request)
        {
            var turn = _turns.GetValueOrDefault(request.Team);
            _turns[request.Team] = turn + 1;
            return request.Candidates[turn % request.Candidates.Length];
        }

        /// <summary>A turn's decision in words: the state's key parts and every effect, with what identifies it.</summary>
        public static string Describe(TurnDecided decided)
        {
            var contact = decided.State.Contact;
            var state = contact is null ? "none" : string.Join(
                ' ',
                $"changed={decided.Changed}",
                $"segments=[{string.Join(',', contact.Segments.Keys)}]",
                $"scores=[{string.Join(',', contact.Scores.Select(score => $"{score.Key}:{score.Value.Contributions.Length}"))}]",
                $"journeys=[{string.Join(',', contact.Journeys.Active.Values.Select(e => $"{e.Id}@{e.StepId}/{e.Arm}/{e.Control}"))}]",
                $"handoffs=[{string.Join(',', contact.HandOffs.Select(h => $"{h.Id}:{h.Owner}"))}]",
                $"consents=[{string.Join(',', contact.Consents.Select(c => $"{c.Key}:{c.Value.State}"))}]",
                $"traits=[{string.Join(',', contact.Traits.Select(t => $"{t.Key}={t.Value.Value.GetRawText()}"))}]");
            return state + " | " + string.Join(" ; ", decided.Effects.Select(Describe));
        }

        private static string Describe(Effect effect) => effect switch
        {
            AppendEvent append => $"event {append.Message.MessageId} {append.Message.DisplayName}",
            ScheduleTimer timer => $"timer {timer.EnrollmentId}/{timer.StepId}@{timer.DueAt:O}",
            SendMessage send => $"send {send.MessageId} {send.Channel} {send.Template}",
            EnrollmentMoved moved => $"move {moved.EnrollmentId} {moved.Entry.From}-{moved.Entry.Exit}->{moved.Entry.To} ({moved.Entry.Reason})",
            EnrollmentEnded ended => $"end {ended.EnrollmentId} {ended.Reason}",
            EnrollmentConverted converted => $"convert {converted.EnrollmentId} {converted.Arm} {converted.Control}",
            AlertOwner alert => $"alert {alert.MessageId} {alert.Kind} {alert.Owner} {alert.RoutedBy}",
            HandOffOpened opened => $"handoff {opened.HandOff.Id} {opened.HandOff.Owner} {opened.RoutedBy}",
            SegmentMembershipChanged change => $"segment {change.Segment} {change.Membership?.Reason ?? "left"}",
            _ => effect.GetType().Name,
        };

        /// <summary>
        /// The input a generated step stands for; the message id is derived from <paramref name="sequence"/> (the input's
        /// place in its run), so a replay reads the same messages.
        /// </summary>
        public static ContactInput Input(ContactId id, int kind, int pick, DateTimeOffset now, int sequence = 0)
        {
            string[] countries = ["DE", "US", "FR", "JP"];
            string[] sizes = ["12", "250", "1500", "40"];
            string[] stages = ["lead", "customer", "mql", "sql"];
            string[] consents = ["opted_in", "opted_out", "opted_in", "opted_out"];
            var at = now.ToString("O", CultureInfo.InvariantCulture);
            var messageId = $"input-{sequence}-{kind}-{pick}";
            string Track(string name, string properties = "{}") => $$"""{"type":"track","messageId":"{{messageId}}","userId":"u","event":"{{name}}","properties":{{properties}},"timestamp":"{{at}}"}""";
            string Identify(string traits) => $$"""{"type":"identify","messageId":"{{messageId}}","userId":"u","traits":{{traits}},"timestamp":"{{at}}"}""";
            var json = kind switch
            {
                0 => Track("cart_abandoned", $$"""{"cart_value":{{10 + (pick * 40)}}}"""),
                1 => Track("order_completed", $$"""{"revenue":{{pick * 100}},"first_order":{{(pick % 2 == 0 ? "true" : "false")}}}"""),
                2 => Track("content_downloaded"),
                3 => Track("pricing_viewed"),
                4 => Track("signed_up", pick == 0 ? """{"source":"seo-guide"}""" : "{}"),
                5 => Track("email_opened", pick < 2 ? """{"template":"cart-reminder-1"}""" : "{}"),
                6 => Track("feature_used"),
                7 => Track("subscription_cancelled"),
                8 => Track("demo_requested"),
                9 => Track("deal_stage_changed"),
                10 => Identify($$"""{"email":"u{{pick}}@{{(pick % 2 == 0 ? "acme.com" : "gmail.com")}}","phone":"+3361234567{{pick}}","company_size":{{sizes[pick]}},"country":"{{countries[pick]}}"}"""),
                11 => Identify($$"""{"consent":{"{{(pick % 2 == 0 ? "email" : "sms")}}":"{{consents[pick]}}"},"ltv_tier":"{{(pick < 2 ? "high" : "low")}}"}"""),
                12 => Identify($$"""{"lifecycle_stage":"{{stages[pick]}}","contract_end":"{{now.AddDays(20 + (pick * 30)):yyyy-MM-dd}}","timezone":"Europe/Berlin"}"""),
                13 => Track("subscription_started"),
                _ => null,
            };
            return json is not null
                ? new MessageReceived(id, TestMessages.Read(json, receivedAt: now))
                : kind switch
                {
                    14 => new ConsentChanged(id, pick % 2 == 0 ? "email" : "sms", null, new ConsentRecord(pick < 2 ? ConsentState.OptedIn : ConsentState.OptedOut, "api", now, null)),
                    15 => new SegmentsChanged(id, "segment saved"),
                    16 => new ScoresChanged(id, pick % 2 == 0 ? "lead-score" : "product-engagement", "model saved"),
                    17 => new TraitsPatched(id, ImmutableSortedDictionary.Create<string, JsonElement>(StringComparer.Ordinal).Add("plan", JsonSerializer.SerializeToElement(pick % 2 == 0 ? "pro" : "free"))),
                    18 => new EnrollmentRequested(id, "win-back", null),
                    _ => new HandOffAcknowledged(id, "none", "api"),
                };
        }
    }
}
