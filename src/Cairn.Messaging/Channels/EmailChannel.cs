namespace Cairn.Messaging.Channels;

/// <summary>
/// Email: the contact's address, the suppression list (transactional email too), then the rendered template composed
/// by <see cref="EmailComposer"/> and handed to SMTP or the development mailbox. A 5xx reply is a hard bounce: the
/// message is bounced and the address suppressed.
/// </summary>
public sealed class EmailChannel(EmailComposer composer, IEmailTransport transport, Suppressions suppressions, MessagingOptions options, TimeProvider time) : IMessageChannel
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
                await suppressions.ApplyAsync(new DeliveryFeedback(FeedbackKind.HardBounce, address, job.Message.MessageId, exception.Message, "smtp", time.GetUtcNow()), CancellationToken.None).ConfigureAwait(false);
                return new DeliveryOutcome(OutcomeKind.Bounced, exception.Message);
            }
            catch (EmailSendException exception)
            {
                return DeliveryOutcome.Retry(exception.Message);
            }
        });
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => transport.DisposeAsync();
}
