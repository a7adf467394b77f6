using System.Collections.Immutable;
using System.Text.Json;

namespace Cairn.Core.Contacts;

/// <summary>One trait value and the event time that set it (last write by event time wins, per trait).</summary>
public sealed record TraitValue(JsonElement Value, DateTimeOffset UpdatedAt);

/// <summary>
/// The live profile of one person. Immutable; evolved only by <see cref="ContactDecider.Decide"/>.
/// </summary>
/// <param name="Id">The contact's id.</param>
/// <param name="UserId">The known user id, once identified.</param>
/// <param name="AnonymousIds">Every anonymous id seen for this person.</param>
/// <param name="Traits">Traits by name, each with the event time that set it.</param>
/// <param name="Email">The normalised email (trimmed, lower-case domain), from the <c>email</c> trait.</param>
/// <param name="Phone">The phone in E.164, from the <c>phone</c> trait, when it parses.</param>
/// <param name="TimeZone">The IANA time zone from the <c>timezone</c> trait or the context.</param>
/// <param name="Groups">Group (account) ids from group calls.</param>
/// <param name="FirstSeen">The earliest event time seen.</param>
/// <param name="LastSeen">The latest event time seen.</param>
/// <param name="EventCount">All messages recorded for this person.</param>
/// <param name="EventCounts">Messages by display name (event name, page name or type).</param>
/// <param name="MergedInto">Set when this profile was merged into another; all its inputs go there.</param>
/// <param name="CreatedAt">When Cairn created the profile.</param>
/// <param name="UpdatedAt">When Cairn last changed it.</param>
public sealed record ContactState(
    ContactId Id,
    string? UserId,
    ImmutableSortedSet<string> AnonymousIds,
    ImmutableSortedDictionary<string, TraitValue> Traits,
    string? Email,
    string? Phone,
    string? TimeZone,
    ImmutableSortedSet<string> Groups,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    long EventCount,
    ImmutableSortedDictionary<string, long> EventCounts,
    ContactId? MergedInto,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The contact's journeys: active enrollments and entry history.</summary>
    public Cairn.Core.Journeys.Engine.JourneyMemberships Journeys { get; init; } = Cairn.Core.Journeys.Engine.JourneyMemberships.Empty;

    /// <summary>The segments the contact is in, by segment id, with when and why it entered.</summary>
    public ImmutableSortedDictionary<string, Cairn.Core.Segments.SegmentMembership> Segments { get; init; } =
        ImmutableSortedDictionary.Create<string, Cairn.Core.Segments.SegmentMembership>(StringComparer.Ordinal);

    /// <summary>Consent by channel (<c>email</c>) and subscription group (<c>email:newsletter</c>).</summary>
    public ImmutableSortedDictionary<string, Cairn.Core.Consent.ConsentRecord> Consents { get; init; } = Cairn.Core.Consent.Consents.None;

    /// <summary>Hand-offs to sales waiting for their owner's acknowledgement.</summary>
    public ImmutableArray<Cairn.Core.Sales.OpenHandOff> HandOffs { get; init; } = [];

    /// <summary>The contact's standing in each scoring model, by model id.</summary>
    public ImmutableSortedDictionary<string, Cairn.Core.Scoring.ContactScore> Scores { get; init; } =
        ImmutableSortedDictionary.Create<string, Cairn.Core.Scoring.ContactScore>(StringComparer.Ordinal);

    /// <summary>A profile with nothing known yet.</summary>
    public static ContactState New(ContactId id, DateTimeOffset now) => new(
        id,
        UserId: null,
        AnonymousIds: ImmutableSortedSet.Create<string>(StringComparer.Ordinal),
        Traits: ImmutableSortedDictionary.Create<string, TraitValue>(StringComparer.Ordinal),
        Email: null,
        Phone: null,
        TimeZone: null,
        Groups: ImmutableSortedSet.Create<string>(StringComparer.Ordinal),
        FirstSeen: now,
        LastSeen: now,
        EventCount: 0,
        EventCounts: ImmutableSortedDictionary.Create<string, long>(StringComparer.Ordinal),
        MergedInto: null,
        CreatedAt: now,
        UpdatedAt: now);

    /// <summary>Every identity that resolves to this profile.</summary>
    public IEnumerable<IdentityKey> Identities
    {
        get
        {
            if (UserId is not null)
            {
                yield return IdentityKey.User(UserId);
            }

            foreach (var anonymousId in AnonymousIds)
            {
                yield return IdentityKey.Anonymous(anonymousId);
            }
        }
    }

    /// <summary>A display name from the <c>name</c> or <c>first_name</c>/<c>last_name</c> traits, when any.</summary>
    public string? DisplayName
    {
        get
        {
            if (TraitString("name") is { Length: > 0 } name)
            {
                return name;
            }

            var first = TraitString("firstName") ?? TraitString("first_name");
            var last = TraitString("lastName") ?? TraitString("last_name");
            var full = $"{first} {last}".Trim();
            return full.Length > 0 ? full : null;
        }
    }

    /// <summary>The trait's value when it is a JSON string.</summary>
    public string? TraitString(string name) =>
        Traits.TryGetValue(name, out var trait) && trait.Value.ValueKind == JsonValueKind.String ? trait.Value.GetString() : null;
}
