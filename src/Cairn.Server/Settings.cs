namespace Cairn.Server;

/// <summary>Settings read from the environment with the <c>CAIRN_</c> prefix; command-line options win.</summary>
internal static class Settings
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public const string DefaultData = "./cairn-data";

    /// <summary>The value of <c>CAIRN_{name}</c>, or null when unset or empty.</summary>
    public static string? Environment(string name) =>
        System.Environment.GetEnvironmentVariable("CAIRN_" + name) is { Length: > 0 } value ? value : null;
}
