using Cairn.Core;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary>
/// The message performance counters (migration 0020): every outbox change moves them exactly once in its transaction
/// — sending, delivery reports, bounces, the recipient's and machines' opens and clicks, unsubscribes, complaints —
/// repeated reports move nothing, a message counts on the day it was sent; the migration counts the rows before it.
/// </summary>
public abstract class MessageStatsCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IOutbox Outbox => Store;

    private static readonly long Day0 = MessageCountState.DayOf(T0);

    [Fact]
    public async Task EachOutcomeCountsOnce_OnTheDayTheMessageWasSent()
    {
        var id = NewContactId();
        var (a, b, c, d, queued) = (Message(id, "a", T0), Message(id, "b", T0), Message(id, "c", T0), Message(id, "d", T0, channel: "sms"), Message(id, "e", T0));
        await CommitAsync(batch => batch.Outbox.AddRange([a, b, c, d, queued]));

        // a and b sent today, c tomorrow, d bounced at once (no send time: the record's); e still queued.
        await Outbox.RecordDeliveriesAsync(
            [
                new DeliveryRecord(a.MessageId, MessageStatus.Sent, 1, null, T0, null),
                new DeliveryRecord(b.MessageId, MessageStatus.Delivered, 1, null, T0.AddHours(1), null),
                new DeliveryRecord(c.MessageId, MessageStatus.Sent, 1, null, T0.AddDays(1), null),
                new DeliveryRecord(d.MessageId, MessageStatus.Bounced, 1, null, null, "550 no such user") { At = T0 },
                new DeliveryRecord(queued.MessageId, MessageStatus.Queued, 1, T0.AddHours(1), null, "try later") { At = T0 },
            ],
            Cancel);

        // a: delivered twice, opened by Apple's proxy then twice by its reader, clicked, unsubscribed, complained.
        foreach (var (engagement, minutes) in new[] { (Engagement.Delivered, 1), (Engagement.Delivered, 2), (Engagement.MachineOpened, 1), (Engagement.Opened, 30), (Engagement.Opened, 31), (Engagement.Clicked, 32), (Engagement.Clicked, 33), (Engagement.Unsubscribed, 40), (Engagement.Unsubscribed, 41), (Engagement.Complained, 50) })
        {
            await Outbox.RecordEngagementAsync(a.MessageId, engagement, T0.AddMinutes(minutes), "link-1", Cancel);
        }

        // b: a scanner's clicks only, then a hard bounce after its delivery (a soft one changes nothing).
        await Outbox.RecordEngagementAsync(b.MessageId, Engagement.MachineClicked, T0.AddHours(1), "link-1", Cancel);
        await Outbox.RecordEngagementAsync(b.MessageId, Engagement.MachineClicked, T0.AddHours(1), "link-2", Cancel);
        await Outbox.RecordDeliveryAsync(b.MessageId, MessageStatus.Delivered, 1, null, T0.AddHours(1), "soft bounce: mailbox full", Cancel);
        await Outbox.RecordDeliveryAsync(b.MessageId, MessageStatus.Bounced, 1, null, T0.AddHours(1), "hard bounce", Cancel);
        await Outbox.RecordDeliveryAsync(b.MessageId, MessageStatus.Bounced, 1, null, T0.AddHours(1), "hard bounce", Cancel);

        // Engagement on a message never sent and on none at all counts nothing.
        await Outbox.RecordEngagementAsync(queued.MessageId, Engagement.Opened, T0, Cancel);
        await Outbox.RecordEngagementAsync("missing", Engagement.Opened, T0, Cancel);

        var byDay = await Outbox.GetMessageStatsAsync(new MessageStatsQuery(Day0, Day0 + 2, MessageStatsGrouping.Day), Cancel);
        Assert.Equal(
            [
                new MessageStatsRow("2026-11-24", new MessageCounts(Sent: 3, Delivered: 1, Bounced: 2, Opened: 1, MachineOpened: 1, AnyOpened: 1, Clicked: 1, MachineClicked: 1, AnyClicked: 2, Unsubscribed: 1, Complained: 1)),
                new MessageStatsRow("2026-11-25", MessageCounts.Zero with { Sent = 1 }),
            ],
            byDay);

        var read = (await Outbox.GetMessageAsync(a.MessageId, Cancel))!;
        Assert.Equal((3, 2, T0.AddMinutes(30), T0.AddMinutes(1), T0.AddMinutes(32), T0.AddMinutes(33), "link-1"), (read.Opens, read.Clicks, read.OpenedAt, read.MachineOpenedAt, read.ClickedAt, read.LastClickAt, read.LastClickLink));
        Assert.Null(read.MachineClickedAt);

        // Grouped and filtered: per channel, per template, one journey's, one day.
        Assert.Equal(["email", "sms"], (await Outbox.GetMessageStatsAsync(new MessageStatsQuery(Day0, Day0 + 2, MessageStatsGrouping.Channel), Cancel)).Select(row => row.Group));
        Assert.Equal([("hello", 4L)], (await Outbox.GetMessageStatsAsync(new MessageStatsQuery(Day0, Day0 + 2, MessageStatsGrouping.Template), Cancel)).Select(row => (row.Group, row.Counts.Sent)));
        Assert.Equal([("welcome", 3L)], (await Outbox.GetMessageStatsAsync(new MessageStatsQuery(Day0, Day0 + 2, MessageStatsGrouping.Journey, Channel: "email"), Cancel)).Select(row => (row.Group, row.Counts.Sent)));
        Assert.Equal([("welcome", 3L)], (await Outbox.GetMessageStatsAsync(new MessageStatsQuery(Day0, Day0 + 1, MessageStatsGrouping.Journey, "welcome", "hello"), Cancel)).Select(row => (row.Group, row.Counts.Sent)));
        Assert.Empty(await Outbox.GetMessageStatsAsync(new MessageStatsQuery(Day0, Day0 + 2, MessageStatsGrouping.Journey, "other"), Cancel));
        Assert.Empty(await Outbox.GetMessageStatsAsync(new MessageStatsQuery(Day0 - 10, Day0, MessageStatsGrouping.Day), Cancel));
    }

    [Fact]
    public async Task ConcurrentOpensOfOneMessage_CountItOnce()
    {
        var id = NewContactId();
        var message = Message(id, "a", T0);
        await CommitAsync(batch => batch.Outbox.Add(message));
        await Outbox.RecordDeliveriesAsync([new DeliveryRecord(message.MessageId, MessageStatus.Sent, 1, null, T0, null)], Cancel);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Outbox.RecordEngagementAsync(message.MessageId, i % 2 == 0 ? Engagement.Opened : Engagement.MachineOpened, T0.AddMinutes(i), Cancel)));

        var row = Assert.Single(await Outbox.GetMessageStatsAsync(new MessageStatsQuery(Day0, Day0 + 1, MessageStatsGrouping.Template), Cancel));
        Assert.Equal(MessageCounts.Zero with { Sent = 1, Opened = 1, MachineOpened = 1, AnyOpened = 1 }, row.Counts);
        Assert.Equal(8, (await Outbox.GetMessageAsync(message.MessageId, Cancel))!.Opens);
    }

    [Fact]
    public async Task Migrate_CountsTheMessagesSentBeforeIt()
    {
        var id = NewContactId();
        var (a, b, queued) = (Message(id, "a", T0), Message(id, "b", T0), Message(id, "c", T0));
        await CommitAsync(batch => batch.Outbox.AddRange([a, b, queued]));
        await Outbox.RecordDeliveriesAsync([new DeliveryRecord(a.MessageId, MessageStatus.Delivered, 1, null, T0, null), new DeliveryRecord(b.MessageId, MessageStatus.Sent, 1, null, T0.AddDays(1), null)], Cancel);
        await Outbox.RecordEngagementAsync(a.MessageId, Engagement.Opened, T0.AddMinutes(5), Cancel);
        await Outbox.RecordEngagementAsync(a.MessageId, Engagement.Clicked, T0.AddMinutes(6), Cancel);
        await Store.DisposeAsync();

        // The database as it was before migration 0020.
        await Provider.RunSqlAsync("DROP TABLE message_stats", Cancel);
        foreach (var column in new[] { "stats_day", "machine_opened_at", "machine_clicked_at", "last_click_at", "last_click_link" })
        {
            await Provider.RunSqlAsync($"ALTER TABLE outbox DROP COLUMN {column}", Cancel);
        }

        await Provider.RunSqlAsync("DELETE FROM schema_migrations WHERE version = 20", Cancel);
        await using var migrated = Provider.OpenAgain();
        await migrated.MigrateAsync(Cancel);

        Assert.Equal(
            [
                new MessageStatsRow("2026-11-24", MessageCounts.Zero with { Sent = 1, Delivered = 1, Opened = 1, AnyOpened = 1, Clicked = 1, AnyClicked = 1 }),
                new MessageStatsRow("2026-11-25", MessageCounts.Zero with { Sent = 1 }),
            ],
            await migrated.GetMessageStatsAsync(new MessageStatsQuery(Day0, Day0 + 2, MessageStatsGrouping.Day), Cancel));

        // Counted once: a later report on a migrated message moves only what it changes.
        await migrated.RecordEngagementAsync(b.MessageId, Engagement.Delivered, T0.AddDays(1), Cancel);
        Assert.Equal(MessageCounts.Zero with { Sent = 1, Delivered = 1 }, (await migrated.GetMessageStatsAsync(new MessageStatsQuery(Day0 + 1, Day0 + 2, MessageStatsGrouping.Day), Cancel)).Single().Counts);
    }
}
