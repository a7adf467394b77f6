namespace Cairn.Core.Messages;

/// <summary>
/// The message performance counters of a set of sent messages: how many were sent, are delivered, bounced, were opened,
/// clicked, unsubscribed from or complained about — each message counted once per figure, whatever number of opens or
/// reports it had. Opens and clicks are kept three ways: by the recipient, by a machine (<see cref="MachineEngagement"/>),
/// and by either.
/// </summary>
/// <param name="Sent">Messages handed to the provider.</param>
/// <param name="Delivered">Of those, the ones whose status is delivered (reported by the channel or the provider, and not bounced since).</param>
/// <param name="Bounced">Of those, the ones that bounced hard.</param>
/// <param name="Opened">Messages the recipient opened at least once (a click counts as an open).</param>
/// <param name="MachineOpened">Messages with at least one likely machine open.</param>
/// <param name="AnyOpened">Messages opened by the recipient or a machine.</param>
/// <param name="Clicked">Messages with at least one click of the recipient.</param>
/// <param name="MachineClicked">Messages with at least one likely machine click.</param>
/// <param name="AnyClicked">Messages clicked by the recipient or a machine.</param>
/// <param name="Unsubscribed">Messages the recipient unsubscribed through.</param>
/// <param name="Complained">Messages reported as spam.</param>
public sealed record MessageCounts(
    long Sent,
    long Delivered,
    long Bounced,
    long Opened,
    long MachineOpened,
    long AnyOpened,
    long Clicked,
    long MachineClicked,
    long AnyClicked,
    long Unsubscribed,
    long Complained)
{
    /// <summary>No message.</summary>
    public static readonly MessageCounts Zero = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>True when every figure is zero.</summary>
    public bool IsZero => this == Zero;

    /// <summary>The figures added.</summary>
    public static MessageCounts operator +(MessageCounts left, MessageCounts right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new(
            left.Sent + right.Sent,
            left.Delivered + right.Delivered,
            left.Bounced + right.Bounced,
            left.Opened + right.Opened,
            left.MachineOpened + right.MachineOpened,
            left.AnyOpened + right.AnyOpened,
            left.Clicked + right.Clicked,
            left.MachineClicked + right.MachineClicked,
            left.AnyClicked + right.AnyClicked,
            left.Unsubscribed + right.Unsubscribed,
            left.Complained + right.Complained);
    }

    /// <summary>The figures of <paramref name="left"/> less those of <paramref name="right"/>.</summary>
    public static MessageCounts operator -(MessageCounts left, MessageCounts right)
    {
        ArgumentNullException.ThrowIfNull(right);
        return left + new MessageCounts(
            -right.Sent,
            -right.Delivered,
            -right.Bounced,
            -right.Opened,
            -right.MachineOpened,
            -right.AnyOpened,
            -right.Clicked,
            -right.MachineClicked,
            -right.AnyClicked,
            -right.Unsubscribed,
            -right.Complained);
    }

    /// <summary>The figures added (for languages without operators).</summary>
    public static MessageCounts Add(MessageCounts left, MessageCounts right) => left + right;

    /// <summary>The figures subtracted (for languages without operators).</summary>
    public static MessageCounts Subtract(MessageCounts left, MessageCounts right) => left - right;
}

/// <summary>The counter row a sent message is counted in: the UTC day it was sent (days since 1970-01-01), its journey, template and channel.</summary>
/// <param name="Day">Days since 1970-01-01 of the send time, in UTC.</param>
/// <param name="JourneyId">The journey that sent it.</param>
/// <param name="Template">The template it was rendered from.</param>
/// <param name="Channel">The channel it went out on.</param>
public readonly record struct MessageCountKey(long Day, string JourneyId, string Template, string Channel);

/// <summary>
/// Where one outbox message stands for the counters: the key it is counted under (none before it is sent) and the
/// facts each figure counts. The counters move by the difference between a message's outcome before and after a
/// change, so a repeated open or a redelivered report, which changes no fact, moves nothing.
/// </summary>
/// <param name="Day">The day it is counted in (see <see cref="MessageCountKey.Day"/>); null until it is sent.</param>
/// <param name="JourneyId">Its journey.</param>
/// <param name="Template">Its template.</param>
/// <param name="Channel">Its channel.</param>
/// <param name="Status">Its status (<see cref="MessageStatus"/>).</param>
/// <param name="Opened">The recipient opened it.</param>
/// <param name="MachineOpened">A machine opened it.</param>
/// <param name="Clicked">The recipient clicked it.</param>
/// <param name="MachineClicked">A machine clicked it.</param>
/// <param name="Unsubscribed">The recipient unsubscribed through it.</param>
/// <param name="Complained">It was reported as spam.</param>
public sealed record MessageCountState(
    long? Day,
    string JourneyId,
    string Template,
    string Channel,
    string Status,
    bool Opened,
    bool MachineOpened,
    bool Clicked,
    bool MachineClicked,
    bool Unsubscribed,
    bool Complained)
{
    /// <summary>The key it is counted under; null before it is sent.</summary>
    public MessageCountKey? Key => Day is { } day ? new MessageCountKey(day, JourneyId, Template, Channel) : null;

    /// <summary>What this one message adds to its counter row (nothing before it is sent).</summary>
    public MessageCounts Counts => Day is null
        ? MessageCounts.Zero
        : new(
            1,
            Status == MessageStatus.Delivered ? 1 : 0,
            Status == MessageStatus.Bounced ? 1 : 0,
            Opened ? 1 : 0,
            MachineOpened ? 1 : 0,
            Opened || MachineOpened ? 1 : 0,
            Clicked ? 1 : 0,
            MachineClicked ? 1 : 0,
            Clicked || MachineClicked ? 1 : 0,
            Unsubscribed ? 1 : 0,
            Complained ? 1 : 0);

    /// <summary>The UTC day (days since 1970-01-01) of <paramref name="time"/>.</summary>
    public static long DayOf(DateTimeOffset time) => Math.DivRem(time.UtcTicks - DateTime.UnixEpoch.Ticks, TimeSpan.TicksPerDay) is var (day, rest) && rest < 0 ? day - 1 : day;

    /// <summary>
    /// How the counters move for a set of changes, each message's outcome before and after (null: no such row):
    /// per key, the sum of what the new outcomes add less what the old ones did, leaving out keys that do not move,
    /// in key order (so that concurrent writers lock shared counter rows in the same order).
    /// </summary>
    public static IReadOnlyList<(MessageCountKey Key, MessageCounts Delta)> Deltas(IEnumerable<(MessageCountState? Before, MessageCountState? After)> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var deltas = new Dictionary<MessageCountKey, MessageCounts>();
        foreach (var (before, after) in changes)
        {
            if (before?.Key is { } old)
            {
                deltas[old] = (deltas.TryGetValue(old, out var current) ? current : MessageCounts.Zero) - before.Counts;
            }

            if (after?.Key is { } key)
            {
                deltas[key] = (deltas.TryGetValue(key, out var current) ? current : MessageCounts.Zero) + after.Counts;
            }
        }

        return [.. deltas
            .Where(pair => !pair.Value.IsZero)
            .OrderBy(pair => pair.Key.Day)
            .ThenBy(pair => pair.Key.JourneyId, StringComparer.Ordinal)
            .ThenBy(pair => pair.Key.Template, StringComparer.Ordinal)
            .ThenBy(pair => pair.Key.Channel, StringComparer.Ordinal)
            .Select(pair => (pair.Key, pair.Value))];
    }
}
