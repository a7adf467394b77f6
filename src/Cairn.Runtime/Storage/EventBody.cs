using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cairn.Core.Messages;

namespace Cairn.Runtime.Storage;

/// <summary>
/// How the event log keeps a message's JSON without repeating its columns. Every message Cairn stores was written by
/// <see cref="SegmentMessageReader"/>: it opens with <c>"type"</c> and <c>"messageId"</c> (the log's <c>type</c> and
/// <c>message_id</c> columns) and closes with <c>"receivedAt"</c>, which for events without a client time (Cairn's own
/// <c>segment_entered</c>, <c>score_crossed</c> … and most identifies) is the same text as <c>"timestamp"</c>. The log
/// keeps the object without the first two, and without the last when it equals the timestamp; reading puts them back,
/// so what a reader gets is the message as written, byte for byte on SQLite (PostgreSQL's jsonb reorders keys either
/// way). About 60 bytes an event for a client's event and 160 for Cairn's own, whose message ids are long.
/// A body in any other shape is kept whole and read as it is; since every body Cairn writes has a top-level
/// <c>"type"</c>, a body without one is a compacted one (older rows, written whole, have it too).
/// </summary>
public static class EventBody
{
    private const string ReceivedAt = ",\"receivedAt\":\"";

    /// <summary>The body the log keeps for <paramref name="json"/>, a message of <paramref name="type"/> with <paramref name="messageId"/>.</summary>
    public static string Compact(string json, MessageType type, string messageId)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(messageId);
        var prefix = Prefix(type, messageId);

        // Only a body that opens with the columns and closes with receivedAt is compacted: reading adds receivedAt back
        // to a compacted body that has none, so one that never had it must stay whole.
        var last = json.LastIndexOf(ReceivedAt, StringComparison.Ordinal);
        if (!json.StartsWith(prefix, StringComparison.Ordinal) || json.Length <= prefix.Length || last < prefix.Length
            || !json.EndsWith("\"}", StringComparison.Ordinal) || json.IndexOf('"', last + ReceivedAt.Length) != json.Length - 2)
        {
            return json;
        }

        var received = json.AsSpan(last + ReceivedAt.Length, json.Length - 2 - last - ReceivedAt.Length);
        var middle = json.AsSpan(prefix.Length, last - prefix.Length);
        var same = TopLevelTimestamp(middle) is { } timestamp && received.SequenceEqual(timestamp);
        return same
            ? string.Concat("{", middle, "}")
            : string.Concat("{", json.AsSpan(prefix.Length));
    }

    /// <summary>The message's JSON from the body the log kept (<see cref="Compact"/>); an empty body (not read) stays empty.</summary>
    public static string Restore(string stored, MessageType type, string messageId)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(messageId);
        if (stored.Length < 2 || stored[0] != '{')
        {
            return stored;
        }

        var (hasType, hasReceivedAt, timestamp) = ScanTopLevel(stored);
        if (hasType)
        {
            return stored;
        }

        var prefix = Prefix(type, messageId);
        var body = stored.AsSpan(1, stored.Length - 2).Trim();
        var builder = new StringBuilder(prefix.Length + stored.Length + 48);
        builder.Append(body.IsEmpty ? prefix.AsSpan(0, prefix.Length - 1) : prefix).Append(body);
        if (!hasReceivedAt && timestamp is not null)
        {
            builder.Append(ReceivedAt).Append(timestamp).Append('"');
        }

        return builder.Append('}').ToString();
    }

    /// <summary>What a body opens with: <c>{"type":"…","messageId":"…",</c>, escaped as <see cref="Utf8JsonWriter"/> escapes.</summary>
    private static string Prefix(MessageType type, string messageId) =>
        string.Concat("{\"type\":\"", type.ToWireName(), "\",\"messageId\":\"", JsonEncodedText.Encode(messageId, JavaScriptEncoder.Default).ToString(), "\",");

    /// <summary>The raw text of the top-level <c>"timestamp"</c> string in a body's members (the last one written), or null.</summary>
    private static string? TopLevelTimestamp(ReadOnlySpan<char> members) =>
        ScanTopLevel(string.Concat("{", members, "}")).Timestamp;

    private static (bool HasType, bool HasReceivedAt, string? Timestamp) ScanTopLevel(string json)
    {
        var (hasType, hasReceivedAt, timestamp) = (false, false, (string?)null);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (true, true, null);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTimestamp = reader.ValueTextEquals("timestamp"u8);
                hasType |= reader.ValueTextEquals("type"u8);
                hasReceivedAt |= reader.ValueTextEquals("receivedAt"u8);
                reader.Read();
                if (isTimestamp && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                {
                    timestamp = Encoding.UTF8.GetString(reader.ValueSpan);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not JSON the log wrote: read it as it is.
            return (true, true, null);
        }

        return (hasType, hasReceivedAt, timestamp);
    }
}
