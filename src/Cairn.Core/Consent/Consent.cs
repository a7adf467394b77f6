using System.Collections.Immutable;

namespace Cairn.Core.Consent;

/// <summary>A contact's answer for a channel, or for one subscription group on it.</summary>
public enum ConsentState
{
    /// <summary>Never asked (no record).</summary>
    NeverAsked,

    /// <summary>Opted in.</summary>
    OptedIn,

    /// <summary>Opted out (an unsubscribe, a STOP, a withdrawn consent).</summary>
    OptedOut,

    /// <summary>Asked to opt in, awaiting the click in the confirmation message (double opt-in): not opted in yet.</summary>
    Pending,
}

/// <summary>One consent record: the answer, where it came from, when, and the proof kept with it.</summary>
/// <param name="State">Opted in or out.</param>
/// <param name="Source">Where it came from (a form id, <c>api</c>, an import, an unsubscribe link).</param>
/// <param name="At">When it was given or withdrawn.</param>
/// <param name="Proof">What proves it (the text shown, the IP and user agent), when given.</param>
public sealed record ConsentRecord(ConsentState State, string Source, DateTimeOffset At, string? Proof);

/// <summary>Consent keys and lookups: a channel (<c>email</c>) or a subscription group on it (<c>email:newsletter</c>).</summary>
public static class Consents
{
    /// <summary>No consent recorded.</summary>
    public static ImmutableSortedDictionary<string, ConsentRecord> None { get; } = ImmutableSortedDictionary.Create<string, ConsentRecord>(StringComparer.Ordinal);

    /// <summary>The journey id of double opt-in confirmation messages (no journey: the pending consent sends them).</summary>
    public const string ConfirmationJourney = "$consent";

    /// <summary>The template confirmation messages are rendered from (the workspace provides it; <c>message.confirm_url</c> is the link).</summary>
    public const string ConfirmationTemplate = "consent-confirmation";

    /// <summary>The state's name in documents and the API: opted_in, opted_out, pending or never_asked.</summary>
    public static string NameOf(ConsentState state) => state switch
    {
        ConsentState.OptedIn => "opted_in",
        ConsentState.OptedOut => "opted_out",
        ConsentState.Pending => "pending",
        _ => "never_asked",
    };

    /// <summary>The state a name stands for, or null.</summary>
    public static ConsentState? Parse(string? name) => name switch
    {
        "opted_in" => ConsentState.OptedIn,
        "opted_out" => ConsentState.OptedOut,
        "pending" => ConsentState.Pending,
        "never_asked" => ConsentState.NeverAsked,
        _ => null,
    };

    /// <summary>
    /// The channels consent is recorded for: every channel Cairn sends on, and WhatsApp, whose consent is collected
    /// (and must be proven) before a WhatsApp channel sends.
    /// </summary>
    public static IReadOnlyList<string> ChannelNames { get; } = [.. Enum.GetValues<Journeys.Channel>().Select(channel => Journeys.Channels.DocumentName(channel)), "whatsapp"];

    /// <summary>True when consent can be recorded for <paramref name="channel"/>.</summary>
    public static bool IsChannel(string? channel) => channel is not null && ChannelNames.Contains(channel, StringComparer.Ordinal);

    /// <summary>The key of a channel's consent, or of one group on it.</summary>
    public static string Key(string channel, string? group) => group is null ? channel : $"{channel}:{group}";

    /// <summary>
    /// The contact's state for the channel (or the group on it): a group's own record, else the channel's; an opt-out
    /// of the channel covers every group on it.
    /// </summary>
    public static ConsentState StateOf(IReadOnlyDictionary<string, ConsentRecord> consents, string channel, string? group)
    {
        ArgumentNullException.ThrowIfNull(consents);
        var channelState = consents.TryGetValue(channel, out var whole) ? whole.State : ConsentState.NeverAsked;
        if (group is null || channelState == ConsentState.OptedOut)
        {
            return channelState;
        }

        return consents.TryGetValue(Key(channel, group), out var own) ? own.State : channelState;
    }
}
