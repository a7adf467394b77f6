using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IRecipientStore"/>: push device tokens, the in-app inbox and the development mailbox.</summary>
public abstract class RecipientStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IRecipientStore Recipients => Store;

    [Fact]
    public async Task Devices_AreRegistered_MoveToTheLastContact_AndAreRemoved()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        var phone = new Device("token-1", ann, "ios", T0);
        var tablet = new Device("token-2", ann, "android", T0.AddMinutes(1));
        await Recipients.AddDeviceAsync(tablet, Cancel);
        await Recipients.AddDeviceAsync(phone, Cancel);
        Assert.Equal([phone, tablet], await Recipients.GetDevicesAsync(ann, Cancel));

        // The token is registered again by another contact (a shared device changed hands): it moves, keeping its first time.
        await Recipients.AddDeviceAsync(new Device("token-1", bob, "web", T0.AddDays(1)), Cancel);
        Assert.Equal([tablet], await Recipients.GetDevicesAsync(ann, Cancel));
        Assert.Equal([new Device("token-1", bob, "web", T0)], await Recipients.GetDevicesAsync(bob, Cancel));

        Assert.True(await Recipients.RemoveDeviceAsync("token-2", Cancel));
        Assert.False(await Recipients.RemoveDeviceAsync("token-2", Cancel));
        Assert.Empty(await Recipients.GetDevicesAsync(ann, Cancel));
    }

    [Fact]
    public async Task Inbox_KeepsEachMessageOnce_NewestFirst_PerContact()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        var welcome = new InboxItem("m-1", ann, "Welcome", "Glad you are here", "Start", "https://example.com/start", T0);
        var tip = new InboxItem("m-2", ann, "A tip", "Try the canvas", null, null, T0.AddHours(1));
        await Recipients.AddInboxItemAsync(welcome, Cancel);
        await Recipients.AddInboxItemAsync(tip, Cancel);
        await Recipients.AddInboxItemAsync(welcome with { Title = "Again" }, Cancel);
        await Recipients.AddInboxItemAsync(new InboxItem("m-3", bob, "Bob's", "b", null, null, T0), Cancel);

        Assert.Equal([tip, welcome], await Recipients.GetInboxAsync(ann, dismissed: false, 10, Cancel));
        Assert.Equal([tip], await Recipients.GetInboxAsync(ann, dismissed: false, 1, Cancel));
        Assert.Equal(["m-3"], (await Recipients.GetInboxAsync(bob, dismissed: false, 10, Cancel)).Select(i => i.MessageId));
        Assert.Empty(await Recipients.GetInboxAsync(NewContactId(), dismissed: true, 10, Cancel));
    }

    [Fact]
    public async Task MarkInboxItem_ReadThenDismissed_KeepsTheFirstTimes_AndOnlyForItsContact()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        await Recipients.AddInboxItemAsync(new InboxItem("m-1", ann, "Welcome", "b", null, null, T0), Cancel);
        await Recipients.AddInboxItemAsync(new InboxItem("m-2", ann, "Tip", "b", null, null, T0.AddMinutes(1)), Cancel);

        Assert.True(await Recipients.MarkInboxItemAsync(ann, "m-1", dismiss: false, T0.AddHours(1), Cancel));
        Assert.True(await Recipients.MarkInboxItemAsync(ann, "m-1", dismiss: false, T0.AddHours(2), Cancel));
        Assert.False(await Recipients.MarkInboxItemAsync(bob, "m-1", dismiss: true, T0.AddHours(2), Cancel));
        Assert.False(await Recipients.MarkInboxItemAsync(ann, "missing", dismiss: false, T0, Cancel));
        var read = (await Recipients.GetInboxAsync(ann, dismissed: false, 10, Cancel)).Single(i => i.MessageId == "m-1");
        Assert.Equal((T0.AddHours(1), (DateTimeOffset?)null), (read.ReadAt!.Value, read.DismissedAt));

        // Dismissing an unread item reads it too; a dismissed item is listed only when asked for.
        Assert.True(await Recipients.MarkInboxItemAsync(ann, "m-2", dismiss: true, T0.AddHours(3), Cancel));
        Assert.Equal(["m-1"], (await Recipients.GetInboxAsync(ann, dismissed: false, 10, Cancel)).Select(i => i.MessageId));
        var dismissed = (await Recipients.GetInboxAsync(ann, dismissed: true, 10, Cancel)).Single(i => i.MessageId == "m-2");
        Assert.Equal((T0.AddHours(3), T0.AddHours(3)), (dismissed.ReadAt!.Value, dismissed.DismissedAt!.Value));
        Assert.True(await Recipients.MarkInboxItemAsync(ann, "m-1", dismiss: true, T0.AddHours(4), Cancel));
        var both = (await Recipients.GetInboxAsync(ann, dismissed: true, 10, Cancel)).Single(i => i.MessageId == "m-1");
        Assert.Equal((T0.AddHours(1), T0.AddHours(4)), (both.ReadAt!.Value, both.DismissedAt!.Value));
    }

    [Fact]
    public async Task Mailbox_KeepsEachMessageOnce_NewestFirst_FilteredByChannelAndRecipient()
    {
        var welcome = new MailboxMessage("m-1", "email", "ann@example.com", "Welcome", "Subject: Welcome\r\n\r\nHi", T0);
        var tip = new MailboxMessage("m-2", "email", "bob@example.com", "A tip", "Subject: A tip\r\n\r\nHi", T0.AddHours(1));
        var text = new MailboxMessage("m-3", "sms", "+15555550100", string.Empty, "Your code is 1234", T0.AddHours(2));
        await Recipients.AddToMailboxAsync(welcome, Cancel);
        await Recipients.AddToMailboxAsync(tip, Cancel);
        await Recipients.AddToMailboxAsync(text, Cancel);
        await Recipients.AddToMailboxAsync(welcome with { Subject = "Again" }, Cancel);

        Assert.Equal([text, tip, welcome], (await Recipients.GetMailboxAsync(null, null, null, 10, Cancel)).Items);
        Assert.Equal([text, tip], (await Recipients.GetMailboxAsync(null, null, null, 2, Cancel)).Items);
        Assert.Equal([tip, welcome], (await Recipients.GetMailboxAsync("email", null, null, 10, Cancel)).Items);
        Assert.Equal([welcome], (await Recipients.GetMailboxAsync("email", "ann@example.com", null, 10, Cancel)).Items);
        Assert.Equal([welcome], (await Recipients.GetMailboxAsync(null, "ann@example.com", null, 10, Cancel)).Items);
        Assert.Empty((await Recipients.GetMailboxAsync("sms", "ann@example.com", null, 10, Cancel)).Items);

        var first = await Recipients.GetMailboxAsync(null, null, null, 2, Cancel);
        var second = await Recipients.GetMailboxAsync(null, null, first.NextCursor, 2, Cancel);
        Assert.Equal([text, tip], first.Items);
        Assert.Equal([welcome], second.Items);
        Assert.Null(second.NextCursor);
        await Assert.ThrowsAsync<InvalidCursorException>(() => Recipients.GetMailboxAsync("email", null, first.NextCursor, 2, Cancel));
        await Assert.ThrowsAsync<InvalidCursorException>(() => Recipients.GetMailboxAsync(null, null, "forged", 2, Cancel));
    }
}
