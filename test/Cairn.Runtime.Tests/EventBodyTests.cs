using System.Text.Json;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime.Tests;

/// <summary>The event log keeps a message's JSON without what its columns hold, and gives back exactly what was written.</summary>
public sealed class EventBodyTests
{
    private static readonly DateTimeOffset Received = new(2026, 12, 7, 20, 38, 33, TimeSpan.Zero);

    [Fact]
    public void EveryMessageTheReaderWrites_ComesBackByteForByte_AndIsKeptShorter()
    {
        var random = new Random(2026);
        var (compacted, withoutReceivedAt) = (0, 0);
        for (var draw = 0; draw < 5_000; draw++)
        {
            var json = RandomMessage(random, draw);
            using var document = JsonDocument.Parse(json);
            Assert.True(SegmentMessageReader.TryRead(document.RootElement, null, Received.AddTicks(random.Next(0, 3) * 1_234_567), null, () => "generated-" + draw, out var message, out var error), error);

            var kept = EventBody.Compact(message.Json, message.Type, message.MessageId);
            Assert.Equal(message.Json, EventBody.Restore(kept, message.Type, message.MessageId));
            JsonDocument.Parse(kept).Dispose();
            Assert.True(kept.Length < message.Json.Length, kept);
            compacted++;
            withoutReceivedAt += kept.Contains("\"receivedAt\"", StringComparison.Ordinal) ? 0 : 1;
        }

        // Both shapes are reached: a client's time (receivedAt kept) and none (receivedAt is the timestamp, left out).
        Assert.Equal(5_000, compacted);
        Assert.InRange(withoutReceivedAt, 500, 4_500);
    }

    [Fact]
    public void ABodyInAnyOtherShape_IsKeptAndReadAsItIs()
    {
        string[] others =
        [
            "{\"type\":\"track\",\"messageId\":\"m-1\",\"event\":\"x\",\"timestamp\":\"2026-01-01T00:00:00+00:00\"}",
            "{\"type\":\"track\",\"messageId\":\"other\",\"timestamp\":\"T\",\"receivedAt\":\"T\"}",
            "{\"event\":\"x\"}",
            "not json",
            "",
        ];
        foreach (var body in others)
        {
            var kept = EventBody.Compact(body, MessageType.Track, "m-1");
            Assert.Equal(body, kept);
            if (body.StartsWith("{\"type\"", StringComparison.Ordinal) || body.Length == 0 || body[0] != '{')
            {
                Assert.Equal(body, EventBody.Restore(kept, MessageType.Track, "m-1"));
            }
        }
    }

    [Fact]
    public void ABodyPostgreSqlReordered_ComesBackAsTheSameMessage()
    {
        const string Written = "{\"type\":\"track\",\"messageId\":\"a\\u0022b\",\"userId\":\"u\",\"event\":\"segment_entered\",\"properties\":{\"timestamp\":\"inner\"},\"timestamp\":\"2026-12-07T20:38:34.2643991+00:00\",\"receivedAt\":\"2026-12-07T20:38:34.2643991+00:00\"}";
        var kept = EventBody.Compact(Written, MessageType.Track, "a\"b");
        Assert.DoesNotContain("receivedAt", kept, StringComparison.Ordinal);
        Assert.DoesNotContain("messageId", kept, StringComparison.Ordinal);

        // jsonb gives keys shortest first, with spaces.
        const string FromJsonb = "{\"event\": \"segment_entered\", \"userId\": \"u\", \"timestamp\": \"2026-12-07T20:38:34.2643991+00:00\", \"properties\": {\"timestamp\": \"inner\"}}";
        var restored = EventBody.Restore(FromJsonb, MessageType.Track, "a\"b");
        using var expected = JsonDocument.Parse(Written);
        using var actual = JsonDocument.Parse(restored);
        Assert.True(JsonElement.DeepEquals(expected.RootElement, actual.RootElement), restored);
    }

    private static string RandomMessage(Random random, int draw)
    {
        var parts = new List<string> { random.Next(4) switch { 0 => "\"type\":\"identify\"", 1 => "\"type\":\"page\",\"name\":\"Docs\"", _ => "\"type\":\"track\",\"event\":\"Ev\\\"ent " + draw + "\"" } };
        if (random.Next(3) > 0)
        {
            // Ids with characters the writer escapes, and long ids like Cairn's own events'.
            parts.Add("\"messageId\":\"" + (random.Next(3) switch { 0 => "m-" + draw, 1 => "q\\\"uote<é>" + draw, _ => new string('x', 80) + draw }) + "\"");
        }

        parts.Add(random.Next(2) == 0 ? "\"userId\":\"user-" + draw + "\"" : "\"anonymousId\":\"anon-" + draw + "\"");
        if (random.Next(2) == 0)
        {
            parts.Add("\"properties\":{\"timestamp\":\"nested\",\"receivedAt\":1,\"n\":" + draw + "}");
        }

        if (random.Next(2) == 0)
        {
            parts.Add("\"timestamp\":\"2026-12-07T20:30:00." + random.Next(1_000_000, 9_999_999) + "Z\"");
        }

        if (random.Next(3) == 0)
        {
            parts.Add("\"sentAt\":\"2026-12-07T20:31:00Z\"");
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(parts));
        return "{" + string.Join(",", parts) + "}";
    }
}
