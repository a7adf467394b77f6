using System.Text.Json;

namespace Cairn.Core.Messages;

/// <summary>
/// One validated Segment Spec message (identify, track, page, screen, group, alias) as Cairn stores it.
/// </summary>
/// <param name="Type">The message type.</param>
/// <param name="MessageId">The client's idempotency key; generated when the client sent none.</param>
/// <param name="UserId">The known user id, when any.</param>
/// <param name="AnonymousId">The device/browser id, when any.</param>
/// <param name="Event">The event name of a track call.</param>
/// <param name="Name">The page or screen name.</param>
/// <param name="GroupId">The group (account) id of a group call.</param>
/// <param name="PreviousId">The previous id of an alias call.</param>
/// <param name="Properties">Track, page and screen properties (a JSON object), when present.</param>
/// <param name="Traits">Identify and group traits (a JSON object), when present.</param>
/// <param name="Context">The Segment context object, when present.</param>
/// <param name="Timestamp">When it happened, corrected for the client's clock skew.</param>
/// <param name="OriginalTimestamp">The timestamp the client sent, uncorrected.</param>
/// <param name="SentAt">When the client sent it, by the client's clock.</param>
/// <param name="ReceivedAt">When Cairn received it, by Cairn's clock.</param>
/// <param name="Json">The message as stored: the client's fields plus the computed ones, compact JSON.</param>
public sealed record SegmentMessage(
    MessageType Type,
    string MessageId,
    string? UserId,
    string? AnonymousId,
    string? Event,
    string? Name,
    string? GroupId,
    string? PreviousId,
    JsonElement? Properties,
    JsonElement? Traits,
    JsonElement? Context,
    DateTimeOffset Timestamp,
    DateTimeOffset? OriginalTimestamp,
    DateTimeOffset? SentAt,
    DateTimeOffset ReceivedAt,
    string Json)
{
    /// <summary>
    /// The name a timeline shows and counters use: the event name of a track, the page or screen name, or the type.
    /// </summary>
    public string DisplayName => Type switch
    {
        MessageType.Track => Event!,
        MessageType.Page or MessageType.Screen when !string.IsNullOrEmpty(Name) => Name!,
        _ => Type.ToWireName(),
    };
}
