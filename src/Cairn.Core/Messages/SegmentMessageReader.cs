using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Cairn.Core.Messages;

/// <summary>
/// Validates one Segment Spec message and turns it into a <see cref="SegmentMessage"/>, correcting the
/// timestamp for the client's clock skew the way Segment does:
/// <c>timestamp = receivedAt − (sentAt − originalTimestamp)</c>.
/// </summary>
public static class SegmentMessageReader
{
    // Fields Cairn computes or must never store (the write key is a secret).
    private static readonly HashSet<string> RewrittenFields = new(StringComparer.Ordinal)
    {
        "type", "messageId", "userId", "anonymousId", "timestamp", "originalTimestamp", "sentAt", "receivedAt", "writeKey",
    };

    /// <summary>Reads one message.</summary>
    /// <param name="message">The JSON object of the message.</param>
    /// <param name="endpointType">The type fixed by the endpoint (<c>/v1/track</c> …), or null to read <c>type</c>.</param>
    /// <param name="receivedAt">Cairn's clock when the request arrived.</param>
    /// <param name="batchSentAt">The batch's <c>sentAt</c>, used when the message has none of its own.</param>
    /// <param name="newMessageId">Creates a message id for a message that has none.</param>
    /// <param name="result">The message, when valid.</param>
    /// <param name="error">Why the message is invalid, when it is.</param>
    public static bool TryRead(
        JsonElement message,
        MessageType? endpointType,
        DateTimeOffset receivedAt,
        DateTimeOffset? batchSentAt,
        Func<string> newMessageId,
        [NotNullWhen(true)] out SegmentMessage? result,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(newMessageId);
        try
        {
            return TryReadMessage(message, endpointType, receivedAt, batchSentAt, newMessageId, out result, out error);
        }
        catch (InvalidOperationException exception)
        {
            // System.Text.Json parses "\ud800" (a lone surrogate escape) but cannot read it as text: the message is
            // rejected on its own, like any other invalid message, instead of failing its whole request.
            result = null;
            error = $"the message holds text that cannot be read: {exception.Message}";
            return false;
        }
    }

    private static bool TryReadMessage(
        JsonElement message,
        MessageType? endpointType,
        DateTimeOffset receivedAt,
        DateTimeOffset? batchSentAt,
        Func<string> newMessageId,
        [NotNullWhen(true)] out SegmentMessage? result,
        [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (message.ValueKind != JsonValueKind.Object)
        {
            error = "a message must be a JSON object";
            return false;
        }

        MessageType type;
        if (endpointType is { } fixedType)
        {
            type = fixedType;
        }
        else if (!message.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
        {
            error = "'type' is required (identify, track, page, screen, group or alias)";
            return false;
        }
        else if (!MessageTypes.TryParse(typeElement.GetString(), out type))
        {
            error = $"unknown type '{Truncate(typeElement.GetString())}'";
            return false;
        }

        if (!TryReadId(message, "userId", out var userId, out error)
            || !TryReadId(message, "anonymousId", out var anonymousId, out error)
            || !TryReadId(message, "messageId", out var messageId, out error)
            || !TryReadId(message, "groupId", out var groupId, out error)
            || !TryReadId(message, "previousId", out var previousId, out error))
        {
            return false;
        }

        if (userId is null && anonymousId is null)
        {
            error = "either 'userId' or 'anonymousId' is required";
            return false;
        }

        if (!TryReadString(message, "event", out var eventName, out error)
            || !TryReadString(message, "name", out var name, out error))
        {
            return false;
        }

        switch (type)
        {
            case MessageType.Track when string.IsNullOrWhiteSpace(eventName):
                error = "'event' is required for track";
                return false;
            case MessageType.Group when groupId is null:
                error = "'groupId' is required for group";
                return false;
            case MessageType.Alias when previousId is null || userId is null:
                error = "'previousId' and 'userId' are required for alias";
                return false;
        }

        if (!TryReadObject(message, "properties", out var properties, out error)
            || !TryReadObject(message, "traits", out var traits, out error)
            || !TryReadObject(message, "context", out var context, out error)
            || !TryReadObject(message, "integrations", out _, out error))
        {
            return false;
        }

        // RudderStack's SDKs send the client's time as originalTimestamp (the name Segment gives it once stored), not timestamp.
        if (!TryReadDate(message, "timestamp", out var originalTimestamp, out error)
            || (originalTimestamp is null && !TryReadDate(message, "originalTimestamp", out originalTimestamp, out error))
            || !TryReadDate(message, "sentAt", out var sentAt, out error))
        {
            return false;
        }

        sentAt ??= batchSentAt;
        var timestamp = originalTimestamp switch
        {
            null => receivedAt,
            { } original when sentAt is { } sent => receivedAt - (sent - original),
            { } original => original,
        };

        messageId ??= newMessageId();
        var json = Rewrite(message, type, messageId, userId, anonymousId, timestamp, originalTimestamp, sentAt, receivedAt);
        result = new SegmentMessage(
            type,
            messageId,
            userId,
            anonymousId,
            type == MessageType.Track ? eventName!.Trim() : null,
            type is MessageType.Page or MessageType.Screen ? name : null,
            groupId,
            previousId,
            properties,
            traits,
            context,
            timestamp,
            originalTimestamp,
            sentAt,
            receivedAt,
            json);

        // Consent carried by traits is checked here, so a malformed answer rejects its message, not the batch.
        _ = Consent.TraitConsent.Read(result, out error);
        if (error is not null)
        {
            result = null;
            return false;
        }

        return true;
    }

    /// <summary>Reads an optional ISO-8601 date such as a batch's <c>sentAt</c>.</summary>
    public static bool TryReadDate(JsonElement parent, string field, out DateTimeOffset? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (!parent.TryGetProperty(field, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind == JsonValueKind.String && element.TryGetDateTimeOffset(out var date))
        {
            value = date.ToUniversalTime();
            return true;
        }

        error = $"'{field}' is not an ISO-8601 date";
        return false;
    }

    private static bool TryReadId(JsonElement message, string field, out string? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (!message.TryGetProperty(field, out var element))
        {
            return true;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                return true;
            case JsonValueKind.String:
                var text = element.GetString()!.Trim();
                value = text.Length == 0 ? null : text;
                break;
            case JsonValueKind.Number:
                value = element.GetRawText();
                break;
            default:
                error = $"'{field}' must be a string";
                return false;
        }

        if (value is { Length: > MessageLimits.MaxIdLength })
        {
            error = $"'{field}' is longer than {MessageLimits.MaxIdLength} characters";
            return false;
        }

        return true;
    }

    private static bool TryReadString(JsonElement message, string field, out string? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (!message.TryGetProperty(field, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"'{field}' must be a string";
            return false;
        }

        value = element.GetString();
        return true;
    }

    private static bool TryReadObject(JsonElement message, string field, out JsonElement? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (!message.TryGetProperty(field, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            error = $"'{field}' must be a JSON object";
            return false;
        }

        value = element.Clone();
        return true;
    }

    private static string Rewrite(
        JsonElement message,
        MessageType type,
        string messageId,
        string? userId,
        string? anonymousId,
        DateTimeOffset timestamp,
        DateTimeOffset? originalTimestamp,
        DateTimeOffset? sentAt,
        DateTimeOffset receivedAt)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type.ToWireName());
            writer.WriteString("messageId", messageId);
            WriteIfPresent(writer, "userId", userId);
            WriteIfPresent(writer, "anonymousId", anonymousId);
            foreach (var property in message.EnumerateObject())
            {
                if (!RewrittenFields.Contains(property.Name))
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteString("timestamp", timestamp);
            if (originalTimestamp is { } original)
            {
                writer.WriteString("originalTimestamp", original);
            }

            if (sentAt is { } sent)
            {
                writer.WriteString("sentAt", sent);
            }

            writer.WriteString("receivedAt", receivedAt);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteIfPresent(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static string? Truncate(string? text) => text is { Length: > 40 } ? text[..40] + "…" : text;
}
