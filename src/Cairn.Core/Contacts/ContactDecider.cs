using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Messages;

namespace Cairn.Core.Contacts;

/// <summary>The result of one decision: the contact's new state and the effects to carry out.</summary>
/// <param name="State">The new state (the same instance when nothing changed).</param>
/// <param name="Effects">What the host must do, in order.</param>
public sealed record Decision(ContactState State, ImmutableArray<Effect> Effects)
{
    /// <summary>True when <see cref="State"/> differs from the state the decision started from.</summary>
    public bool Changed { get; init; }
}

/// <summary>
/// <c>decide(state, input, now) -> (state, effects)</c> for contact profiles. Pure: no clock, no I/O.
/// </summary>
public static class ContactDecider
{
    /// <summary>Applies one input to a contact.</summary>
    /// <param name="state">The contact's state, or null when the contact does not exist yet.</param>
    /// <param name="input">The input; its <see cref="ContactInput.ContactId"/> is the contact's.</param>
    /// <param name="now">The host's clock, used for bookkeeping times only.</param>
    public static Decision Decide(ContactState? state, ContactInput input, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(input);
        var current = state ?? ContactState.New(input.ContactId, now);

        if (current.MergedInto is { } survivor)
        {
            // A merged profile is terminal: whatever still reaches it belongs to the survivor.
            return input switch
            {
                MergeRequested or ContactAbsorbed => Unchanged(current),
                _ => new Decision(current, [new ForwardInput(input with { ContactId = survivor })]),
            };
        }

        return input switch
        {
            MessageReceived received => OnMessage(current, received, now),
            TraitsPatched patched => Changed(
                ApplyTraits(current, patched.Traits.Select(pair => KeyValuePair.Create(pair.Key, pair.Value)), now, contextTimeZone: null) with { UpdatedAt = now },
                []),
            MergeRequested request when request.Into == current.Id => Unchanged(current),
            MergeRequested request => Changed(
                current with { MergedInto = request.Into, UpdatedAt = now },
                [new HandOver(current.Id, request.Into, current)]),
            ContactAbsorbed absorbed => Changed(
                Absorb(current, absorbed.Absorbed) with { UpdatedAt = now },
                [new CompleteMerge(absorbed.Absorbed.Id, current.Id)]),

            // A later answer replaces an earlier one; one that is older than what is recorded changes nothing.
            ConsentChanged consent => Consent.Consents.Key(consent.Channel, consent.Group) is var key
                && (!current.Consents.TryGetValue(key, out var recorded) || consent.Record.At >= recorded.At)
                    ? Changed(current with { Consents = current.Consents.SetItem(key, consent.Record), UpdatedAt = now }, [])
                    : Unchanged(current),

            // The rest concern journeys, scores, segments and hand-offs, which are decided after the profile.
            TimerDue or EnrollmentRequested or RolloutReached or SegmentsChanged or ScoresChanged or HandOffAcknowledged or ListMembershipChanged => Unchanged(current),
            _ => throw new ArgumentOutOfRangeException(nameof(input), input.GetType().Name, "Unknown contact input."),
        };
    }

    /// <summary>
    /// Merges <paramref name="other"/> into <paramref name="survivor"/>: traits by event time, identities and
    /// groups united, counters added, first/last seen widened. The survivor keeps its id and user id.
    /// </summary>
    public static ContactState Absorb(ContactState survivor, ContactState other)
    {
        ArgumentNullException.ThrowIfNull(survivor);
        ArgumentNullException.ThrowIfNull(other);
        var merged = survivor with
        {
            UserId = survivor.UserId ?? other.UserId,
            AnonymousIds = survivor.AnonymousIds.Union(other.AnonymousIds),
            Groups = survivor.Groups.Union(other.Groups),
            FirstSeen = Min(survivor.FirstSeen, other.FirstSeen),
            LastSeen = Max(survivor.LastSeen, other.LastSeen),
            EventCount = survivor.EventCount + other.EventCount,
            EventCounts = AddCounts(survivor.EventCounts, other.EventCounts),
            TimeZone = survivor.TimeZone ?? other.TimeZone,
            CreatedAt = Min(survivor.CreatedAt, other.CreatedAt),
            HandOffs = survivor.HandOffs.AddRange(other.HandOffs),
            Consents = other.Consents.Aggregate(survivor.Consents, (consents, pair) =>
                consents.TryGetValue(pair.Key, out var kept) && kept.At >= pair.Value.At ? consents : consents.SetItem(pair.Key, pair.Value)),
        };

        var traits = merged.Traits.ToBuilder();
        foreach (var (name, value) in other.Traits)
        {
            if (!traits.TryGetValue(name, out var existing) || value.UpdatedAt > existing.UpdatedAt)
            {
                traits[name] = value;
            }
        }

        return Derive(merged with { Traits = traits.ToImmutable() }, contextTimeZone: null);
    }

    private static Decision OnMessage(ContactState state, MessageReceived received, DateTimeOffset now)
    {
        var message = received.Message;
        var next = state with
        {
            UserId = state.UserId ?? message.UserId,
            AnonymousIds = message.AnonymousId is { } anonymousId ? state.AnonymousIds.Add(anonymousId) : state.AnonymousIds,
            Groups = message.Type == MessageType.Group && message.GroupId is { } groupId ? state.Groups.Add(groupId) : state.Groups,
            FirstSeen = state.EventCount == 0 ? message.Timestamp : Min(state.FirstSeen, message.Timestamp),
            LastSeen = state.EventCount == 0 ? message.Timestamp : Max(state.LastSeen, message.Timestamp),
            EventCount = state.EventCount + 1,
            EventCounts = Increment(state.EventCounts, CounterName(message)),
            UpdatedAt = now,
        };

        var contextTimeZone = ReadString(message.Context, "timezone");
        next = ApplyTraits(next, UserTraits(message), message.Timestamp, contextTimeZone);

        Effect append = new AppendEvent(state.Id, message);
        var effects = received.Absorb is { } absorb && absorb != state.Id
            ? ImmutableArray.Create(append, new RequestMerge(absorb, state.Id))
            : [append];
        return Changed(next, effects);
    }

    /// <summary>The counter a message adds to: a track's event name, or <c>$</c> and the type for the others.</summary>
    public static string CounterName(SegmentMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Type == MessageType.Track ? message.Event! : "$" + message.Type.ToWireName();
    }

    /// <summary>
    /// The traits a message sets on the person's profile, as the profile fold reads them: an identify's traits and any
    /// call's <c>context.traits</c> (not the consent trait, which the consent fold reads; not a group's traits).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, JsonElement>> TraitsOf(SegmentMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return UserTraits(message);
    }

    private static IEnumerable<KeyValuePair<string, JsonElement>> UserTraits(SegmentMessage message)
    {
        // Identify carries traits; other calls may carry the user's traits in context.traits (analytics.js does).
        // Group traits describe the account, not the person.
        if (message.Type == MessageType.Identify && message.Traits is { } traits)
        {
            foreach (var property in traits.EnumerateObject().Where(property => property.Name != Consent.TraitConsent.Trait))
            {
                yield return KeyValuePair.Create(property.Name, property.Value);
            }
        }

        if (message.Context is { } context
            && context.TryGetProperty("traits", out var contextTraits)
            && contextTraits.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in contextTraits.EnumerateObject().Where(property => property.Name != Consent.TraitConsent.Trait))
            {
                yield return KeyValuePair.Create(property.Name, property.Value);
            }
        }
    }

    private static ContactState ApplyTraits(
        ContactState state,
        IEnumerable<KeyValuePair<string, JsonElement>> traits,
        DateTimeOffset at,
        string? contextTimeZone)
    {
        var builder = state.Traits.ToBuilder();
        foreach (var (name, value) in traits)
        {
            if (!builder.TryGetValue(name, out var existing) || at >= existing.UpdatedAt)
            {
                builder[name] = new TraitValue(value.Clone(), at);
            }
        }

        return Derive(state with { Traits = builder.ToImmutable() }, contextTimeZone);
    }

    private static ContactState Derive(ContactState state, string? contextTimeZone)
    {
        var region = state.TraitString("country") is { Length: 2 } country ? country : null;
        return state with
        {
            Email = ContactNormalizer.NormalizeEmail(state.TraitString("email")),
            Phone = ContactNormalizer.NormalizePhone(state.TraitString("phone"), region),
            TimeZone = ContactNormalizer.NormalizeTimeZone(state.TraitString("timezone"))
                ?? ContactNormalizer.NormalizeTimeZone(contextTimeZone)
                ?? state.TimeZone,
        };
    }

    private static string? ReadString(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } value
        && value.TryGetProperty(name, out var property)
        && property.ValueKind == JsonValueKind.String
            ? property.GetString()
            : null;

    private static ImmutableSortedDictionary<string, long> Increment(ImmutableSortedDictionary<string, long> counts, string name) =>
        counts.SetItem(name, counts.GetValueOrDefault(name) + 1);

    private static ImmutableSortedDictionary<string, long> AddCounts(
        ImmutableSortedDictionary<string, long> left,
        ImmutableSortedDictionary<string, long> right)
    {
        var builder = left.ToBuilder();
        foreach (var (name, count) in right)
        {
            builder[name] = builder.GetValueOrDefault(name) + count;
        }

        return builder.ToImmutable();
    }

    private static Decision Changed(ContactState state, ImmutableArray<Effect> effects) => new(state, effects) { Changed = true };

    private static Decision Unchanged(ContactState state) => new(state, []);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;
}
