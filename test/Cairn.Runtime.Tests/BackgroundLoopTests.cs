using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Runtime.Tests;

public sealed class BackgroundLoopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private readonly Channel<DateTimeOffset> _passes = Channel.CreateUnbounded<DateTimeOffset>();
    private readonly Logger _logger = new();

    [Fact]
    public async Task Start_PassWaitsUntilWoken_RunsAgainOnlyWhenWoken()
    {
        await using var loop = new BackgroundLoop("test", Pass(_ => BackgroundLoop.UntilWoken), _time, _logger);

        loop.Start();
        await NextPassAsync();
        _time.Advance(TimeSpan.FromDays(1));
        loop.Wake();
        await NextPassAsync();

        Assert.False(_passes.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Start_PassAsksForADelay_NextPassWaitsForTheClock()
    {
        await using var loop = new BackgroundLoop("test", Pass(_ => TimeSpan.FromHours(1)), _time, _logger);

        loop.Start();
        var first = await NextPassAsync();
        var second = await NextPassWhileAdvancingAsync(TimeSpan.FromMinutes(10));

        Assert.True(second - first >= TimeSpan.FromHours(1), $"the second pass ran {second - first} after the first");
    }

    [Fact]
    public async Task Start_PassFails_IsLoggedAndRetriedAfterTheRetryDelay()
    {
        var calls = 0;
        await using var loop = new BackgroundLoop(
            "test",
            Pass(_ => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("boom") : BackgroundLoop.UntilWoken),
            _time,
            _logger);

        loop.Start();
        var first = await NextPassAsync();
        var second = await NextPassWhileAdvancingAsync(TimeSpan.FromMilliseconds(100));

        Assert.True(second - first >= BackgroundLoop.RetryDelay);
        var entry = Assert.Single(_logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal("A test pass failed; it retries", entry.Message);
    }

    [Fact]
    public async Task StopAsync_PassInProgress_CancelsItAndWaitsForTheLoop()
    {
        var cancelled = false;
        await using var loop = new BackgroundLoop(
            "test",
            async stopping =>
            {
                await _passes.Writer.WriteAsync(_time.GetUtcNow(), CancellationToken.None);
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, stopping);
                }
                catch (OperationCanceledException)
                {
                    cancelled = true;
                    throw;
                }

                return TimeSpan.Zero;
            },
            _time,
            _logger);

        loop.Start();
        await NextPassAsync();
        await loop.StopAsync(TestContext.Current.CancellationToken).WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.True(cancelled);
        Assert.Empty(_logger.Entries);
    }

    private Func<CancellationToken, Task<TimeSpan>> Pass(Func<CancellationToken, TimeSpan> wait) => async stopping =>
    {
        await _passes.Writer.WriteAsync(_time.GetUtcNow(), CancellationToken.None);
        return wait(stopping);
    };

    private async Task<DateTimeOffset> NextPassAsync() =>
        await _passes.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken);

    /// <summary>Moves the clock by <paramref name="step"/> until the next pass runs; returns the clock's time at that pass.</summary>
    private async Task<DateTimeOffset> NextPassWhileAdvancingAsync(TimeSpan step)
    {
        var cancel = TestContext.Current.CancellationToken;
        for (var round = 0; round < 1000; round++)
        {
            var next = _passes.Reader.WaitToReadAsync(cancel).AsTask();
            if (await Task.WhenAny(next, Task.Delay(TimeSpan.FromMilliseconds(10), cancel)) == next && _passes.Reader.TryRead(out var at))
            {
                return at;
            }

            _time.Advance(step);
        }

        throw new TimeoutException("the next pass did not run");
    }

    private sealed class Logger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
