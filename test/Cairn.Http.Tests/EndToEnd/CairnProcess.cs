using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary>
/// The real <c>cairn serve</c> process (the cairn.dll built beside the tests) on a free port, over SQLite in a
/// temporary directory or over a PostgreSQL database. It can be killed (SIGKILL), stopped (SIGTERM) and
/// restarted on the same data.
/// </summary>
internal sealed class CairnProcess : IAsyncDisposable
{
    public const string WriteKey = "cwk_end_to_end_write_key";
    public const string ApiKey = "cak_end_to_end_api_key";

    private readonly string _dataDirectory;
    private readonly string? _postgres;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private CairnProcess(string? postgres, string? dataDirectory)
    {
        _postgres = postgres;
        _dataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "cairn-e2e-" + Guid.NewGuid().ToString("N"));
        Port = ProcessRunner.FreeLoopbackPort();
        Url = $"http://127.0.0.1:{Port}";
        Client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
        Admin = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public int Port { get; }

    /// <summary>The SQLite data directory (unused with PostgreSQL); deleted when the process is disposed.</summary>
    public string DataDirectory => _dataDirectory;

    public string Url { get; }

    /// <summary>Authenticated with the write key (ingestion).</summary>
    public HttpClient Client { get; }

    /// <summary>Authenticated with the API key (admin API).</summary>
    public HttpClient Admin { get; }

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts a server; <paramref name="demo"/> lets an empty store get the demo workspace (off by default);
    /// <paramref name="dataDirectory"/> is the SQLite directory (a new one when null), which another server may share.
    /// </summary>
    public static async Task<CairnProcess> StartAsync(string? postgres, bool demo = false, IReadOnlyDictionary<string, string>? environment = null, string? dataDirectory = null)
    {
        var process = new CairnProcess(postgres, dataDirectory) { Demo = demo };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            process.Environment[name] = value;
        }

        await process.StartAsync();
        return process;
    }

    /// <summary>True to start without <c>--no-demo</c>.</summary>
    public bool Demo { get; init; }

    /// <summary>Extra environment variables for the server (e.g. <c>CAIRN_SMTP_HOST</c>).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>Starts the server and waits until <c>/readyz</c> answers 200.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "serve", "--urls", Url, "--partitions", "4"])
        {
            start.ArgumentList.Add(argument);
        }

        if (!Demo)
        {
            start.ArgumentList.Add("--no-demo");
        }

        if (_postgres is null)
        {
            start.ArgumentList.Add("--data");
            start.ArgumentList.Add(_dataDirectory);
        }
        else
        {
            start.ArgumentList.Add("--postgres");
            start.ArgumentList.Add(_postgres);
        }

        start.Environment["CAIRN_WRITE_KEY"] = WriteKey;
        start.Environment["CAIRN_API_KEY"] = ApiKey;
        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in Environment)
        {
            start.Environment[name] = value;
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start cairn");
        _process.OutputDataReceived += (_, line) => Append(line.Data);
        _process.ErrorDataReceived += (_, line) => Append(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await Eventually.HoldsAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"cairn exited with {_process.ExitCode} before it was ready:\n{Output}");
                }

                try
                {
                    using var ready = await Client.GetAsync("/readyz", TestContext.Current.CancellationToken);
                    return ready.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false; // Not listening yet.
                }
            },
            TimeSpan.FromSeconds(60),
            () => $"cairn was not ready:\n{Output}",
            TestContext.Current.CancellationToken);
    }

    /// <summary>SIGKILL: the process dies at once, with no chance to flush anything.</summary>
    public async Task KillAsync()
    {
        _process!.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>SIGTERM, then waits for the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, kill.ExitCode);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Posts a batch; returns the parsed response, or null when the request failed or was refused.</summary>
    public async Task<JsonElement?> TrySendBatchAsync(IEnumerable<object> messages, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Client.PostAsJsonAsync("/v1/batch", new { batch = messages, sentAt = TimeProvider.System.GetUtcNow() }, cancellationToken);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken) : null;
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or TaskCanceledException or System.Net.Sockets.SocketException)
        {
            // A socket error can escape unwrapped when the server dies while the connection opens.
            return null;
        }
    }

    /// <summary>Every event of the contact of <paramref name="userId"/>, following cursors.</summary>
    public async Task<List<JsonElement>> EventsOfUserAsync(string userId)
    {
        var contact = await Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/lookup?userId={Uri.EscapeDataString(userId)}", TestContext.Current.CancellationToken);
        var id = contact.GetProperty("id").GetString();
        var events = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await Admin.GetFromJsonAsync<JsonElement>(
                $"/api/contacts/{id}/events?limit=1000" + (cursor is null ? string.Empty : "&cursor=" + cursor),
                TestContext.Current.CancellationToken);
            events.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        Client.Dispose();
        Admin.Dispose();
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
