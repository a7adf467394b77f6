using Microsoft.Extensions.Logging;

namespace Cairn.Runtime;

/// <summary>
/// The one shape of Cairn's background loops (the timer pump, the rollout runner, the message dispatcher): a pass runs,
/// then the loop waits for as long as the pass asked or until <see cref="Wake"/> is called, whichever comes first. A
/// failed pass is logged and retried after <see cref="RetryDelay"/>; <see cref="StopAsync"/> cancels the pass in
/// progress and waits for it to end. Waits run on the given <see cref="TimeProvider"/>, so a fake clock drives them.
/// </summary>
public sealed partial class BackgroundLoop : IAsyncDisposable
{
    /// <summary>A pass returns it to wait until woken.</summary>
    public static readonly TimeSpan UntilWoken = Timeout.InfiniteTimeSpan;

    private readonly string _name;
    private readonly Func<CancellationToken, Task<TimeSpan>> _pass;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private int _started;
    private int _disposed;

    /// <summary>Creates a loop that is not running yet.</summary>
    /// <param name="name">What the loop does, for its log lines (<c>timer</c>, <c>rollout</c>, <c>delivery</c>).</param>
    /// <param name="pass">One pass; returns how long to wait before the next one (<see cref="UntilWoken"/> to wait for <see cref="Wake"/>).</param>
    /// <param name="time">The clock waits run on.</param>
    /// <param name="logger">Where failed passes are reported.</param>
    public BackgroundLoop(string name, Func<CancellationToken, Task<TimeSpan>> pass, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        (_name, _pass, _time, _logger) = (name, pass, time, logger);
    }

    /// <summary>How long a loop waits after a failed pass before it tries again (and the longest the timer loop sleeps).</summary>
    public static TimeSpan RetryDelay { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Starts the loop: its first pass runs at once. Later calls do nothing.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }
    }

    /// <summary>Runs the next pass as soon as the current one (if any) ends, without waiting out its delay.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Cancels the pass in progress and waits until the loop has ended; <paramref name="cancellationToken"/> only stops the waiting.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        _wake.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await _pass(stopping).ConfigureAwait(false);
            }
            catch (Exception exception) when (stopping.IsCancellationRequested || exception is EngineStoppedException)
            {
                return;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                LogPassFailed(_logger, _name, exception);
                wait = RetryDelay;
            }

            try
            {
                await WaitAsync(wait, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Waits for <paramref name="wait"/> on the loop's clock or a wake-up, then yields: a clock that jumps ahead (a fake
    /// one in tests, or a resumed VM) completes the delay inside its own call, and the next pass must not run there.
    /// </summary>
    private async Task WaitAsync(TimeSpan wait, CancellationToken stopping)
    {
        if (wait == UntilWoken)
        {
            await _wake.WaitAsync(stopping).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            return;
        }

        if (wait <= TimeSpan.Zero)
        {
            await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            return;
        }

        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var delay = Task.Delay(wait, _time, waiting.Token);
        var woken = _wake.WaitAsync(waiting.Token);
        await Task.WhenAny(delay, woken).ConfigureAwait(false);
        await waiting.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(delay, woken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ForceYielding);
        stopping.ThrowIfCancellationRequested();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Loop} pass failed; it retries")]
    private static partial void LogPassFailed(ILogger logger, string loop, Exception exception);
}
