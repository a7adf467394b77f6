using System.Diagnostics;

namespace Cairn.Benchmarks;

/// <summary><c>--profile &lt;scenario&gt;</c>: runs one core scenario in a steady loop (for dotnet-trace / dotnet-counters).</summary>
internal static class Profile
{
    public static int Run(string scenario)
    {
        var benchmarks = new CoreBenchmarks();
        benchmarks.Setup();
        Action step = scenario switch
        {
            "read-track" => () => benchmarks.ReadTrack(),
            "read-batch" => () => benchmarks.ReadBatch(),
            "decide-track" => () => benchmarks.DecideTrack(),
            "decide-identify" => () => benchmarks.DecideIdentify(),
            _ => () => throw new ArgumentException($"unknown scenario '{scenario}' (read-track, read-batch, decide-track, decide-identify)"),
        };

        Console.WriteLine($"Looping {scenario}; Ctrl-C stops.");
        var clock = Stopwatch.StartNew();
        for (long i = 1; ; i++)
        {
            step();
            if (i % 100_000 == 0)
            {
                Console.WriteLine($"{i / clock.Elapsed.TotalSeconds:N0} ops/s");
            }
        }
    }
}
