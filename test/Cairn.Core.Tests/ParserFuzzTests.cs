using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;
using Cairn.Core.Segments;
using Cairn.Core.Templates;
using CsCheck;

namespace Cairn.Core.Tests;

/// <summary>
/// Fuzzing of the three parsers that take text from outside — documents (YAML / JSON), Liquid templates, event JSON —
/// for a fixed number of inputs each (a few seconds on CI; a new seed every run, printed on failure): every input ends
/// in a value or a validation error, never an exception or a stack overflow (which would end this test process), and
/// within a time budget. The generators build nesting around and far past
/// every limit and mix it with random text and mutations, so the deep and long cases are reached, not only noise.
/// </summary>
[Collection(nameof(ParserFuzzTests))]
public sealed class ParserFuzzTests
{
    /// <summary>
    /// What one input may take. Inputs usually take milliseconds, and a render (run here without the caller's time
    /// limit, <see cref="TemplateRenderer.MaxTime"/>) is bounded by its steps and output; the margin is for a loaded machine (this one ran these tests at a load
    /// of 20 on 2 cores). A runaway input — quadratic parsing of a deep document, a loop — takes minutes or never ends.
    /// </summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static readonly ContactId Id = new(Guid.Parse("0193a3c0-0000-7000-8000-0000000000f1"));

    [Fact]
    public void Documents_EveryInputIsADocumentOrErrors_WithinTheBudget()
    {
        var valid = 0;
        var reached = new Reached("lists and mappings nest deeper", "conditions nest deeper", "the alias", "values (aliases expanded)", "nests deeper than the limit", "is beyond a template limit", "not valid YAML");
        void Run(string text)
        {
            var watch = Stopwatch.StartNew();
            var parsed = DocumentParser.Parse(text, "fuzz.yaml");
            Assert.True(parsed.Errors.All(error => error.Message.Length > 0));
            Assert.Equal(parsed is InvalidDocument, !parsed.Errors.IsEmpty);
            reached.Count(parsed.Errors.Select(error => error.Message));
            var set = DocumentSet.Read([("fuzz.yaml", text)]);
            if (parsed.Errors.IsEmpty)
            {
                Interlocked.Increment(ref valid);
                Exercise(parsed, set);
            }

            Assert.True(watch.Elapsed < Budget, $"took {watch.Elapsed}");
        }

        Warm(() => Run("id: j\nname: J\ntrigger: { event: e, where: { property: p, op: gt, value: 1 } }\nsteps:\n  - { id: a, wait: 1h }\n"));
        Explore(ParserFuzz.Documents, Run, 400, Shorten);

        Assert.True(valid > 50, $"only {valid} valid documents were generated");
        reached.AssertEveryOne($"{valid} valid documents");
    }

    [Fact]
    public void Templates_EveryInputRendersOrFails_WithinTheBudget()
    {
        var rendered = 0;
        var model = RenderModel.Sample(
            JsonDocument.Parse("""{"contact":{"a":1,"b":"x","items":[1,2,3]},"event":{"total":3}}""").RootElement,
            new MessageContext("m", "j", "s", null, "https://example.com/u", "https://example.com/p"),
            null);
        var reached = new Reached("blocks nest deeper", "filters in one expression", "operators in one expression", "brackets nest deeper", "a quote in", "characters long");
        void Run(string source)
        {
            var watch = Stopwatch.StartNew();
            var error = TemplateRenderer.ParseError(source);
            reached.Count(error is null ? [] : [error]);
            if (error is null)
            {
                var template = new TemplateDefinition("fuzz", Channel.Sms, new SourceLocation(1, 1)) { Parts = [new TemplatePart("text", source, 1)] };
                var result = TemplateRenderer.Render(template, model);
                Assert.True(result.Succeeded || result.Error!.Length > 0);
                Interlocked.Increment(ref rendered);
            }

            Assert.True(watch.Elapsed < Budget, $"took {watch.Elapsed}");
        }

        Warm(() => Run("{% for x in contact.items %}{{ x | plus: contact.a }}{% endfor %}"));
        Explore(ParserFuzz.Templates, Run, 1_200, Shorten);

        Assert.True(rendered > 100, $"only {rendered} templates parsed");
        reached.AssertEveryOne($"{rendered} templates rendered");
    }

    [Fact]
    public void Events_EveryInputIsAMessageOrAnError_WithinTheBudget()
    {
        var read = 0;
        var reached = new Reached("maximum configured depth", "cannot be read", "is required", "must be");
        void Run(byte[] body)
        {
            var watch = Stopwatch.StartNew();
            var (message, error) = ParserFuzz.ReadEvent(body, Now);
            reached.Count(error is null ? [] : [error]);
            if (message is not null)
            {
                Interlocked.Increment(ref read);
                var decision = ContactDecider.Decide(null, new MessageReceived(Id, message), Now);
                var model = RenderModel.For(decision.State, Now, message.Properties, [new PastEvent("e", Now, message.Properties)], null, null);
                var template = new TemplateDefinition("t", Channel.Sms, new SourceLocation(1, 1)) { Parts = [new TemplatePart("text", "{{ contact | json }}{% for e in events %}{{ e.properties | json }}{% endfor %}", 1)] };
                Assert.True(TemplateRenderer.Render(template, model) is { } result && (result.Succeeded || result.Error!.Length > 0));
            }

            Assert.True(watch.Elapsed < Budget, $"took {watch.Elapsed}");
        }

        Warm(() => Run(Encoding.UTF8.GetBytes("""{"type":"identify","userId":"u","traits":{"email":"a@example.com","phone":"+14155550100","consent":{"email":"opted_in"}}}""")));
        Explore(ParserFuzz.Events, Run, 6_000, body => Shorten(Encoding.UTF8.GetString(body)));

        Assert.True(read > 10, $"only {read} events were valid");
        reached.AssertEveryOne($"{read} valid events");
    }

    /// <summary>
    /// Which limits and errors the inputs reached: every one must have been, or the generator is not reaching the deep
    /// and long cases it is meant to.
    /// </summary>
    private sealed class Reached(params string[] kinds)
    {
        private readonly int[] _counts = new int[kinds.Length];
        private int _inputs;

        public void Count(IEnumerable<string> errors)
        {
            Interlocked.Increment(ref _inputs);
            foreach (var error in errors)
            {
                for (var kind = 0; kind < kinds.Length; kind++)
                {
                    if (error.Contains(kinds[kind], StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref _counts[kind]);
                    }
                }
            }
        }

        public void AssertEveryOne(string summary)
        {
            var report = $"{_inputs} inputs, {summary}; " + string.Join(", ", kinds.Select((kind, index) => $"'{kind}': {_counts[index]}"));
            TestContext.Current.TestOutputHelper?.WriteLine(report);
            Assert.True(_counts.All(count => count > 0), report);
        }
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> inputs drawn from a fixed seed, then as many from a new seed (printed by
    /// CsCheck on failure). The fixed draw makes the check that every limit was reached deterministic — a random draw
    /// may miss a rare case in one run (a CI run once drew no document past a template limit) — while the new draw
    /// keeps exploring on every run.
    /// </summary>
    private static void Explore<T>(Gen<T> gen, Action<T> run, int iterations, Func<T, string> print)
    {
        var pcg = new PCG(1, 20261206);
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            var input = gen.Generate(pcg, null, out _);
            try
            {
                run(input);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"fixed-seed input {iteration} failed: {print(input)}", exception);
            }
        }

        gen.Sample(run, iter: iterations, threads: 1, print: print);
    }

    /// <summary>Runs once before sampling, so that loading and compiling code is not charged to the first input.</summary>
    private static void Warm(Action run)
    {
        try
        {
            run();
        }
        catch (Xunit.Sdk.XunitException)
        {
            // Only the time budget can fail here; sampling checks the same input class again.
        }
    }

    /// <summary>Runs what reads a valid document afterwards: validation, segment ordering, evaluation of each condition.</summary>
    private static void Exercise(ParsedDocument parsed, DocumentSet set)
    {
        Assert.NotNull(set);
        var profile = ContactState.New(Id, Now);
        var context = new EvaluationContext(profile, JsonSerializer.SerializeToElement(new { p = 1 }), null, [new PastEvent("e", Now.AddDays(-1), null)], Now);
        IEnumerable<Condition> conditions = parsed is ParsedSegment { Segment.Condition: { } segment } ? [segment]
            : parsed is ParsedJourney { Journey: var journey } ? journey.Conditions()
            : parsed is ParsedPolicy { Policy: var policy } ? policy.Rules.Select(rule => rule.When).OfType<Condition>()
            : [];
        foreach (var condition in conditions)
        {
            _ = ConditionEvaluator.Holds(condition, context);
            _ = SegmentDecider.Affected(condition, SegmentCause.All("fuzz"), new HashSet<string>());
            _ = SegmentDecider.NextChange(condition, context);
            _ = JourneyValidator.NeverHolds(condition);
        }

        if (parsed is ParsedSegment { Segment: var definition })
        {
            _ = SegmentLibrary.Of([definition]);
        }
    }

    private static string Shorten(string text) => text.Length > 400 ? text[..400] + $"… ({text.Length} characters)" : text;
}

/// <summary>The fuzz tests run on their own, so that other tests do not eat into each input's time budget.</summary>
[CollectionDefinition(nameof(ParserFuzzTests), DisableParallelization = true)]
public sealed class ParserFuzzRunsAlone;

/// <summary>The fuzzers' generators: structured nesting around and past every limit, lexical traps, random text and mutations.</summary>
internal static class ParserFuzz
{
    /// <summary>Liquid templates.</summary>
    public static readonly Gen<string> Templates = Gen.Frequency(
        (5, Gen.Int.Select(seed => Liquid.Structured(new Random(seed)))),
        (2, Gen.Int.Select(seed => Mutate(new Random(seed), Liquid.Structured(new Random(seed ^ 0x5bd1e995))))),
        (2, Gen.Int.Select(seed => Soup(new Random(seed), Liquid.Tokens, 300))),
        (1, Gen.Int.Select(seed => Liquid.Huge(new Random(seed)))));

    /// <summary>Liquid templates that Fluid mostly accepts, nesting right around each limit: for checking the check against Fluid.</summary>
    public static readonly Gen<string> TemplatesNearTheLimits = Gen.Int.Select(seed => Liquid.Structured(new Random(seed), nearTheLimits: true));

    /// <summary>Documents of every kind, as YAML (block and flow) and JSON.</summary>
    public static readonly Gen<string> Documents = Gen.Frequency(
        (5, Gen.Int.Select(seed => Yaml.Structured(new Random(seed)))),
        (3, Gen.Int.Select(seed => Mutate(new Random(seed), Yaml.Structured(new Random(seed ^ 0x27d4eb2f))))),
        (2, Gen.Int.Select(seed => Soup(new Random(seed), Yaml.Tokens, 200))));

    /// <summary>Request bodies of single events (UTF-8 bytes, not always JSON).</summary>
    public static readonly Gen<byte[]> Events = Gen.Frequency(
        (5, Gen.Int.Select(seed => Encoding.UTF8.GetBytes(Json.Event(new Random(seed))))),
        (2, Gen.Int.Select(seed => Encoding.UTF8.GetBytes(Mutate(new Random(seed), Json.Event(new Random(seed ^ 0x165667b1)))))),
        (1, Gen.Byte.Array[0, 200]));

    /// <summary>Reads a body as <c>/v1/track</c> does: JSON to the ingestion depth, then the Segment message reader.</summary>
    public static (SegmentMessage? Message, string? Error) ReadEvent(byte[] body, DateTimeOffset now)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MessageLimits.MaxDepth + 1 });
        }
        catch (JsonException exception)
        {
            return (null, exception.Message);
        }

        using (document)
        {
            var counter = 0;
            return SegmentMessageReader.TryRead(document.RootElement, null, now, null, () => "generated-" + ++counter, out var message, out var error)
                ? (message, null)
                : (null, error.Length > 0 ? error : throw new InvalidOperationException("an error without a reason"));
        }
    }

    /// <summary>A depth: mostly shallow, often right around a limit, sometimes far past every limit.</summary>
    private static int Depth(Random random, params int[] limits) => random.Next(10) switch
    {
        < 4 => random.Next(0, 4),
        < 8 => limits[random.Next(limits.Length)] + random.Next(-3, 4),
        < 9 => random.Next(100, 400),
        _ => random.Next(2_000, 20_000),
    };

    private static string Soup(Random random, string[] tokens, int most)
    {
        var text = new StringBuilder();
        for (var count = random.Next(1, most); count > 0; count--)
        {
            text.Append(tokens[random.Next(tokens.Length)]);
        }

        return text.ToString();
    }

    /// <summary>Random edits: characters inserted, removed or replaced, a stretch repeated or cut off.</summary>
    private static string Mutate(Random random, string text)
    {
        var chars = new StringBuilder(text);
        for (var edits = random.Next(1, 6); edits > 0 && chars.Length > 0; edits--)
        {
            var at = random.Next(chars.Length);
            switch (random.Next(5))
            {
                case 0:
                    chars.Insert(at, "{}[]()\"':-|%#&*!?\t\n\\ ,\u00a0\u2028é\0"[random.Next(24)]);
                    break;
                case 1:
                    chars.Remove(at, Math.Min(random.Next(1, 8), chars.Length - at));
                    break;
                case 2:
                    chars[at] = (char)random.Next(32, 127);
                    break;
                case 3:
                    var length = Math.Min(random.Next(1, 40), chars.Length - at);
                    var stretch = chars.ToString(at, length);
                    chars.Insert(at, string.Concat(Enumerable.Repeat(stretch, random.Next(2, 50))));
                    break;
                default:
                    chars.Length = at;
                    break;
            }
        }

        return chars.ToString();
    }

    private static class Liquid
    {
        public static readonly string[] Tokens =
        [
            "{% if a %}", "{% endif %}", "{% for x in contact.items %}", "{% endfor %}", "{% unless a %}", "{% endunless %}",
            "{% case a %}", "{% when 1 %}", "{% endcase %}", "{% capture c %}", "{% endcapture %}", "{% else %}", "{% elsif b %}",
            "{%- ", " -%}", "{{- ", " -}}", "{{ ", " }}", "{% ", " %}", "{{", "}}", "{%", "%}", " | plus: 1", " | upcase", " | default: 'x'",
            " or ", " and ", " == ", "[", "]", "(", ")", "(1..3)", "\"", "'", "\\", "a", "contact.a", "x", "\n", " ",
            "{% raw %}", "{% endraw %}", "{% comment %}", "{% endcomment %}", "{% # ", "{% doc %}", "{% enddoc %}",
            "{% assign y = ", "{% liquid ", "{% echo ", "{% cycle 'a', 'b' %}", "{% tablerow x in contact.items %}", "{% endtablerow %}",
            "'%}'", "\"}}\"", "'{% if a %}'", "é", "\u00a0", "{% increment n %}", "{% break %}",
        ];

        private static readonly (string Open, string Close)[] Blocks =
        [
            ("{% if contact.a %}", "{% endif %}"), ("{%- if a or b -%}", "{%- endif -%}"), ("{% unless a %}", "{% endunless %}"),
            ("{% for x in contact.items %}", "{% endfor %}"), ("{% case contact.a %}{% when 1, 2 %}", "{% endcase %}"),
            ("{% capture c %}", "{% endcapture %}"), ("{%if a%}", "{%endif%}"), ("{% tablerow x in contact.items %}", "{% endtablerow %}"),
            ("{% ifchanged %}", "{% endifchanged %}"),
        ];

        /// <summary>Blocks nested to a depth around or past the limit, each level holding expressions and traps.</summary>
        public static string Structured(Random random, bool nearTheLimits = false)
        {
            var depth = nearTheLimits ? LiquidLimits.MaxBlockDepth + random.Next(-8, 3) : Depth(random, LiquidLimits.MaxBlockDepth);
            var text = new StringBuilder();
            var open = new Stack<string>();
            for (var level = 0; level < depth; level++)
            {
                var (opening, closing) = Blocks[random.Next(Blocks.Length)];
                text.Append(opening);
                open.Push(closing);
                if (random.Next(3) == 0 || level == depth - 1 || depth > 500)
                {
                    Item(random, text, depth > 500, nearTheLimits);
                }
            }

            while (open.TryPop(out var closing))
            {
                if (random.Next(8) == 0)
                {
                    Item(random, text, depth > 500, nearTheLimits);
                }

                if (random.Next(nearTheLimits ? 1_000 : 40) != 0)
                {
                    text.Append(closing);
                }
            }

            return text.ToString();
        }

        /// <summary>One thing inside a block: text, an output or tag with its filters, operators and brackets, or a trap.</summary>
        private static void Item(Random random, StringBuilder text, bool small, bool nearTheLimits)
        {
            int Count(int limit) => nearTheLimits ? limit + random.Next(-4, 2) : Depth(random, limit);
            switch (random.Next(small ? 2 : nearTheLimits ? 11 : 12))
            {
                case 0:
                    text.Append("Hello ");
                    break;
                case 1:
                    text.Append("{{ contact.b }}\n");
                    break;
                case 2:
                    text.Append("{{ contact.a").Append(string.Concat(Enumerable.Repeat(" | plus: 1", Count(LiquidLimits.MaxFilters)))).Append(" }}");
                    break;
                case 3:
                    text.Append("{% if contact.a").Append(string.Concat(Enumerable.Repeat(random.Next(2) == 0 ? " or a" : " and b", Count(LiquidLimits.MaxOperators)))).Append(" %}y{% endif %}");
                    break;
                case 4:
                    var brackets = Count(LiquidLimits.MaxBracketDepth);
                    text.Append("{{ ").Append(string.Concat(Enumerable.Repeat("contact.items[", brackets))).Append('0').Append(new string(']', brackets)).Append(" }}");
                    break;
                case 5:
                    text.Append("{% raw %}").Append(Soup(random, Tokens, 30)).Append("{% endraw %}");
                    break;
                case 6:
                    text.Append("{% comment %}{% if a %}{% endif %}{% endif %}").Append(Soup(random, Tokens, 20)).Append(random.Next(2) == 0 ? "{%- endcomment -%}" : "{% endcomment %}");
                    break;
                case 7:
                    text.Append("{% # don't {% if %} | | | %}");
                    break;
                case 8:
                    text.Append(random.Next(3) switch { 0 => "{{ 'a }}' }}", 1 => "{% assign s = \"%}\" %}", _ => "{{ 'it\\'s' | append: \"{{\" }}" });
                    break;
                case 9:
                    text.Append("{% if contact.a %}x{% elsif contact.b == 'x' %}y{% else %}z{% endif %}");
                    break;
                case 10:
                    text.Append("{% assign t = contact.a | plus: 2 | times: 3 %}{{ t }}{{ contact.items | join: ',' }}{% cycle 'a', 'b' %}");
                    break;
                default:
                    text.Append(Soup(random, Tokens, 12));
                    break;
            }
        }

        /// <summary>The issue's inputs and their kin: thousands of levels, filters, operators or brackets, among noise.</summary>
        public static string Huge(Random random)
        {
            var size = random.Next(1_000, 60_000);
            string core = random.Next(6) switch
            {
                0 => string.Concat(Enumerable.Repeat("{% if a %}", size)) + string.Concat(Enumerable.Repeat("{% endif %}", size)),
                1 => "{{ a" + string.Concat(Enumerable.Repeat(" | plus: 1", size)) + " }}",
                2 => "{% if a" + string.Concat(Enumerable.Repeat(" or a", size)) + " %}x{% endif %}",
                3 => "{{ " + string.Concat(Enumerable.Repeat("a[", size)) + "0" + new string(']', size) + " }}",
                4 => "{{ " + new string('(', size) + "a" + new string(')', size) + " }}",
                _ => string.Concat(Enumerable.Repeat("{%- unless a -%}{% for x in y %}", size / 2)),
            };
            return Soup(random, Tokens, 5) + core + Soup(random, Tokens, 5);
        }
    }

    private static class Yaml
    {
        public static readonly string[] Tokens =
        [
            "kind: segment\n", "kind: template\n", "id: x\n", "name: X\n", "condition: ", "steps:\n", "  - ", "- ", ": ", "{", "}", "[", "]",
            ", ", "\n", "  ", "\t", "&a ", "*a", "? ", "!!str ", "'", "\"", "#", "---\n", "...\n", "|\n", ">\n", "trait: plan", "not: ",
            "all: ", "any: ", "performed: e", "where: ", "in_segment: x", "value: ", "op: in", "%YAML 1.2\n", "é", "\u2028", "~", "null",
        ];

        /// <summary>A document of a random kind whose conditions (and values) nest to a depth around or past a limit.</summary>
        public static string Structured(Random random)
        {
            var depth = Depth(random, DocumentLimits.MaxConditionDepth, DocumentLimits.MaxNesting / 2, DocumentLimits.MaxNesting);
            string Any() => Condition(random, depth, history: true, "{ trait: plan, op: eq, value: pro }", "{ score: m, op: gte, value: 5 }", "{ trait: plan, op: in, value: [] }");
            string Profile() => Condition(random, depth, history: false, "{ trait: plan, op: eq, value: pro }", "{ tag: vip }", "{ in_segment: s }");
            string Event() => Condition(random, depth, history: false, "{ property: p, op: gt, value: 0 }", "{ property: p, op: exists }");
            var value = Value(random, Depth(random, DocumentLimits.MaxValueDepth));
            var text = random.Next(8) switch
            {
                0 => $"kind: segment\nid: s\nname: S\ncondition: {Any()}\n",
                1 => $"id: j\nname: J\ntrigger: {{ event: e, where: {Event()} }}\nentry: {{ audience: {Profile()} }}\nsteps:\n  - id: b\n    branch:\n      - {{ when: {Any()}, next: u }}\n    else: end\n  - id: u\n    update: {{ action: set_trait, name: t, value: {value} }}\n    next: end\nexit_when:\n  - {Any()}\ngoal: {{ event: g, within: 7d, where: {Event()} }}\n",
                2 => $"kind: scoring_model\nid: m\nname: M\nrules:\n  - {{ id: r, event: e, points: 5, where: {Event()} }}\nfit:\n  - {{ id: f, points: 1, when: {Condition(random, depth, history: false, "{ trait: plan, op: eq, value: pro }", "{ tag: vip }")} }}\n",
                3 => $"kind: policy\nid: default\nname: P\nsuppression_rules:\n  - {{ id: r, when: {Profile()} }}\n",
                4 => $"kind: sales_team\nid: t\nname: T\nowners:\n  - {{ id: o, name: O, email: o@example.com }}\nrouting:\n  - {{ name: r, owners: [o], when: {Profile()} }}\n",
                5 => $"kind: template\nid: t\nchannel: email\nsubject: Hi\nhtml: \"{Liquid.Structured(random).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"\nsample: {{ contact: {value} }}\n",
                6 => Json(random, depth),
                _ => Block(random, depth),
            };
            return random.Next(8) == 0 ? Aliases(random) + text : text;
        }

        /// <summary>A condition nested <paramref name="depth"/> levels, in the flow forms a reader meets, around one of <paramref name="leaves"/>.</summary>
        private static string Condition(Random random, int depth, bool history, params string[] leaves)
        {
            var text = new StringBuilder();
            var closers = new Stack<string>();
            for (var level = 0; level < depth; level++)
            {
                var (open, close) = random.Next(history ? 6 : 4) switch
                {
                    0 => ("[", "]"),
                    1 => ("{ all: [", "] }"),
                    2 => ("{ any: [" + leaves[0] + ", ", "] }"),
                    3 => ("{ not: ", " }"),
                    4 => ("{ performed: e, within: 30d, where: ", " }"),
                    _ => ("{ all: [{ performed: e, at_least: 2 }, ", "] }"),
                };
                text.Append(open);
                closers.Push(close);
            }

            text.Append(leaves[random.Next(leaves.Length)]);
            while (closers.TryPop(out var close))
            {
                text.Append(close);
            }

            return text.ToString();
        }

        private static string Value(Random random, int depth)
        {
            var list = random.Next(2) == 0;
            return string.Concat(Enumerable.Repeat(list ? "[" : "{ k: ", depth)) + "1" + string.Concat(Enumerable.Repeat(list ? "]" : " }", depth));
        }

        private static string Json(Random random, int depth)
        {
            var list = random.Next(2) == 0;
            return "{\"kind\":\"segment\",\"id\":\"s\",\"name\":\"S\",\"condition\":" + string.Concat(Enumerable.Repeat(list ? "[" : "{\"not\":", depth))
                + "{\"trait\":\"plan\",\"op\":\"exists\"}" + new string(list ? ']' : '}', depth) + "}";
        }

        private static string Block(Random random, int depth)
        {
            var text = new StringBuilder("kind: segment\nid: s\nname: S\ncondition:\n");
            var indent = 2;
            for (var level = 0; level < Math.Min(depth, 300); level++, indent += 2)
            {
                text.Append(' ', indent).Append(random.Next(2) == 0 ? "not:\n" : "all:\n" + new string(' ', indent) + "- ");
                if (text[^1] == ' ')
                {
                    text.Append('\n');
                }
            }

            return text.Append(' ', indent).Append("tag: vip\n").ToString();
        }

        /// <summary>Anchors and aliases: reuse, self-reference, forward reference, or an expansion that explodes.</summary>
        private static string Aliases(Random random) => random.Next(4) switch
        {
            0 => "x-base: &base { trait: plan, op: eq, value: pro }\nx-use: [*base, *base]\n",
            1 => "x-self: &self [*self]\n",
            2 => "x-early: *late\nx-late: &late 1\n",
            _ => "x-0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + string.Concat(Enumerable.Range(1, 9).Select(level => $"x-{level}: &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 10))}]\n")),
        };
    }

    private static class Json
    {
        private static readonly string[] Keys = ["type", "userId", "anonymousId", "event", "properties", "traits", "context", "messageId", "timestamp", "sentAt", "name", "groupId", "previousId", "integrations", "email", "phone", "consent", "x"];

        /// <summary>One message: known fields with right and wrong types, and a properties or traits object nested around and past the limit.</summary>
        public static string Event(Random random)
        {
            var text = new StringBuilder("{\"type\":").Append(random.Next(5) switch { 0 => "\"identify\"", 1 => "\"page\"", 2 => "7", 3 => "\"nope\"", _ => "\"track\"" });
            text.Append(random.Next(6) == 0 ? string.Empty : ",\"userId\":\"u-1\"").Append(",\"event\":\"Order Completed\"");
            for (var count = random.Next(0, 6); count > 0; count--)
            {
                text.Append(",\"").Append(Keys[random.Next(Keys.Length)]).Append("\":");
                Value(random, text, Depth(random, MessageLimits.MaxDepth, 64));
            }

            return text.Append('}').ToString();
        }

        private static void Value(Random random, StringBuilder text, int depth)
        {
            var closers = new Stack<char>();
            for (var level = 0; level < depth; level++)
            {
                if (random.Next(2) == 0)
                {
                    text.Append("{\"").Append(Keys[random.Next(Keys.Length)]).Append("\":");
                    closers.Push('}');
                }
                else
                {
                    text.Append("[1,");
                    closers.Push(']');
                }
            }

            text.Append(random.Next(7) switch
            {
                0 => "\"2026-11-24T12:00:00Z\"",
                1 => "1e308",
                2 => "null",
                3 => "\"a@example.com\"",
                4 => "{\"email\":{\"status\":\"opted_in\"}}",
                5 => "\"\\ud800\"",
                _ => "true",
            });
            while (closers.TryPop(out var close))
            {
                text.Append(close);
            }
        }
    }
}
