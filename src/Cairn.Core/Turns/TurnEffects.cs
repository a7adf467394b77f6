using Cairn.Core.Contacts;
using Cairn.Core.Sales;
using Cairn.Core.Segments;

namespace Cairn.Core.Turns;

// The effects a contact turn adds to those of the deciders it composes (AppendEvent, RequestMerge, HandOver,
// CompleteMerge, ForwardInput from the profile; ScheduleTimer, SendMessage, CallWebhook, NotifyOwner, EnrollmentMoved,
// EnrollmentConverted, EnrollmentEnded from the journeys). Each is one row or counter the host writes in the commit.

/// <summary>The timer that fired is handled: delete it in the same commit as what it caused (a crash before fires it again).</summary>
public sealed record TimerHandled(string EnrollmentId, string StepId, DateTimeOffset DueAt) : Effect;

/// <summary>Index an identity (a user id or anonymous id the profile gained) to the contact.</summary>
public sealed record IdentityMapped(IdentityKey Identity) : Effect;

/// <summary>The contact entered a segment (<paramref name="Membership"/>) or left it (null): the segment's member list.</summary>
public sealed record SegmentMembershipChanged(string Segment, SegmentMembership? Membership) : Effect;

/// <summary>
/// A hand-off opened: its record, and the routing memory learns that the account's domain went to its owner (the first
/// owner of a domain keeps it).
/// </summary>
/// <param name="HandOff">The open hand-off, with its owner and SLA.</param>
/// <param name="RoutedBy">Why it went to its owner, in words.</param>
/// <param name="Domain">The lead's company email domain, if any.</param>
/// <param name="JourneyId">The journey whose step handed the lead off.</param>
public sealed record HandOffOpened(OpenHandOff HandOff, string RoutedBy, string? Domain, string JourneyId) : Effect;

/// <summary>A hand-off was acknowledged (<paramref name="By"/>: the event that counts as one, or <c>api</c>).</summary>
public sealed record HandOffClosed(string Id, DateTimeOffset At, string By) : Effect;

/// <summary>A hand-off's SLA ran out and it was escalated (to the manager, or re-routed with a fresh SLA).</summary>
public sealed record HandOffEscalated(string Id, DateTimeOffset At, string? To, string? Owner, DateTimeOffset? DueAt) : Effect;

/// <summary>
/// An alert to the contact's owner goes in the outbox (channel <see cref="ContactTurn.OwnerChannel"/>): a journey's
/// <c>notify_owner</c>, or an escalation. The host writes its payload — the contact as its batch leaves it and the
/// behaviour timeline — just before the commit.
/// </summary>
/// <param name="MessageId">The outbox message id (idempotency key).</param>
/// <param name="JourneyId">The outbox row's journey (<see cref="ContactTurn.HandOffTimer"/> for an escalation).</param>
/// <param name="Version">The journey version (0 for an escalation).</param>
/// <param name="EnrollmentId">The outbox row's enrollment (the hand-off id for an escalation).</param>
/// <param name="StepId">The outbox row's step (<c>escalation</c> for one).</param>
/// <param name="Kind"><c>handoff</c> or <c>escalation</c>.</param>
/// <param name="Message">What the alert says.</param>
/// <param name="AboutJourney">The journey the alert names (null for an escalation).</param>
/// <param name="Team">The sales team, when the owner is one.</param>
/// <param name="HandOff">The hand-off, when one was opened or escalated.</param>
/// <param name="Owner">Who is alerted: the routed owner, the manager, or the journey's owner name.</param>
/// <param name="RoutedBy">Why the lead went to them, in words.</param>
/// <param name="EscalatedFrom">The owner who missed the SLA, for an escalation.</param>
public sealed record AlertOwner(
    string MessageId,
    string JourneyId,
    int Version,
    string EnrollmentId,
    string StepId,
    string Kind,
    string Message,
    string? AboutJourney,
    SalesTeam? Team,
    OpenHandOff? HandOff,
    string? Owner,
    string? RoutedBy,
    string? EscalatedFrom = null) : Effect;
