namespace Cairn.Testing;

/// <summary>
/// The recorded event streams of the example journeys (examples/streams): each has its events, optionally the
/// profiles set up before it (<c>NAME.profiles.ndjson</c>), the time the run stops, and its golden trace
/// (<c>NAME.expected.txt</c>). The golden suite simulates them; the server suite replays them through a real
/// server on SQLite and PostgreSQL and requires the same paths and messages.
/// </summary>
public static class ExampleStreams
{
    /// <summary>Every example stream with the time its run stops.</summary>
    public static IReadOnlyList<(string Name, string To)> All { get; } =
    [
        ("cart-recovery", "2026-11-20T00:00:00Z"),
        ("welcome", "2026-11-30T00:00:00Z"),
        ("lead-nurture", "2026-12-01T00:00:00Z"),
        ("re-engagement", "2027-02-15T00:00:00Z"),
        ("post-purchase", "2026-12-05T00:00:00Z"),
        ("renewal", "2027-02-11T00:00:00Z"),
        ("win-back", "2027-03-15T00:00:00Z"),
    ];

    /// <summary>The directory of the streams.</summary>
    public static string Directory { get; } = Path.Combine(Repository.Root, "examples", "streams");

    /// <summary>The events file of a stream.</summary>
    public static string Events(string name) => Path.Combine(Directory, name + ".ndjson");

    /// <summary>The profiles file of a stream, or null when it has none.</summary>
    public static string? Profiles(string name) =>
        Path.Combine(Directory, name + ".profiles.ndjson") is var path && File.Exists(path) ? path : null;

    /// <summary>The golden trace of a stream.</summary>
    public static string Expected(string name) => Path.Combine(Directory, name + ".expected.txt");
}
