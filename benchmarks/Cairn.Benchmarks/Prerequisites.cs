using System.ComponentModel;
using System.Diagnostics;

namespace Cairn.Benchmarks;

/// <summary>
/// What the load-generator commands need before they start, prepared when it is missing or stale: the npm packages of
/// <c>test/node</c> (the loopback SMTP server) and a current Release build of <c>cairn</c>. When one cannot be
/// prepared, the command stops with a <see cref="MissingException"/>: one line saying what to run.
/// </summary>
internal static class Prerequisites
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _serverChecked;

    /// <summary>A prerequisite that could not be prepared; the message says what to run.</summary>
    internal sealed class MissingException(string message) : Exception(message);

    /// <summary>
    /// Runs <c>npm ci</c> in <c>test/node</c> when its <c>node_modules</c> is missing or older than the lock file (as
    /// <c>scripts/test.sh</c> does).
    /// </summary>
    public static async Task NodePackagesAsync()
    {
        var directory = Path.Combine(BenchmarkData.Root, "test", "node");
        var modules = Path.Combine(directory, "node_modules");
        var installed = Path.Combine(modules, ".package-lock.json");
        if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(Path.Combine(directory, "package-lock.json")))
        {
            return;
        }

        Console.WriteLine("test/node: installing the npm packages (npm ci)…");
        await RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], directory, "run `npm ci` in test/node (needs Node.js 18 or later)").ConfigureAwait(false);
    }

    /// <summary>
    /// Builds <c>src/Cairn.Server</c> in Release when its output is missing or older than a source it is built from
    /// (code, project files, the embedded examples); once per process.
    /// </summary>
    public static async Task ServerAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_serverChecked)
            {
                return;
            }

            var output = Path.Combine(BenchmarkData.Root, "src", "Cairn.Server", "bin", "Release", "net10.0");
            var built = Directory.Exists(output) && File.Exists(Path.Combine(output, "cairn.dll"))
                ? Directory.EnumerateFiles(output, "*.dll").Max(File.GetLastWriteTimeUtc)
                : DateTime.MinValue;
            if (built == DateTime.MinValue || NewestSource() > built)
            {
                Console.WriteLine(built == DateTime.MinValue ? "cairn: building the server (Release)…" : "cairn: the sources changed since the last Release build; building the server…");
                await RunAsync("dotnet", ["build", "-c", "Release", "--nologo", "-v", "q", Path.Combine("src", "Cairn.Server")], BenchmarkData.Root, "run `dotnet build -c Release src/Cairn.Server` and fix what it reports").ConfigureAwait(false);
            }

            _serverChecked = true;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// Starts the loopback SMTP server (<c>test/node/smtp-sink.mjs</c>) writing to <paramref name="mail"/> and returns
    /// it with its port; stops with what went wrong when it does not come up.
    /// </summary>
    public static async Task<(Process Sink, string Port)> StartSmtpSinkAsync(string mail, params string[] options)
    {
        await NodePackagesAsync().ConfigureAwait(false);
        var start = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.Combine(BenchmarkData.Root, "test", "node") };
        start.ArgumentList.Add("smtp-sink.mjs");
        start.ArgumentList.Add(mail);
        foreach (var option in options)
        {
            start.ArgumentList.Add(option);
        }

        Process sink;
        try
        {
            sink = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            throw new MissingException("node is not installed: install Node.js 18 or later, then run `npm ci` in test/node");
        }

        // Its first line is "listening <port>"; nothing (it exited) means it could not start, and stderr says why.
        var line = await sink.StandardOutput.ReadLineAsync().ConfigureAwait(false);
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            var error = (await sink.StandardError.ReadToEndAsync().ConfigureAwait(false)).Split('\n').FirstOrDefault(text => text.Contains("Error", StringComparison.Ordinal))?.Trim();
            sink.Dispose();
            throw new MissingException($"the SMTP sink (test/node/smtp-sink.mjs) did not start{(error is null ? string.Empty : $" ({error})")}: run `npm ci` in test/node");
        }

        // Read the rest of stderr so a chatty sink never blocks on a full pipe.
        _ = sink.StandardError.ReadToEndAsync();
        return (sink, line["listening ".Length..]);
    }

    private static DateTime NewestSource()
    {
        var root = BenchmarkData.Root;
        string[] extensions = [".cs", ".csproj", ".props", ".sql", ".yaml", ".ndjson"];
        var files = new[] { Path.Combine(root, "src"), Path.Combine(root, "examples") }
            .SelectMany(directory => Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
            .Where(file => extensions.Contains(Path.GetExtension(file), StringComparer.Ordinal))
            .Where(file => !file.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "node_modules"))
            .Concat(Directory.EnumerateFiles(root, "Directory.*.props"));
        return files.Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max();
    }

    private static async Task RunAsync(string program, string[] arguments, string directory, string remedy)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, WorkingDirectory = directory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            await process.WaitForExitAsync().ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new MissingException($"`{program} {string.Join(' ', arguments)}` failed (exit code {process.ExitCode}): {remedy}");
            }
        }
        catch (Win32Exception)
        {
            throw new MissingException($"{program} is not installed: {remedy}");
        }
    }
}
