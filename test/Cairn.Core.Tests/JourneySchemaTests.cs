using System.Text.Json.Nodes;
using Cairn.Core.Journeys;
using Json.Schema;
using Cairn.Testing;
using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Tests;

/// <summary>The published JSON Schema and the parser agree: every example is valid under both.</summary>
public sealed class JourneySchemaTests
{
    private static readonly string Root = Repository.Root;

    public static TheoryData<string> Examples() => [.. Directory.GetFiles(Path.Combine(Root, "examples", "journeys"), "*.yaml").Select(path => Path.GetFileName(path))];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_IsValidUnderTheSchema_AndTheValidator(string file)
    {
        var path = Path.Combine(Root, "examples", "journeys", file);
        var text = File.ReadAllText(path);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var json = JsonNode.Parse(DocumentReader.ToJson(stream.Documents[0].RootNode).GetRawText());

        var schema = JsonSchema.FromFile(Path.Combine(Root, "docs", "schemas", "journey.schema.json"));
        var result = schema.Evaluate(json, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, string.Join("; ", result.Details.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));

        var templates = Directory.GetFiles(Path.Combine(Root, "examples", "templates")).Select(t => (t, File.ReadAllText(t)));
        var set = DocumentSet.Read(templates.Append((path, text)));
        Assert.Empty(set.Errors);
    }

    public static TheoryData<string> TemplateExamples() => [.. Directory.GetFiles(Path.Combine(Root, "examples", "templates"), "*.yaml").Select(path => Path.GetFileName(path))];

    [Theory]
    [MemberData(nameof(TemplateExamples))]
    public void ExampleTemplate_IsValidUnderTheTemplateSchema_AndTheParser(string file)
    {
        var path = Path.Combine(Root, "examples", "templates", file);
        var text = File.ReadAllText(path);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var json = JsonNode.Parse(DocumentReader.ToJson(stream.Documents[0].RootNode).GetRawText());
        var schema = JsonSchema.FromFile(Path.Combine(Root, "docs", "schemas", "template.schema.json"));
        var result = schema.Evaluate(json, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, string.Join("; ", result.Details.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
        Assert.Empty(DocumentParser.Parse(text, path).Errors);

        // A field the channel does not have is refused by both.
        json!["subjectt"] = "typo";
        Assert.False(schema.Evaluate(json).IsValid);
        Assert.NotEmpty(DocumentParser.Parse(text + "\nsubjectt: typo\n", path).Errors);
    }

    [Fact]
    public void Schema_RejectsWhatTheParserRejects()
    {
        var schema = JsonSchema.FromFile(Path.Combine(Root, "docs", "schemas", "journey.schema.json"));
        var typo = JsonNode.Parse("""{"id":"j","name":"J","trigger":{"event":"x"},"steps":[{"id":"s","wait":"1h","nxt":"end"}]}""");
        Assert.False(schema.Evaluate(typo).IsValid);
        Assert.Contains(DocumentSet.Read([("j.json", typo!.ToJsonString())]).Errors, e => e.Message.Contains("unknown field 'nxt'", StringComparison.Ordinal));
    }
}
