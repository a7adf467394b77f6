using Cairn.Core.Messages;

namespace Cairn.Benchmarks;

/// <summary>What the benchmarks share: the repository root (for the examples) and messages read as the server reads them.</summary>
internal static class BenchmarkData
{
    /// <summary>The directory holding <c>Cairn.slnx</c>, found upwards from the benchmark binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A Segment message from its JSON, received at <paramref name="now"/>.</summary>
    public static SegmentMessage Message(string json, DateTimeOffset now)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return SegmentMessageReader.TryRead(document.RootElement, null, now, null, () => "bench", out var message, out var error)
            ? message
            : throw new InvalidOperationException(error);
    }

    /// <summary>The integer after <paramref name="name"/> on the command line, or <paramref name="fallback"/>.</summary>
    public static int Option(string[] args, string name, int fallback) =>
        args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } value ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Cairn.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("run from inside the repository");
    }
}
