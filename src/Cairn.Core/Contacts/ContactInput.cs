using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Messages;

namespace Cairn.Core.Contacts;

/// <summary>
/// Everything that happens to a contact is an input to that contact's partition: messages now; timers,
/// delivery receipts and commands later, as further subtypes. Nothing else changes contact state.
/// </summary>
/// <param name="ContactId">The contact the input is for; it decides the partition.</param>
public abstract record ContactInput(ContactId ContactId);

/// <summary>A Segment message resolved to this contact.</summary>
/// <param name="ContactId">The resolved contact.</param>
/// <param name="Message">The message.</param>
/// <param name="Absorb">
/// Another contact that identity resolution found to be the same person (identify after anonymous, alias);
/// it is merged into this one.
/// </param>
public sealed record MessageReceived(ContactId ContactId, SegmentMessage Message, ContactId? Absorb = null)
    : ContactInput(ContactId);

/// <summary>Traits set through the admin API; they count as written at the time of the command.</summary>
public sealed record TraitsPatched(ContactId ContactId, ImmutableSortedDictionary<string, JsonElement> Traits)
    : ContactInput(ContactId);

/// <summary>Tells a contact that it is the same person as <paramref name="Into"/> and must merge into it.</summary>
public sealed record MergeRequested(ContactId ContactId, ContactId Into) : ContactInput(ContactId);

/// <summary>Gives the surviving contact the profile of the contact merged into it.</summary>
public sealed record ContactAbsorbed(ContactId ContactId, ContactState Absorbed) : ContactInput(ContactId);

/// <summary>A durable timer of one of the contact's journey enrollments is due.</summary>
/// <param name="ContactId">The contact.</param>
/// <param name="EnrollmentId">The enrollment.</param>
/// <param name="StepId">The step that scheduled it.</param>
/// <param name="DueAt">When it was due.</param>
public sealed record TimerDue(ContactId ContactId, string EnrollmentId, string StepId, DateTimeOffset DueAt) : ContactInput(ContactId);

/// <summary>An explicit request to enroll the contact in a journey (the API trigger), with a payload for templates.</summary>
public sealed record EnrollmentRequested(ContactId ContactId, string JourneyId, JsonElement? Payload) : ContactInput(ContactId);

/// <summary>
/// A journey publish reaches the contact (a rollout): an enrollment on an older version moves by the step map,
/// and a date trigger schedules its next occurrence from the dates the contact already has.
/// </summary>
/// <param name="ContactId">The contact.</param>
/// <param name="JourneyId">The journey published.</param>
/// <param name="Version">The version published.</param>
/// <param name="StepMap">Old step id to new step id (empty: nobody moves).</param>
public sealed record RolloutReached(ContactId ContactId, string JourneyId, int Version, ImmutableDictionary<string, string> StepMap) : ContactInput(ContactId);

/// <summary>Re-evaluate every segment for the contact (a segment was saved and is being backfilled, or time passed).</summary>
/// <param name="ContactId">The contact.</param>
/// <param name="Reason">Why, for the entries and exits it causes.</param>
public sealed record SegmentsChanged(ContactId ContactId, string Reason) : ContactInput(ContactId);

/// <summary>Rebuild the contact's score in a scoring model from its history (the model was saved and is being backfilled).</summary>
/// <param name="ContactId">The contact.</param>
/// <param name="Model">The scoring model's id.</param>
/// <param name="Reason">Why, for the segment entries and exits it causes.</param>
public sealed record ScoresChanged(ContactId ContactId, string Model, string Reason) : ContactInput(ContactId);

/// <summary>The owner acknowledged a hand-off (through the API).</summary>
/// <param name="ContactId">The lead.</param>
/// <param name="HandOffId">The hand-off.</param>
/// <param name="By">How, for the record (<c>api</c>).</param>
public sealed record HandOffAcknowledged(ContactId ContactId, string HandOffId, string By) : ContactInput(ContactId);

/// <summary>The contact was added to (or removed from) a static list.</summary>
/// <param name="ContactId">The contact.</param>
/// <param name="Segment">The static list's segment id.</param>
/// <param name="Add">True to add, false to remove.</param>
/// <param name="Reason">Why, for the entry or exit (e.g. <c>uploaded (members.csv)</c>).</param>
public sealed record ListMembershipChanged(ContactId ContactId, string Segment, bool Add, string Reason) : ContactInput(ContactId);

/// <summary>The contact gave or withdrew consent for a channel, or a subscription group on it.</summary>
/// <param name="ContactId">The contact.</param>
/// <param name="Channel">The channel (<c>email</c>, <c>sms</c>, …).</param>
/// <param name="Group">The subscription group, or null for the whole channel.</param>
/// <param name="Record">The answer, its source, time and proof.</param>
public sealed record ConsentChanged(ContactId ContactId, string Channel, string? Group, Consent.ConsentRecord Record) : ContactInput(ContactId);
