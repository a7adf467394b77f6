using Cairn.Core.Contacts;
using Cairn.Core.Templates;
using Cairn.Runtime;
using Cairn.Runtime.Storage;

namespace Cairn.Messaging.Channels;

/// <summary>What became of one delivery attempt.</summary>
public enum OutcomeKind
{
    /// <summary>The provider accepted it.</summary>
    Sent,

    /// <summary>It reached the recipient (an in-app message in the inbox).</summary>
    Delivered,

    /// <summary>A transient failure: tried again after a backoff, until the channel's attempts run out.</summary>
    Retry,

    /// <summary>A permanent failure: not tried again.</summary>
    Failed,

    /// <summary>The address does not exist (a hard bounce).</summary>
    Bounced,

    /// <summary>The contact has no address on the channel.</summary>
    Undeliverable,

    /// <summary>Not sent on purpose: opted out, suppressed.</summary>
    Suppressed,

    /// <summary>Another dispatcher claimed it first: nothing to record.</summary>
    Lost,
}

/// <summary>The outcome of an attempt and why.</summary>
public sealed record DeliveryOutcome(OutcomeKind Kind, string? Reason = null, TimeSpan? RetryAfter = null)
{
    public static DeliveryOutcome Sent { get; } = new(OutcomeKind.Sent);

    public static DeliveryOutcome Lost { get; } = new(OutcomeKind.Lost);

    public static DeliveryOutcome Retry(string reason, TimeSpan? after = null) => new(OutcomeKind.Retry, reason, after);

    public static DeliveryOutcome Failed(string reason) => new(OutcomeKind.Failed, reason);
}

/// <summary>How a channel retries: the most attempts, the first delay (doubled each time, with jitter), and whether a message that runs out of attempts is dead-lettered (kept for inspection and replay) rather than failed.</summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan FirstDelay, bool DeadLetter = false);

/// <summary>
/// One message on its way: the outbox row, the contact as it is now, the template and what it rendered to (for
/// templated channels), and the claim that moves it to <c>sending</c> — taken after everything that can fail without
/// sending has been checked, just before the provider is called.
/// </summary>
public sealed class DeliveryJob(OutboxMessage message, ContactState contact, LiveTemplate? template, RenderResult? rendered, ICairnStore store)
{
    public OutboxMessage Message => message;

    public ContactState Contact => contact;

    public LiveTemplate? Template => template;

    public RenderResult? Rendered => rendered;

    /// <summary>True once claimed: the attempt counts.</summary>
    public bool Claimed { get; private set; }

    /// <summary>
    /// The idempotency key passed to providers: the message id and the attempt. A resend after a crash (claimed, never
    /// answered) uses the same key, so a provider that deduplicates drops it; a retry after a failure gets a new one.
    /// </summary>
    public string IdempotencyKey => $"{message.MessageId}:{message.Attempts}";

    /// <summary>Moves the message to <c>sending</c>, recording the recipient and subject; false when someone else has it.</summary>
    public async Task<bool> ClaimAsync(string? recipient, string? subject, CancellationToken cancellationToken)
    {
        Claimed = await store.MarkSendingAsync(message.MessageId, recipient, subject, template?.Version, cancellationToken).ConfigureAwait(false);
        return Claimed;
    }
}

/// <summary>A delivery channel: email, SMS, push, webhook, in-app, owner alerts.</summary>
public interface IMessageChannel : IAsyncDisposable
{
    /// <summary>The outbox channel name it delivers.</summary>
    string Name { get; }

    /// <summary>True when its messages are rendered from templates.</summary>
    bool Templated { get; }

    /// <summary>How many of its messages may be in flight at once.</summary>
    int Concurrency { get; }

    /// <summary>How it retries.</summary>
    RetryPolicy Retry { get; }

    /// <summary>Delivers one message (claiming it first).</summary>
    Task<DeliveryOutcome> DeliverAsync(DeliveryJob job, CancellationToken cancellationToken);
}
