using System.Text.Json;
using Cairn.Core.Messages;

namespace Cairn.Core.Tests;

/// <summary>Builds messages through the real reader, as ingestion does.</summary>
internal static class TestMessages
{
    public static readonly DateTimeOffset ReceivedAt = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static int _next;

    public static SegmentMessage Read(string json, MessageType? endpointType = null, DateTimeOffset? receivedAt = null)
    {
        using var document = JsonDocument.Parse(json);
        if (!SegmentMessageReader.TryRead(document.RootElement, endpointType, receivedAt ?? ReceivedAt, null, NewId, out var message, out var error))
        {
            throw new InvalidOperationException(error);
        }

        return message;
    }

    public static string? Error(string json, MessageType? endpointType = null)
    {
        using var document = JsonDocument.Parse(json);
        return SegmentMessageReader.TryRead(document.RootElement, endpointType, ReceivedAt, null, NewId, out _, out var error) ? null : error;
    }

    public static SegmentMessage Identify(string? userId, string? anonymousId, string traitsJson, DateTimeOffset timestamp) =>
        Read($$"""{"type":"identify","userId":{{Quote(userId)}},"anonymousId":{{Quote(anonymousId)}},"traits":{{traitsJson}},"timestamp":"{{timestamp:O}}"}""");

    public static SegmentMessage Track(string? userId, string? anonymousId, string eventName, DateTimeOffset timestamp) =>
        Read($$"""{"type":"track","userId":{{Quote(userId)}},"anonymousId":{{Quote(anonymousId)}},"event":"{{eventName}}","timestamp":"{{timestamp:O}}"}""");

    private static string NewId() => "generated-" + Interlocked.Increment(ref _next);

    private static string Quote(string? value) => value is null ? "null" : JsonSerializer.Serialize(value);
}
