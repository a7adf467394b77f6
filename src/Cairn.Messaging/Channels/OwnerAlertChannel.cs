using System.Globalization;
using System.Text;
using System.Text.Json;
using MimeKit;

namespace Cairn.Messaging.Channels;

/// <summary>
/// Hand-off alerts to sales owners (channel <c>owner</c>): posted to the owner's (or team's) webhook, signed like
/// every webhook; an owner without a webhook but with an email address gets the alert by email instead — the lead,
/// why it was routed, its scores and its latest events, and how to acknowledge.
/// </summary>
internal sealed class OwnerAlertChannel(WebhookChannel webhooks, IEmailTransport email, MessagingOptions options) : IMessageChannel
{
    /// <inheritdoc />
    public string Name => WebhookChannel.OwnerChannel;

    /// <inheritdoc />
    public bool Templated => false;

    /// <inheritdoc />
    public int Concurrency => webhooks.Concurrency;

    /// <inheritdoc />
    public RetryPolicy Retry => webhooks.Retry;

    /// <inheritdoc />
    public Task<Preparation> PrepareAsync(DeliveryJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var payload = JsonDocument.Parse(job.Message.Payload ?? "{}");
        var root = payload.RootElement;
        if (Text(root, "deliverTo") is not null)
        {
            return webhooks.PrepareAsync(job, cancellationToken);
        }

        if (root.TryGetProperty("owner", out var owner) && Text(owner, "email") is { } address && MailboxAddress.TryParse(address, out var to))
        {
            var alert = Compose(job.Message.MessageId, root, to);
            return Task.FromResult(Preparation.Ready(address, alert.Subject, async token =>
            {
                try
                {
                    await email.SendAsync(job.Message.MessageId, alert, token).ConfigureAwait(false);
                    return DeliveryOutcome.Sent;
                }
                catch (EmailSendException exception)
                {
                    return exception.Permanent ? DeliveryOutcome.Failed(exception.Message) : DeliveryOutcome.Retry(exception.Message);
                }
            }));
        }

        return Task.FromResult(Preparation.End(OutcomeKind.Undeliverable, "no webhook or email address is configured for the owner or the team"));
    }

    private MimeMessage Compose(string messageId, JsonElement alert, MailboxAddress to)
    {
        var contact = alert.GetProperty("contact");
        var who = Text(contact, "name") ?? Text(contact, "email") ?? Text(contact, "userId") ?? Text(contact, "id")!;
        var escalation = Text(alert, "kind") == "escalation";
        var text = new StringBuilder();
        text.AppendLine(Text(alert, "message") ?? "A lead is ready for you.").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Lead: {who}{(Text(contact, "email") is { } mail ? $" <{mail}>" : string.Empty)}");
        if (Text(contact, "stage") is { } stage)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Stage: {stage}");
        }

        if (alert.TryGetProperty("handoff", out var handOff) && handOff.ValueKind == JsonValueKind.Object)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Routed: {Text(handOff, "routedBy")}");
            if (Text(handOff, "dueAt") is { } due)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"Acknowledge by {due}: POST {options.PublicUrl.ToString().TrimEnd('/')}{Text(handOff, "acknowledge")} (or move the deal in your CRM)");
            }
        }

        if (alert.TryGetProperty("scores", out var scores))
        {
            foreach (var score in scores.EnumerateArray())
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"Score {Text(score, "model")}: {score.GetProperty("score").GetDouble()}");
            }
        }

        text.AppendLine().AppendLine("Latest activity:");
        foreach (var item in alert.GetProperty("timeline").EnumerateArray())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {item.GetProperty("timestamp").GetDateTimeOffset():yyyy-MM-dd HH:mm} {Text(item, "name")}");
        }

        var message = new MimeMessage
        {
            Subject = $"{(escalation ? "Escalated lead" : "New lead")}: {who}",
            MessageId = EmailComposer.MessageIdOf(messageId, MailboxAddress.Parse(options.FromAddress).Domain),
            Body = new TextPart("plain") { Text = text.ToString() },
        };
        message.From.Add(new MailboxAddress(options.FromName, options.FromAddress));
        message.To.Add(to);
        message.Headers.Add("X-Cairn-Message-Id", messageId);
        return message;
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => webhooks.DisposeAsync();
}
