using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace Cairn.Benchmarks;

/// <summary>
/// <c>loadgen console --data DIR [--runs N]</c>: how long the console's pages take to render on a big store. It starts
/// <c>cairn serve</c> on a store seeded by <c>loadgen scale --data DIR</c> (1,000,000 contacts in five enrollments
/// each), signs in through the sign-in page in Chromium (the Debian package's executable, as the browser tests use), and
/// opens the journeys list and the pages of N contacts drawn at random, each as a fresh navigation (the document, the
/// scripts from the browser's cache, and every API call the page makes). A page counts as rendered when its heading is
/// shown, no API request is in flight and no loading indicator is left: what the person sees is complete. It reports the
/// median, p95 and worst time per page and the slowest API call behind each.
/// </summary>
internal static class ConsoleBenchmark
{
    private const string Email = "bench@cairn.local";
    private const string Password = "console benchmark password";

    public static async Task<int> RunAsync(string[] args)
    {
        var data = args.SkipWhile(a => a != "--data").Skip(1).FirstOrDefault()
            ?? throw new Prerequisites.MissingException("`loadgen console` needs --data DIR: a store seeded by `loadgen scale --data DIR`.");
        if (!File.Exists(Path.Combine(data, "cairn.db")))
        {
            throw new Prerequisites.MissingException($"{data} holds no store: seed one with `loadgen scale --contacts 1000000 --data {data}` first.");
        }

        var runs = BenchmarkData.Option(args, "--runs", 20);
        var chromium = Environment.GetEnvironmentVariable("CAIRN_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new Prerequisites.MissingException($"no Chromium at {chromium}: install the Debian package 'chromium' (scripts/test.sh does) or set CAIRN_CHROMIUM.");
        }

        var contacts = await CountContactsAsync(Path.Combine(data, "cairn.db")).ConfigureAwait(false);
        var environment = new Dictionary<string, string> { ["CAIRN_ADMIN_EMAIL"] = Email, ["CAIRN_ADMIN_PASSWORD"] = Password };
        var (server, url, _) = await LoadGenerator.SpawnServerAsync(null, data, environment: environment).ConfigureAwait(false);
        try
        {
            using var admin = LoadGenerator.Client(url, "Bearer", "cak_loadgen");
            using var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
            }).ConfigureAwait(false);
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = url, ViewportSize = new ViewportSize { Width = 1280, Height = 800 } }).ConfigureAwait(false);
            var page = await context.NewPageAsync().ConfigureAwait(false);
            var calls = new ApiCalls(page);
            await SignInAsync(page).ConfigureAwait(false);

            // The first opening of each page loads the scripts into the browser's cache; it is reported, not counted.
            var random = new Random(11);
            var ids = new List<string>();
            while (ids.Count < runs + 1)
            {
                ids.Add(await ContactIdAsync(admin, $"s{random.Next((int)contacts)}").ConfigureAwait(false));
            }

            Console.WriteLine($"store: {contacts:N0} contacts; {runs} openings of each page after a first one");
            var pages = new (string Name, Func<int, string> Path)[]
            {
                ("journeys list", _ => "/journeys"),
                ("contact page", run => $"/contacts/{Uri.EscapeDataString(ids[run])}"),
            };
            foreach (var (name, path) in pages)
            {
                var first = await RenderAsync(page, calls, path(0)).ConfigureAwait(false);
                var times = new List<(double Milliseconds, string Slowest)>();
                for (var run = 1; run <= runs; run++)
                {
                    times.Add(await RenderAsync(page, calls, path(run)).ConfigureAwait(false));
                }

                var sorted = times.OrderBy(time => time.Milliseconds).ToList();
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{name}: first {first.Milliseconds:N0} ms; p50 {Percentile(sorted, 0.50).Milliseconds:N0} ms, p95 {Percentile(sorted, 0.95).Milliseconds:N0} ms, max {sorted[^1].Milliseconds:N0} ms (slowest call then: {sorted[^1].Slowest})"));
            }

            return 0;
        }
        finally
        {
            await LoadGenerator.StopAsync(server).ConfigureAwait(false);
            SqliteConnection.ClearAllPools();
        }
    }

    private static async Task SignInAsync(IPage page)
    {
        await page.GotoAsync("/sign-in").ConfigureAwait(false);
        await page.GetByLabel("E-mail").FillAsync(Email).ConfigureAwait(false);
        await page.GetByLabel("Password").FillAsync(Password).ConfigureAwait(false);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync().ConfigureAwait(false);
        await page.Locator("main h1").WaitForAsync().ConfigureAwait(false);
    }

    /// <summary>Opens <paramref name="path"/> and waits until it is complete; the time and the slowest API call it made.</summary>
    private static async Task<(double Milliseconds, string Slowest)> RenderAsync(IPage page, ApiCalls calls, string path)
    {
        calls.Reset();
        var clock = Stopwatch.StartNew();
        await page.GotoAsync(path, new() { WaitUntil = WaitUntilState.Commit }).ConfigureAwait(false);
        await page.Locator("main h1").WaitForAsync().ConfigureAwait(false);
        while (calls.InFlight > 0 || await page.Locator(".loading").CountAsync().ConfigureAwait(false) > 0)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"{path} was still loading after 60 s ({calls.InFlight} API calls in flight).");
            }

            await Task.Delay(5).ConfigureAwait(false);
        }

        clock.Stop();
        return (clock.Elapsed.TotalMilliseconds, calls.Slowest());
    }

    private static async Task<string> ContactIdAsync(HttpClient admin, string userId)
    {
        var contact = await admin.GetFromJsonAsync<JsonElement>(new Uri($"api/contacts/lookup?userId={Uri.EscapeDataString(userId)}", UriKind.Relative)).ConfigureAwait(false);
        return contact.GetProperty("id").GetString()!;
    }

    private static async Task<long> CountContactsAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM contacts WHERE merged_into IS NULL";
        return Convert.ToInt64(await command.ExecuteScalarAsync().ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static (double Milliseconds, string Slowest) Percentile(List<(double Milliseconds, string Slowest)> sorted, double quantile) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(quantile * sorted.Count) - 1)];

    /// <summary>The page's API requests: how many are in flight, and how long each took from request to response end.</summary>
    private sealed class ApiCalls
    {
        private readonly Lock _gate = new();
        private readonly List<(string Path, double Milliseconds)> _done = [];
        private int _inFlight;

        public ApiCalls(IPage page)
        {
            page.Request += (_, request) => Track(request, +1);
            page.RequestFinished += (_, request) => Finish(request);
            page.RequestFailed += (_, request) => Finish(request);
        }

        public int InFlight => Volatile.Read(ref _inFlight);

        public void Reset()
        {
            lock (_gate)
            {
                _done.Clear();
            }
        }

        public string Slowest()
        {
            lock (_gate)
            {
                return _done.Count == 0 ? "none" : _done.MaxBy(call => call.Milliseconds) is var (path, ms) ? string.Create(CultureInfo.InvariantCulture, $"{path} {ms:N0} ms") : "none";
            }
        }

        private static bool IsApi(IRequest request) => new Uri(request.Url).AbsolutePath.StartsWith("/api/", StringComparison.Ordinal);

        private void Track(IRequest request, int delta)
        {
            if (IsApi(request))
            {
                Interlocked.Add(ref _inFlight, delta);
            }
        }

        private void Finish(IRequest request)
        {
            if (!IsApi(request))
            {
                return;
            }

            Track(request, -1);
            var timing = request.Timing;
            lock (_gate)
            {
                _done.Add((new Uri(request.Url).PathAndQuery, timing.ResponseEnd));
            }
        }
    }
}
