using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;

namespace Cairn.Runtime.Storage;

/// <summary>One message in the event log.</summary>
/// <param name="Sequence">The log position the database assigned (0 before it is written).</param>
/// <param name="MessageId">The idempotency key; unique in the log.</param>
/// <param name="ContactId">The contact the message belongs to.</param>
/// <param name="Type">The message type.</param>
/// <param name="Name">The display name (event, page or screen name, or the type).</param>
/// <param name="Timestamp">When it happened (skew-corrected).</param>
/// <param name="ReceivedAt">When Cairn received it.</param>
/// <param name="Json">The stored message JSON.</param>
public sealed record StoredEvent(
    long Sequence,
    string MessageId,
    ContactId ContactId,
    MessageType Type,
    string Name,
    DateTimeOffset Timestamp,
    DateTimeOffset ReceivedAt,
    string Json)
{
    /// <summary>The log entry for a message resolved to <paramref name="contactId"/>.</summary>
    public static StoredEvent From(ContactId contactId, SegmentMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new StoredEvent(0, message.MessageId, contactId, message.Type, message.DisplayName, message.Timestamp, message.ReceivedAt, message.Json);
    }

    /// <summary>
    /// The event as conditions and templates see it: a track event's name (<c>$page</c>, <c>$identify</c> … for the
    /// other types) and its properties (none when it was read without its JSON: no condition reads them).
    /// </summary>
    public Core.Journeys.Engine.PastEvent ToPastEvent()
    {
        var name = Type == MessageType.Track ? Name : "$" + Type.ToWireName();
        return Json.Length == 0 ? new Core.Journeys.Engine.PastEvent(name, Timestamp, null) : Core.Journeys.Engine.PastEvent.Stored(name, Timestamp, Json);
    }
}

/// <summary>
/// What to read of one event name of a contact's history (a history need of Core's <c>HistoryPlan</c>, at the read's
/// time): its <paramref name="Newest"/> newest events; every event at or after <paramref name="Since"/>; with
/// <paramref name="LatestPast"/>, the newest event at or before the read's time and every later one; with
/// <paramref name="Oldest"/>, the oldest event. With the message JSON only when <paramref name="Properties"/>.
/// </summary>
/// <param name="Name">A track event's name, or <c>$page</c>, <c>$identify</c> … for the other types.</param>
/// <param name="Newest">How many of the newest events (0: none).</param>
/// <param name="Since">From when every event is read; null: none.</param>
/// <param name="LatestPast">Read the newest event at or before the read's time and every later one.</param>
/// <param name="Oldest">Read the oldest event.</param>
/// <param name="Properties">Read the message JSON (else <see cref="StoredEvent.Json"/> is empty).</param>
public sealed record HistoryRequest(string Name, int Newest, DateTimeOffset? Since, bool LatestPast, bool Oldest, bool Properties);

/// <summary>A contact's history read name by name.</summary>
/// <param name="Events">The events, newest first (by timestamp, then log position), each once.</param>
/// <param name="Exceeded">
/// The names of which a part with no count of its own — every event since <see cref="HistoryRequest.Since"/>, or every
/// event after the read's time — held more events than the read's limit: of that part only the newest were read.
/// </param>
public sealed record HistoryRead(IReadOnlyList<StoredEvent> Events, IReadOnlySet<string> Exceeded);

/// <summary>An identity and the contact it resolves to.</summary>
public sealed record IdentityMapping(IdentityKey Identity, ContactId ContactId);

/// <summary>A merge of <paramref name="From"/> into <paramref name="Into"/>.</summary>
public sealed record PendingMerge(ContactId From, ContactId Into);

/// <summary>One page of results and the cursor of the next page (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>Pages read as one row more than they hold, so that the extra row says whether another page follows.</summary>
public static class Page
{
    /// <summary>
    /// The first <paramref name="limit"/> of <paramref name="rows"/> (read with <c>LIMIT limit + 1</c>) and, when there
    /// were more, the cursor after the last of them.
    /// </summary>
    public static Page<T> Of<T>(List<T> rows, int limit, Func<T, string> cursorAfter)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(cursorAfter);
        return rows.Count > limit ? new Page<T>(rows.GetRange(0, limit), cursorAfter(rows[limit - 1])) : new Page<T>(rows, null);
    }
}

/// <summary>
/// What an API key may do. <see cref="Ingest"/> sends events and nothing else (a Segment write key); the others call
/// <c>/api</c> with the rights of a console role: <see cref="Read"/> a viewer's, <see cref="Write"/> an editor's,
/// <see cref="Admin"/> an admin's. The order of the /api scopes is their order of rights.
/// </summary>
public enum ApiKeyScope
{
    /// <summary>Sends events to <c>/v1/*</c> and the delivery-report webhooks (a Segment write key); cannot call <c>/api</c>.</summary>
    Ingest,

    /// <summary>Reads <c>/api</c> and changes nothing (a viewer's rights).</summary>
    Read,

    /// <summary>Also changes journeys, segments, templates and contacts (an editor's rights).</summary>
    Write,

    /// <summary>Everything, including users, keys, the policy, erasure and export (an admin's rights).</summary>
    Admin,
}

/// <summary>A stored API key: never the key itself, only its SHA-256 hash and a short prefix to recognise it.</summary>
/// <param name="Id">The key's id.</param>
/// <param name="Scope">What it may do.</param>
/// <param name="Hash">The SHA-256 hash of the key.</param>
/// <param name="Prefix">The key's first characters, to recognise it in a list.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="Name">What it is for ("website", "CI"), given when it was created.</param>
/// <param name="LastUsedAt">When it last authenticated a request, as last flushed (at most about a minute behind); null if never.</param>
/// <param name="RevokedAt">When it was revoked (it no longer works); null while it works.</param>
/// <param name="RatePerSecond">An ingest key's own limit of requests per second; null for the configured default.</param>
/// <param name="Burst">An ingest key's own burst (requests allowed at once); null for the default.</param>
public sealed record ApiKeyRecord(
    string Id,
    ApiKeyScope Scope,
    string Hash,
    string Prefix,
    DateTimeOffset CreatedAt,
    string? Name = null,
    DateTimeOffset? LastUsedAt = null,
    DateTimeOffset? RevokedAt = null,
    int? RatePerSecond = null,
    int? Burst = null);

/// <summary>What a console user may do; the server enforces it on every route.</summary>
public enum UserRole
{
    /// <summary>Reads everything, changes nothing.</summary>
    Viewer,

    /// <summary>Also changes journeys, segments, templates and contacts.</summary>
    Editor,

    /// <summary>Also manages users, keys, the sending policy and erasure.</summary>
    Admin,
}

/// <summary>A console user. The password is stored only as a salted, iterated hash.</summary>
/// <param name="Id">The user's id.</param>
/// <param name="Email">The e-mail address they sign in with (unique without case).</param>
/// <param name="PasswordHash">ASP.NET Core Identity's PBKDF2 hash of the password.</param>
/// <param name="Role">What they may do.</param>
/// <param name="CreatedAt">When the user was created.</param>
/// <param name="Stamp">Changes when the password or role changes or the user signs out everywhere; a session of another stamp is over.</param>
/// <param name="FailedSignIns">Failed sign-ins since the last successful one.</param>
/// <param name="LockedUntil">Until when sign-in is refused after repeated failures.</param>
/// <param name="LastSignInAt">The last successful sign-in.</param>
public sealed record UserRecord(
    string Id,
    string Email,
    string PasswordHash,
    UserRole Role,
    DateTimeOffset CreatedAt,
    string Stamp,
    int FailedSignIns = 0,
    DateTimeOffset? LockedUntil = null,
    DateTimeOffset? LastSignInAt = null);

/// <summary>
/// Everything one partition commits in one transaction. Providers apply the parts in this order:
/// hand-overs (move events and identities), events, contacts, identities, merges requested, merges completed.
/// </summary>
public sealed class CommitBatch
{
    /// <summary>
    /// The partition's ownership the batch was decided under; the commit is refused (<see cref="PartitionFencedException"/>)
    /// when another server took the partition over since. Null for writes outside a partition (imports, tests): not fenced.
    /// </summary>
    public PartitionLease? Lease { get; set; }

    /// <summary>Events to append; a message id already in the log is skipped.</summary>
    public List<StoredEvent> Events { get; } = [];

    /// <summary>
    /// Contact profiles to insert or replace, by id: the profile row only. A contact's active enrollments are rows of their
    /// own, written from <see cref="Enrollments"/> and <see cref="EnrollmentsRemoved"/>; a step that only moves an
    /// enrollment leaves the contact out of this.
    /// </summary>
    public Dictionary<ContactId, ContactState> Contacts { get; } = [];

    /// <summary>
    /// Contacts of <see cref="Contacts"/> whose stored row differs only in the profile and its last-seen and updated
    /// times (not in an identity, the email, the phone, the traits, the first-seen or creation time, or a merge): their
    /// row is updated with those three columns only, which leaves its indexes and triggers alone. A contact whose row
    /// turns out to be missing is inserted whole either way.
    /// </summary>
    public HashSet<ContactId> ProfilesOnly { get; } = [];

    /// <summary>Identity mappings to insert or replace.</summary>
    public List<IdentityMapping> Identities { get; } = [];

    /// <summary>Merges to record as pending.</summary>
    public List<PendingMerge> MergesRequested { get; } = [];

    /// <summary>Merges whose events and identities move from <see cref="PendingMerge.From"/> to <see cref="PendingMerge.Into"/>.</summary>
    public List<PendingMerge> HandOvers { get; } = [];

    /// <summary>Pending merges to delete: they are complete.</summary>
    public List<PendingMerge> MergesCompleted { get; } = [];

    /// <summary>Timers to store (journey waits).</summary>
    public List<StoredTimer> Timers { get; } = [];

    /// <summary>Timers that fired and were handled: deleted in the same transaction as their effects.</summary>
    public List<StoredTimer> TimersDone { get; } = [];

    /// <summary>Messages to put in the outbox; a message id already there is skipped.</summary>
    public List<OutboxMessage> Outbox { get; } = [];

    /// <summary>Moves between journey steps, to add to the statistics.</summary>
    public List<JourneyMove> Moves { get; } = [];

    /// <summary>Goal conversions, to add to the statistics.</summary>
    public List<JourneyConversion> Conversions { get; } = [];

    /// <summary>The funnel's daily counters to add to: moves, time in step and conversions.</summary>
    public FunnelBatch Funnel { get; } = new();

    /// <summary>Conversions of the workspace (the policy's conversion event), recorded once each and attributed to messages.</summary>
    public List<WorkspaceConversion> WorkspaceConversions { get; } = [];

    /// <summary>Enrollments that ended for review.</summary>
    public List<JourneyReview> Reviews { get; } = [];

    /// <summary>Segment entries (upserted) and exits (deleted), for member lists.</summary>
    public List<SegmentMemberChange> SegmentMembers { get; } = [];

    /// <summary>Enrollment rows to insert or replace: active enrollments that started or changed, and ended ones (with their final state).</summary>
    public List<EnrollmentRecord> Enrollments { get; } = [];

    /// <summary>Enrollment rows to delete: active enrollments the contact no longer holds, without their having ended.</summary>
    public List<EnrollmentRemoved> EnrollmentsRemoved { get; } = [];

    /// <summary>Hand-offs opened.</summary>
    public List<HandOffRecord> HandOffs { get; } = [];

    /// <summary>Hand-offs acknowledged.</summary>
    public List<HandOffAcknowledgement> HandOffAcknowledgements { get; } = [];

    /// <summary>Hand-offs escalated.</summary>
    public List<HandOffEscalation> HandOffEscalations { get; } = [];

    /// <summary>True when there is nothing to write.</summary>
    public bool IsEmpty => HandOffs.Count == 0 && HandOffAcknowledgements.Count == 0 && HandOffEscalations.Count == 0 && Events.Count == 0 && Contacts.Count == 0 && Identities.Count == 0
        && MergesRequested.Count == 0 && HandOvers.Count == 0 && MergesCompleted.Count == 0
        && Timers.Count == 0 && TimersDone.Count == 0 && Outbox.Count == 0
        && Moves.Count == 0 && Conversions.Count == 0 && WorkspaceConversions.Count == 0 && Reviews.Count == 0 && Enrollments.Count == 0 && EnrollmentsRemoved.Count == 0 && SegmentMembers.Count == 0 && Funnel.IsEmpty;
}

/// <summary>The lifecycle of a journey (or template) document.</summary>
public enum DocumentStatus
{
    /// <summary>Applied, never published: takes no entries.</summary>
    Draft,

    /// <summary>Published: the current version takes entries.</summary>
    Published,

    /// <summary>Takes no new entries; enrollments already in it continue.</summary>
    Paused,

    /// <summary>Retired: takes no entries and is hidden from the inventory by default.</summary>
    Archived,
}

/// <summary>A stored document: the latest applied text (the draft) and where publishing stands.</summary>
/// <param name="Kind"><c>journey</c> or <c>template</c>.</param>
/// <param name="Id">The document id.</param>
/// <param name="Status">Draft, published, paused or archived.</param>
/// <param name="Draft">The latest applied text.</param>
/// <param name="PublishedVersion">The current published version, if any.</param>
/// <param name="DraftDiffersFromPublished">True when the draft has changes not yet published.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record StoredDocument(string Kind, string Id, DocumentStatus Status, string Draft, int? PublishedVersion, bool DraftDiffersFromPublished, DateTimeOffset UpdatedAt);

/// <summary>An immutable published version of a document, with who published it (a user's email, <c>api-key</c>; null when not recorded).</summary>
public sealed record DocumentVersion(string Kind, string Id, int Version, string Body, DateTimeOffset PublishedAt, string? PublishedBy = null);

/// <summary>A durable timer: wake <see cref="ContactId"/>'s enrollment at <see cref="DueAt"/>.</summary>
public sealed record StoredTimer(ContactId ContactId, string EnrollmentId, string StepId, DateTimeOffset DueAt);

/// <summary>
/// A message a journey decided to send, and its delivery (the dispatcher in Cairn.Messaging delivers it): a send step's
/// message, a <c>notify_owner</c> hand-off alert (channel <c>owner</c>) or a <c>webhook</c> step's call.
/// </summary>
/// <param name="MessageId">Idempotency key: contact × enrollment × step.</param>
/// <param name="ContactId">The recipient.</param>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The journey version.</param>
/// <param name="EnrollmentId">The enrollment.</param>
/// <param name="StepId">The send step.</param>
/// <param name="Channel">email, sms, push, webhook or in_app; <c>owner</c> for a hand-off alert.</param>
/// <param name="Template">The template id (empty for hand-off alerts and webhook steps).</param>
/// <param name="Category">transactional, promotional or operational.</param>
/// <param name="Priority">The journey's priority.</param>
/// <param name="Status">queued, sending, sent, delivered, bounced, failed, suppressed, undeliverable or dead_letter.</param>
/// <param name="CreatedAt">When the journey decided it.</param>
/// <param name="Payload">
/// JSON for delivery: the enrollment's trigger payload (templates read it); for a hand-off alert the owner, the
/// message and the contact's recent timeline; for a webhook step the URL and the payload.
/// </param>
public sealed partial record OutboxMessage(
    string MessageId,
    ContactId ContactId,
    string JourneyId,
    int Version,
    string EnrollmentId,
    string StepId,
    string Channel,
    string Template,
    string Category,
    int Priority,
    string Status,
    DateTimeOffset CreatedAt,
    string? Payload = null)
{
    /// <summary>Delivery attempts so far.</summary>
    public int Attempts { get; init; }

    /// <summary>When it was delivered.</summary>
    public DateTimeOffset? SentAt { get; init; }

    /// <summary>Why the last attempt failed.</summary>
    public string? LastError { get; init; }

    /// <summary>The address it was rendered for (email address, phone number, device, URL).</summary>
    public string? Recipient { get; init; }

    /// <summary>The rendered subject (email) or title (push, in-app).</summary>
    public string? Subject { get; init; }

    /// <summary>The template version it was rendered from.</summary>
    public int? TemplateVersion { get; init; }

    /// <summary>How many times it was opened (tracked email opens).</summary>
    public int Opens { get; init; }

    /// <summary>How many tracked links in it were clicked.</summary>
    public int Clicks { get; init; }

    /// <summary>The recipient's first open (a likely machine open is kept in <see cref="MachineOpenedAt"/>).</summary>
    public DateTimeOffset? OpenedAt { get; init; }

    /// <summary>The recipient's first click (a likely machine click is kept in <see cref="MachineClickedAt"/>).</summary>
    public DateTimeOffset? ClickedAt { get; init; }

    /// <summary>When the recipient unsubscribed through it.</summary>
    public DateTimeOffset? UnsubscribedAt { get; init; }

    /// <summary>When the provider reported it delivered to the recipient's server.</summary>
    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>When the recipient reported it as spam.</summary>
    public DateTimeOffset? ComplainedAt { get; init; }

    /// <summary>The orchestrator's last decision about it, JSON: the decision, its reason and every check that ran.</summary>
    public string? Decision { get; init; }

    /// <summary>The channels still to try when the contact cannot be reached on this one: JSON <c>[{"channel","template"}]</c>.</summary>
    public string? Fallback { get; init; }

    /// <summary>Send at the contact's best hour within this long (send-time optimisation), when the step asks for it.</summary>
    public TimeSpan? SendWindow { get; init; }
}

/// <summary>A message about to be sent, with the address and subject it was rendered to.</summary>
public sealed record MessageClaim(string MessageId, string? Recipient, string? Subject, int? TemplateVersion);

/// <summary>The outcome of a delivery attempt: the status, the attempts so far, when to retry, when it was sent, why it failed.</summary>
public sealed record DeliveryRecord(string MessageId, string Status, int Attempts, DateTimeOffset? NextAttemptAt, DateTimeOffset? SentAt, string? Error)
{
    /// <summary>The orchestrator's decision trail (JSON), when it decided this attempt.</summary>
    public string? Decision { get; init; }

    /// <summary>When the outcome was recorded: the day a message that bounced at once (no <see cref="SentAt"/>) is counted in.</summary>
    public DateTimeOffset? At { get; init; }
}

/// <summary>A message a contact was sent (what frequency caps count).</summary>
public sealed record SentRecord(string Channel, string Category, DateTimeOffset SentAt);

/// <summary>What a recipient did with a message.</summary>
public enum Engagement
{
    /// <summary>Opened it (the tracking pixel loaded).</summary>
    Opened,

    /// <summary>Clicked a tracked link in it.</summary>
    Clicked,

    /// <summary>Unsubscribed through its link or its one-click header.</summary>
    Unsubscribed,

    /// <summary>Delivered to the recipient's server (a provider's report).</summary>
    Delivered,

    /// <summary>Reported as spam (a feedback loop).</summary>
    Complained,

    /// <summary>Opened by a machine, likely (Apple Mail Privacy Protection's prefetch, a scanner): counted apart from <see cref="Opened"/>.</summary>
    MachineOpened,

    /// <summary>Clicked by a machine, likely (a link scanner): counted apart from <see cref="Clicked"/>.</summary>
    MachineClicked,
}

/// <summary>A message kept by the development mailbox instead of being sent.</summary>
/// <param name="MessageId">The outbox message id.</param>
/// <param name="Channel">email, sms or push.</param>
/// <param name="Recipient">The address, phone number or device token.</param>
/// <param name="Subject">The subject (email) or title (push); empty for SMS.</param>
/// <param name="Raw">The message as it would have been sent (MIME for email, the text of an SMS, the JSON of a push).</param>
/// <param name="CreatedAt">When it was "sent".</param>
public sealed record MailboxMessage(string MessageId, string Channel, string Recipient, string Subject, string Raw, DateTimeOffset CreatedAt);

/// <summary>
/// Which outbox messages to list (<see cref="IOutbox.QueryMessagesAsync"/>); each filter left null matches every message.
/// </summary>
/// <param name="Status">One <see cref="Core.MessageStatus"/> value.</param>
/// <param name="Channel">email, sms, push, webhook, in_app or owner.</param>
/// <param name="JourneyId">The journey that decided the message.</param>
/// <param name="TemplateId">The template it is sent with.</param>
/// <param name="ContactId">The contact it is for.</param>
/// <param name="From">Created at or after.</param>
/// <param name="To">Created before.</param>
public sealed record MessageQuery(
    string? Status = null,
    string? Channel = null,
    string? JourneyId = null,
    string? TemplateId = null,
    ContactId? ContactId = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null)
{
    /// <summary>The fingerprint of these filters that a page's cursor carries (<see cref="Cursors.Scope"/>).</summary>
    public string Scope() => Cursors.Scope(
        Status,
        Channel,
        JourneyId,
        TemplateId,
        ContactId?.ToString(),
        From is { } from ? Cursors.ToUnixMicroseconds(from).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        To is { } to ? Cursors.ToUnixMicroseconds(to).ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
}

/// <summary>A push device token registered for a contact.</summary>
public sealed record Device(string Token, ContactId ContactId, string Platform, DateTimeOffset CreatedAt);

/// <summary>An in-app message in a contact's inbox.</summary>
public sealed record InboxItem(string MessageId, ContactId ContactId, string Title, string Body, string? ActionLabel, string? ActionUrl, DateTimeOffset CreatedAt, DateTimeOffset? ReadAt = null, DateTimeOffset? DismissedAt = null);

/// <summary>A hand-off to sales as stored: routing, SLA, acknowledgement and escalation.</summary>
/// <param name="Id">The hand-off id (the first alert's message id).</param>
/// <param name="ContactId">The lead.</param>
/// <param name="Team">The sales team.</param>
/// <param name="Owner">The owner it is with (null when nothing routed it).</param>
/// <param name="RoutedBy">Why that owner.</param>
/// <param name="Domain">The lead's company email domain, for account matching.</param>
/// <param name="JourneyId">The journey that handed off.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="DueAt">When the SLA runs out.</param>
/// <param name="AcknowledgedAt">When the owner acknowledged.</param>
/// <param name="AcknowledgedBy">How: <c>api</c> or the event's name.</param>
/// <param name="EscalatedAt">When the SLA was missed and it was escalated.</param>
/// <param name="EscalatedTo">To whom (a manager, or the owner it was re-routed to).</param>
public sealed record HandOffRecord(
    string Id,
    ContactId ContactId,
    string Team,
    string? Owner,
    string RoutedBy,
    string? Domain,
    string JourneyId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DueAt,
    DateTimeOffset? AcknowledgedAt = null,
    string? AcknowledgedBy = null,
    DateTimeOffset? EscalatedAt = null,
    string? EscalatedTo = null)
{
    /// <summary>
    /// Whether its SLA was breached at <paramref name="now"/>: it was escalated, acknowledged after it was due, or is
    /// open past due. The stores' SQL of the status filter and the summary says the same, tested against this.
    /// </summary>
    public bool IsBreached(DateTimeOffset now) => EscalatedAt is not null || (DueAt is { } due && (AcknowledgedAt ?? now) > due);
}

/// <summary>The status a hand-off listing is filtered by (<see cref="HandOffRecord.IsBreached"/> for breached).</summary>
public enum HandOffStatus
{
    /// <summary>Not acknowledged.</summary>
    Open,

    /// <summary>Acknowledged.</summary>
    Acknowledged,

    /// <summary>Escalated, acknowledged after it was due, or open past due.</summary>
    Breached,

    /// <summary>Escalated.</summary>
    Escalated,
}

/// <summary>Which hand-offs a listing or summary reads: created at or after <paramref name="Since"/>, optionally of one owner or contact, with a status as of <paramref name="Now"/>.</summary>
/// <param name="Since">The start of the window.</param>
/// <param name="Now">The time a breach is judged at.</param>
/// <param name="Owner">Only this owner's.</param>
/// <param name="ContactId">Only this contact's.</param>
/// <param name="Status">Only those with this status (a summary ignores it).</param>
public sealed record HandOffQuery(DateTimeOffset Since, DateTimeOffset Now, string? Owner = null, ContactId? ContactId = null, HandOffStatus? Status = null)
{
    /// <summary>The fingerprint of the filters a cursor belongs to (the window moves with time, so it is not part of it).</summary>
    public string Scope() => Cursors.Scope(Owner, ContactId?.ToString(), Status?.ToString());
}

/// <summary>One owner's hand-offs in a window (<see cref="Owner"/> null: routed to nobody).</summary>
/// <param name="Owner">The owner.</param>
/// <param name="Total">How many.</param>
/// <param name="Open">How many are not acknowledged.</param>
/// <param name="Acknowledged">How many are acknowledged.</param>
/// <param name="Breached">How many breached their SLA (<see cref="HandOffRecord.IsBreached"/>).</param>
/// <param name="Escalated">How many were escalated.</param>
/// <param name="SecondsToAcknowledge">The seconds each acknowledged one took, shortest first.</param>
public sealed record HandOffOwnerSummary(string? Owner, int Total, int Open, int Acknowledged, int Breached, int Escalated, IReadOnlyList<double> SecondsToAcknowledge);

/// <summary>A hand-off was acknowledged.</summary>
public sealed record HandOffAcknowledgement(string Id, DateTimeOffset At, string By);

/// <summary>A hand-off's SLA was missed: it was escalated (and perhaps re-routed, with a new SLA).</summary>
public sealed record HandOffEscalation(string Id, DateTimeOffset At, string? To, string? Owner, DateTimeOffset? DueAt);


/// <summary>Which contacts a rollout visits.</summary>
public enum RolloutScope
{
    /// <summary>Contacts with an active enrollment in the journey on an older version (a step mapping).</summary>
    Enrolled,

    /// <summary>Every contact (a date trigger: whoever already has the date gets its next occurrence scheduled).</summary>
    AllContacts,
}

/// <summary>What a publish asks of existing contacts: the step mapping, and which contacts to visit.</summary>
/// <param name="StepMap">Old step id to new step id (empty: nobody moves).</param>
/// <param name="Scope">The contacts to visit.</param>
public sealed record RolloutPlan(System.Collections.Immutable.ImmutableDictionary<string, string> StepMap, RolloutScope Scope);

/// <summary>A publish reaching existing contacts, in contact id order; resumable after a restart.</summary>
/// <param name="Kind">The document kind: <c>journey</c> or <c>segment</c>.</param>
/// <param name="JourneyId">The document id.</param>
/// <param name="Version">The version published.</param>
/// <param name="Plan">What it does and to whom.</param>
/// <param name="After">The last contact id visited (null before the first).</param>
/// <param name="Processed">Contacts visited so far.</param>
/// <param name="Done">True once every contact in scope was visited.</param>
/// <param name="CreatedAt">When the publish started it.</param>
/// <param name="UpdatedAt">When it last advanced.</param>
public sealed record Rollout(string Kind, string JourneyId, int Version, RolloutPlan Plan, string? After, long Processed, bool Done, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A contact entered (with when and why) or left a segment.</summary>
/// <param name="Segment">The segment id.</param>
/// <param name="ContactId">The contact.</param>
/// <param name="Membership">The membership on entry; null on exit.</param>
public sealed record SegmentMemberChange(string Segment, ContactId ContactId, Core.Segments.SegmentMembership? Membership);

/// <summary>One member of a segment, as listed.</summary>
public sealed record SegmentMember(ContactId ContactId, DateTimeOffset EnteredAt, string Reason);

/// <summary>An address on the suppression list (or on its way: soft bounces so far).</summary>
/// <param name="AddressKey">The keyed hash of the channel and normalised address.</param>
/// <param name="Hint">A masked form for people (<c>a***@example.com</c>).</param>
/// <param name="SoftBounces">Soft bounces since the last delivery.</param>
/// <param name="Reason">Why it is suppressed (null while it is not).</param>
/// <param name="Source">Where that came from (<c>smtp</c>, a provider webhook, <c>api</c>).</param>
/// <param name="SuppressedAt">When it was suppressed.</param>
/// <param name="UpdatedAt">The last change.</param>
public sealed record Suppression(string AddressKey, string Hint, int SoftBounces, string? Reason, string? Source, DateTimeOffset? SuppressedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>True when nothing may be sent to the address.</summary>
    public bool Suppressed => Reason is not null;
}

/// <summary>
/// An erasure (a GDPR / CCPA deletion request) as the audit log keeps it: which contact id (a random id that names no
/// one once its data is gone), why, when, and how many rows of each kind were deleted.
/// </summary>
/// <param name="Id">The erasure's id.</param>
/// <param name="ContactId">The contact erased (with any contacts merged into it).</param>
/// <param name="Reason">What the operator gave (a ticket number, "customer request").</param>
/// <param name="ErasedAt">When.</param>
/// <param name="Deleted">Rows deleted, by kind (contacts, events, messages …).</param>
public sealed record ErasureRecord(string Id, ContactId ContactId, string Reason, DateTimeOffset ErasedAt, IReadOnlyDictionary<string, long> Deleted);
