using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>A problem in a document: where it is, which step it concerns, and what is wrong.</summary>
/// <param name="Source">The file (or other source name) of the document.</param>
/// <param name="Line">1-based line, or 0 when the problem concerns the whole document.</param>
/// <param name="StepId">The step concerned, if any.</param>
/// <param name="Message">What is wrong, in words a journey author understands.</param>
public sealed record DocumentError(string Source, int Line, string? StepId, string Message)
{
    /// <summary><c>file:line: step 'id': message</c>.</summary>
    public override string ToString() =>
        $"{Source}:{Line}: {(StepId is null ? string.Empty : $"step '{StepId}': ")}{Message}";
}

/// <summary>
/// Reads YAML (and so JSON, a subset of YAML) documents node by node, collecting every error with its line
/// instead of stopping at the first one.
/// </summary>
internal sealed class DocumentReader(string source)
{
    private readonly List<DocumentError> _errors = [];

    public IReadOnlyList<DocumentError> Errors => _errors;

    public string Source => source;

    /// <summary>The step errors are attributed to while it is being read.</summary>
    public string? CurrentStep { get; set; }

    public static SourceLocation Location(YamlNode node) => new((int)node.Start.Line, (int)node.Start.Column);

    public static YamlMappingNode? Load(string text, DocumentReader reader)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException exception)
        {
            reader.Error((int)exception.Start.Line, $"not valid YAML or JSON: {exception.Message}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up this way on some unterminated flow collections.
            reader.Error(1, "not valid YAML or JSON: a bracket or brace is not closed");
            return null;
        }

        if (stream.Documents.Count != 1)
        {
            reader.Error(1, stream.Documents.Count == 0 ? "the document is empty" : "a file holds one document; found several ('---')");
            return null;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            reader.Error((int)stream.Documents[0].RootNode.Start.Line, "the document must be a mapping (key: value pairs)");
            return null;
        }

        return root;
    }

    public void Error(int line, string message) => _errors.Add(new DocumentError(source, line, CurrentStep, message));

    public void Error(YamlNode node, string message) => Error((int)node.Start.Line, message);

    /// <summary>Reports keys that are not among <paramref name="allowed"/> (typos would otherwise be ignored silently).</summary>
    public void OnlyKeys(YamlMappingNode map, params string[] allowed)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = ((YamlScalarNode)key).Value ?? string.Empty;
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                Error(key, $"unknown field '{name}' (expected one of: {string.Join(", ", allowed)})");
            }
        }
    }

    public static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    public static bool Has(YamlMappingNode map, string key) => Get(map, key) is not null;

    public YamlMappingNode? Mapping(YamlNode? node, string what)
    {
        if (node is YamlMappingNode map)
        {
            return map;
        }

        if (node is not null)
        {
            Error(node, $"{what} must be a mapping (key: value pairs)");
        }

        return null;
    }

    public string? String(YamlMappingNode map, string key, bool required, string? what = null)
    {
        var node = Get(map, key);
        if (node is null)
        {
            if (required)
            {
                Error(map, $"'{key}' is required{(what is null ? string.Empty : " for " + what)}");
            }

            return null;
        }

        return Scalar(node, key);
    }

    public string? Scalar(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Value: { Length: > 0 } value })
        {
            return value;
        }

        Error(node, $"'{what}' must be a non-empty text value");
        return null;
    }

    public int? Integer(YamlMappingNode map, string key, int min, int max)
    {
        if (Get(map, key) is not { } node)
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Error(node, $"'{key}' must be a whole number from {min} to {max}");
        return null;
    }

    public double? Number(YamlMappingNode map, string key, double min, double max)
    {
        if (Get(map, key) is not { } node)
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text } && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Error(node, $"'{key}' must be a number from {min} to {max}");
        return null;
    }

    public bool? Boolean(YamlMappingNode map, string key)
    {
        if (Get(map, key) is not { } node)
        {
            return null;
        }

        if (node is YamlScalarNode { Value: "true" or "false" } scalar)
        {
            return scalar.Value == "true";
        }

        Error(node, $"'{key}' must be true or false");
        return null;
    }

    public TimeSpan? Duration(YamlMappingNode map, string key, bool required)
    {
        var text = String(map, key, required);
        if (text is null)
        {
            return null;
        }

        if (Journeys.Duration.TryParse(text, out var duration, out var error))
        {
            return duration;
        }

        Error(Get(map, key)!, $"'{key}': {error}");
        return null;
    }

    public TimeOnly? TimeOfDay(YamlMappingNode map, string key, bool required)
    {
        var text = String(map, key, required);
        if (text is null)
        {
            return null;
        }

        if (TimeOnly.TryParseExact(text, ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time;
        }

        Error(Get(map, key)!, $"'{key}' must be a time of day as HH:mm (e.g. 09:30)");
        return null;
    }

    public IEnumerable<YamlNode> Sequence(YamlNode? node, string what)
    {
        if (node is YamlSequenceNode sequence)
        {
            return sequence.Children;
        }

        if (node is not null)
        {
            Error(node, $"'{what}' must be a list");
        }

        return [];
    }

    /// <summary>A YAML value as JSON: plain scalars that look like numbers, booleans or null become those; quoted ones stay text.</summary>
    public static JsonElement ToJson(YamlNode node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Write(writer, node);
        }

        using var document = JsonDocument.Parse(stream.ToArray());
        return document.RootElement.Clone();
    }

    private static void Write(Utf8JsonWriter writer, YamlNode node)
    {
        switch (node)
        {
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var child in sequence.Children)
                {
                    Write(writer, child);
                }

                writer.WriteEndArray();
                break;
            case YamlMappingNode map:
                writer.WriteStartObject();
                foreach (var (key, value) in map.Children)
                {
                    writer.WritePropertyName(((YamlScalarNode)key).Value ?? string.Empty);
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case YamlScalarNode scalar when scalar.Style is ScalarStyle.Plain:
                var text = scalar.Value ?? string.Empty;
                if (text is "null" or "~" or "")
                {
                    writer.WriteNullValue();
                }
                else if (text is "true" or "false")
                {
                    writer.WriteBooleanValue(text == "true");
                }
                else if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    writer.WriteNumberValue(number);
                }
                else
                {
                    writer.WriteStringValue(text);
                }

                break;
            case YamlScalarNode scalar:
                writer.WriteStringValue(scalar.Value);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
