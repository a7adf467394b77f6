using System.Diagnostics;
using MimeKit;

namespace Cairn.Testing;

/// <summary>
/// A real SMTP server for tests: <c>test/node/smtp-sink.mjs</c> (the smtp-server package) on a loopback port. Every
/// message it accepts is kept whole; recipients starting with <c>bounce</c> get a 550, <c>later</c> a 451. It says on
/// its output when it has kept a message, which wakes <see cref="WaitForAsync"/>.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Arrived)> _waiters = [];
    private readonly Task _reading;
    private int _accepted;

    private SmtpSink(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        _reading = ReadAcceptedAsync();
    }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>
    /// Starts one; fails the test if node or the npm packages are missing. With <paramref name="dedupe"/>, a message
    /// whose Message-ID was already accepted is acknowledged and dropped (a provider with idempotency keys).
    /// </summary>
    public static async Task<SmtpSink> StartAsync(bool dedupe = false)
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-smtp-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.Combine(Repository.Root, "test", "node") };
        start.ArgumentList.Add("smtp-sink.mjs");
        start.ArgumentList.Add(directory);
        if (dedupe)
        {
            start.ArgumentList.Add("--dedupe");
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            var error = await process.StandardError.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
            throw new InvalidOperationException($"the SMTP sink did not start: {line} {error}");
        }

        return new SmtpSink(process, directory, int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The files of the messages received so far, in order.</summary>
    public IReadOnlyList<string> Files =>
        Directory.Exists(_directory)
            ? [.. Directory.GetFiles(_directory, "*.eml").OrderBy(file => int.Parse(Path.GetFileNameWithoutExtension(file), System.Globalization.CultureInfo.InvariantCulture))]
            : [];

    /// <summary>The messages received so far, parsed by MimeKit.</summary>
    public IReadOnlyList<MimeMessage> Messages => [.. Files.Select(file => MimeMessage.Load(file))];

    /// <summary>The Message-ID header of every message received, in order (a resend shows up twice).</summary>
    public IReadOnlyList<string> MessageIds
    {
        get
        {
            var log = Path.Combine(_directory, "message-ids.log");
            return File.Exists(log) ? [.. File.ReadAllLines(log).Where(line => line.Length > 0)] : [];
        }
    }

    /// <summary>The Message-IDs of resends the server dropped as duplicates (with <c>dedupe</c>).</summary>
    public IReadOnlyList<string> Duplicates
    {
        get
        {
            var log = Path.Combine(_directory, "duplicates.log");
            return File.Exists(log) ? [.. File.ReadAllLines(log).Where(line => line.Length > 0)] : [];
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> messages arrived (30 s unless <paramref name="timeout"/> says otherwise), and returns them all.</summary>
    public async Task<IReadOnlyList<MimeMessage>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        Task arrived;
        lock (_gate)
        {
            if (_accepted >= count)
            {
                return Messages;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, waiter));
            arrived = waiter.Task;
        }

        try
        {
            await arrived.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the SMTP sink received {Files.Count} messages within {limit.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s, not {count}");
        }

        return Messages;
    }

    /// <summary>Follows the sink's <c>accepted n</c> lines (each printed once the n-th message is on disk) and wakes the waiters that have enough.</summary>
    private async Task ReadAcceptedAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith("accepted ", StringComparison.Ordinal))
            {
                continue;
            }

            var accepted = int.Parse(line["accepted ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            lock (_gate)
            {
                _accepted = accepted;
                foreach (var waiter in _waiters.Where(waiter => waiter.Count <= accepted).ToList())
                {
                    waiter.Arrived.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }

        lock (_gate)
        {
            foreach (var (count, arrived) in _waiters)
            {
                arrived.TrySetException(new InvalidOperationException($"the SMTP sink exited after {_accepted} messages, before {count} arrived"));
            }

            _waiters.Clear();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        await _reading.ConfigureAwait(false);
        _process.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
