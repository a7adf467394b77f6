using Cairn.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Cairn.Messaging.Channels;

/// <summary>
/// What a channel is built from. The dispatcher builds it when it starts, once the workspace's secrets (link signing,
/// address hashing, webhook signing) have been read from the store, and hands it to every registered
/// <see cref="ChannelRegistration"/>. It owns the email transport the email and owner-alert channels share.
/// </summary>
public sealed class ChannelContext : IAsyncDisposable
{
    private readonly Lazy<IEmailTransport> _email;

    internal ChannelContext(
        MessagingOptions options,
        TimeProvider time,
        IRecipientStore store,
        MessageLinks links,
        Suppressions suppressions,
        StandardWebhooks webhooks,
        IHttpClientFactory http,
        ILoggerFactory loggers,
        DeliveryMetrics metrics)
    {
        Options = options;
        Time = time;
        Recipients = store;
        Links = links;
        Suppressions = suppressions;
        Webhooks = webhooks;
        Http = http;
        Loggers = loggers;
        Metrics = metrics;
        _email = new Lazy<IEmailTransport>(() => options.Smtp.Host is null ? new MailboxTransport(store, time) : new SmtpTransport(options.Smtp));
    }

    /// <summary>The messaging settings.</summary>
    public MessagingOptions Options { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The recipients' store (devices, inbox, development mailbox).</summary>
    public IRecipientStore Recipients { get; }

    /// <summary>The workspace's signed links.</summary>
    public MessageLinks Links { get; }

    /// <summary>The suppression list.</summary>
    public Suppressions Suppressions { get; }

    /// <summary>The Standard Webhooks signer.</summary>
    public StandardWebhooks Webhooks { get; }

    /// <summary>The named HTTP clients of the providers (<see cref="MessagingServices.SmsClient"/>, …).</summary>
    public IHttpClientFactory Http { get; }

    /// <summary>Loggers for the channels.</summary>
    public ILoggerFactory Loggers { get; }

    /// <summary>The delivery meter.</summary>
    public DeliveryMetrics Metrics { get; }

    /// <summary>Where email goes: SMTP when a relay is configured, else the development mailbox; created on first use, shared.</summary>
    public IEmailTransport EmailTransport => _email.Value;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _email.IsValueCreated ? _email.Value.DisposeAsync() : ValueTask.CompletedTask;
}

/// <summary>A channel the dispatcher delivers through, registered by a builder method (<c>AddEmailChannel()</c>, …).</summary>
/// <param name="Name">The outbox channel it delivers (one registration per name; a later one replaces an earlier).</param>
/// <param name="Create">Builds it when the dispatcher starts.</param>
public sealed record ChannelRegistration(string Name, Func<ChannelContext, IMessageChannel> Create);
