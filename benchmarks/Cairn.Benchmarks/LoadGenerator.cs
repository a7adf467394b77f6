using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Cairn.Benchmarks;

/// <summary>
/// The end-to-end ingestion load generator: many concurrent clients post Segment batches of a synthetic workload
/// (contacts with Zipf-distributed activity: identifies with traits, page views, cart and checkout events) to
/// <c>/v1/batch</c> for a fixed time, and report sustained events/s and acknowledgement latency percentiles.
/// <c>--spawn</c> starts a server on a temporary SQLite directory (or <c>--postgres</c>) and stops it afterwards.
/// </summary>
internal static class LoadGenerator
{
    private const string Usage = "usage: loadgen [--url URL --write-key KEY | --spawn [--postgres CS]] [--contacts N] [--duration SECONDS] [--batch N] [--concurrency N] [--rate EVENTS_PER_S]";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Parse(args);
        if (options is null)
        {
            await Console.Error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        Process? server = null;
        var directory = options.Spawn && options.Postgres is null ? Path.Combine(Path.GetTempPath(), "cairn-loadgen-" + Guid.NewGuid().ToString("N")) : null;
        var url = options.Url;
        var writeKey = options.WriteKey;
        try
        {
            if (options.Spawn)
            {
                (server, url, writeKey) = await SpawnServerAsync(options.Postgres, directory).ConfigureAwait(false);
            }

            return await DriveAsync(options with { Url = url, WriteKey = writeKey }, server).ConfigureAwait(false);
        }
        finally
        {
            if (server is not null)
            {
                await StopAsync(server).ConfigureAwait(false);
            }

            if (directory is not null)
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static async Task<int> DriveAsync(Options options, Process? server)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(options.Url!),
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(options.WriteKey + ":")));

        var zipf = new Zipf(options.Contacts, 1.1);
        var run = Guid.NewGuid().ToString("N")[..8];
        var latencies = new List<double>[options.Concurrency];
        long events = 0;
        long failures = 0;
        var warmup = TimeSpan.FromSeconds(Math.Min(5, options.Duration / 5.0));
        var clock = Stopwatch.StartNew();
        var end = warmup + TimeSpan.FromSeconds(options.Duration);
        long measuredEvents = 0;
        var cpuBefore = server?.TotalProcessorTime ?? TimeSpan.Zero;
        long peakRss = 0;

        async Task ClientAsync(int client)
        {
            var random = new Random(client * 7919);
            var mine = latencies[client] = [];
            var body = new StringBuilder(options.Batch * 400);
            // With --rate, each client sends its share on a fixed schedule (an open loop) and a batch's latency runs from
            // when it was due, so a stall counts against every batch it delayed (no coordinated omission).
            var interval = options.Rate > 0 ? TimeSpan.FromSeconds((double)options.Concurrency * options.Batch / options.Rate) : TimeSpan.Zero;
            var due = interval * ((double)client / options.Concurrency);
            for (var batchNumber = 0; clock.Elapsed < end; batchNumber++)
            {
                if (interval > TimeSpan.Zero)
                {
                    if (due > clock.Elapsed)
                    {
                        await Task.Delay(due - clock.Elapsed).ConfigureAwait(false);
                    }

                    due += interval;
                }

                body.Clear().Append("{\"batch\":[");
                for (var i = 0; i < options.Batch; i++)
                {
                    AppendMessage(body.Append(i == 0 ? "" : ","), random, zipf.Next(random), $"{run}-{client}-{batchNumber}-{i}");
                }

                body.Append("],\"sentAt\":\"").Append(TimeProvider.System.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)).Append("\"}");
                using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/json");
                var started = Stopwatch.GetTimestamp() - (interval > TimeSpan.Zero ? Math.Max(0, (long)((clock.Elapsed - (due - interval)).TotalSeconds * Stopwatch.Frequency)) : 0);
                var measured = clock.Elapsed >= warmup;
                try
                {
                    using var response = await http.PostAsync("/v1/batch", content).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref failures);
                        continue;
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }

                Interlocked.Add(ref events, options.Batch);
                if (measured && clock.Elapsed < end)
                {
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Add(ref measuredEvents, options.Batch);
                }
            }
        }

        Console.WriteLine($"Driving {options.Url} with {options.Concurrency} clients × batches of {options.Batch}{(options.Rate > 0 ? $" at {options.Rate:N0} events/s offered" : "")}, {options.Contacts:N0} contacts, {warmup.TotalSeconds:N0} s warm-up + {options.Duration} s measured…");
        var clients = Enumerable.Range(0, options.Concurrency).Select(client => Task.Run(() => ClientAsync(client))).ToList();
        using (var sampler = new PeriodicTimer(TimeSpan.FromMilliseconds(500)))
        {
            while (!clients.All(task => task.IsCompleted) && await sampler.WaitForNextTickAsync().ConfigureAwait(false))
            {
                if (server is { HasExited: false })
                {
                    server.Refresh();
                    peakRss = Math.Max(peakRss, server.WorkingSet64);
                }
            }
        }

        await Task.WhenAll(clients).ConfigureAwait(false);
        var all = latencies.SelectMany(list => list).Order().ToArray();
        var seconds = options.Duration;
        Console.WriteLine($"events acknowledged (measured window): {measuredEvents:N0} in {seconds} s = {measuredEvents / (double)seconds:N0} events/s");
        Console.WriteLine($"batches: {all.Length:N0}, failed requests: {failures:N0}");
        if (all.Length > 0)
        {
            Console.WriteLine($"ack latency ms: p50 {Percentile(all, 0.50):N1}  p95 {Percentile(all, 0.95):N1}  p99 {Percentile(all, 0.99):N1}  max {all[^1]:N1}");
        }

        if (server is not null)
        {
            server.Refresh();
            var cpu = server.TotalProcessorTime - cpuBefore;
            Console.WriteLine($"server: CPU {cpu.TotalSeconds:N1} s over {clock.Elapsed.TotalSeconds:N1} s wall, peak RSS {peakRss / (1024 * 1024):N0} MB");
        }

        return failures == 0 ? 0 : 1;
    }

    private static void AppendMessage(StringBuilder body, Random random, int contact, string messageId)
    {
        var user = $"user-{contact}";
        var roll = random.Next(100);
        if (roll < 10)
        {
            body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"identify\",\"messageId\":\"{messageId}\",\"userId\":\"{user}\",\"traits\":{{\"email\":\"{user}@example.com\",\"name\":\"Person {contact}\",\"plan\":\"{(contact % 3 == 0 ? "pro" : "free")}\",\"company\":\"Company {contact % 500}\"}}}}");
        }
        else if (roll < 70)
        {
            body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"page\",\"messageId\":\"{messageId}\",\"userId\":\"{user}\",\"name\":\"Product\",\"properties\":{{\"path\":\"/p/{random.Next(5000)}\",\"referrer\":\"https://search.example/\"}},\"context\":{{\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64)\",\"ip\":\"203.0.113.{contact % 250}\"}}}}");
        }
        else
        {
            var name = roll < 90 ? "Product Added" : roll < 97 ? "Checkout Started" : "Order Completed";
            body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"track\",\"messageId\":\"{messageId}\",\"userId\":\"{user}\",\"event\":\"{name}\",\"properties\":{{\"sku\":\"SKU-{random.Next(5000)}\",\"price\":{random.Next(500, 20000) / 100.0},\"currency\":\"EUR\",\"quantity\":{random.Next(1, 4)}}}}}");
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>Starts <c>cairn serve</c> (the Release build) and waits until it is ready.</summary>
    internal static async Task<(Process Server, string Url, string WriteKey)> SpawnServerAsync(string? postgres, string? directory, string? writeKey = null, string? url = null, IReadOnlyDictionary<string, string>? environment = null, List<string>? errors = null, bool demo = true)
    {
        await Prerequisites.ServerAsync().ConfigureAwait(false);
        var dll = Path.Combine(BenchmarkData.Root, "src", "Cairn.Server", "bin", "Release", "net10.0", "cairn.dll");

        url ??= $"http://127.0.0.1:{FreePort()}";
        writeKey ??= "cwk_loadgen_" + Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])[dll, "serve", "--urls", url, .. postgres is null ? ["--data", directory!] : (string[])["--postgres", postgres], .. demo ? [] : (string[])["--no-demo"]])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CAIRN_WRITE_KEY"] = writeKey;
        start.Environment["CAIRN_API_KEY"] = "cak_loadgen";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var server = Process.Start(start)!;
        // Error and critical log entries ("fail:", "crit:", the logger and message on the next line, and the exception's
        // first line after it) are collected for the caller.
        var entry = new List<string>();
        void Watch(string? line)
        {
            if (errors is null || line is null)
            {
                return;
            }

            if (line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
            {
                entry = [line.Trim()];
            }
            else if (entry.Count is > 0 and < 3)
            {
                entry.Add(line.Trim());
                if (entry.Count == 3 || line.StartsWith("info:", StringComparison.Ordinal) || line.StartsWith("warn:", StringComparison.Ordinal))
                {
                    lock (errors)
                    {
                        errors.Add(string.Join(" ", entry));
                    }

                    entry = [];
                }
            }
        }

        server.OutputDataReceived += (_, line) => Watch(line.Data);
        server.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                Console.Error.WriteLine("server: " + line.Data);
            }
        };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            await WaitReadyAsync(url, "the spawned server", server).ConfigureAwait(false);
        }
        catch
        {
            await StopAsync(server).ConfigureAwait(false);
            throw;
        }

        return (server, url, writeKey);
    }

    /// <summary>
    /// Waits for <c>GET /readyz</c> at <paramref name="url"/> to answer 200: up to 60 s, or, for a server process, as
    /// long as it runs, up to 15 minutes (the first start on a big store applies its migrations first).
    /// </summary>
    internal static async Task WaitReadyAsync(string url, string what, Process? server = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        var patience = server is null ? TimeSpan.FromSeconds(60) : TimeSpan.FromMinutes(15);
        while (deadline.Elapsed < patience)
        {
            if (server is { HasExited: true })
            {
                throw new InvalidOperationException($"{what} exited with code {server.ExitCode} before it was ready");
            }

            try
            {
                using var ready = await http.GetAsync(new Uri(url + "/readyz")).ConfigureAwait(false);
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        }

        throw new TimeoutException($"{what} was not ready within {patience.TotalSeconds:N0} s");
    }

    /// <summary>A client of a spawned server with an Authorization header.</summary>
    internal static HttpClient Client(string url, string scheme, string value)
    {
        var client = new HttpClient { BaseAddress = new Uri(url + "/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, value);
        return client;
    }

    /// <summary>Stores a YAML document on a spawned server.</summary>
    internal static async Task PutAsync(HttpClient admin, string path, string yaml)
    {
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        (await admin.PutAsync(new Uri(path, UriKind.Relative), content).ConfigureAwait(false)).EnsureSuccessStatusCode();
    }

    /// <summary>Stops a spawned server (acknowledged data is durable whatever the way it stops).</summary>
    internal static async Task StopAsync(Process server)
    {
        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync().ConfigureAwait(false);
        server.Dispose();
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Options? Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(args[i] + " needs a value");
            options = args[i] switch
            {
                "--url" => options with { Url = Next() },
                "--write-key" => options with { WriteKey = Next() },
                "--spawn" => options with { Spawn = true },
                "--postgres" => options with { Postgres = Next() },
                "--contacts" => options with { Contacts = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--duration" => options with { Duration = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--batch" => options with { Batch = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--concurrency" => options with { Concurrency = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--rate" => options with { Rate = int.Parse(Next(), CultureInfo.InvariantCulture) },
                _ => null,
            };
            if (options is null)
            {
                return null;
            }
        }

        return options.Spawn || (options.Url is not null && options.WriteKey is not null) ? options : null;
    }

    private sealed record Options(
        string? Url = null,
        string? WriteKey = null,
        bool Spawn = false,
        string? Postgres = null,
        int Contacts = 100_000,
        int Duration = 30,
        int Rate = 0,
        int Batch = 100,
        int Concurrency = 8);
}

/// <summary>Zipf-distributed contact ranks: a few contacts are very active, most are seen rarely.</summary>
internal sealed class Zipf
{
    private readonly double[] _cumulative;

    public Zipf(int count, double exponent)
    {
        _cumulative = new double[count];
        double sum = 0;
        for (var rank = 1; rank <= count; rank++)
        {
            sum += 1 / Math.Pow(rank, exponent);
            _cumulative[rank - 1] = sum;
        }

        for (var i = 0; i < count; i++)
        {
            _cumulative[i] /= sum;
        }
    }

    public int Next(Random random)
    {
        var index = Array.BinarySearch(_cumulative, random.NextDouble());
        return index >= 0 ? index : ~index;
    }
}
