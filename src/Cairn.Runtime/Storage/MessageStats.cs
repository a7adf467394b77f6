namespace Cairn.Runtime.Storage;

/// <summary>An outbox message's machine engagement, kept apart from the recipient's (message performance).</summary>
public sealed partial record OutboxMessage
{
    /// <summary>The first likely machine open (Apple Mail Privacy Protection, a scanner, one within seconds of sending).</summary>
    public DateTimeOffset? MachineOpenedAt { get; init; }

    /// <summary>The first likely machine click (a link scanner, a HEAD request, a burst of links within seconds).</summary>
    public DateTimeOffset? MachineClickedAt { get; init; }

    /// <summary>The last click, of the recipient or a machine (a burst of distinct links within seconds is a scanner's).</summary>
    public DateTimeOffset? LastClickAt { get; init; }

    /// <summary>A hash of the link the last click followed (not the address: only whether the next click is on another link).</summary>
    public string? LastClickLink { get; init; }
}

/// <summary>How <see cref="IOutbox.GetMessageStatsAsync"/> groups the message performance counters.</summary>
public enum MessageStatsGrouping
{
    /// <summary>Per template.</summary>
    Template,

    /// <summary>Per journey.</summary>
    Journey,

    /// <summary>Per channel.</summary>
    Channel,

    /// <summary>Per UTC day the messages were sent.</summary>
    Day,
}

/// <summary>Which message performance counters to add up (<see cref="IOutbox.GetMessageStatsAsync"/>); a filter left null matches every row.</summary>
/// <param name="FromDay">The first UTC day (days since 1970-01-01) the messages were sent, inclusive.</param>
/// <param name="ToDay">The day after the last, exclusive.</param>
/// <param name="By">How the rows are grouped.</param>
/// <param name="JourneyId">Only this journey's messages.</param>
/// <param name="Template">Only this template's.</param>
/// <param name="Channel">Only this channel's.</param>
public sealed record MessageStatsQuery(long FromDay, long ToDay, MessageStatsGrouping By, string? JourneyId = null, string? Template = null, string? Channel = null);

/// <summary>One group of the message performance counters: its value (a template, journey or channel id, or a day <c>yyyy-MM-dd</c>) and its figures.</summary>
public sealed record MessageStatsRow(string Group, Core.Messages.MessageCounts Counts);
