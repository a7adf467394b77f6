using Cairn.Core.Journeys;
using Cairn.Core.Lint;

namespace Cairn.Core.Tests;

/// <summary>A list of documents in one text, cut into documents whose lines are the list's.</summary>
public sealed class DocumentListTests
{
    [Fact]
    public void TrySplit_AYamlSequence_KeepsEachDocumentsLines()
    {
        var text = "# drafts\n- kind: segment\n  id: a\n  name: A\n  static: true\n- kind: segment\n  id: b\n  name: B\n  condition: { bogus: 1 }\n";

        Assert.True(DocumentList.TrySplit(text, out var documents, out var error), error);

        Assert.Equal(2, documents.Count);
        Assert.Equal("a", DocumentParser.Parse(documents[0], "1").Id);
        Assert.All(DocumentParser.Parse(documents[1], "2").Errors, parseError => Assert.Equal(9, parseError.Line));
        Assert.NotEmpty(DocumentParser.Parse(documents[1], "2").Errors);
    }

    [Fact]
    public void TrySplit_AJsonArray_CutsEachObjectWhole()
    {
        Assert.True(DocumentList.TrySplit("""[{"kind":"segment","id":"a","name":"A","static":true}, {"kind":"segment","id":"b","name":"B","static":true}]""", out var documents, out var error), error);

        Assert.Equal(["a", "b"], documents.Select(document => DocumentParser.Parse(document, "x").Id));
    }

    [Theory]
    [InlineData("", "must be a list")]
    [InlineData("kind: segment", "must be a list")]
    [InlineData("[1]", "item 1 of the list is not a document")]
    [InlineData("[{}] [{}]", "not valid YAML or JSON")]
    [InlineData("[{\"a\": [", "not valid YAML or JSON")]
    public void TrySplit_WhatIsNotAListOfDocuments_SaysWhy(string text, string reason)
    {
        Assert.False(DocumentList.TrySplit(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TrySplit_NestingPastTheLimit_IsRefusedWithoutRecursing()
    {
        var deep = "[{\"a\": " + new string('[', 100_000) + new string(']', 100_000) + "}]";

        Assert.False(DocumentList.TrySplit(deep, out _, out var error));
        Assert.Contains("nest deeper than 128", error, StringComparison.Ordinal);
    }
}
