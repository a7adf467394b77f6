using Cairn.Core;

namespace Cairn.Runtime.Storage;

/// <summary>What channels keep per recipient: push device tokens, the in-app inbox, and the development mailbox.</summary>
public interface IRecipientStore
{
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

    /// <summary>Keeps an email in the development mailbox (once per message id).</summary>
    Task AddToMailboxAsync(MailboxMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// A page of the development mailbox, newest first, optionally for one channel and one recipient;
    /// <paramref name="cursor"/> is the previous page's <see cref="Page{T}.NextCursor"/> for the same filters.
    /// </summary>
    /// <exception cref="InvalidCursorException">The cursor is not one of these filters'.</exception>
    Task<Page<MailboxMessage>> GetMailboxAsync(string? channel, string? recipient, string? cursor, int limit, CancellationToken cancellationToken);
}
