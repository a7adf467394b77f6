using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Cairn.Core.Templates;

/// <summary>
/// The plain-text part of an email generated from its HTML when the template gives none: block elements become line
/// breaks, links keep their address ("text (url)"), list items get a dash, scripts, styles and the head are dropped,
/// entities are decoded and runs of blank lines collapse.
/// </summary>
public static partial class HtmlText
{
    /// <summary>Plain text for the HTML.</summary>
    public static string From(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var text = Dropped().Replace(html, string.Empty);
        text = Links().Replace(text, match =>
        {
            var label = Tags().Replace(match.Groups["label"].Value, string.Empty).Trim();
            var url = WebUtility.HtmlDecode(match.Groups["url"].Value);
            return label.Length == 0 || WebUtility.HtmlDecode(label) == url ? url : $"{label} ({url})";
        });
        text = Breaks().Replace(text, "\n");
        text = Items().Replace(text, "\n- ");
        text = Blocks().Replace(text, "\n\n");
        text = Tags().Replace(text, string.Empty);
        text = WebUtility.HtmlDecode(text).Replace('\u00a0', ' ');

        var lines = new StringBuilder();
        var blank = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = Spaces().Replace(raw, " ").Trim();
            if (line.Length == 0)
            {
                blank++;
                continue;
            }

            if (lines.Length > 0)
            {
                lines.Append(blank > 0 ? "\n\n" : "\n");
            }

            lines.Append(line);
            blank = 0;
        }

        return lines.ToString();
    }

    [GeneratedRegex(@"<(head|script|style|title)\b[^>]*>.*?</\1\s*>|<!--.*?-->", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Dropped();

    [GeneratedRegex(@"<a\b[^>]*?\bhref\s*=\s*[""'](?<url>[^""']*)[""'][^>]*>(?<label>.*?)</a\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Links();

    [GeneratedRegex(@"<br\s*/?>", RegexOptions.IgnoreCase)]
    private static partial Regex Breaks();

    [GeneratedRegex(@"<li\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Items();

    [GeneratedRegex(@"</?(p|div|h[1-6]|table|tr|ul|ol|blockquote|section|header|footer)\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Blocks();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"[ \t\r\f\v]+")]
    private static partial Regex Spaces();
}
