namespace Cairn.Testing;

/// <summary>Paths inside the repository the tests run from.</summary>
public static class Repository
{
    /// <summary>The directory holding <c>Cairn.slnx</c>, found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Cairn.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Cairn.slnx not found above the test directory");
    }
}
