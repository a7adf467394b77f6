using Cairn.Core;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="IRecipientStore"/>: push device tokens, the in-app inbox and the development mailbox.</summary>
public abstract partial class RelationalCairnStore
{
    /// <inheritdoc />
    public Task AddDeviceAsync(Device device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        return ExecuteAsync(
            """
            INSERT INTO devices (token, contact_id, platform, created_at) VALUES (@token, @contact, @platform, @at)
            ON CONFLICT (token) DO UPDATE SET contact_id = @contact, platform = @platform
            """,
            parameters =>
            {
                parameters.Add("token", device.Token);
                parameters.Add("contact", device.ContactId.ToString());
                parameters.Add("platform", device.Platform);
                parameters.AddTime("at", device.CreatedAt);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Device>> GetDevicesAsync(ContactId contactId, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT token, contact_id, platform, created_at FROM devices WHERE contact_id = @contact ORDER BY created_at, token",
            parameters => parameters.Add("contact", contactId.ToString()),
            static row => new Device(row.GetText(0), row.GetContactId(1), row.GetText(2), row.GetTime(3)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<bool> RemoveDeviceAsync(string token, CancellationToken cancellationToken) =>
        await ExecuteAsync("DELETE FROM devices WHERE token = @token", parameters => parameters.Add("token", token), cancellationToken).ConfigureAwait(false) > 0;

    /// <inheritdoc />
    public Task AddInboxItemAsync(InboxItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        return ExecuteAsync(
            """
            INSERT INTO inbox (message_id, contact_id, title, body, action_label, action_url, created_at)
            VALUES (@id, @contact, @title, @body, @label, @url, @at) ON CONFLICT (message_id) DO NOTHING
            """,
            parameters =>
            {
                parameters.Add("id", item.MessageId);
                parameters.Add("contact", item.ContactId.ToString());
                parameters.Add("title", item.Title);
                parameters.Add("body", item.Body);
                parameters.Add("label", item.ActionLabel);
                parameters.Add("url", item.ActionUrl);
                parameters.AddTime("at", item.CreatedAt);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<InboxItem>> GetInboxAsync(ContactId contactId, bool dismissed, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"""
            SELECT message_id, contact_id, title, body, action_label, action_url, created_at, read_at, dismissed_at FROM inbox
            WHERE contact_id = @contact {(dismissed ? string.Empty : "AND dismissed_at IS NULL")}
            ORDER BY created_at DESC, message_id LIMIT @limit
            """,
            parameters =>
            {
                parameters.Add("contact", contactId.ToString());
                parameters.Add("limit", limit);
            },
            static row => new InboxItem(
                row.GetText(0),
                row.GetContactId(1),
                row.GetText(2),
                row.GetText(3),
                row.GetTextOrNull(4),
                row.GetTextOrNull(5),
                row.GetTime(6),
                row.GetTimeOrNull(7),
                row.GetTimeOrNull(8)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<bool> MarkInboxItemAsync(ContactId contactId, string messageId, bool dismiss, DateTimeOffset at, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            dismiss
                ? "UPDATE inbox SET dismissed_at = COALESCE(dismissed_at, @at), read_at = COALESCE(read_at, @at) WHERE message_id = @id AND contact_id = @contact"
                : "UPDATE inbox SET read_at = COALESCE(read_at, @at) WHERE message_id = @id AND contact_id = @contact",
            parameters =>
            {
                parameters.Add("id", messageId);
                parameters.Add("contact", contactId.ToString());
                parameters.AddTime("at", at);
            },
            cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public Task AddToMailboxAsync(MailboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ExecuteAsync(
            "INSERT INTO mailbox (message_id, channel, recipient, subject, raw, created_at) VALUES (@id, @channel, @recipient, @subject, @raw, @at) ON CONFLICT (message_id) DO NOTHING",
            parameters =>
            {
                parameters.Add("id", message.MessageId);
                parameters.Add("channel", message.Channel);
                parameters.Add("recipient", message.Recipient);
                parameters.Add("subject", message.Subject);
                parameters.Add("raw", message.Raw);
                parameters.AddTime("at", message.CreatedAt);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Page<MailboxMessage>> GetMailboxAsync(string? channel, string? recipient, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var scope = Cursors.Scope(channel, recipient);
        (DateTimeOffset Time, string Id) after = default;
        if (cursor is not null && !Cursors.TryReadKey(cursor, 'x', scope, out after.Time, out after.Id))
        {
            throw new InvalidCursorException();
        }

        var messages = await QueryAsync(
            $"""
            SELECT message_id, channel, recipient, subject, raw, created_at FROM mailbox
            WHERE 1 = 1{(channel is null ? string.Empty : " AND channel = @channel")}{(recipient is null ? string.Empty : " AND recipient = @recipient")}{(cursor is null ? string.Empty : " AND (created_at, message_id) < (@after_time, @after_id)")}
            ORDER BY created_at DESC, message_id DESC LIMIT @limit
            """,
            parameters =>
            {
                parameters.Add("channel", channel);
                parameters.Add("recipient", recipient);
                parameters.Add("limit", limit + 1);
                if (cursor is not null)
                {
                    parameters.AddTime("after_time", after.Time);
                    parameters.Add("after_id", after.Id);
                }
            },
            static row => new MailboxMessage(row.GetText(0), row.GetText(1), row.GetText(2), row.GetText(3), row.GetText(4), row.GetTime(5)),
            cancellationToken).ConfigureAwait(false);
        return Page.Of(messages, limit, last => Cursors.ForKey('x', scope, last.CreatedAt, last.MessageId));
    }
}
