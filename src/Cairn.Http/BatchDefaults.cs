namespace Cairn.Http;

/// <summary>
/// A batch's own <c>context</c> and <c>integrations</c> apply to each of its messages, as in Segment's batch
/// API: a message's own keys win over the batch's, one level deep.
/// </summary>
internal sealed class BatchDefaults : IDisposable
{
    private static readonly string[] Fields = ["context", "integrations"];
    private readonly List<JsonDocument> _documents;

    private BatchDefaults(List<JsonDocument> documents)
    {
        _documents = documents;
        Messages = [.. documents.Select(document => document.RootElement)];
    }

    /// <summary>The messages with the batch's defaults merged in.</summary>
    public IReadOnlyList<JsonElement> Messages { get; }

    /// <summary>The messages with defaults applied, or null when the batch has none (the messages are used as they are).</summary>
    public static BatchDefaults? Apply(JsonElement batch, IReadOnlyList<JsonElement> messages)
    {
        var defaults = Fields
            .Select(field => (Name: field, Value: batch.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Object ? value : (JsonElement?)null))
            .Where(field => field.Value is not null)
            .ToList();
        if (defaults.Count == 0)
        {
            return null;
        }

        var documents = new List<JsonDocument>(messages.Count);
        foreach (var message in messages)
        {
            documents.Add(message.ValueKind == JsonValueKind.Object ? Merge(message, defaults) : JsonDocument.Parse(message.GetRawText()));
        }

        return new BatchDefaults(documents);
    }

    public void Dispose() => _documents.ForEach(document => document.Dispose());

    private static JsonDocument Merge(JsonElement message, List<(string Name, JsonElement? Value)> defaults)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(message.GetRawText().Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in message.EnumerateObject())
            {
                if (defaults.All(field => field.Name != property.Name))
                {
                    property.WriteTo(writer);
                }
            }

            foreach (var (name, value) in defaults)
            {
                writer.WriteStartObject(name);
                var own = message.TryGetProperty(name, out var mine) && mine.ValueKind == JsonValueKind.Object ? mine : (JsonElement?)null;
                foreach (var property in value!.Value.EnumerateObject())
                {
                    if (own is null || !own.Value.TryGetProperty(property.Name, out _))
                    {
                        property.WriteTo(writer);
                    }
                }

                if (own is not null)
                {
                    foreach (var property in own.Value.EnumerateObject())
                    {
                        property.WriteTo(writer);
                    }
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return JsonDocument.Parse(buffer.WrittenMemory);
    }
}
