namespace Cairn.Core.Messages;

/// <summary>The Segment Spec message types.</summary>
public enum MessageType
{
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}

/// <summary>Stable names of <see cref="MessageType"/>, as they appear on the wire and in storage.</summary>
public static class MessageTypes
{
    /// <summary>The lower-case wire name (<c>identify</c>, <c>track</c> …).</summary>
    public static string ToWireName(this MessageType type) => type switch
    {
        MessageType.Identify => "identify",
        MessageType.Track => "track",
        MessageType.Page => "page",
        MessageType.Screen => "screen",
        MessageType.Group => "group",
        MessageType.Alias => "alias",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Parses a wire name, case-insensitively.</summary>
    public static bool TryParse(string? name, out MessageType type)
    {
        switch (name?.ToLowerInvariant())
        {
            case "identify": type = MessageType.Identify; return true;
            case "track": type = MessageType.Track; return true;
            case "page": type = MessageType.Page; return true;
            case "screen": type = MessageType.Screen; return true;
            case "group": type = MessageType.Group; return true;
            case "alias": type = MessageType.Alias; return true;
            default: type = default; return false;
        }
    }
}
