using Cairn.Core;
using Cairn.Core.Contacts;

namespace Cairn.Runtime.Storage;

/// <summary>
/// The one storage interface. SQLite and PostgreSQL implement it with the same schema and pass the same
/// compliance suite. Partitions are its only writers of contact state; queries may run from anywhere.
/// </summary>
public interface ICairnStore : IAsyncDisposable
{
    /// <summary>The provider's name: <c>sqlite</c> or <c>postgresql</c>.</summary>
    string ProviderName { get; }

    /// <summary>Creates the database when needed and applies every numbered migration not yet applied.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>True when the database answers a trivial query.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Commits everything in <paramref name="batch"/> in one transaction (group commit): events (a message id
    /// already stored is skipped, not an error), contact upserts, identity upserts, merge bookkeeping.
    /// Returns only once the transaction is durable.
    /// </summary>
    Task CommitAsync(CommitBatch batch, CancellationToken cancellationToken);

    /// <summary>Of <paramref name="messageIds"/>, the ones already in the event log.</summary>
    Task<IReadOnlySet<string>> FindExistingMessageIdsAsync(IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken);

    /// <summary>The stored states of those of <paramref name="ids"/> that exist.</summary>
    Task<IReadOnlyDictionary<ContactId, ContactState>> GetContactsAsync(IReadOnlyCollection<ContactId> ids, CancellationToken cancellationToken);

    /// <summary>One contact's stored state (merged ones included: see <see cref="ContactState.MergedInto"/>).</summary>
    Task<ContactState?> GetContactAsync(ContactId id, CancellationToken cancellationToken);

    /// <summary>Every identity mapping, for the resolver's start-up load.</summary>
    IAsyncEnumerable<IdentityMapping> ReadIdentitiesAsync(CancellationToken cancellationToken);

    /// <summary>The contact an identity resolves to, when any.</summary>
    Task<ContactId?> FindContactAsync(IdentityKey identity, CancellationToken cancellationToken);

    /// <summary>The unmerged contacts whose email is <paramref name="email"/> (compared case-insensitively), oldest first.</summary>
    Task<IReadOnlyList<ContactId>> FindContactsByEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>Merges requested but not yet completed (to resume after a crash).</summary>
    Task<IReadOnlyList<PendingMerge>> GetPendingMergesAsync(CancellationToken cancellationToken);

    /// <summary>A contact's events, newest event time first, in pages.</summary>
    /// <param name="id">The contact.</param>
    /// <param name="cursor">The <see cref="Page{T}.NextCursor"/> of the previous page, or null for the first.</param>
    /// <param name="limit">Page size, 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    Task<Page<StoredEvent>> GetEventsAsync(ContactId id, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Unmerged contacts, oldest first, optionally filtered by <paramref name="query"/>: a case-insensitive
    /// substring of the email or display name, or an exact user id.
    /// </summary>
    Task<Page<ContactState>> SearchContactsAsync(string? query, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>One stored event by message id.</summary>
    Task<StoredEvent?> GetEventAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>How many events the log holds.</summary>
    Task<long> CountEventsAsync(CancellationToken cancellationToken);

    /// <summary>Every stored API key (hashes only).</summary>
    Task<IReadOnlyList<ApiKeyRecord>> GetApiKeysAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new API key record.</summary>
    Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>A journey or template document, or null.</summary>
    Task<StoredDocument?> GetDocumentAsync(string kind, string id, CancellationToken cancellationToken);

    /// <summary>Every document of a kind, by id.</summary>
    Task<IReadOnlyList<StoredDocument>> ListDocumentsAsync(string kind, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="text"/> as the document's draft; false when it is already exactly that (idempotent apply).</summary>
    Task<bool> SaveDraftAsync(string kind, string id, string text, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes the draft as a new immutable version, unless it equals the current version; returns the current
    /// version and whether a new one was created. Null when the document does not exist.
    /// </summary>
    /// <param name="kind">The document kind.</param>
    /// <param name="id">The document id.</param>
    /// <param name="now">The publish time.</param>
    /// <param name="rollout">
    /// What the publish asks of existing contacts: recorded, in the same transaction, as the version's rollout
    /// when a version is created or the plan moves enrollments (null: nothing to roll out).
    /// </param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    Task<(int Version, bool Created)?> PublishAsync(string kind, string id, DateTimeOffset now, RolloutPlan? rollout, CancellationToken cancellationToken);

    /// <summary>Sets the status (pause, archive, resume); false when the document does not exist.</summary>
    Task<bool> SetStatusAsync(string kind, string id, DocumentStatus status, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Every published version of every document of a kind (what enrollments may still run on).</summary>
    Task<IReadOnlyList<DocumentVersion>> GetVersionsAsync(string kind, CancellationToken cancellationToken);

    /// <summary>Timers due at or before <paramref name="until"/>, earliest first.</summary>
    Task<IReadOnlyList<StoredTimer>> GetDueTimersAsync(DateTimeOffset until, int limit, CancellationToken cancellationToken);

    /// <summary>The earliest due time of any stored timer, or null when there is none.</summary>
    Task<DateTimeOffset?> GetNextTimerAsync(CancellationToken cancellationToken);

    /// <summary>A contact's outbox messages, newest first.</summary>
    Task<IReadOnlyList<OutboxMessage>> GetOutboxAsync(ContactId contactId, int limit, CancellationToken cancellationToken);

    /// <summary>A journey's counted moves and conversions, every version.</summary>
    Task<(IReadOnlyList<JourneyMoveCount> Moves, IReadOnlyList<JourneyConversionCount> Conversions)> GetJourneyStatsAsync(string journeyId, CancellationToken cancellationToken);

    /// <summary>Unmerged contact ids after <paramref name="after"/> (ordinal on the canonical form), in that order.</summary>
    Task<IReadOnlyList<ContactId>> ListContactIdsAsync(string? after, int limit, CancellationToken cancellationToken);

    /// <summary>Contacts with an active enrollment in the journey on a version before <paramref name="beforeVersion"/>, in id order.</summary>
    Task<IReadOnlyList<ContactId>> ListEnrolledContactIdsAsync(string journeyId, int beforeVersion, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>A contact's ended enrollments, with their paths, most recently ended first.</summary>
    Task<IReadOnlyList<Core.Journeys.Engine.Enrollment>> GetEndedEnrollmentsAsync(ContactId contactId, int limit, CancellationToken cancellationToken);

    /// <summary>How many enrollments are active, by journey id.</summary>
    Task<IReadOnlyDictionary<string, long>> CountActiveEnrollmentsAsync(CancellationToken cancellationToken);

    /// <summary>The rollouts of a document of <paramref name="kind"/> (every version), or with a null id every rollout of any kind not yet done.</summary>
    Task<IReadOnlyList<Rollout>> GetRolloutsAsync(string kind, string? journeyId, CancellationToken cancellationToken);

    /// <summary>A segment's members after <paramref name="after"/> (contact id order), with when and why they entered.</summary>
    Task<IReadOnlyList<SegmentMember>> GetSegmentMembersAsync(string segmentId, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>How many members each segment has.</summary>
    Task<IReadOnlyDictionary<string, long>> CountSegmentMembersAsync(CancellationToken cancellationToken);

    /// <summary>Records how far a rollout got.</summary>
    Task SaveRolloutProgressAsync(string kind, string journeyId, int version, string? after, long processed, bool done, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>A journey's enrollments that ended for review, newest first.</summary>
    Task<IReadOnlyList<JourneyReview>> GetJourneyReviewsAsync(string journeyId, int limit, CancellationToken cancellationToken);

    /// <summary>Hand-offs, newest first, optionally of one owner or one contact, created at or after <paramref name="since"/>.</summary>
    Task<IReadOnlyList<HandOffRecord>> GetHandOffsAsync(string? owner, ContactId? contactId, DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>One hand-off.</summary>
    Task<HandOffRecord?> GetHandOffAsync(string id, CancellationToken cancellationToken);

    /// <summary>Queued messages of <paramref name="channel"/> whose next attempt is due, oldest first.</summary>
    Task<IReadOnlyList<OutboxMessage>> GetDueDeliveriesAsync(string channel, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Records a delivery attempt's outcome: the status, the attempts so far, when to retry, when it was sent, why it failed (<paramref name="failure"/>).</summary>
    Task RecordDeliveryAsync(string messageId, string status, int attempts, DateTimeOffset? nextAttemptAt, DateTimeOffset? sentAt, string? failure, CancellationToken cancellationToken);

    /// <summary>
    /// Claims queued messages for sending (status <c>sending</c>) with what each was rendered to, in one transaction;
    /// returns the ids claimed (a message no longer queued — another dispatcher has it, or it was sent — is not).
    /// </summary>
    Task<IReadOnlySet<string>> ClaimAsync(IReadOnlyList<MessageClaim> claims, CancellationToken cancellationToken);

    /// <summary>What the contact was sent since <paramref name="since"/> (frequency caps count it).</summary>
    Task<IReadOnlyList<SentRecord>> GetSentAsync(ContactId contactId, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>When events of these names happened since <paramref name="since"/>, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<DateTimeOffset>> GetEventTimesAsync(IReadOnlyCollection<string> names, DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a message to its next channel (the contact could not be reached on the last one): queued again on
    /// <paramref name="channel"/> with <paramref name="templateId"/>, the rest of the fallback kept, the reason recorded.
    /// </summary>
    Task FallBackAsync(string messageId, string channel, string templateId, string? fallback, string reason, CancellationToken cancellationToken);

    /// <summary>Records the outcomes of delivery attempts, in one transaction.</summary>
    Task RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> records, CancellationToken cancellationToken);

    /// <summary>Puts messages a crash left in <c>sending</c> back in the queue (sent again under the same Message-ID); returns how many.</summary>
    Task<int> RequeueSendingAsync(CancellationToken cancellationToken);

    /// <summary>One outbox message, or null.</summary>
    Task<OutboxMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Counts an open, a click or an unsubscribe on a message (the first time of each is kept).</summary>
    Task RecordEngagementAsync(string messageId, Engagement engagement, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Keeps an email in the development mailbox (once per message id).</summary>
    Task AddToMailboxAsync(MailboxMessage message, CancellationToken cancellationToken);

    /// <summary>The setting's value; when it has none yet, <paramref name="initial"/> is stored and returned (the first writer wins).</summary>
    Task<string> GetOrAddSettingAsync(string key, string initial, CancellationToken cancellationToken);

    /// <summary>The suppression entry of an address key, or null.</summary>
    Task<Suppression?> GetSuppressionAsync(string addressKey, CancellationToken cancellationToken);

    /// <summary>
    /// Records a bounce or complaint: a hard one (<paramref name="reason"/> set with <paramref name="hard"/>) suppresses
    /// the address; a soft one counts, and suppresses it once <paramref name="softLimit"/> soft bounces are reached.
    /// Returns the entry as stored.
    /// </summary>
    Task<Suppression> RecordBounceAsync(string addressKey, string hint, bool hard, string reason, string source, int softLimit, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Clears an address's soft bounce count after a delivery.</summary>
    Task ResetSoftBouncesAsync(string addressKey, CancellationToken cancellationToken);

    /// <summary>Suppressed addresses, newest first.</summary>
    Task<IReadOnlyList<Suppression>> ListSuppressionsAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Takes an address off the list (an operator's decision); false when it was not on it.</summary>
    Task<bool> RemoveSuppressionAsync(string addressKey, CancellationToken cancellationToken);

    /// <summary>The development mailbox, newest first, optionally for one channel and one recipient.</summary>
    Task<IReadOnlyList<MailboxMessage>> GetMailboxAsync(string? channel, string? recipient, int limit, CancellationToken cancellationToken);

    /// <summary>The (unmerged) contacts with this E.164 phone number, oldest first.</summary>
    Task<IReadOnlyList<ContactId>> FindContactsByPhoneAsync(string phone, CancellationToken cancellationToken);

    /// <summary>How many of a journey's messages are in each status, per version and send step (the step statistics).</summary>
    Task<IReadOnlyList<(int Version, string StepId, string Status, long Count)>> CountMessagesAsync(string journeyId, CancellationToken cancellationToken);

    /// <summary>Messages in a status (e.g. <c>dead_letter</c>), newest first, optionally of one channel.</summary>
    Task<IReadOnlyList<OutboxMessage>> ListMessagesAsync(string status, string? channel, int limit, CancellationToken cancellationToken);

    /// <summary>Puts a failed or dead-lettered message back in the queue with a fresh attempt count; false when it is not in one of those states.</summary>
    Task<bool> RequeueMessageAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Registers a device token for a contact (a token moves to the contact that registers it last).</summary>
    Task AddDeviceAsync(Device device, CancellationToken cancellationToken);

    /// <summary>A contact's device tokens.</summary>
    Task<IReadOnlyList<Device>> GetDevicesAsync(ContactId contactId, CancellationToken cancellationToken);

    /// <summary>Removes a device token; false when there was none.</summary>
    Task<bool> RemoveDeviceAsync(string token, CancellationToken cancellationToken);

    /// <summary>Puts an in-app message in the contact's inbox (once per message id).</summary>
    Task AddInboxItemAsync(InboxItem item, CancellationToken cancellationToken);

    /// <summary>A contact's inbox, newest first, without dismissed items unless asked for.</summary>
    Task<IReadOnlyList<InboxItem>> GetInboxAsync(ContactId contactId, bool dismissed, int limit, CancellationToken cancellationToken);

    /// <summary>Marks an inbox item read (<paramref name="dismiss"/> false) or dismissed; false when the contact has no such item.</summary>
    Task<bool> MarkInboxItemAsync(ContactId contactId, string messageId, bool dismiss, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>What routing remembers across restarts: each team's latest owner per account domain, and when each owner last got a lead.</summary>
    Task<(IReadOnlyList<(string Team, string Domain, string Owner)> Accounts, IReadOnlyList<(string Team, string Owner, DateTimeOffset At)> LastAssigned)> GetRoutingMemoryAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The events of <paramref name="contacts"/> that conditions over the event names <paramref name="names"/> read
    /// (a track event's name, or <c>$page</c>, <c>$identify</c> … for the other types), by contact, newest first:
    /// one query for a page of contacts (segment previews).
    /// </summary>
    Task<IReadOnlyDictionary<ContactId, List<StoredEvent>>> GetEventsOfAsync(IReadOnlyCollection<ContactId> contacts, IReadOnlyCollection<string> names, CancellationToken cancellationToken);

    /// <summary>
    /// The history conditions read for one contact: its latest <paramref name="limit"/> events named in
    /// <paramref name="names"/> (as in <see cref="GetEventsOfAsync"/>), or of any name when it is null, newest first;
    /// with the message JSON only for the names in <paramref name="withProperties"/> (all when null) — the others
    /// come with an empty <see cref="StoredEvent.Json"/>, which is most of the cost of reading them.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> GetHistoryAsync(ContactId id, IReadOnlyCollection<string>? names, IReadOnlyCollection<string>? withProperties, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// What history clauses read of one contact, name by name (<paramref name="requests"/>, as of
    /// <paramref name="now"/>), in one query: no name's events crowd out another's. A part that reads every event of a
    /// span (every event since a time, every event after <paramref name="now"/>) reads at most <paramref name="limit"/>
    /// of them, newest first, and names the event in <see cref="HistoryRead.Exceeded"/> when there were more; the
    /// caller then reads that name with <see cref="StreamHistoryAsync"/>, which holds no more than one event at a time.
    /// </summary>
    Task<HistoryRead> GetHistoryAsync(ContactId id, IReadOnlyCollection<HistoryRequest> requests, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Every event of one contact named in <paramref name="names"/> at or after <paramref name="since"/>, newest first (or
    /// oldest first), read one by one from the database as the caller consumes them; with the message JSON only for the
    /// names in <paramref name="withProperties"/>. For clauses that read every event of a long history.
    /// </summary>
    IAsyncEnumerable<StoredEvent> StreamHistoryAsync(ContactId id, IReadOnlyCollection<string> names, IReadOnlyCollection<string> withProperties, DateTimeOffset since, bool oldestFirst, CancellationToken cancellationToken);
    /// <summary>The contact and every contact merged into it, directly or through others (what an erasure removes).</summary>
    Task<IReadOnlyList<ContactState>> GetContactGroupAsync(ContactId id, CancellationToken cancellationToken);

    /// <summary>
    /// Erases <paramref name="contacts"/> in one transaction: their profiles, identities, events, enrollments, timers,
    /// messages (and their copies in the development mailbox), segment memberships (of <paramref name="segments"/>),
    /// hand-offs, devices and inbox; aggregate statistics stay. Records the erasure, without personal data, and returns it
    /// once the provider has also removed the deleted rows from its files as far as it can (SQLite: zeroed pages and a
    /// truncated write-ahead log; see docs/erasure.md).
    /// </summary>
    Task<ErasureRecord> EraseContactsAsync(ContactId subject, IReadOnlyCollection<ContactId> contacts, IReadOnlyCollection<string> segments, string reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The erasures done, newest first.</summary>
    Task<IReadOnlyList<ErasureRecord>> ListErasuresAsync(int limit, CancellationToken cancellationToken);
    /// <summary>How many contacts there are (merged ones not counted).</summary>
    Task<long> CountContactsAsync(CancellationToken cancellationToken);

    /// <summary>How many sample buckets contacts are spread over (a contact's bucket is a hash of its id).</summary>
    const int SampleBuckets = 10_000;

    /// <summary>
    /// A uniform random sample of the contacts: those in the first <paramref name="buckets"/> of the 10,000 sample
    /// buckets (a contact's bucket is fixed, so the same call returns the same contacts).
    /// </summary>
    Task<IReadOnlyList<ContactState>> GetSampleAsync(int buckets, CancellationToken cancellationToken);
}
