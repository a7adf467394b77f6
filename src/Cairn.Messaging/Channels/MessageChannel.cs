using Cairn.Core.Contacts;
using Cairn.Core.Orchestration;
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

    /// <summary>Not yet: the orchestrator moved it to <see cref="DeliveryOutcome.RetryAfter"/> from now (quiet hours, a cap, a held rule).</summary>
    Deferred,

    /// <summary>Never: the first moment it could go out is past its validity.</summary>
    Expired,
}

/// <summary>The outcome of an attempt and why.</summary>
public sealed record DeliveryOutcome(OutcomeKind Kind, string? Reason = null, TimeSpan? RetryAfter = null)
{
    public static DeliveryOutcome Sent { get; } = new(OutcomeKind.Sent);

    public static DeliveryOutcome Retry(string reason, TimeSpan? after = null) => new(OutcomeKind.Retry, reason, after);

    public static DeliveryOutcome Failed(string reason) => new(OutcomeKind.Failed, reason);
}

/// <summary>How a channel retries: the most attempts, the first delay (doubled each time, with jitter), and whether a message that runs out of attempts is dead-lettered (kept for inspection and replay) rather than failed.</summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan FirstDelay, bool DeadLetter = false);

/// <summary>
/// One message on its way: the outbox row, the contact as it is now, and for templated channels the template and what
/// it rendered to.
/// </summary>
public sealed class DeliveryJob(OutboxMessage message, ContactState contact, LiveTemplate? template, RenderResult? rendered)
{
    public OutboxMessage Message => message;

    public ContactState Contact => contact;

    public LiveTemplate? Template => template;

    public RenderResult? Rendered => rendered;

    /// <summary>
    /// The idempotency key passed to providers: the message id and the attempt. A resend after a crash (claimed, never
    /// answered) uses the same key, so a provider that deduplicates drops it; a retry after a failure gets a new one.
    /// </summary>
    public string IdempotencyKey => $"{message.MessageId}:{message.Attempts}";
}

/// <summary>
/// A message ready to go: the address and subject it is claimed with, and the call to the provider. The dispatcher
/// claims a batch of prepared messages in one transaction (<c>sending</c>), then makes the calls.
/// </summary>
public sealed record PreparedSend(string? Recipient, string? Subject, Func<CancellationToken, Task<DeliveryOutcome>> SendAsync);

/// <summary>What preparing a message gave: an outcome without sending (no address, suppressed), or a send to make.</summary>
public sealed record Preparation(DeliveryOutcome? Ended, PreparedSend? Send)
{
    public static Preparation End(DeliveryOutcome outcome) => new(outcome, null);

    public static Preparation End(OutcomeKind kind, string reason) => new(new DeliveryOutcome(kind, reason), null);

    public static Preparation Ready(string? recipient, string? subject, Func<CancellationToken, Task<DeliveryOutcome>> send) => new(null, new PreparedSend(recipient, subject, send));

    /// <summary>
    /// The end of a message the contact cannot be reached by (<see cref="Reachability.Check"/>): undeliverable or
    /// suppressed with the reason; null when it can be.
    /// </summary>
    public static Preparation? Unreachable(Reach reach)
    {
        ArgumentNullException.ThrowIfNull(reach);
        return reach.Kind switch
        {
            ReachKind.Reachable => null,
            ReachKind.Suppressed => End(OutcomeKind.Suppressed, reach.Reason!),
            _ => End(OutcomeKind.Undeliverable, reach.Reason!),
        };
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

    /// <summary>Checks what only this channel knows (an address, a suppression) and builds the provider call.</summary>
    Task<Preparation> PrepareAsync(DeliveryJob job, CancellationToken cancellationToken);

    /// <summary>
    /// Why the contact cannot be reached on this channel at all (no address of its kind), known from the profile
    /// alone: checked before the template is rendered, so that a template reading the missing address does not turn
    /// an undeliverable message into a render error. Null when the profile does not rule it out.
    /// </summary>
    string? Unreachable(ContactState contact) =>
        Reachability.Check(Name, contact, AddressFacts.ProfileOnly) is { Kind: ReachKind.Undeliverable, Reason: var reason } ? reason : null;
}
