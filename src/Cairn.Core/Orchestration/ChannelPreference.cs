using Cairn.Core.Contacts;
using Cairn.Core.Journeys;

namespace Cairn.Core.Orchestration;

/// <summary>How a contact engages on one channel: messages received, messages engaged with, and the smoothed rate.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Received">Messages sent or delivered to the contact on it.</param>
/// <param name="Engaged">Opens or clicks (whichever is more; a click usually follows an open).</param>
/// <param name="Rate">The engagement rate, smoothed toward <see cref="ChannelPreference.PriorRate"/> while evidence is thin.</param>
public sealed record ChannelEngagement(string Channel, long Received, long Engaged, double Rate);

/// <summary>
/// The channel a contact prefers: declared (the <c>preferred_channel</c> trait) or learned from engagement — the
/// channel whose messages the contact opens or clicks at the highest rate, once it has received at least
/// <see cref="MinimumReceived"/> on it. Counted from the profile's event counters (<c>{channel}_sent</c>,
/// <c>{channel}_delivered</c>, <c>{channel}_opened</c>, <c>{channel}_clicked</c>), so it costs no history read.
/// </summary>
public static class ChannelPreference
{
    /// <summary>The trait a contact's declared preference is in.</summary>
    public const string Trait = "preferred_channel";

    /// <summary>Messages a channel must have delivered to the contact before its rate counts.</summary>
    public const int MinimumReceived = 3;

    /// <summary>The rate assumed before any evidence (an average marketing engagement rate).</summary>
    public const double PriorRate = 0.1;

    /// <summary>How many messages' worth of weight the prior has.</summary>
    public const double PriorWeight = 2;

    private static readonly string[] Measured = [.. new[] { Channel.Email, Channel.Sms, Channel.Push, Channel.InApp }.Select(channel => channel.DocumentName())];

    /// <summary>The contact's engagement per channel it has received messages on, highest rate first.</summary>
    public static IReadOnlyList<ChannelEngagement> Engagement(ContactState contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        long Count(string name) => contact.EventCounts.GetValueOrDefault(name);
        return [.. Measured
            .Select(channel => (Channel: channel, Received: Math.Max(Count($"{channel}_sent"), Count($"{channel}_delivered")), Engaged: Math.Max(Count($"{channel}_opened"), Count($"{channel}_clicked"))))
            .Where(channel => channel.Received > 0)
            .Select(channel => new ChannelEngagement(channel.Channel, channel.Received, Math.Min(channel.Engaged, channel.Received), (Math.Min(channel.Engaged, channel.Received) + (PriorWeight * PriorRate)) / (channel.Received + PriorWeight)))
            .OrderByDescending(channel => channel.Rate)
            .ThenBy(channel => channel.Channel, StringComparer.Ordinal)];
    }

    /// <summary>The learned preference: the best-engaged channel with enough evidence, when one stands out.</summary>
    public static string? Learned(ContactState contact)
    {
        var measured = Engagement(contact).Where(channel => channel.Received >= MinimumReceived).ToList();
        return measured switch
        {
            [] => null,
            [var only] => only.Engaged > 0 ? only.Channel : null,
            [var best, var second, ..] => best.Rate > second.Rate ? best.Channel : null,
        };
    }

    /// <summary>The contact's preference and where it comes from (<c>declared</c> or <c>learned</c>), or null.</summary>
    public static (string Channel, string Source)? Of(ContactState contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        if (contact.TraitString(Trait) is { Length: > 0 } declared)
        {
            return (declared, "declared");
        }

        return Learned(contact) is { } learned ? (learned, "learned") : null;
    }
}
