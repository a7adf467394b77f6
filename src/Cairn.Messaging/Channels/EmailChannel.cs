using Microsoft.Extensions.Logging;

namespace Cairn.Messaging.Channels;

/// <summary>
/// Email: the contact's address, the suppression list (transactional email too), then the rendered template composed
/// by <see cref="EmailComposer"/> and handed to SMTP or the development mailbox. A 5xx reply is a hard bounce: the
/// message is bounced and the address suppressed.
/// </summary>
public sealed partial class EmailChannel(EmailComposer composer, IEmailTransport transport, Suppressions suppressions, MessagingOptions options, TimeProvider time, ILogger<EmailChannel> logger) : IMessageChannel
{
    /// <inheritdoc />
    public string Name => "email";

    /// <inheritdoc />
    public bool Templated => true;

    /// <inheritdoc />
    public int Concurrency => Math.Max(1, options.Smtp.MaxConnections);

    /// <inheritdoc />
    public RetryPolicy Retry { get; } = new(options.MaxAttempts, options.RetryDelay);

    /// <summary>Where email goes: <c>smtp</c> or <c>mailbox</c>.</summary>
    public string Transport => transport.Name;

    /// <inheritdoc />
    public async Task<Preparation> PrepareAsync(DeliveryJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var reach = await suppressions.ReachAsync(Name, job.Contact, cancellationToken).ConfigureAwait(false);
        if (Preparation.Unreachable(reach) is { } unreachable)
        {
            return unreachable;
        }

        var address = reach.Address!;

        var email = composer.Compose(job.Message.MessageId, job.Template!.Definition, job.Rendered!, job.Contact, job.Message.Category == "transactional", time.GetUtcNow());
        return Preparation.Ready(address, email.Subject, async token =>
        {
            try
            {
                await transport.SendAsync(job.Message.MessageId, email, token).ConfigureAwait(false);

                // The development mailbox is the recipient's inbox: the message is delivered, not just handed on.
                return transport is MailboxTransport ? new DeliveryOutcome(OutcomeKind.Delivered) : DeliveryOutcome.Sent;
            }
            catch (EmailSendException exception) when (exception.Permanent)
            {
                LogHardBounce(logger, job.Message.MessageId, job.Contact.Id);
                await suppressions.ApplyAsync(new DeliveryFeedback(FeedbackKind.HardBounce, address, job.Message.MessageId, exception.Message, "smtp", time.GetUtcNow()), CancellationToken.None).ConfigureAwait(false);
                return new DeliveryOutcome(OutcomeKind.Bounced, exception.Message);
            }
            catch (EmailSendException exception)
            {
                LogNotAccepted(logger, job.Message.MessageId, transport.Name);
                return DeliveryOutcome.Retry(exception.Message);
            }
        });
    }

    /// <inheritdoc />
    /// <remarks>The transport is shared with owner alerts and disposed by the <see cref="ChannelContext"/> that made it.</remarks>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // The relay's reply is not logged: it often quotes the recipient's address. The message keeps it (last_error).
    [LoggerMessage(Level = LogLevel.Warning, Message = "Email {MessageId} to contact {ContactId} was refused permanently by the relay (5xx): bounced, and the address suppressed")]
    private static partial void LogHardBounce(ILogger logger, string messageId, Core.ContactId contactId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Email {MessageId} was not accepted by {Transport} (a 4xx reply, a dropped connection or a timeout); it is retried")]
    private static partial void LogNotAccepted(ILogger logger, string messageId, string transport);
}
