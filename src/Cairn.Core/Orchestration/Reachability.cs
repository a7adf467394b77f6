using Cairn.Core.Contacts;

namespace Cairn.Core.Orchestration;

/// <summary>Whether a message can reach the contact on its channel.</summary>
public enum ReachKind
{
    /// <summary>It can: the contact has an address there, and the address is not suppressed.</summary>
    Reachable,

    /// <summary>It cannot: no address of the channel's kind (no email address, no phone number, no device).</summary>
    Undeliverable,

    /// <summary>It must not: the address is on the suppression list (a hard bounce, a complaint, an erasure).</summary>
    Suppressed,

    /// <summary>Not known from what the caller has (a simulation does not know which devices are registered).</summary>
    Unknown,
}

/// <summary>The verdict of <see cref="Reachability.Check"/>: the kind, the address when there is one, and why not.</summary>
/// <param name="Kind">Reachable, undeliverable, suppressed or unknown.</param>
/// <param name="Address">The email address, phone number or contact id it goes to; null for push and webhooks.</param>
/// <param name="Reason">Why it is not reachable (or not known), in words; null when it is.</param>
public sealed record Reach(ReachKind Kind, string? Address, string? Reason);

/// <summary>
/// What the caller knows about the contact beyond the profile: the suppression list's reason for the contact's address
/// on the channel (null: not on it), and how many push devices the contact has registered (null: not known).
/// </summary>
public sealed record AddressFacts(string? SuppressedBecause, int? Devices)
{
    /// <summary>The profile alone: no suppression known, devices not known.</summary>
    public static AddressFacts ProfileOnly { get; } = new(null, null);
}

/// <summary>
/// The one rule for whether a message can reach a contact on a channel, after the orchestrator's decision (consent,
/// suppression rules, quiet hours, caps: <see cref="Orchestrator.Decide"/>) and before it is rendered: no address of
/// the channel's kind (email address, E.164 phone number, a registered device) makes it undeliverable; an address on
/// the suppression list makes it suppressed. The messaging channels and the simulator both judge by it, so a
/// simulation counts what a real run delivers. Pure: the host looks the address up (<see cref="AddressOf"/>) and says
/// what it found in <see cref="AddressFacts"/>.
/// </summary>
public static class Reachability
{
    /// <summary>
    /// Where a channel delivers to the contact, from the profile alone: the email address, the phone number, the
    /// contact id for the in-app inbox; null when the profile has none, or when the channel does not address the
    /// contact through a profile field (push goes to registered devices, webhooks to their URL).
    /// </summary>
    public static string? AddressOf(string channel, ContactState contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return channel switch
        {
            "email" => contact.Email,
            "sms" => contact.Phone,
            "in_app" => contact.Id.ToString(),
            _ => null,
        };
    }

    /// <summary>Whether a message on <paramref name="channel"/> can reach <paramref name="contact"/>, given <paramref name="facts"/>.</summary>
    public static Reach Check(string channel, ContactState contact, AddressFacts facts)
    {
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(facts);
        var address = AddressOf(channel, contact);
        switch (channel)
        {
            case "email" or "sms" when address is null:
                return new(ReachKind.Undeliverable, null, channel == "email" ? "the contact has no email address" : "the contact has no phone number in E.164 form");
            case "email" or "sms" when facts.SuppressedBecause is { } reason:
                return new(ReachKind.Suppressed, address, $"the {(channel == "email" ? "address" : "number")} is on the suppression list ({reason})");
            case "push" when facts.Devices is null:
                return new(ReachKind.Unknown, null, "push devices are registered through the API, not with events: whether the contact has one is not known");
            case "push" when facts.Devices == 0:
                return new(ReachKind.Undeliverable, null, "the contact has no registered device");
            default:
                return new(ReachKind.Reachable, address, null);
        }
    }
}
