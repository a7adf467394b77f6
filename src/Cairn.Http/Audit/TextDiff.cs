namespace Cairn.Http.Audit;

/// <summary>One line of a diff: <c>same</c>, <c>added</c> or <c>removed</c>, with its text.</summary>
public sealed record DiffLine(string Kind, string Text);

/// <summary>
/// A line diff of two documents: the common first and last lines, then the longest common subsequence of the lines
/// between. Documents are at most 1 MB; when the lines between would make the table too large, the middle is shown as
/// removed then added, which is still exact, only not minimal.
/// </summary>
internal static class TextDiff
{
    private const long MaxCells = 4_000_000;

    public static IReadOnlyList<DiffLine> Lines(string? before, string? after)
    {
        var old = SplitLines(before);
        var @new = SplitLines(after);
        var prefix = 0;
        while (prefix < old.Length && prefix < @new.Length && old[prefix] == @new[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < old.Length - prefix && suffix < @new.Length - prefix && old[^(suffix + 1)] == @new[^(suffix + 1)])
        {
            suffix++;
        }

        var diff = new List<DiffLine>(old.Length + @new.Length);
        diff.AddRange(old[..prefix].Select(line => new DiffLine("same", line)));
        Middle(old[prefix..(old.Length - suffix)], @new[prefix..(@new.Length - suffix)], diff);
        diff.AddRange(old[(old.Length - suffix)..].Select(line => new DiffLine("same", line)));
        return diff;
    }

    private static void Middle(string[] old, string[] @new, List<DiffLine> diff)
    {
        if ((long)old.Length * @new.Length > MaxCells)
        {
            diff.AddRange(old.Select(line => new DiffLine("removed", line)));
            diff.AddRange(@new.Select(line => new DiffLine("added", line)));
            return;
        }

        // lengths[i, j]: the longest common subsequence of old[i..] and new[j..].
        var lengths = new int[old.Length + 1, @new.Length + 1];
        for (var i = old.Length - 1; i >= 0; i--)
        {
            for (var j = @new.Length - 1; j >= 0; j--)
            {
                lengths[i, j] = old[i] == @new[j] ? lengths[i + 1, j + 1] + 1 : Math.Max(lengths[i + 1, j], lengths[i, j + 1]);
            }
        }

        var (a, b) = (0, 0);
        while (a < old.Length && b < @new.Length)
        {
            if (old[a] == @new[b])
            {
                diff.Add(new DiffLine("same", old[a++]));
                b++;
            }
            else if (lengths[a + 1, b] >= lengths[a, b + 1])
            {
                diff.Add(new DiffLine("removed", old[a++]));
            }
            else
            {
                diff.Add(new DiffLine("added", @new[b++]));
            }
        }

        diff.AddRange(old[a..].Select(line => new DiffLine("removed", line)));
        diff.AddRange(@new[b..].Select(line => new DiffLine("added", line)));
    }

    private static string[] SplitLines(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
}
