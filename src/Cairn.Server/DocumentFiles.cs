namespace Cairn.Server;

/// <summary>Finds journey and template documents among command-line paths (files, or directories searched deeply).</summary>
internal static class DocumentFiles
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    /// <summary>The document files, or null (after a one-line message) when a path does not exist or none is found.</summary>
    public static List<string>? Find(IEnumerable<string> paths, string command)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(file => Extensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                Console.Error.WriteLine($"cairn {command}: {path} does not exist");
                return null;
            }
        }

        if (files.Count == 0)
        {
            Console.Error.WriteLine($"cairn {command}: no .yaml, .yml or .json documents found");
            return null;
        }

        return files;
    }
}
