using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Templates;
using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>
/// One Liquid source of a template (<c>subject</c>, <c>html</c>, <c>data.order_id</c>…) and the document line its text
/// starts on (the line after <c>html: |</c> for a block), so that line + n is the source's line n + 1.
/// </summary>
public sealed record TemplatePart(string Name, string Source, int Line);

/// <summary>
/// A message template: its channel, its Liquid parts, whether email opens and clicks are tracked, the subscription
/// group it belongs to (what its unsubscribe link leaves), and the sample data it is checked against.
/// </summary>
public sealed record TemplateDefinition(string Id, Channel Channel, SourceLocation Location)
{
    /// <summary>A name for people.</summary>
    public string? Name { get; init; }

    /// <summary>The Liquid parts, in document order.</summary>
    public ImmutableArray<TemplatePart> Parts { get; init; } = [];

    /// <summary>Email only: open pixel and click redirects (on unless <c>tracking: false</c>).</summary>
    public bool Tracking { get; init; } = true;

    /// <summary>The subscription group (e.g. <c>newsletter</c>) whose consent it needs and whose unsubscribe it offers.</summary>
    public string? Subscription { get; init; }

    /// <summary>Sample data (<c>contact</c>, <c>event</c>, <c>events</c>, <c>workspace</c>) to check and preview it with.</summary>
    public JsonElement? Sample { get; init; }

    /// <summary>The part's source, when the template has it.</summary>
    public string? Part(string name) => Parts.FirstOrDefault(part => part.Name == name)?.Source;
}

/// <summary>Template documents (<c>kind: template</c>): the parts each channel has, parsed and checked against sample data.</summary>
public static partial class DocumentParser
{
    private static readonly string[] CommonTemplateKeys = ["kind", "id", "channel", "name", "description", "subscription", "sample"];

    private static TemplateDefinition? ReadTemplate(YamlMappingNode root, DocumentReader reader)
    {
        var id = ReadId(root, reader, "template");
        var channel = ReadChannel(root, reader);
        if (channel is null)
        {
            return null;
        }

        var parts = new List<TemplatePart>();
        void Text(YamlMappingNode map, string key, string name, bool required)
        {
            if (DocumentReader.Get(map, key) is not { } node)
            {
                if (required)
                {
                    reader.Error(map, $"'{key}' is required for a{(channel is Channel.Email or Channel.InApp ? "n" : string.Empty)} {channel.Value.DocumentName()} template");
                }

                return;
            }

            if (node is not YamlScalarNode { Value: { } source } || (required && source.Length == 0))
            {
                reader.Error(node, $"'{key}' must be text (Liquid)");
                return;
            }

            if (!LiquidLimits.TryCheck(source, out var limit))
            {
                reader.Error(node, $"'{key}' is beyond a template limit: {limit}");
            }
            else if (TemplateRenderer.ParseError(source) is { } error)
            {
                reader.Error(node, $"'{key}' is not valid Liquid: {error}");
            }

            var block = node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded };
            parts.Add(new TemplatePart(name, source, (int)node.Start.Line + (block ? 1 : 0)));
        }

        void Map(string key)
        {
            if (DocumentReader.Get(root, key) is not { } node || reader.Mapping(node, $"'{key}'") is not { } map)
            {
                return;
            }

            foreach (var (name, _) in map.Children)
            {
                if (name is YamlScalarNode { Value: { Length: > 0 } field })
                {
                    Text(map, field, $"{key}.{field}", required: false);
                }
            }
        }

        var tracking = true;
        switch (channel.Value)
        {
            case Channel.Email:
                reader.OnlyKeys(root, [.. CommonTemplateKeys, "subject", "preheader", "html", "text", "from_name", "from_address", "reply_to", "tracking"]);
                Text(root, "subject", "subject", required: true);
                Text(root, "preheader", "preheader", required: false);
                Text(root, "html", "html", required: false);
                Text(root, "text", "text", required: false);
                Text(root, "from_name", "from_name", required: false);
                Text(root, "from_address", "from_address", required: false);
                Text(root, "reply_to", "reply_to", required: false);
                if (!DocumentReader.Has(root, "html") && !DocumentReader.Has(root, "text"))
                {
                    reader.Error(root, "an email template needs 'html', 'text' or both");
                }

                tracking = reader.Boolean(root, "tracking") ?? true;
                break;
            case Channel.Sms:
                reader.OnlyKeys(root, [.. CommonTemplateKeys, "text"]);
                Text(root, "text", "text", required: true);
                break;
            case Channel.Push:
                reader.OnlyKeys(root, [.. CommonTemplateKeys, "title", "body", "data", "deep_link", "image"]);
                Text(root, "title", "title", required: true);
                Text(root, "body", "body", required: true);
                Text(root, "deep_link", "deep_link", required: false);
                Text(root, "image", "image", required: false);
                Map("data");
                break;
            case Channel.Webhook:
                reader.OnlyKeys(root, [.. CommonTemplateKeys, "url", "method", "headers", "body"]);
                Text(root, "url", "url", required: true);
                Text(root, "body", "body", required: false);
                Map("headers");
                if (reader.String(root, "method", required: false) is { } method && method is not ("POST" or "PUT" or "PATCH"))
                {
                    reader.Error(DocumentReader.Get(root, "method")!, "'method' must be POST, PUT or PATCH");
                }
                else if (reader.String(root, "method", required: false) is { } chosen)
                {
                    parts.Add(new TemplatePart("method", chosen, (int)DocumentReader.Get(root, "method")!.Start.Line));
                }

                break;
            default:
                reader.OnlyKeys(root, [.. CommonTemplateKeys, "title", "body", "action"]);
                Text(root, "title", "title", required: true);
                Text(root, "body", "body", required: true);
                if (DocumentReader.Get(root, "action") is { } actionNode && reader.Mapping(actionNode, "'action'") is { } action)
                {
                    reader.OnlyKeys(action, "label", "url");
                    Text(action, "label", "action.label", required: true);
                    Text(action, "url", "action.url", required: true);
                }

                break;
        }

        var sampleNode = DocumentReader.Get(root, "sample");
        JsonElement? sample = sampleNode is null ? null : reader.Json(sampleNode, "sample");
        if (sample is { } given && given.ValueKind != JsonValueKind.Object)
        {
            reader.Error(sampleNode!, "'sample' must be a mapping (contact, event, events, workspace)");
            sample = null;
        }

        var subscription = reader.String(root, "subscription", required: false);
        if (subscription is not null && !IdPattern().IsMatch(subscription))
        {
            reader.Error(DocumentReader.Get(root, "subscription")!, "'subscription' must be a subscription group id (lower-case letters, digits, '-' and '_')");
        }

        if (id is null || reader.Errors.Count > 0)
        {
            return null;
        }

        var template = new TemplateDefinition(id, channel.Value, DocumentReader.Location(root))
        {
            Name = reader.String(root, "name", required: false),
            Parts = [.. parts],
            Tracking = tracking,
            Subscription = subscription,
            Sample = sample,
        };

        // Checked against its sample: an undefined variable or an unknown filter is found now, not at send time.
        var rendered = TemplateRenderer.Render(template, RenderModel.Sample(sample, SampleMessage, null));
        if (!rendered.Succeeded)
        {
            var part = rendered.Error![..rendered.Error!.IndexOf(':', StringComparison.Ordinal)];
            reader.Error(rendered.ErrorLine ?? parts.FirstOrDefault(candidate => candidate.Name == part)?.Line ?? template.Location.Line, rendered.Error!.Contains("is not defined", StringComparison.Ordinal)
                ? $"with the sample data, {rendered.Error} (add it to 'sample' when every contact has it)"
                : $"with the sample data, {rendered.Error}");
            return null;
        }

        return template;
    }

    private static readonly MessageContext SampleMessage =
        new("sample-message", "sample-journey", "sample-step", null, "https://example.com/u/sample", "https://example.com/p/sample");
}
