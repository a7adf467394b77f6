using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cairn.Runtime;

/// <summary>
/// Fires journey timers: a background loop submits every due timer to its contact's partition, then sleeps until the
/// next one is due (at most <see cref="BackgroundLoop.RetryDelay"/>). Registered after the engine, so it starts once
/// the engine accepts inputs and stops before the engine drains.
/// </summary>
public sealed class TimerPump : IHostedService, IAsyncDisposable
{
    /// <summary>The most timers submitted in one pass (a restart after downtime fires overdue timers at this rate per pass).</summary>
    public const int TimerBatch = 10_000;

    private readonly CairnEngine _engine;
    private readonly IJourneyIndex _timers;
    private readonly TimeProvider _time;
    private readonly BackgroundLoop _loop;

    // Timers whose input is submitted but not yet committed (their rows still exist): not submitted twice.
    private readonly Dictionary<StoredTimer, Task> _timersInFlight = [];

    // Timers committed while a pass was reading: it may have read their rows before the commit deleted them, and come
    // to them after they left the in-flight set. Kept until no pass is reading (a later read no longer sees them).
    private readonly HashSet<StoredTimer> _timersFired = [];
    private int _timerPassesReading;

    /// <summary>Creates the pump (not running until started).</summary>
    public TimerPump(CairnEngine engine, IJourneyIndex timers, TimeProvider time, ILogger<TimerPump> logger)
    {
        (_engine, _timers, _time) = (engine, timers, time);
        _loop = new BackgroundLoop("timer", PassAsync, time, logger);
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => _loop.StopAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    /// <summary>
    /// Submits every timer due now (earliest first, at most <see cref="TimerBatch"/>) to its contact's partition and
    /// waits until they are committed, including those the timer loop submitted already. Returns how many this
    /// call submitted. The timer loop calls it; tests call it after moving a fake clock.
    /// </summary>
    public async Task<int> FireDueTimersAsync(CancellationToken cancellationToken)
    {
        lock (_timersInFlight)
        {
            _timerPassesReading++;
        }

        var handling = new List<Task>();
        var submitted = 0;
        using var activity = Diagnostics.EngineMetrics.TimerSource.StartActivity("timers fire");
        try
        {
            var due = await _timers.GetDueTimersAsync(_time.GetUtcNow(), TimerBatch, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("cairn.timers", due.Count);
            lock (_timersInFlight)
            {
                foreach (var timer in due)
                {
                    // Already submitted (by the timer loop or another caller): wait for that one instead.
                    if (_timersInFlight.TryGetValue(timer, out var inFlight))
                    {
                        handling.Add(inFlight);
                        continue;
                    }

                    if (_timersFired.Contains(timer))
                    {
                        continue;
                    }

                    var task = _engine.Submit(new TimerDue(timer.ContactId, timer.EnrollmentId, timer.StepId, timer.DueAt), []).ContinueWith(
                        handled =>
                        {
                            lock (_timersInFlight)
                            {
                                _timersInFlight.Remove(timer);

                                // A failed batch left the row: a later pass fires it.
                                if (handled.IsCompletedSuccessfully && _timerPassesReading > 0)
                                {
                                    _timersFired.Add(timer);
                                }
                            }
                        },
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                    if (!task.IsCompleted)
                    {
                        _timersInFlight[timer] = task;
                    }

                    handling.Add(task);
                    submitted++;
                }
            }
        }
        finally
        {
            lock (_timersInFlight)
            {
                if (--_timerPassesReading == 0)
                {
                    _timersFired.Clear();
                }
            }
        }

        _engine.Metrics.TimersDue(submitted);
        await Task.WhenAll(handling).WaitAsync(cancellationToken).ConfigureAwait(false);
        return submitted;
    }

    /// <summary>One pass of the loop: fires what is due, then sleeps until the next timer (a full batch goes on at once).</summary>
    private async Task<TimeSpan> PassAsync(CancellationToken stopping)
    {
        if (await FireDueTimersAsync(stopping).ConfigureAwait(false) == TimerBatch)
        {
            return TimeSpan.Zero;
        }

        var next = await _timers.GetNextTimerAsync(stopping).ConfigureAwait(false);
        var wait = next is { } due ? due - _time.GetUtcNow() : BackgroundLoop.RetryDelay;
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > BackgroundLoop.RetryDelay ? BackgroundLoop.RetryDelay : wait;
    }
}
