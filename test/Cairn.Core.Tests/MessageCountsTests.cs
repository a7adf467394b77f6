using Cairn.Core.Messages;

namespace Cairn.Core.Tests;

/// <summary>The message performance counters move by the difference of a message's outcome: exactly once per fact.</summary>
public sealed class MessageCountsTests
{
    private static readonly MessageCountState Queued = new(null, "cart", "cart-email", "email", MessageStatus.Queued, false, false, false, false, false, false);

    [Fact]
    public void SendingCountsTheMessageOnItsDay_AndEachFactOnce()
    {
        var sent = Queued with { Day = 20_000, Status = MessageStatus.Sent };
        var key = new MessageCountKey(20_000, "cart", "cart-email", "email");
        Assert.Equal([(key, MessageCounts.Zero with { Sent = 1 })], MessageCountState.Deltas([(Queued, sent)]));

        // Delivered, then a machine open, then the recipient's open: each adds its own figures, any-open only once.
        var delivered = sent with { Status = MessageStatus.Delivered };
        var machine = delivered with { MachineOpened = true };
        var opened = machine with { Opened = true };
        Assert.Equal(MessageCounts.Zero with { Delivered = 1 }, Assert.Single(MessageCountState.Deltas([(sent, delivered)])).Delta);
        Assert.Equal(MessageCounts.Zero with { MachineOpened = 1, AnyOpened = 1 }, Assert.Single(MessageCountState.Deltas([(delivered, machine)])).Delta);
        Assert.Equal(MessageCounts.Zero with { Opened = 1 }, Assert.Single(MessageCountState.Deltas([(machine, opened)])).Delta);

        // Nothing changed (a second open, a redelivered report): nothing moves.
        Assert.Empty(MessageCountState.Deltas([(opened, opened), (null, null), (Queued, Queued)]));

        // A bounce after the delivery report: delivered goes down, bounced up.
        Assert.Equal(MessageCounts.Zero with { Delivered = -1, Bounced = 1 }, Assert.Single(MessageCountState.Deltas([(delivered, delivered with { Status = MessageStatus.Bounced })])).Delta);

        // A channel delivering at once counts sent and delivered together.
        Assert.Equal(MessageCounts.Zero with { Sent = 1, Delivered = 1 }, Assert.Single(MessageCountState.Deltas([(Queued, delivered)])).Delta);
    }

    [Fact]
    public void ChangesOfSeveralMessagesAddUpPerKey_InKeyOrder_AndAMovedMessageLeavesItsOldRow()
    {
        var a = Queued with { Day = 20_001, Status = MessageStatus.Sent };
        var b = Queued with { Day = 20_000, Status = MessageStatus.Sent, Template = "b" };
        var deltas = MessageCountState.Deltas([(Queued, a), (Queued, a), (Queued, b)]);
        Assert.Equal([(20_000L, "b", 1L), (20_001L, "cart-email", 2L)], deltas.Select(d => (d.Key.Day, d.Key.Template, d.Delta.Sent)));

        var moved = a with { Channel = "sms", Clicked = true };
        var change = MessageCountState.Deltas([(a, moved)]);
        Assert.Equal([("email", -1L, 0L), ("sms", 1L, 1L)], change.Select(d => (d.Key.Channel, d.Delta.Sent, d.Delta.AnyClicked)));
    }

    [Fact]
    public void TheDayIsTheUtcDaySince1970()
    {
        Assert.Equal(0, MessageCountState.DayOf(DateTimeOffset.UnixEpoch));
        Assert.Equal(20_781, MessageCountState.DayOf(new DateTimeOffset(2026, 11, 24, 23, 59, 59, TimeSpan.Zero)));
        Assert.Equal(20_781, MessageCountState.DayOf(new DateTimeOffset(2026, 11, 25, 0, 30, 0, TimeSpan.FromHours(2))));
        Assert.Equal(20_781, MessageCountState.DayOf(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero).AddTicks(-1)));
        Assert.Equal(-1, MessageCountState.DayOf(DateTimeOffset.UnixEpoch.AddTicks(-1)));
    }
}
