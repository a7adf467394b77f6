using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Cairn.Core.Templates;

/// <summary>
/// The limits a Liquid template is held to before Fluid ever sees it. Fluid's parser (Parlot) recurses once per
/// nested block and per nested bracket, and its renderer once per filter in a chain and per <c>and</c> / <c>or</c>;
/// past a few thousand levels the stack ends and .NET ends the process, which no <c>catch</c> can stop. So the
/// text is checked lexically, in one pass with no recursion, against limits that real templates never approach.
/// Every part that is parsed goes through <see cref="TryCheck"/> first: when a template is stored, when a stored
/// template is rendered, and in previews.
/// </summary>
/// <remarks>
/// The scan follows Fluid's own lexical rules: text outside tags is not code; <c>{% raw %}</c>, <c>{% comment %}</c>
/// and <c>{% doc %}</c> bodies are skipped up to their end tag; <c>{% # … %}</c> is a comment up to <c>%}</c>;
/// inside other tags quoted text is skipped. Where the two could disagree on where a tag ends — a quote inside a tag
/// that is not closed before the tag's <c>%}</c> or <c>}}</c>, or an end tag spelled with unusual whitespace — the
/// template is refused rather than guessed at, so every count is at least what Fluid would build.
/// </remarks>
public static class LiquidLimits
{
    /// <summary>The longest part (subject, html, text …), in characters: 512 KiB, as long as a whole rendered message.</summary>
    public const int MaxLength = 512 * 1024;

    /// <summary>How deep blocks (<c>if</c>, <c>unless</c>, <c>case</c>, <c>for</c>, <c>tablerow</c>, <c>capture</c>, <c>ifchanged</c>) may nest: 32.</summary>
    public const int MaxBlockDepth = 32;

    /// <summary>The most filters in one output or tag (<c>{{ a | f | g }}</c> has two): 64.</summary>
    public const int MaxFilters = 64;

    /// <summary>The most <c>and</c> / <c>or</c> operators in one output or tag: 64.</summary>
    public const int MaxOperators = 64;

    /// <summary>How deep brackets and parentheses may nest in one output or tag (<c>a[b[c]]</c> is two): 32.</summary>
    public const int MaxBracketDepth = 32;

    // The tags Fluid parses as blocks with a body (macro only exists with functions enabled, which Cairn does not).
    private static readonly HashSet<string> Blocks = new(StringComparer.Ordinal) { "if", "unless", "case", "for", "tablerow", "capture", "ifchanged" };

    // Tags whose body is not Liquid: skipped to their end tag.
    private static readonly HashSet<string> Verbatim = new(StringComparer.Ordinal) { "raw", "comment", "doc" };

    /// <summary>Checks <paramref name="source"/> against every limit.</summary>
    /// <param name="source">One Liquid part.</param>
    /// <param name="error">Which limit is exceeded and on which line of the part, when one is.</param>
    /// <returns>True when the part is within every limit (it may still not be valid Liquid).</returns>
    public static bool TryCheck(string source, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length > MaxLength)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"the template is {source.Length:N0} characters long; the limit is {MaxLength:N0}");
            return false;
        }

        error = new Scanner(source).Run();
        return error is null;
    }

    /// <summary>
    /// Whitespace as broadly as anyone reads it: .NET's, plus the format and space characters Parlot also skips
    /// (U+FEFF and U+180E are whitespace to Fluid, not to <see cref="char.IsWhiteSpace(char)"/>). Where the scan skips
    /// whitespace to find a tag's name or end, skipping more than Fluid can only make it count more.
    /// </summary>
    private static bool IsBlank(char c) =>
        char.IsWhiteSpace(c) || char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.SpaceSeparator;

    private sealed class Scanner(string source)
    {
        private readonly List<string> _open = [];
        private int _position;

        public string? Run()
        {
            while (NextTagStart() is { } start)
            {
                var error = source[start + 1] == '{' ? Output(start) : Tag(start);
                if (error is not null)
                {
                    return error;
                }
            }

            return null;
        }

        /// <summary>The next <c>{{</c> or <c>{%</c> at or after the position, or null at the end of the text.</summary>
        private int? NextTagStart()
        {
            while (_position < source.Length - 1)
            {
                var brace = source.IndexOf('{', _position);
                if (brace < 0 || brace == source.Length - 1)
                {
                    return null;
                }

                if (source[brace + 1] is '{' or '%')
                {
                    return brace;
                }

                _position = brace + 1;
            }

            return null;
        }

        private string? Output(int start)
        {
            var (end, error) = Expression(start, start + 2, "}}");
            if (error is not null || end < 0)
            {
                _position = source.Length;
                return error;
            }

            _position = end + 2;
            return null;
        }

        private string? Tag(int start)
        {
            var at = start + 2;
            if (at < source.Length && source[at] == '-')
            {
                at++;
            }

            while (at < source.Length && IsBlank(source[at]))
            {
                at++;
            }

            var nameStart = at;
            if (at < source.Length && source[at] == '#')
            {
                // An inline comment runs to the first %}, quotes and all, as Fluid reads it.
                return Skip(source.IndexOf("%}", at, StringComparison.Ordinal));
            }

            while (at < source.Length && (char.IsAsciiLetterOrDigit(source[at]) || source[at] is '_' or '-'))
            {
                at++;
            }

            var name = source[nameStart..at];
            if (name == "else")
            {
                // Fluid takes {% else %} up to the first %}: nothing in it is an expression.
                return Skip(source.IndexOf("%}", at, StringComparison.Ordinal));
            }

            if (Verbatim.Contains(name))
            {
                var opened = source.IndexOf("%}", at, StringComparison.Ordinal);
                return opened < 0 ? Skip(-1) : SkipBody(opened + 2, "end" + name);
            }

            var (end, error) = Expression(start, at, "%}");
            if (error is not null || end < 0)
            {
                _position = source.Length;
                return error;
            }

            if (Blocks.Contains(name))
            {
                _open.Add(name);
                if (_open.Count > MaxBlockDepth)
                {
                    return Exceeded(start, $"blocks nest deeper than {MaxBlockDepth} levels ('{{% {name} %}}' inside {MaxBlockDepth} open blocks)");
                }
            }
            else if (name.StartsWith("end", StringComparison.Ordinal) && _open.Count > 0 && _open[^1] == name[3..]
                && source.AsSpan(at, end - at).Trim().TrimEnd('-').IsWhiteSpace())
            {
                // Only an end tag Fluid would take as closing the innermost block closes it here: anything else is
                // a parse error for Fluid, and counting the block as still open can only overstate the depth.
                _open.RemoveAt(_open.Count - 1);
            }

            _position = end + 2;
            return null;
        }

        private string? Skip(int end)
        {
            _position = end < 0 ? source.Length : end + 2;
            return null;
        }

        /// <summary>Skips a raw, comment or doc body to its end tag (<c>{%-? endcomment -?%}</c>).</summary>
        private string? SkipBody(int from, string endName)
        {
            for (var candidate = source.IndexOf("{%", from, StringComparison.Ordinal); candidate >= 0; candidate = source.IndexOf("{%", candidate + 2, StringComparison.Ordinal))
            {
                if (EndTag(candidate, endName, strict: true) is { } end)
                {
                    _position = end;
                    return null;
                }

                if (EndTag(candidate, endName, strict: false) is not null)
                {
                    // Fluid may or may not take this for the end tag: refuse rather than guess which.
                    return Exceeded(candidate, $"'{{% {endName} %}}' is written with unusual whitespace; write it as {{% {endName} %}}");
                }
            }

            _position = source.Length;
            return null;
        }

        /// <summary>
        /// Where the end tag at <paramref name="at"/> ends, or null when there is none: strictly with spaces, tabs and
        /// line breaks only (whitespace Fluid certainly skips), or loosely with any whitespace and dashes.
        /// </summary>
        private int? EndTag(int at, string name, bool strict)
        {
            var i = at + 2;
            if (strict && i < source.Length && source[i] == '-')
            {
                i++;
            }

            i = SkipSpace(i, strict);
            if (string.CompareOrdinal(source, i, name, 0, name.Length) != 0)
            {
                return null;
            }

            i = SkipSpace(i + name.Length, strict);
            if (strict && i < source.Length && source[i] == '-')
            {
                i++;
            }

            return string.CompareOrdinal(source, i, "%}", 0, 2) == 0 ? i + 2 : null;
        }

        private int SkipSpace(int i, bool strict)
        {
            while (i < source.Length && (strict ? source[i] is ' ' or '\t' or '\r' or '\n' : IsBlank(source[i]) || source[i] == '-'))
            {
                i++;
            }

            return i;
        }

        /// <summary>
        /// Scans an expression from <paramref name="from"/> to the tag's end <paramref name="close"/>, skipping quoted
        /// text, and counts its filters, operators and bracket depth. Returns where <paramref name="close"/> starts
        /// (-1 when the text ends first: Fluid reports that).
        /// </summary>
        private (int End, string? Error) Expression(int start, int from, string close)
        {
            // Quoted text may not hold the closing delimiter (see the remarks), so the expression ends at the first one.
            var end = source.IndexOf(close, from, StringComparison.Ordinal);
            var limit = end < 0 ? source.Length : end;
            var filters = 0;
            var operators = 0;
            var depth = 0;
            for (var i = from; i < limit; i++)
            {
                switch (source[i])
                {
                    case '"' or '\'':
                        var closing = ClosingQuote(i);
                        if (closing < 0 || closing > limit)
                        {
                            var open = close == "}}" ? "{{" : "{%";
                            return (-1, Exceeded(start, $"a quote in '{open} … {close}' is not closed before '{close}' (quoted text cannot hold '{close}')"));
                        }

                        i = closing;
                        break;
                    case '|':
                        if (++filters > MaxFilters)
                        {
                            return (-1, Exceeded(start, $"more than {MaxFilters} filters in one expression"));
                        }

                        break;
                    case '[' or '(':
                        if (++depth > MaxBracketDepth)
                        {
                            return (-1, Exceeded(start, $"brackets nest deeper than {MaxBracketDepth} levels in one expression"));
                        }

                        break;
                    case ']' or ')':
                        depth = Math.Max(0, depth - 1);
                        break;
                    case 'o' or 'a' when IsOperator(i):
                        if (++operators > MaxOperators)
                        {
                            return (-1, Exceeded(start, $"more than {MaxOperators} 'and' / 'or' operators in one expression"));
                        }

                        break;
                }
            }

            return (end, null);
        }

        /// <summary>
        /// True when <c>and</c> or <c>or</c> starts at <paramref name="i"/> and could be an operator to Fluid, which
        /// matches the word without looking past it (<c>a orb</c> is <c>a or b</c>): anything not inside a longer name.
        /// </summary>
        private bool IsOperator(int i)
        {
            var word = source[i] == 'o' ? "or" : "and";
            return string.CompareOrdinal(source, i, word, 0, word.Length) == 0
                && (i == 0 || !(char.IsAsciiLetter(source[i - 1]) || source[i - 1] == '_'));
        }

        /// <summary>The closing quote of the quoted text starting at <paramref name="at"/> (backslash escapes the next character), or -1.</summary>
        private int ClosingQuote(int at)
        {
            var quote = source[at];
            for (var i = at + 1; i < source.Length; i++)
            {
                if (source[i] == '\\')
                {
                    i++;
                }
                else if (source[i] == quote)
                {
                    return i;
                }
            }

            return -1;
        }

        private string Exceeded(int at, string what)
        {
            var line = 1;
            for (var i = source.IndexOf('\n', 0, at); i >= 0; i = source.IndexOf('\n', i + 1, at - i - 1))
            {
                line++;
            }

            return string.Create(CultureInfo.InvariantCulture, $"line {line}: {what}");
        }
    }
}
