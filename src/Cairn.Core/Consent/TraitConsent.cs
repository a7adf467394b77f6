using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Messages;

namespace Cairn.Core.Consent;

/// <summary>One consent answer a message carried.</summary>
/// <param name="Channel">The channel (<c>email</c>, <c>sms</c>, <c>push</c> …).</param>
/// <param name="Group">The subscription group on it, or null for the whole channel.</param>
/// <param name="Record">The answer, its source, time and proof.</param>
/// <param name="Confirmed">True when the sender says the opt-in was already confirmed (double opt-in done elsewhere).</param>
public sealed record ConsentAnswer(string Channel, string? Group, ConsentRecord Record, bool Confirmed);

/// <summary>
/// Consent carried by identify traits (or <c>context.traits</c>), the way apps already send it: a reserved <c>consent</c>
/// trait whose keys are a channel or <c>channel:group</c> and whose values are <c>"opted_in"</c> / <c>"opted_out"</c>,
/// a boolean, or <c>{"state", "source", "proof", "confirmed"}</c>; and Customer.io's <c>unsubscribed</c> boolean for
/// email. The source defaults to <c>identify</c>; the proof to the message id with the IP and user agent of its context.
/// </summary>
public static class TraitConsent
{
    /// <summary>The reserved trait (it is consent, not a trait of the profile).</summary>
    public const string Trait = "consent";

    /// <summary>Customer.io's email unsubscribe attribute (kept as a trait too).</summary>
    public const string Unsubscribed = "unsubscribed";

    /// <summary>
    /// The answers <paramref name="message"/> carries; <paramref name="error"/> names the first malformed one (the
    /// message is then rejected, like any malformed message).
    /// </summary>
    public static IReadOnlyList<ConsentAnswer> Read(SegmentMessage message, out string? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        error = null;
        var answers = new List<ConsentAnswer>();
        foreach (var (where, traits) in Sources(message))
        {
            if (traits.TryGetProperty(Unsubscribed, out var unsubscribed) && unsubscribed.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                answers.Add(new ConsentAnswer("email", null, Record(message, unsubscribed.ValueKind == JsonValueKind.True ? ConsentState.OptedOut : ConsentState.OptedIn, null, null), false));
            }

            if (!traits.TryGetProperty(Trait, out var consent))
            {
                continue;
            }

            if (consent.ValueKind != JsonValueKind.Object)
            {
                error = $"'{where}.consent' must be an object of channel (or channel:group) to opted_in / opted_out";
                return [];
            }

            foreach (var entry in consent.EnumerateObject())
            {
                if (Answer(message, entry, out var problem) is { } answer)
                {
                    answers.Add(answer);
                }
                else
                {
                    error = $"'{where}.consent.{entry.Name}': {problem}";
                    return [];
                }
            }
        }

        return answers;
    }

    /// <summary>
    /// The answers that change something: under double opt-in (<paramref name="doubleOptIn"/> channels) an unconfirmed
    /// opt-in is pending; an answer equal to the one recorded (apps send the same traits on every identify), an older
    /// one, or an unconfirmed opt-in where a confirmed one is recorded changes nothing.
    /// </summary>
    public static IEnumerable<ConsentAnswer> Changes(IEnumerable<ConsentAnswer> answers, IReadOnlyDictionary<string, ConsentRecord> current, IReadOnlyCollection<string> doubleOptIn)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(doubleOptIn);
        foreach (var answer in answers)
        {
            var state = answer.Record.State == ConsentState.OptedIn && !answer.Confirmed && doubleOptIn.Contains(answer.Channel)
                ? ConsentState.Pending
                : answer.Record.State;
            if (current.TryGetValue(Consents.Key(answer.Channel, answer.Group), out var recorded)
                && (recorded.State == state || recorded.At > answer.Record.At || (state == ConsentState.Pending && recorded.State == ConsentState.OptedIn)))
            {
                continue;
            }

            yield return answer with { Record = answer.Record with { State = state } };
        }
    }

    /// <summary>
    /// Records on <paramref name="contact"/> the answers <paramref name="message"/> carries that change something
    /// (see <see cref="Changes"/>); returns the profile and the answers recorded, for the timeline.
    /// </summary>
    public static (Contacts.ContactState Contact, IReadOnlyList<ConsentAnswer> Recorded) Apply(Contacts.ContactState contact, SegmentMessage message, IReadOnlyCollection<string> doubleOptIn, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var recorded = Changes(Read(message, out _), contact.Consents, doubleOptIn).ToList();
        foreach (var answer in recorded)
        {
            contact = Contacts.ContactDecider.Decide(contact, new Contacts.ConsentChanged(contact.Id, answer.Channel, answer.Group, answer.Record), now).State;
        }

        return (contact, recorded);
    }

    private static IEnumerable<(string Where, JsonElement Traits)> Sources(SegmentMessage message)
    {
        if (message.Type == MessageType.Identify && message.Traits is { ValueKind: JsonValueKind.Object } traits)
        {
            yield return ("traits", traits);
        }

        if (message.Context is { ValueKind: JsonValueKind.Object } context && context.TryGetProperty("traits", out var contextTraits) && contextTraits.ValueKind == JsonValueKind.Object)
        {
            yield return ("context.traits", contextTraits);
        }
    }

    private static ConsentAnswer? Answer(SegmentMessage message, JsonProperty entry, out string? problem)
    {
        problem = null;
        var parts = entry.Name.Split(':', 2);
        if (!Consents.IsChannel(parts[0]) || (parts.Length == 2 && parts[1].Trim().Length == 0))
        {
            problem = $"the key is a channel ({string.Join(", ", Consents.ChannelNames)}) or channel:group";
            return null;
        }

        var group = parts.Length == 2 ? parts[1].Trim() : null;
        var value = entry.Value;
        var (stateValue, source, proof, confirmed) = value.ValueKind == JsonValueKind.Object
            ? (value.TryGetProperty("state", out var s) ? s : default, Text(value, "source"), Text(value, "proof"), value.TryGetProperty("confirmed", out var c) && c.ValueKind == JsonValueKind.True)
            : (value, null, null, false);
        ConsentState? state = stateValue.ValueKind switch
        {
            JsonValueKind.True => ConsentState.OptedIn,
            JsonValueKind.False => ConsentState.OptedOut,
            JsonValueKind.String => stateValue.GetString() switch { "opted_in" => ConsentState.OptedIn, "opted_out" => ConsentState.OptedOut, _ => null },
            _ => null,
        };
        if (state is not { } known)
        {
            problem = "the state is \"opted_in\", \"opted_out\", true or false";
            return null;
        }

        return new ConsentAnswer(parts[0], group, Record(message, known, source, proof), confirmed);
    }

    private static ConsentRecord Record(SegmentMessage message, ConsentState state, string? source, string? proof) =>
        new(state, source ?? message.Type.ToWireName(), message.Timestamp, proof ?? ProofOf(message));

    /// <summary>The message id, with the IP and user agent its context reports (what the person's device sent).</summary>
    private static string ProofOf(SegmentMessage message)
    {
        var parts = ImmutableArray.CreateBuilder<string>();
        parts.Add($"{message.Type.ToWireName()} {message.MessageId}");
        if (message.Context is { ValueKind: JsonValueKind.Object } context)
        {
            if (Text(context, "ip") is { } ip)
            {
                parts.Add($"ip {ip}");
            }

            if (Text(context, "userAgent") is { } agent)
            {
                parts.Add($"user agent {agent}");
            }
        }

        return string.Join("; ", parts);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
