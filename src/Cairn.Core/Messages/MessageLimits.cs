namespace Cairn.Core.Messages;

/// <summary>Ingestion limits, the same as Segment's HTTP Tracking API.</summary>
public static class MessageLimits
{
    /// <summary>32 KB: the largest single message.</summary>
    public const int MaxMessageBytes = 32 * 1024;

    /// <summary>500 KB: the largest batch request.</summary>
    public const int MaxBatchBytes = 500 * 1024;

    /// <summary>How deep JSON may nest inside one message before it is rejected.</summary>
    public const int MaxDepth = 32;

    /// <summary>The longest id (messageId, userId, anonymousId …) accepted.</summary>
    public const int MaxIdLength = 255;
}
