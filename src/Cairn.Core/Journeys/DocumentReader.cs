using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
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

    private readonly List<string> _conditionPath = [];
    private bool _conditionDepthReported;

    /// <summary>
    /// Enters a nested condition named <paramref name="name"/>; false (with one error per document, naming the path)
    /// when that would nest deeper than <see cref="DocumentLimits.MaxConditionDepth"/>. Pair with <see cref="LeaveCondition"/>.
    /// </summary>
    public bool EnterCondition(YamlNode node, string name)
    {
        if (_conditionPath.Count >= DocumentLimits.MaxConditionDepth)
        {
            if (!_conditionDepthReported)
            {
                _conditionDepthReported = true;
                var path = string.Concat(_conditionPath.Append(name).Select((part, index) => index == 0 || part.StartsWith('[') ? part : "." + part));
                Error(node, $"conditions nest deeper than the limit of {DocumentLimits.MaxConditionDepth} levels (at {path})");
            }

            return false;
        }

        _conditionPath.Add(name);
        return true;
    }

    /// <summary>Leaves the condition entered last.</summary>
    public void LeaveCondition() => _conditionPath.RemoveAt(_conditionPath.Count - 1);

    public static SourceLocation Location(YamlNode node) => new((int)node.Start.Line, (int)node.Start.Column);

    public static YamlMappingNode? Load(string text, DocumentReader reader)
    {
        var stream = new YamlStream();
        try
        {
            if (!CheckStructure(text, reader))
            {
                return null;
            }

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
        catch (ArgumentException exception) when (exception.ParamName == "parser")
        {
            // YamlDotNet's node builder meets an event it does not expect (an empty key under a key with no value,
            // repeated, as the parser fuzz test found): "The current event is of an unsupported type".
            reader.Error(1, "not valid YAML or JSON: a key without a name, or a value where a key should be");
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

    /// <summary>
    /// Checks the document's shape over YamlDotNet's event stream — its parser is an iterative state machine, while
    /// <see cref="YamlStream.Load(TextReader)"/> builds nodes recursively, and everything reading the nodes after it
    /// recurses too — before anything is built: lists and mappings nest at most <see cref="DocumentLimits.MaxNesting"/>
    /// deep, keys are text, and an alias refers to an anchored value already complete (YamlDotNet would otherwise
    /// resolve <c>&amp;a [*a]</c> into a list that contains itself) and expands within
    /// <see cref="DocumentLimits.MaxNesting"/> and <see cref="DocumentLimits.MaxNodes"/>. It stops at the first
    /// problem, so a hostile document costs no more than its first levels.
    /// </summary>
    private static bool CheckStructure(string text, DocumentReader reader)
    {
        var parser = new Parser(new StringReader(text));
        var open = new Stack<Collection>();
        var anchors = new Dictionary<string, Shape>(StringComparer.Ordinal);
        long nodes = 0;
        while (parser.MoveNext())
        {
            var current = parser.Current!;
            var line = (int)current.Start.Line;
            Shape? added = null;
            switch (current)
            {
                case DocumentStart:
                    anchors.Clear();
                    break;
                case SequenceStart or MappingStart:
                    var collection = (NodeEvent)current;
                    if (IsKey(open))
                    {
                        reader.Error(line, "a key must be text, not a list or a mapping");
                        return false;
                    }

                    if (open.Count >= DocumentLimits.MaxNesting)
                    {
                        reader.Error(line, $"lists and mappings nest deeper than the limit of {DocumentLimits.MaxNesting} levels");
                        return false;
                    }

                    if (!collection.Anchor.IsEmpty)
                    {
                        // Redefined: until it is complete, the name refers to nothing.
                        anchors.Remove(collection.Anchor.Value);
                    }

                    nodes++;
                    open.Push(new Collection(current is MappingStart, collection.Anchor.IsEmpty ? null : collection.Anchor.Value, nodes));
                    break;
                case SequenceEnd or MappingEnd:
                    var done = open.Pop();
                    added = new Shape(done.Height + 1, nodes - done.NodesBefore + 1, Text: false);
                    if (done.Anchor is { } name)
                    {
                        anchors[name] = added.Value;
                    }

                    break;
                case Scalar scalar:
                    nodes++;
                    added = new Shape(0, 1, Text: true);
                    if (!scalar.Anchor.IsEmpty)
                    {
                        anchors[scalar.Anchor.Value] = added.Value;
                    }

                    break;
                case AnchorAlias alias:
                    if (!anchors.TryGetValue(alias.Value.Value, out var shape))
                    {
                        reader.Error(line, $"the alias '*{alias.Value.Value}' must refer to an anchor ('&{alias.Value.Value}') defined before it, outside the value that holds the alias");
                        return false;
                    }

                    if (IsKey(open) && !shape.Text)
                    {
                        reader.Error(line, "a key must be text, not a list or a mapping");
                        return false;
                    }

                    if (open.Count + shape.Height > DocumentLimits.MaxNesting)
                    {
                        reader.Error(line, $"with the alias '*{alias.Value.Value}' expanded, lists and mappings nest deeper than the limit of {DocumentLimits.MaxNesting} levels");
                        return false;
                    }

                    nodes += shape.Nodes;
                    added = shape;
                    break;
            }

            if (nodes > DocumentLimits.MaxNodes)
            {
                reader.Error(line, string.Create(CultureInfo.InvariantCulture, $"the document holds more than {DocumentLimits.MaxNodes:N0} values (aliases expanded)"));
                return false;
            }

            if (added is { } child && open.TryPeek(out var parent))
            {
                parent.Children++;
                parent.Height = Math.Max(parent.Height, child.Height);
            }
        }

        return true;
    }

    /// <summary>True when the next value in the innermost open collection is a mapping key.</summary>
    private static bool IsKey(Stack<Collection> open) => open.TryPeek(out var parent) && parent.IsMapping && parent.Children % 2 == 0;

    /// <summary>A list or mapping whose end has not been read yet.</summary>
    private sealed class Collection(bool isMapping, string? anchor, long nodesBefore)
    {
        public bool IsMapping { get; } = isMapping;

        public string? Anchor { get; } = anchor;

        /// <summary>The values counted before its children (itself included).</summary>
        public long NodesBefore { get; } = nodesBefore;

        public int Children { get; set; }

        /// <summary>The deepest nesting among its children so far.</summary>
        public int Height { get; set; }
    }

    /// <summary>A complete value as an alias would expand it: how deep it nests, how many values, and whether it is text.</summary>
    private readonly record struct Shape(int Height, long Nodes, bool Text);

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

    /// <summary>
    /// A YAML value as JSON (see <see cref="ToJson"/>), or null with an error when it nests deeper than
    /// <see cref="DocumentLimits.MaxValueDepth"/>.
    /// </summary>
    public JsonElement? Json(YamlNode node, string what)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (Nesting(node) > DocumentLimits.MaxValueDepth)
        {
            Error(node, $"'{what}' nests deeper than the limit of {DocumentLimits.MaxValueDepth} levels");
            return null;
        }

        return ToJson(node);
    }

    /// <summary>How many lists and mappings deep the value nests (a scalar: 0).</summary>
    private static int Nesting(YamlNode node)
    {
        var deepest = 0;
        var pending = new Stack<(YamlNode Node, int Depth)>([(node, 0)]);
        while (pending.TryPop(out var next))
        {
            IEnumerable<YamlNode> children = next.Node switch
            {
                YamlSequenceNode sequence => sequence.Children,
                YamlMappingNode map => map.Children.Values,
                _ => [],
            };
            var depth = next.Node is YamlScalarNode ? next.Depth : next.Depth + 1;
            deepest = Math.Max(deepest, depth);
            foreach (var child in children)
            {
                pending.Push((child, depth));
            }
        }

        return deepest;
    }

    /// <summary>A YAML value as JSON: plain scalars that look like numbers, booleans or null become those; quoted ones stay text.</summary>
    /// <remarks>
    /// Recursive, over a document <see cref="Load"/> checked: at most <see cref="DocumentLimits.MaxNesting"/> deep, no
    /// alias cycles, at most <see cref="DocumentLimits.MaxNodes"/> values.
    /// </remarks>
    public static JsonElement ToJson(YamlNode node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Write(writer, node);
        }

        using var document = JsonDocument.Parse(stream.ToArray(), new JsonDocumentOptions { MaxDepth = DocumentLimits.MaxNesting });
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
