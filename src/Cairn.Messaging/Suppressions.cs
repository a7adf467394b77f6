using System.Security.Cryptography;
using System.Text;
using Cairn.Core.Orchestration;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cairn.Messaging;

/// <summary>What a provider (or the SMTP reply) reported about a sent email.</summary>
public enum FeedbackKind
{
    /// <summary>Accepted by the recipient's server.</summary>
    Delivered,

    /// <summary>A permanent failure: unknown mailbox, domain, refused.</summary>
    HardBounce,

    /// <summary>A temporary failure: mailbox full, greylisted; counted, suppressed after too many.</summary>
    SoftBounce,

    /// <summary>The recipient marked it as spam.</summary>
    Complaint,
}

/// <summary>One report: what happened, to which address, for which message (when known), and why.</summary>
public sealed record DeliveryFeedback(FeedbackKind Kind, string Address, string? MessageId, string? Reason, string Source, DateTimeOffset At);

/// <summary>
/// The suppression list and what feeds it. Addresses are kept as a keyed hash (HMAC-SHA256 with a workspace secret)
/// of the normalised address, with a masked hint for people, so the list survives the contact's erasure without
/// keeping the address. A hard bounce or a complaint suppresses at once; soft bounces are counted and suppress at
/// <see cref="SoftBounceLimit"/>. A complaint also withdraws the contact's email consent; every report is an event
/// on the contact's timeline (<c>email_delivered</c>, <c>email_bounced</c>, <c>email_complained</c>).
/// </summary>
public sealed partial class Suppressions(ContactCommands contacts, ISuppressionList list, IOutbox outbox, byte[] key, TimeProvider time, ILogger? logger = null)
{
    /// <summary>The setting that holds the workspace's address key.</summary>
    public const string SettingKey = "address_key";

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Soft bounces in a row that suppress an address.</summary>
    public int SoftBounceLimit { get; init; } = 3;

    /// <summary>The key of an address on a channel.</summary>
    public string KeyOf(string channel, string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var normal = $"{channel}:{address.Trim().ToLowerInvariant()}";
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(normal)));
    }

    /// <summary>
    /// A masked address: the first character of the local part and the domain (<c>a***@example.com</c>); for a phone
    /// number, its country code's first digits and its last two (<c>+44******89</c>).
    /// </summary>
    public static string Hint(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.StartsWith('+') && address.Length > 6)
        {
            return $"{address[..3]}{new string('*', address.Length - 5)}{address[^2..]}";
        }

        var at = address.LastIndexOf('@');
        return at <= 0 ? "***" : $"{address[0]}***{address[at..].ToLowerInvariant()}";
    }

    /// <summary>The entry of an email address, when it is suppressed.</summary>
    public Task<Suppression?> SuppressedAsync(string address, CancellationToken cancellationToken) =>
        SuppressedAsync(MessageDispatcher.EmailChannel, address, cancellationToken);

    /// <summary>
    /// Whether a message on <paramref name="channel"/> (email, SMS) can reach the contact: the contact's address there,
    /// looked up on the list, judged by the rule the simulator uses too (<see cref="Reachability"/>).
    /// </summary>
    public async Task<Reach> ReachAsync(string channel, Core.Contacts.ContactState contact, CancellationToken cancellationToken)
    {
        var address = Reachability.AddressOf(channel, contact);
        var suppressed = address is null ? null : await SuppressedAsync(channel, address, cancellationToken).ConfigureAwait(false);
        return Reachability.Check(channel, contact, new AddressFacts(suppressed?.Reason, null));
    }

    /// <summary>The entry of an address on a channel (<c>email</c>, <c>sms</c>), when it is suppressed.</summary>
    public async Task<Suppression?> SuppressedAsync(string channel, string address, CancellationToken cancellationToken) =>
        await list.GetSuppressionAsync(KeyOf(channel, address), cancellationToken).ConfigureAwait(false) is { Suppressed: true } entry ? entry : null;

    /// <summary>
    /// Erases a contact and the contacts merged into it (<see cref="ContactCommands.EraseContactAsync"/>); their email
    /// addresses and phone numbers go on the suppression list first, by keyed hash, so nothing is sent to them again
    /// even when a later import brings the address back. Null when there is no such contact.
    /// </summary>
    public Task<ErasureRecord?> EraseAsync(Core.ContactId contact, string reason, CancellationToken cancellationToken) =>
        contacts.EraseContactAsync(
            contact,
            reason,
            async (profiles, token) =>
            {
                var addresses = profiles
                    .SelectMany(profile => new[] { (Channel: MessageDispatcher.EmailChannel, Address: profile.Email), (Channel: "sms", Address: profile.Phone) })
                    .Where(address => address.Address is not null)
                    .Distinct();
                foreach (var (channel, address) in addresses)
                {
                    var addressKey = KeyOf(channel, address!);
                    await list.RecordBounceAsync(addressKey, Hint(address!), hard: true, "erased (data deletion request)", "erasure", SoftBounceLimit, time.GetUtcNow(), token).ConfigureAwait(false);
                    LogSuppressed(_logger, channel, "erasure", "erased", null, addressKey);
                }
            },
            cancellationToken);

    /// <summary>Applies a report: the list, the message's status, the contact's consent and timeline.</summary>
    public async Task ApplyAsync(DeliveryFeedback feedback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        var addressKey = KeyOf(MessageDispatcher.EmailChannel, feedback.Address);
        var message = feedback.MessageId is { } id ? await outbox.GetMessageAsync(id, cancellationToken).ConfigureAwait(false) : null;
        var reason = feedback.Reason ?? feedback.Kind.ToString();
        switch (feedback.Kind)
        {
            case FeedbackKind.Delivered:
                await list.ResetSoftBouncesAsync(addressKey, cancellationToken).ConfigureAwait(false);
                if (message is not null)
                {
                    await outbox.RecordEngagementAsync(message.MessageId, Engagement.Delivered, feedback.At, cancellationToken).ConfigureAwait(false);
                }

                break;
            case FeedbackKind.HardBounce or FeedbackKind.SoftBounce:
                var hard = feedback.Kind == FeedbackKind.HardBounce;
                await list.RecordBounceAsync(addressKey, Hint(feedback.Address), hard, hard ? $"hard bounce: {reason}" : reason, feedback.Source, SoftBounceLimit, feedback.At, cancellationToken).ConfigureAwait(false);
                if (message is not null)
                {
                    await outbox.RecordDeliveryAsync(message.MessageId, hard ? "bounced" : message.Status, message.Attempts, null, message.SentAt, $"{(hard ? "hard" : "soft")} bounce: {reason}", cancellationToken).ConfigureAwait(false);
                }

                break;
            case FeedbackKind.Complaint:
                await list.RecordBounceAsync(addressKey, Hint(feedback.Address), hard: true, "complaint (marked as spam)", feedback.Source, SoftBounceLimit, feedback.At, cancellationToken).ConfigureAwait(false);
                if (message is not null)
                {
                    await outbox.RecordEngagementAsync(message.MessageId, Engagement.Complained, feedback.At, cancellationToken).ConfigureAwait(false);
                    await contacts.ChangeConsentAsync(message.ContactId, MessageDispatcher.EmailChannel, null, new Core.Consent.ConsentRecord(Core.Consent.ConsentState.OptedOut, "complaint", feedback.At, $"message {message.MessageId}"), cancellationToken).ConfigureAwait(false);
                }

                break;
        }

        if (feedback.Kind != FeedbackKind.Delivered)
        {
            var kind = KindName(feedback.Kind);
            LogSuppressed(_logger, MessageDispatcher.EmailChannel, feedback.Source, kind, feedback.MessageId, addressKey);
        }

        if (message is not null)
        {
            var name = feedback.Kind switch { FeedbackKind.Delivered => "email_delivered", FeedbackKind.Complaint => "email_complained", _ => "email_bounced" };
            var properties = System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, object?>
            {
                ["message_id"] = message.MessageId,
                ["template"] = message.Template,
                ["journey_id"] = message.JourneyId,
                ["step_id"] = message.StepId,
                ["bounce_type"] = feedback.Kind switch { FeedbackKind.HardBounce => "hard", FeedbackKind.SoftBounce => "soft", _ => null },
                ["reason"] = feedback.Kind == FeedbackKind.Delivered ? null : reason,
            }.Where(pair => pair.Value is not null).ToDictionary());
            await contacts.RecordEventAsync(message.ContactId, name, properties, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Now, for reports without a time.</summary>
    public DateTimeOffset Now => time.GetUtcNow();

    private static string KindName(FeedbackKind kind) => kind switch
    {
        FeedbackKind.HardBounce => "hard bounce",
        FeedbackKind.SoftBounce => "soft bounce",
        FeedbackKind.Complaint => "complaint",
        _ => "delivery",
    };

    // The address is never logged: its keyed hash (the list's key) lets an operator find the entry.
    [LoggerMessage(Level = LogLevel.Information, Message = "Suppression list ({Channel}): {Kind} reported by {Source} for message {MessageId}; address key {AddressKey}")]
    private static partial void LogSuppressed(ILogger logger, string channel, string source, string kind, string? messageId, string addressKey);
}
