using System.Collections;
using System.Reflection;
using System.Text.Json;
using Cairn.Core.Journeys;
using Cairn.Core.Templates;
using CsCheck;
using Fluid;

namespace Cairn.Core.Tests;

/// <summary>
/// The lexical limits every Liquid part passes before Fluid parses it (<see cref="LiquidLimits"/>): each limit at its
/// value is accepted and one past it refused with the line, text Fluid does not parse is not counted, and — checked
/// against Fluid's own syntax trees — a template the check accepts never builds a tree deeper than the limits.
/// </summary>
public sealed class LiquidLimitsTests
{
    private static readonly FluidParser Fluid = new();

    private static string Repeat(string text, int count) => string.Concat(Enumerable.Repeat(text, count));

    private static string Ifs(int depth) => Repeat("{% if a %}", depth) + "x" + Repeat("{% endif %}", depth);

    private static string Filters(int count) => "{{ a" + Repeat(" | plus: 1", count) + " }}";

    private static string Ors(int count) => "{% if a" + Repeat(" or a", count) + " %}x{% endif %}";

    private static string Brackets(int depth) => "{{ " + Repeat("a[", depth) + "0" + new string(']', depth) + " }}";

    private static string? Check(string source) => LiquidLimits.TryCheck(source, out var error) ? null : error;

    [Theory]
    [InlineData(3_000)]
    [InlineData(LiquidLimits.MaxBlockDepth + 1)]
    public void TryCheck_BlocksNestedPastTheLimit_NamesTheLimitAndLine(int depth)
    {
        var source = "<p>\n" + Ifs(depth);

        Assert.Equal($"line 2: blocks nest deeper than {LiquidLimits.MaxBlockDepth} levels ('{{% if %}}' inside {LiquidLimits.MaxBlockDepth} open blocks)", Check(source));
        Assert.Null(Check(Ifs(LiquidLimits.MaxBlockDepth)));
        Assert.Null(Check(Repeat(Ifs(LiquidLimits.MaxBlockDepth), 100)));
    }

    [Fact]
    public void TryCheck_EveryKindOfBlock_CountsTowardsTheDepth_WhateverTheWhitespaceControl()
    {
        string[] blocks = ["{%- if a -%}", "{% unless a %}", "{%for x in a%}", "{% case a %}{% when 1 %}", "{% capture c %}", "{% tablerow x in a %}", "{%- ifchanged %}"];
        var source = Repeat(string.Concat(blocks), 5);

        Assert.Equal("line 1: blocks nest deeper than 32 levels ('{% capture %}' inside 32 open blocks)", Check(source));
    }

    [Fact]
    public void TryCheck_FilterChains_OperatorChains_AndBrackets_HaveTheirLimits()
    {
        Assert.Equal($"line 1: more than {LiquidLimits.MaxFilters} filters in one expression", Check(Filters(50_000)));
        Assert.Equal($"line 1: more than {LiquidLimits.MaxOperators} 'and' / 'or' operators in one expression", Check(Ors(100_000)));
        Assert.Equal($"line 1: brackets nest deeper than {LiquidLimits.MaxBracketDepth} levels in one expression", Check(Brackets(5_000)));
        Assert.Equal($"line 1: brackets nest deeper than {LiquidLimits.MaxBracketDepth} levels in one expression", Check("{{ " + new string('(', 2_000) + "a }}"));
        Assert.Equal($"line 1: more than {LiquidLimits.MaxOperators} 'and' / 'or' operators in one expression", Check("{{ a" + Repeat(" orb", 65) + " }}"));
        Assert.Equal($"line 3: more than {LiquidLimits.MaxFilters} filters in one expression", Check("a\n\n{% assign x = a" + Repeat(" | plus: 1", 65) + " %}"));

        Assert.Null(Check(Filters(LiquidLimits.MaxFilters)));
        Assert.Null(Check(Ors(LiquidLimits.MaxOperators)));
        Assert.Null(Check(Brackets(LiquidLimits.MaxBracketDepth)));
        Assert.Null(Check(Repeat(Filters(LiquidLimits.MaxFilters) + Ors(LiquidLimits.MaxOperators), 50)));
        Assert.Null(Check("{{ order.border | color: 'or and | [ (' }}"));
    }

    [Fact]
    public void TryCheck_TheLongestPart_IsTheLimit()
    {
        Assert.Null(Check(new string('x', LiquidLimits.MaxLength)));
        Assert.Equal("the template is 524,289 characters long; the limit is 524,288", Check(new string('x', LiquidLimits.MaxLength + 1)));
    }

    [Fact]
    public void TryCheck_RawCommentAndDocBodies_AreNotCounted_AsFluidDoesNotParseThem()
    {
        string[] sources =
        [
            "{% raw %}" + Ifs(3_000) + Filters(1_000) + "{% endraw %}",
            "{%- comment -%}" + Repeat("{% if a %}", 3_000) + "{%- endcomment -%}" + Ifs(LiquidLimits.MaxBlockDepth),
            "{% raw %}" + Filters(1_000) + "{%\r\nendraw\t-%}",
            "{% # " + Repeat(" | a", 100) + " don't %}ok",
            "{% if a %}x{% else %}{% endif %}",
        ];

        foreach (var source in sources)
        {
            Assert.True(Check(source) is null, source[..Math.Min(source.Length, 60)]);
            Assert.True(Fluid.TryParse(source, out _, out var error), error);
        }
    }

    [Fact]
    public void TryCheck_WhatCouldEndATagDifferentlyForFluid_IsRefusedRatherThanGuessed()
    {
        // Fluid reads "%}" inside quotes as text: the rest of such a tag would be code the scan did not see.
        Assert.Equal("line 1: a quote in '{% … %}' is not closed before '%}' (quoted text cannot hold '%}')", Check("{% if a == \"%}\" %}x{% endif %}"));
        Assert.Equal("line 2: a quote in '{{ … }}' is not closed before '}}' (quoted text cannot hold '}}')", Check("\n{{ 'a }}' | upcase }}"));
        Assert.Equal("line 1: a quote in '{{ … }}' is not closed before '}}' (quoted text cannot hold '}}')", Check("{{ 'a"));
        Assert.Equal("line 1: '{% endcomment %}' is written with unusual whitespace; write it as {% endcomment %}", Check("{% comment %}x{%\u00a0endcomment %}" + Ifs(3_000)));

        // Quotes that close inside the tag, and "}}" inside a tag's quotes, are fine.
        Assert.Null(Check("{% assign x = \"}}\" | append: 'it\\'s' %}{{ x }}"));
    }

    [Fact]
    public void Render_APartOverALimit_FailsWithTheLimit_EvenWhenItWasNeverChecked()
    {
        // A definition built in code (as a stored template read back is, once parsed) goes through the same check.
        var template = new TemplateDefinition("deep", Channel.Sms, new SourceLocation(1, 1)) { Parts = [new TemplatePart("text", Filters(50_000), 1)] };

        var first = TemplateRenderer.Render(template, RenderModel.Sample(null, new MessageContext("m", null, null, null, null, null), null));
        var again = TemplateRenderer.Render(template, RenderModel.Sample(null, new MessageContext("m", null, null, null, null, null), null));

        Assert.Equal($"text: line 1: more than {LiquidLimits.MaxFilters} filters in one expression", first.Error);
        Assert.Equal(first.Error, again.Error);
        Assert.Equal(first.Error, "text: " + TemplateRenderer.ParseError(Filters(50_000)));
    }

    [Fact]
    public void Parse_ATemplateDocumentOverALimit_IsAnErrorOnItsLine()
    {
        var yaml = "kind: template\nid: deep\nchannel: email\nsubject: Hi\nhtml: |\n  <p>\n  " + Ifs(3_000) + "\n";

        var error = Assert.Single(DocumentParser.Parse(yaml, "deep.yaml").Errors);

        Assert.Equal(5, error.Line);
        Assert.Equal("'html' is beyond a template limit: line 2: blocks nest deeper than 32 levels ('{% if %}' inside 32 open blocks)", error.Message);
    }

    /// <summary>
    /// The check's soundness, against Fluid itself: whatever it accepts, Fluid's syntax tree stays within the limits
    /// (block nesting, filter chains, and/or chains, brackets). The generator mixes nesting around each limit with
    /// the lexical traps — quotes, raw and comment bodies holding tags, inline comments, whitespace control.
    /// </summary>
    [Fact]
    public void TryCheck_AcceptsOnlyTemplatesWhoseFluidTreeIsWithinTheLimits()
    {
        var accepted = 0;
        var deepest = 0;
        ParserFuzz.TemplatesNearTheLimits.Sample(source =>
        {
            if (!LiquidLimits.TryCheck(source, out _) || !Fluid.TryParse(source, out var template, out _))
            {
                return;
            }

            var shape = TreeShape.Of(template);
            Interlocked.Increment(ref accepted);
            InterlockedMax(ref deepest, shape.Blocks);
            Assert.True(shape.Blocks <= LiquidLimits.MaxBlockDepth, $"blocks {shape.Blocks}");
            Assert.True(shape.Filters <= LiquidLimits.MaxFilters, $"filters {shape.Filters}");
            Assert.True(shape.Operators <= LiquidLimits.MaxOperators, $"operators {shape.Operators}");
            Assert.True(shape.Brackets <= LiquidLimits.MaxBracketDepth, $"brackets {shape.Brackets}");
        }, iter: 1_000, threads: 1);

        // The generator does reach the limits: some accepted templates nest as deep as allowed.
        Assert.True(accepted > 100, $"only {accepted} templates were accepted and parsed");
        Assert.True(deepest >= LiquidLimits.MaxBlockDepth - 4, $"the deepest accepted template nests {deepest} blocks");
    }

    [Fact]
    public void TryCheck_EndTagsWithAnyWhitespace_AreNeverSkippedWhereFluidWouldStop()
    {
        // Had the check read on past an end tag Fluid takes (whitespace it does not know), the nested ifs after it
        // would pass unseen; had it stopped at one Fluid reads past, it would count what Fluid does not. It either
        // stops exactly where Fluid does or refuses the template.
        string[] spaces = [string.Empty, " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\u00a0", "\u0085", "\u2028", "\u3000", "\u200b", "\ufeff", "\u180e"];
        foreach (var tag in (string[])["comment", "raw"])
        {
            foreach (var (before, after) in spaces.SelectMany(before => spaces.Select(after => (before, after))))
            {
                foreach (var (open, close) in ((string, string)[])[("{%", "%}"), ("{%-", "-%}")])
                {
                    var source = $"{{% {tag} %}}{open}{before}end{tag}{after}{close}{Ifs(LiquidLimits.MaxBlockDepth + 1)}{{% end{tag} %}}";
                    if (LiquidLimits.TryCheck(source, out _) && Fluid.TryParse(source, out var template, out _))
                    {
                        Assert.True(TreeShape.Of(template).Blocks <= LiquidLimits.MaxBlockDepth, source);
                    }
                }
            }
        }
    }

    [Fact]
    public void TryCheck_ABlockOpenedAfterAnyCharacterFluidSkips_IsCounted()
    {
        // Every character Fluid skips between "{%" and a tag's name must be skipped by the check too, or the block
        // would go uncounted: U+FEFF and U+180E are whitespace to Fluid but not to char.IsWhiteSpace.
        var missed = new List<string>();
        for (var code = 0; code <= char.MaxValue; code++)
        {
            var blank = ((char)code).ToString();
            if (char.IsSurrogate((char)code) || !LiquidLimits.TryCheck(Repeat("{%" + blank + "if a %}", LiquidLimits.MaxBlockDepth + 1), out _))
            {
                continue;
            }

            if (Fluid.TryParse("{%" + blank + "if true %}x{% endif %}", out var template, out _) && template.Render() == "x")
            {
                missed.Add($"U+{code:X4}");
            }
        }

        Assert.Empty(missed);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }

    /// <summary>How deep a Fluid syntax tree nests in each way the parser or the renderer recurses, read by reflection.</summary>
    private sealed record TreeShape(int Blocks, int Filters, int Operators, int Brackets)
    {
        private static readonly HashSet<string> BlockTypes = ["IfStatement", "UnlessStatement", "ForStatement", "CaseStatement", "CaptureStatement", "TableRowStatement", "IfChangedStatement"];

        public static TreeShape Of(IFluidTemplate template)
        {
            var statements = (IEnumerable)template.GetType().GetProperty("Statements")!.GetValue(template)!;
            var shape = new TreeShape(0, 0, 0, 0);
            var pending = new Stack<(object Node, TreeShape Path)>();
            foreach (var statement in statements)
            {
                pending.Push((statement, shape));
            }

            while (pending.TryPop(out var next))
            {
                var name = next.Node.GetType().Name;
                var path = next.Path with
                {
                    Blocks = next.Path.Blocks + (BlockTypes.Contains(name) ? 1 : 0),
                    Filters = next.Path.Filters + (name == "FilterExpression" ? 1 : 0),
                    Operators = next.Path.Operators + (name is "AndBinaryExpression" or "OrBinaryExpression" ? 1 : 0),
                    Brackets = next.Path.Brackets + (name is "IndexerSegment" or "RangeExpression" ? 1 : 0),
                };
                shape = new TreeShape(Math.Max(shape.Blocks, path.Blocks), Math.Max(shape.Filters, path.Filters), Math.Max(shape.Operators, path.Operators), Math.Max(shape.Brackets, path.Brackets));
                foreach (var child in Children(next.Node))
                {
                    pending.Push((child, path));
                }
            }

            return shape;
        }

        private static IEnumerable<object> Children(object node)
        {
            for (var type = node.GetType(); type is not null && type.Namespace?.StartsWith("Fluid.Ast", StringComparison.Ordinal) == true; type = type.BaseType)
            {
                foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    foreach (var child in Nodes(field.GetValue(node)))
                    {
                        yield return child;
                    }
                }
            }
        }

        private static IEnumerable<object> Nodes(object? value) => value switch
        {
            null or string => [],
            Array items => items.Cast<object?>().SelectMany(Nodes),
            _ when IsAst(value.GetType()) => [value],
            IEnumerable items => items.Cast<object?>().SelectMany(Nodes),
            _ => [],
        };

        private static bool IsAst(Type type) =>
            type.Namespace?.StartsWith("Fluid.Ast", StringComparison.Ordinal) == true && !type.Name.Contains("Cached", StringComparison.Ordinal);
    }

    [Fact]
    public void Render_WithinTheLimits_StillRendersEachConstruct()
    {
        var text = Filters(LiquidLimits.MaxFilters) + Ors(LiquidLimits.MaxOperators) + Ifs(LiquidLimits.MaxBlockDepth);
        var template = new TemplateDefinition("fine", Channel.Sms, new SourceLocation(1, 1))
        {
            Parts = [new TemplatePart("text", text.Replace(" a", " contact.a", StringComparison.Ordinal), 1)],
        };
        var model = RenderModel.Sample(JsonSerializer.SerializeToElement(new { contact = new { a = 1 } }), new MessageContext("m", null, null, null, null, null), null);

        var rendered = TemplateRenderer.Render(template, model);

        Assert.True(rendered.Succeeded, rendered.Error);
        Assert.Equal("65xx", rendered["text"]);
    }
}
