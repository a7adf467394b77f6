using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Cairn.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cairn.Http.Tests;

/// <summary>
/// <c>cairn serve</c> when its start does not finish — Kestrel cannot bind, or a stop is requested while a service is
/// starting (SIGTERM during the demo workspace) — with background work in flight. The host then disposes its services
/// without stopping them; the dispatcher's loop is held inside a webhook call, so that disposal meets a pass for sure.
/// </summary>
public sealed class ServeCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_PortTakenWhileADeliveryIsInFlight_PrintsOneLineAndExitsWith2()
    {
        await using var hook = await RecordingEndpoint.StartAsync();
        var directory = await QueueWebhookAsync(hook);
        try
        {
            using var occupied = new TcpListener(IPAddress.Loopback, 0);
            occupied.Start();
            var url = $"http://127.0.0.1:{((IPEndPoint)occupied.LocalEndpoint).Port}";
            var inFlight = HoldDeliveries(hook);
            var logs = new RecordingLoggerProvider();
            var options = new ServeOptions(url, directory, null, 4, TestCairn.WriteKey, TestCairn.ApiKey);

            // Kestrel binds after every other service has started: this one makes that wait for the pass to be in the call.
            var app = CairnWebApp.Build(options, builder =>
            {
                builder.Logging.AddProvider(logs);
                builder.Services.AddHostedService(_ => new StartsAfter(inFlight));
            });
            using var error = new StringWriter();
            var code = await ServeCommand.RunAsync(app, options, TextWriter.Null, error);

            Assert.Equal(2, code);
            var line = Assert.Single(error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"cairn serve: Failed to bind to address {url}", line, StringComparison.Ordinal);
            AssertStoppedInOrder(logs);
            await AssertDeliveredAgainAsync(hook, directory);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_StopRequestedWhileStartingWithADeliveryInFlight_StopsCleanlyAndExitsWith0()
    {
        await using var hook = await RecordingEndpoint.StartAsync();
        var directory = await QueueWebhookAsync(hook);
        try
        {
            var inFlight = HoldDeliveries(hook);
            var logs = new RecordingLoggerProvider();
            var options = new ServeOptions("http://127.0.0.1:0", directory, null, 4, TestCairn.WriteKey, TestCairn.ApiKey);
            var app = CairnWebApp.Build(options, builder =>
            {
                builder.Logging.AddProvider(logs);
                builder.Services.AddHostedService(provider => new StopRequestedWhileStarting(inFlight, provider.GetRequiredService<IHostApplicationLifetime>()));
            });
            using var output = new StringWriter();
            using var error = new StringWriter();
            var code = await ServeCommand.RunAsync(app, options, output, error);

            Assert.Equal(0, code);
            Assert.Equal(string.Empty, error.ToString());
            Assert.Equal(string.Empty, output.ToString());
            AssertStoppedInOrder(logs);
            await AssertDeliveredAgainAsync(hook, directory);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A new data directory whose outbox holds one webhook call to <paramref name="hook"/>, due now.</summary>
    private static async Task<string> QueueWebhookAsync(RecordingEndpoint hook)
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-serve-" + Guid.NewGuid().ToString("N"));
        await using var cairn = await TestCairn.StartAsync(directory, messaging: options => options.DispatchInBackground = false);
        await cairn.PutDocumentAsync("journeys/notify", $$"""
            id: notify
            name: Notify
            category: operational
            trigger: { event: signed_up }
            steps:
              - id: call
                webhook: { url: "{{hook.Url}}/signed-up" }
                next: done
              - id: done
                exit: true
            """);
        using (var publish = await cairn.Admin.PostAsync("/api/journeys/notify/publish", null, Cancel))
        {
            Assert.True(publish.IsSuccessStatusCode, await publish.Content.ReadAsStringAsync(Cancel));
        }

        await cairn.SendAsync("track", """{"userId":"ann","event":"signed_up"}""");
        Assert.Empty(hook.Received);
        return directory;
    }

    /// <summary>Holds every call to <paramref name="hook"/> until its caller gives up; completes when the first arrives.</summary>
    private static Task HoldDeliveries(RecordingEndpoint hook)
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hook.Hold = (_, aborted) =>
        {
            arrived.TrySetResult();
            return never.Task.WaitAsync(aborted);
        };
        return arrived.Task;
    }

    /// <summary>The interrupted call was claimed, never answered: the next start sends it again under the same webhook id.</summary>
    private static async Task AssertDeliveredAgainAsync(RecordingEndpoint hook, string directory)
    {
        hook.Hold = null;
        await using var cairn = await TestCairn.StartAsync(directory, messaging: options => options.DispatchInBackground = false);
        await cairn.DeliverAsync();
        var calls = hook.Received.ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal(calls[0].Header("webhook-id"), calls[1].Header("webhook-id"));
    }

    /// <summary>Starts once <paramref name="condition"/> holds.</summary>
    private sealed class StartsAfter(Task condition) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => condition.WaitAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// Once <paramref name="condition"/> holds, asks the application to stop, as SIGTERM does, while it is still starting:
    /// the token it was given is cancelled, and it gives up the way the demo workspace does when a store call is cancelled.
    /// </summary>
    private sealed class StopRequestedWhileStarting(Task condition, IHostApplicationLifetime lifetime) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await condition.WaitAsync(cancellationToken);
            lifetime.StopApplication();
            cancellationToken.ThrowIfCancellationRequested();
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// The dispatcher's loop ended before the engine stopped — a pass uses the channels, the HTTP client and the engine —
    /// and nothing failed on the way.
    /// </summary>
    private static void AssertStoppedInOrder(RecordingLoggerProvider logs)
    {
        var entries = logs.Entries.ToList();
        var all = string.Join('\n', entries);
        Assert.False(entries.Exists(entry => entry.Level >= LogLevel.Error || entry.Exception is not null), all);
        var dispatcher = entries.FindIndex(entry => entry.Message.StartsWith("Message dispatcher stopped", StringComparison.Ordinal));
        var engine = entries.FindIndex(entry => entry.Message.StartsWith("Cairn engine stopped", StringComparison.Ordinal));
        Assert.True(dispatcher >= 0 && dispatcher < engine, all);
    }

    /// <summary>One log entry.</summary>
    private sealed record LogEntry(LogLevel Level, string Category, string Message, Exception? Exception);

    /// <summary>Records every log entry, in order.</summary>
    private sealed class RecordingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<LogEntry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new LogEntry(logLevel, category, formatter(state, exception), exception));
        }
    }
}
