using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;

namespace Cairn.Core.Journeys.Engine;

/// <summary>
/// A stored contact's profile as it stood at an earlier instant, given as the messages a simulation sets profiles up
/// with (<see cref="JourneySimulator.Run"/>'s profiles), so that the very fold the engine runs (<see cref="ContactDecider"/>
/// in the contact's turn: traits last-writer-wins by time, consent traits, then segments and scores) rebuilds it.
/// <para>
/// What is exact: a trait whose stored value was last set before the instant (each stored trait keeps when it was
/// set, whatever set it: an event, an import, an edit) had that value then; a trait set since had the value of the
/// latest identify (or <c>context.traits</c>) recorded before the instant that set it. What cannot be rebuilt: a value
/// that was set before the instant without an event (an edit in the console or <c>PATCH /api/contacts/{id}/traits</c>)
/// and overwritten since is gone — the trait is then missing as of the instant; consent given through the API or the
/// preference centre (not as an identify's <c>consent</c> trait) is not replayed.
/// </para>
/// </summary>
public static class ProfileAsOf
{
    /// <summary>
    /// The messages that rebuild <paramref name="current"/> as of <paramref name="at"/>: one identify per instant at which
    /// its still-current traits were set before <paramref name="at"/>, and the recorded messages before
    /// <paramref name="at"/> that set a trait later ones do not set again (or carry consent), in time order — recorded
    /// messages first at the same instant, as the fold keeps the later of two writes of one time.
    /// </summary>
    /// <param name="current">The contact's stored profile.</param>
    /// <param name="recorded">Its recorded messages that carry traits (identifies), in the order they were recorded; those at or after <paramref name="at"/> are left out.</param>
    /// <param name="at">The instant.</param>
    public static List<SegmentMessage> Messages(ContactState current, IEnumerable<SegmentMessage> recorded, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(recorded);

        // Newest first, each kept only while it still sets something no later message sets again: the fold's result is
        // the same, and a contact identified on every page view keeps a few messages, not its whole history.
        var before = recorded.Select((message, order) => (message, order)).Where(item => item.message.Timestamp < at)
            .OrderByDescending(item => item.message.Timestamp).ThenByDescending(item => item.order).Select(item => item.message);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<SegmentMessage>();
        foreach (var message in before)
        {
            var names = ContactDecider.TraitsOf(message).Select(pair => pair.Key).ToList();
            if (names.Any(name => !seen.Contains(name)) || CarriesConsent(message))
            {
                kept.Add(message);
            }

            seen.UnionWith(names);
        }

        kept.Reverse();
        var setAt = current.Traits.Where(pair => pair.Value.UpdatedAt < at).GroupBy(pair => pair.Value.UpdatedAt).OrderBy(group => group.Key).ToList();
        var stored = new List<SegmentMessage>(setAt.Count);
        for (var index = 0; index < setAt.Count; index++)
        {
            if (Identify(current, $"profile:{current.Id}:{index}", setAt[index].Key, setAt[index].ToDictionary(pair => pair.Key, pair => pair.Value.Value, StringComparer.Ordinal)) is { } identify)
            {
                stored.Add(identify);
            }
        }

        return [.. kept.Select(message => (message, first: 0)).Concat(stored.Select(message => (message, first: 1)))
            .OrderBy(item => item.message.Timestamp).ThenBy(item => item.first).Select(item => item.message)];
    }

    private static bool CarriesConsent(SegmentMessage message) =>
        message.Type == MessageType.Identify && message.Traits is { ValueKind: JsonValueKind.Object } traits && traits.TryGetProperty(Consent.TraitConsent.Trait, out _);

    /// <summary>An identify of the contact setting <paramref name="traits"/> at <paramref name="at"/>.</summary>
    private static SegmentMessage? Identify(ContactState contact, string messageId, DateTimeOffset at, Dictionary<string, JsonElement> traits)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["type"] = "identify",
            ["messageId"] = messageId,
            ["userId"] = contact.UserId,
            ["anonymousId"] = contact.UserId is null ? contact.AnonymousIds.FirstOrDefault() ?? contact.Id.ToString() : null,
            ["traits"] = traits,
            ["timestamp"] = at,
        });
        using var document = JsonDocument.Parse(json);
        return SegmentMessageReader.TryRead(document.RootElement, null, at, null, () => messageId, out var message, out _) ? message : null;
    }
}
