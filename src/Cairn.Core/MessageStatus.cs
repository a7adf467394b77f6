namespace Cairn.Core;

/// <summary>
/// Where an outbox message stands: the stored value of its status, one definition for the storage, the dispatcher,
/// the endpoints and the journeys that read delivery reports. The values are persisted: never rename one.
/// </summary>
public static class MessageStatus
{
    /// <summary>Waiting for its next attempt (a new message, a retry, a deferral or a fallback to another channel).</summary>
    public const string Queued = "queued";

    /// <summary>Claimed by a dispatcher and being sent; a crash leaves it here until it is queued again at start-up.</summary>
    public const string Sending = "sending";

    /// <summary>Handed to the provider (the SMTP server, the SMS or push gateway, the webhook's endpoint).</summary>
    public const string Sent = "sent";

    /// <summary>Reported delivered to the recipient (by the channel, or a provider's receipt after <see cref="Sent"/>).</summary>
    public const string Delivered = "delivered";

    /// <summary>Bounced hard: the address does not exist or refused it for good.</summary>
    public const string Bounced = "bounced";

    /// <summary>Not sent: an error that retrying will not fix, or a provider's failure receipt.</summary>
    public const string Failed = "failed";

    /// <summary>Not sent, on purpose: the contact opted out, the address is on the suppression list, or the orchestrator suppressed it.</summary>
    public const string Suppressed = "suppressed";

    /// <summary>Not sent: the contact has no address on the channel, and no fallback channel was left.</summary>
    public const string Undeliverable = "undeliverable";

    /// <summary>Never sent: the first moment it could go out was past its validity.</summary>
    public const string Expired = "expired";

    /// <summary>Every retry failed on a channel that keeps such messages for an operator to requeue.</summary>
    public const string DeadLetter = "dead_letter";

    /// <summary>Every status, in the order a message usually passes through them.</summary>
    public static readonly IReadOnlyList<string> All = [Queued, Sending, Sent, Delivered, Bounced, Failed, Suppressed, Undeliverable, Expired, DeadLetter];

    /// <summary>
    /// The statuses nothing sends from any more: what retention may strip or delete. Queued, sending and dead-letter
    /// messages (an operator may requeue those) are not among them.
    /// </summary>
    public static readonly IReadOnlyList<string> Finished = [Sent, Delivered, Bounced, Failed, Suppressed, Undeliverable, Expired];

    /// <summary>True for the statuses a message reached its recipient in: <see cref="Sent"/> and <see cref="Delivered"/>.</summary>
    public static bool IsSent(string? status) => status is Sent or Delivered;
}
