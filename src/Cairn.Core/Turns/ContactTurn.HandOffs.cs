using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Sales;

namespace Cairn.Core.Turns;

public sealed partial class ContactTurn
{
    private sealed partial class Run
    {
        /// <summary>
        /// A journey's <c>notify_owner</c>: when the journey's owner is a sales team, the lead is routed to one of its
        /// owners and a hand-off is opened with its SLA timer; the alert goes in the outbox either way.
        /// </summary>
        private ContactState HandOff(ContactState contact, NotifyOwner notify)
        {
            if (_need is not null)
            {
                return contact;
            }

            if (notify.Owner is null || !_documents.Teams.TryGetValue(notify.Owner, out var team))
            {
                _effects.Add(new AlertOwner(notify.MessageId, notify.JourneyId, notify.Version, notify.EnrollmentId, notify.StepId, "handoff", notify.Message, notify.JourneyId, null, null, notify.Owner, null));
                return contact;
            }

            var routed = HandOffDecider.Route(team, contact, _routing, _now);
            if (_routing.Missing is { } missing)
            {
                _need = missing;
                return contact;
            }

            var (next, handOff) = HandOffDecider.Open(contact, team, notify.MessageId, routed, _now);
            _routing.Learn(team.Id, routed.Domain, routed.Owner);
            _effects.Add(new HandOffOpened(handOff, routed.By, routed.Domain, notify.JourneyId));
            if (handOff.DueAt is { } due)
            {
                _effects.Add(new ScheduleTimer(HandOffTimer, handOff.Id, due));
            }

            _effects.Add(new AlertOwner(notify.MessageId, notify.JourneyId, notify.Version, notify.EnrollmentId, notify.StepId, "handoff", notify.Message, notify.JourneyId, team, handOff, routed.Owner, routed.By));
            return next;
        }

        /// <summary>
        /// What follows a hand-off: an event the team counts as an acknowledgement (a CRM's <c>deal_stage_changed</c>)
        /// or an acknowledgement through the API closes the contact's open hand-offs; an SLA timer whose hand-off is
        /// still open escalates it. Null when the input concerns no hand-off.
        /// </summary>
        private ContactState? FollowUp()
        {
            var contact = _next;
            if (contact.HandOffs.IsEmpty)
            {
                return null;
            }

            switch (_turn._input)
            {
                case MessageReceived received when _turn._recorded is not null:
                    var name = ContactDecider.CounterName(received.Message);
                    var acknowledged = HandOffDecider.AcknowledgedBy(contact, name, team => _documents.Teams.GetValueOrDefault(team)).ToList();
                    foreach (var open in acknowledged)
                    {
                        contact = HandOffDecider.Acknowledge(contact, open.Id).Profile;
                        _effects.Add(new HandOffClosed(open.Id, _now, name));
                    }

                    return acknowledged.Count > 0 ? contact : null;
                case HandOffAcknowledged ack:
                    var (after, closed) = HandOffDecider.Acknowledge(contact, ack.HandOffId);
                    _effects.AddRange(closed.Select(handOff => new HandOffClosed(handOff.Id, _now, ack.By)));
                    return closed.IsEmpty ? null : after;
                case TimerDue { EnrollmentId: HandOffTimer } due
                    when contact.HandOffs.FirstOrDefault(h => h.Id == due.StepId) is { } missed && _documents.Teams.TryGetValue(missed.Team, out var team):
                    var escalation = HandOffDecider.Escalate(contact, team, missed.Id, _routing, _now);
                    if (_routing.Missing is { } missing)
                    {
                        _need = missing;
                        return null;
                    }

                    if (escalation is not var (escalated, handOff, alertTo, by))
                    {
                        return null;
                    }

                    _effects.Add(new HandOffEscalated(handOff.Id, _now, alertTo, handOff.Owner, handOff.DueAt));
                    if (handOff.DueAt is { } next)
                    {
                        _effects.Add(new ScheduleTimer(HandOffTimer, handOff.Id, next));
                    }

                    var message = $"Not acknowledged within {Duration.Format(team.Sla!.Value)}: {by}.";
                    _effects.Add(new AlertOwner($"{handOff.Id}:escalation:{handOff.Escalations}", HandOffTimer, 0, handOff.Id, "escalation", "escalation", message, null, team, handOff, alertTo, by, EscalatedFrom: missed.Owner));
                    return escalated;
                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// The workspace's routing memory as one turn sees it: the answers the host read (<see cref="TurnReads"/>); the first
    /// question with no answer yet becomes the turn's request. A domain the turn's own hand-off went to counts for its
    /// later ones, as the memory will once the host learns it.
    /// </summary>
    private sealed class RoutingAnswers(TurnReads reads) : IOwnerRotation
    {
        private readonly Dictionary<(string Team, string Domain), string> _learned = [];
        private int _turns;

        /// <summary>The first question that had no answer (its answer was made up and the turn must stop).</summary>
        public TurnRequest? Missing { get; private set; }

        public string TakeTurn(string team, IReadOnlyList<string> candidates, DateTimeOffset now)
        {
            if (_turns < reads.OwnerTurns.Count)
            {
                var taken = reads.OwnerTurns[_turns++];
                return taken.Team == team && candidates.Contains(taken.Owner)
                    ? taken.Owner
                    : throw new InvalidOperationException($"The owner turn read for team {taken.Team} ({taken.Owner}) answers another question than the turn asks (team {team}).");
            }

            Missing ??= new OwnerTurnNeeded(team, [.. candidates]);
            return candidates[0];
        }

        public string? AccountOwner(string team, string domain)
        {
            if (reads.AccountOwners.TryGetValue((team, domain), out var owner))
            {
                return owner ?? _learned.GetValueOrDefault((team, domain));
            }

            Missing ??= new AccountOwnerNeeded(team, domain);
            return null;
        }

        public void Learn(string team, string? domain, string? owner)
        {
            if (domain is not null && owner is not null)
            {
                _learned.TryAdd((team, domain), owner);
            }
        }
    }
}
