using Cairn.Core;

namespace Cairn.Runtime.Storage;

/// <summary>
/// The outbox: the messages journeys decided (put there by <see cref="IPartitionWriter.CommitAsync"/>) and their
/// delivery — claims, outcomes, retries, fallbacks to the next channel, engagement, and the operator's views and requeues.
/// Statuses are <see cref="Core.MessageStatus"/> values.
/// </summary>
public interface IOutbox
{
    /// <summary>One outbox message, or null.</summary>
    Task<OutboxMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>A contact's outbox messages, newest first.</summary>
    Task<IReadOnlyList<OutboxMessage>> GetOutboxAsync(ContactId contactId, int limit, CancellationToken cancellationToken);

    /// <summary>Messages in a status (e.g. <see cref="Core.MessageStatus.DeadLetter"/>), newest first, optionally of one channel.</summary>
    Task<IReadOnlyList<OutboxMessage>> ListMessagesAsync(string status, string? channel, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// A page of the outbox, newest first (by creation time, then message id), filtered by <paramref name="query"/>;
    /// <paramref name="cursor"/> is the previous page's <see cref="Page{T}.NextCursor"/> for the same query.
    /// </summary>
    /// <exception cref="InvalidCursorException">The cursor is not one of this query's.</exception>
    Task<Page<OutboxMessage>> QueryMessagesAsync(MessageQuery query, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>How many of a journey's messages are in each status, per version and send step (the step statistics).</summary>
    Task<IReadOnlyList<(int Version, string StepId, string Status, long Count)>> CountMessagesAsync(string journeyId, CancellationToken cancellationToken);

    /// <summary>What the contact was sent since <paramref name="since"/> (frequency caps count it).</summary>
    Task<IReadOnlyList<SentRecord>> GetSentAsync(ContactId contactId, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Queued messages of <paramref name="channel"/> whose next attempt is due, oldest first.</summary>
    Task<IReadOnlyList<OutboxMessage>> GetDueDeliveriesAsync(string channel, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Claims queued messages for sending (status <c>sending</c>) with what each was rendered to, in one transaction;
    /// returns the ids claimed (a message no longer queued — another dispatcher has it, or it was sent — is not).
    /// </summary>
    Task<IReadOnlySet<string>> ClaimAsync(IReadOnlyList<MessageClaim> claims, CancellationToken cancellationToken);

    /// <summary>Records a delivery attempt's outcome: the status, the attempts so far, when to retry, when it was sent, why it failed (<paramref name="failure"/>).</summary>
    Task RecordDeliveryAsync(string messageId, string status, int attempts, DateTimeOffset? nextAttemptAt, DateTimeOffset? sentAt, string? failure, CancellationToken cancellationToken);

    /// <summary>Records the outcomes of delivery attempts, in one transaction.</summary>
    Task RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> records, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a message to its next channel (the contact could not be reached on the last one): queued again on
    /// <paramref name="channel"/> with <paramref name="templateId"/>, the rest of the fallback kept, the reason recorded.
    /// </summary>
    Task FallBackAsync(string messageId, string channel, string templateId, string? fallback, string reason, CancellationToken cancellationToken);

    /// <summary>Puts messages a crash left in <c>sending</c> back in the queue (sent again under the same Message-ID); returns how many.</summary>
    Task<int> RequeueSendingAsync(CancellationToken cancellationToken);

    /// <summary>Puts a failed or dead-lettered message back in the queue with a fresh attempt count; false when it is not in one of those states.</summary>
    Task<bool> RequeueMessageAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Counts an open, a click or an unsubscribe on a message (the first time of each is kept).</summary>
    Task RecordEngagementAsync(string messageId, Engagement engagement, DateTimeOffset at, CancellationToken cancellationToken) =>
        RecordEngagementAsync(messageId, engagement, at, null, cancellationToken);

    /// <summary>
    /// Counts an open, a click or an unsubscribe on a message (the first time of each is kept); a click keeps its time and
    /// <paramref name="link"/> (a hash of the link followed) as the message's last click. The message performance
    /// counters move in the same transaction.
    /// </summary>
    Task RecordEngagementAsync(string messageId, Engagement engagement, DateTimeOffset at, string? link, CancellationToken cancellationToken);

    /// <summary>
    /// The message performance counters of the messages sent from <see cref="MessageStatsQuery.FromDay"/> to
    /// <see cref="MessageStatsQuery.ToDay"/>, added up per group, in group order.
    /// </summary>
    Task<IReadOnlyList<MessageStatsRow>> GetMessageStatsAsync(MessageStatsQuery query, CancellationToken cancellationToken);
}
