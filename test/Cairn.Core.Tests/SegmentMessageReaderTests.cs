using System.Text.Json;
using Cairn.Core.Messages;

namespace Cairn.Core.Tests;

public sealed class SegmentMessageReaderTests
{
    [Fact]
    public void TryRead_TrackWithSentAt_CorrectsClockSkew()
    {
        // The client's clock is 10 minutes fast: it sent the message 5 s after the event, by its own clock.
        var message = TestMessages.Read("""
            {"type":"track","userId":"u1","event":"Order Completed","messageId":"m1",
             "timestamp":"2026-11-24T12:09:55Z","sentAt":"2026-11-24T12:10:00Z","properties":{"revenue":42}}
            """);

        Assert.Equal(TestMessages.ReceivedAt.AddSeconds(-5), message.Timestamp);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 12, 9, 55, TimeSpan.Zero), message.OriginalTimestamp);
        Assert.Equal("m1", message.MessageId);
        Assert.Equal("Order Completed", message.Event);
        Assert.Equal(42, message.Properties!.Value.GetProperty("revenue").GetInt32());
    }

    [Fact]
    public void TryRead_NoSentAt_KeepsClientTimestamp()
    {
        var message = TestMessages.Read("""{"type":"page","anonymousId":"a1","name":"Pricing","timestamp":"2026-01-02T03:04:05Z"}""");

        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), message.Timestamp);
        Assert.Equal("Pricing", message.Name);
        Assert.Equal("Pricing", message.DisplayName);
    }

    [Fact]
    public void TryRead_OriginalTimestampWithoutTimestamp_IsTheClientTime()
    {
        // RudderStack's Node SDK names the client's time originalTimestamp and sends no timestamp.
        var message = TestMessages.Read("""
            {"type":"track","userId":"u1","event":"Order Completed",
             "originalTimestamp":"2026-11-24T12:09:50Z","sentAt":"2026-11-24T12:10:00Z"}
            """);

        Assert.Equal(TestMessages.ReceivedAt.AddSeconds(-10), message.Timestamp);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 12, 9, 50, TimeSpan.Zero), message.OriginalTimestamp);
    }

    [Fact]
    public void TryRead_NoTimestamp_UsesReceivedAt()
    {
        var message = TestMessages.Read("""{"type":"identify","userId":"u1"}""");

        Assert.Equal(TestMessages.ReceivedAt, message.Timestamp);
        Assert.Null(message.OriginalTimestamp);
        Assert.StartsWith("generated-", message.MessageId, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_EndpointType_OverridesMissingTypeField()
    {
        var message = TestMessages.Read("""{"userId":"u1","event":"Signed Up"}""", MessageType.Track);

        Assert.Equal(MessageType.Track, message.Type);
    }

    [Fact]
    public void TryRead_NumericUserId_IsReadAsText()
    {
        var message = TestMessages.Read("""{"type":"identify","userId":12345}""");

        Assert.Equal("12345", message.UserId);
    }

    [Theory]
    [InlineData("""{"type":"track","event":"x"}""", "either 'userId' or 'anonymousId' is required")]
    [InlineData("""{"type":"track","userId":"  ","event":"x"}""", "either 'userId' or 'anonymousId' is required")]
    [InlineData("""{"type":"launch","userId":"u"}""", "unknown type 'launch'")]
    [InlineData("""{"userId":"u"}""", "'type' is required (identify, track, page, screen, group or alias)")]
    [InlineData("""{"type":"track","userId":"u"}""", "'event' is required for track")]
    [InlineData("""{"type":"group","userId":"u"}""", "'groupId' is required for group")]
    [InlineData("""{"type":"alias","userId":"u"}""", "'previousId' and 'userId' are required for alias")]
    [InlineData("""{"type":"track","userId":"u","event":"x","timestamp":"yesterday"}""", "'timestamp' is not an ISO-8601 date")]
    [InlineData("""{"type":"track","userId":"u","event":"x","sentAt":17}""", "'sentAt' is not an ISO-8601 date")]
    [InlineData("""{"type":"track","userId":"u","event":"x","properties":[1]}""", "'properties' must be a JSON object")]
    [InlineData("""{"type":"identify","userId":{"id":1}}""", "'userId' must be a string")]
    [InlineData("""[1,2]""", "a message must be a JSON object")]
    public void TryRead_InvalidMessage_ReturnsReason(string json, string expected)
    {
        Assert.Equal(expected, TestMessages.Error(json));
    }

    [Fact]
    public void TryRead_OverlongId_IsRejected()
    {
        var json = $$"""{"type":"identify","userId":"{{new string('x', MessageLimits.MaxIdLength + 1)}}"}""";

        Assert.Equal($"'userId' is longer than {MessageLimits.MaxIdLength} characters", TestMessages.Error(json));
    }

    [Fact]
    public void TryRead_StoredJson_DropsWriteKeyAndAddsComputedFields()
    {
        var message = TestMessages.Read("""{"type":"track","userId":"u1","event":"x","writeKey":"secret","messageId":"m9","properties":{"a":1}}""");

        using var stored = JsonDocument.Parse(message.Json);
        var root = stored.RootElement;
        Assert.False(root.TryGetProperty("writeKey", out _));
        Assert.Equal("m9", root.GetProperty("messageId").GetString());
        Assert.Equal("track", root.GetProperty("type").GetString());
        Assert.Equal(1, root.GetProperty("properties").GetProperty("a").GetInt32());
        Assert.Equal(TestMessages.ReceivedAt, root.GetProperty("receivedAt").GetDateTimeOffset());
        Assert.Equal(TestMessages.ReceivedAt, root.GetProperty("timestamp").GetDateTimeOffset());
    }

    [Fact]
    public void TryReadDate_BatchSentAt_AppliesToMessagesWithoutTheirOwn()
    {
        using var batch = JsonDocument.Parse("""{"sentAt":"2026-11-24T12:00:30Z"}""");
        Assert.True(SegmentMessageReader.TryReadDate(batch.RootElement, "sentAt", out var sentAt, out _));
        using var item = JsonDocument.Parse("""{"type":"track","userId":"u","event":"x","timestamp":"2026-11-24T12:00:20Z"}""");

        Assert.True(SegmentMessageReader.TryRead(item.RootElement, null, TestMessages.ReceivedAt, sentAt, () => "id", out var message, out _));

        Assert.Equal(TestMessages.ReceivedAt.AddSeconds(-10), message.Timestamp);
    }
}
