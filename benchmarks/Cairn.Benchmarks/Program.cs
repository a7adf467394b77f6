using BenchmarkDotNet.Running;
using Cairn.Benchmarks;

// `loadgen …` drives a real server over HTTP (building it and installing test/node's packages first when they are
// missing or stale); `--profile <name>` loops one scenario for a profiler; anything else goes to BenchmarkDotNet.
try
{
    return await RunCommandAsync(args).ConfigureAwait(false);
}
catch (Prerequisites.MissingException missing)
{
    await Console.Error.WriteLineAsync($"loadgen: {missing.Message}").ConfigureAwait(false);
    return 2;
}

static async Task<int> RunCommandAsync(string[] args) => args switch
{
    ["loadgen", "timers", .. var rest] => await TimerBenchmark.RunAsync(rest).ConfigureAwait(false),
    ["loadgen", "email", .. var rest] => await EmailBenchmark.RunAsync(rest).ConfigureAwait(false),
    ["loadgen", "segments", .. var rest] => await SegmentBenchmark.RunAsync(rest).ConfigureAwait(false),
    ["loadgen", "workload", .. var rest] => await WorkloadBenchmark.RunAsync(rest).ConfigureAwait(false),
    ["loadgen", "scale", .. var rest] => await ScaleBenchmark.RunAsync(rest).ConfigureAwait(false),
    ["loadgen", "console", .. var rest] => await ConsoleBenchmark.RunAsync(rest).ConfigureAwait(false),
    ["loadgen", "reports", .. var rest] => await ReportBenchmark.RunAsync(rest).ConfigureAwait(false),
    ["loadgen", "peers", .. var rest] => await PeerBenchmark.RunAsync(rest).ConfigureAwait(false),
    ["loadgen", .. var rest] => await LoadGenerator.RunAsync(rest).ConfigureAwait(false),
    ["null-server", var url] => await MachineLimits.ServeNullAsync(url).ConfigureAwait(false),
    ["--profile", var scenario, ..] => Profile.Run(scenario),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(CoreBenchmarks).Assembly).Run(args);
    return 0;
}
