using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cairn.Runtime.Retention;

/// <summary>What one kind's pass has done, with its rule.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Description">What it deletes.</param>
/// <param name="ByName">True when its rule may name events.</param>
/// <param name="Rule">Its rule; null keeps everything.</param>
/// <param name="LastDeleted">Rows the last pass (or the one under way) deleted.</param>
/// <param name="TotalDeleted">Rows every pass deleted.</param>
/// <param name="LastRunAt">When its last batch ran; null when it never did.</param>
/// <param name="Interrupted">True when its last pass stopped before the end (the next one resumes where it stopped).</param>
public sealed record RetentionKindStatus(string Kind, string Description, bool ByName, RetentionRule? Rule, long LastDeleted, long TotalDeleted, DateTimeOffset? LastRunAt, bool Interrupted);

/// <summary>The policy's state: each kind, when the last pass ended and when the next is due.</summary>
/// <param name="Kinds">Each registered kind, in registration order.</param>
/// <param name="LastPassAt">When the last whole pass ended (this process); null when none did yet.</param>
/// <param name="NextPassAt">When the next pass is due (this process).</param>
/// <param name="Running">True while a pass runs.</param>
public sealed record RetentionStatus(IReadOnlyList<RetentionKindStatus> Kinds, DateTimeOffset? LastPassAt, DateTimeOffset? NextPassAt, bool Running);

/// <summary>
/// Enforces the retention policy (docs/retention.md): every <see cref="EngineOptions.RetentionInterval"/> a background
/// loop runs a pass over the registered <see cref="IRetentionKind"/>s, each in batches sized to hold the writer for about
/// <see cref="EngineOptions.RetentionBatchTime"/> (<see cref="RetentionBatchSizer"/>) — one short transaction each, with
/// a pause between them of at least <see cref="EngineOptions.RetentionPause"/> and three times what the batch took, so
/// ingestion's commits get the writer. The counts and the resume position are stored after every batch, so a pass stopped
/// half-way (a restart) resumes where it stopped. When a kind's walk has deleted events, the partitions' held histories
/// are dropped (<see cref="JourneyRegistry.ForgetHistories"/>), so once the walk ends no decision reads an event the
/// store no longer has. Registered after the engine, so it runs only while the engine does.
/// </summary>
public sealed partial class RetentionRunner : IHostedService, IAsyncDisposable
{
    /// <summary>The resume position of a kind whose own walk has none: its pass is under way.</summary>
    private const string UnderWay = "-";

    /// <summary>The pause after a batch is at least this many times what the batch took (the pass holds at most 1/(1+PauseFactor) of the writer).</summary>
    private const int PauseFactor = 3;

    private readonly IRetentionStore _store;
    private readonly IReadOnlyList<IRetentionKind> _kinds;
    private readonly JourneyRegistry _journeys;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RetentionRunner> _logger;
    private readonly BackgroundLoop _loop;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Meter _meter;
    private readonly Counter<long> _deleted;
    private DateTimeOffset? _lastPassAt;
    private DateTimeOffset? _nextPassAt;
    private int _running;

    /// <summary>Creates the runner (not running until started).</summary>
    public RetentionRunner(IRetentionStore store, IEnumerable<IRetentionKind> kinds, JourneyRegistry journeys, IOptions<EngineOptions> options, TimeProvider time, IMeterFactory meters, ILogger<RetentionRunner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        (_store, _journeys, _options, _time, _logger) = (store, journeys, options.Value, time, logger);
        _kinds = [.. kinds.DistinctBy(kind => kind.Name, StringComparer.Ordinal)];
        _meter = meters.Create(Diagnostics.CairnTelemetry.Retention);
        _deleted = _meter.CreateCounter<long>("cairn.retention.deleted", "{row}", "Rows the retention pass deleted (bodies removed, for message_bodies), by kind.");
        _loop = new BackgroundLoop("retention", PassAsync, time, logger);
    }

    /// <summary>The registered kinds' names, in order.</summary>
    public IReadOnlyList<string> Kinds => [.. _kinds.Select(kind => kind.Name)];

    /// <summary>Registers the kinds Cairn has: events, message bodies, messages, the development mailbox and the audit log.</summary>
    internal static void AddBuiltInKinds(IServiceCollection services)
    {
        services.AddRetentionKind(provider => RetentionKind.Events(provider.GetRequiredService<IRetentionStore>()));
        services.AddRetentionKind(provider => RetentionKind.MessageBodies(provider.GetRequiredService<IRetentionStore>(), provider.GetRequiredService<TimeProvider>()));
        services.AddRetentionKind(provider => RetentionKind.Messages(provider.GetRequiredService<IRetentionStore>()));
        services.AddRetentionKind(provider => RetentionKind.Mailbox(provider.GetRequiredService<IRetentionStore>()));
        services.AddRetentionKind(provider => RetentionKind.OlderThan(
            RetentionPolicy.Audit,
            "Audit log entries (who changed what); kept longest of all kinds.",
            provider.GetRequiredService<IAuditStore>().DeleteOlderThanAsync));
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
    public async ValueTask DisposeAsync()
    {
        await _loop.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
        _meter.Dispose();
    }

    /// <summary>The stored policy (keep everything when none was stored).</summary>
    public async Task<RetentionPolicy> GetPolicyAsync(CancellationToken cancellationToken) =>
        RetentionPolicy.FromStored(await _store.GetRetentionPolicyAsync(cancellationToken).ConfigureAwait(false), Kinds);

    /// <summary>Stores <paramref name="policy"/>; the next pass applies it.</summary>
    public Task SavePolicyAsync(RetentionPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return _store.SaveRetentionPolicyAsync(policy.ToJson(), cancellationToken);
    }

    /// <summary>The policy's state now.</summary>
    public async Task<RetentionStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var policy = await GetPolicyAsync(cancellationToken).ConfigureAwait(false);
        var runs = (await _store.GetRetentionRunsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(run => run.Kind, StringComparer.Ordinal);
        return new RetentionStatus(
            [.. _kinds.Select(kind => runs.TryGetValue(kind.Name, out var run)
                ? new RetentionKindStatus(kind.Name, kind.Description, kind.ByName, policy.RuleOf(kind.Name), run.LastDeleted, run.TotalDeleted, run.LastRunAt, run.Resume is not null && Volatile.Read(ref _running) == 0)
                : new RetentionKindStatus(kind.Name, kind.Description, kind.ByName, policy.RuleOf(kind.Name), 0, 0, null, false))],
            _lastPassAt,
            _nextPassAt,
            Volatile.Read(ref _running) == 1);
    }

    /// <summary>
    /// Runs one whole pass now (after the one under way, if any) and returns the state after it. The loop calls it every
    /// interval; <c>POST /api/retention/run</c> and <c>cairn retention run</c> call it on demand.
    /// </summary>
    public async Task<RetentionStatus> RunPassAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _running, 1);
        try
        {
            var policy = await GetPolicyAsync(cancellationToken).ConfigureAwait(false);
            var runs = (await _store.GetRetentionRunsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(run => run.Kind, StringComparer.Ordinal);
            foreach (var kind in _kinds)
            {
                if (policy.RuleOf(kind.Name) is { } rule)
                {
                    await RunKindAsync(kind, rule, runs.GetValueOrDefault(kind.Name), cancellationToken).ConfigureAwait(false);
                }
            }

            _lastPassAt = _time.GetUtcNow();
            _nextPassAt = _lastPassAt + _options.RetentionInterval;
        }
        finally
        {
            Volatile.Write(ref _running, 0);
            _gate.Release();
        }

        return await GetStatusAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunKindAsync(IRetentionKind kind, RetentionRule rule, RetentionRun? stored, CancellationToken cancellationToken)
    {
        // A pass that stopped half-way (Resume set) is continued: its count so far is the last pass's count.
        var resuming = stored?.Resume is not null;
        var resume = stored?.Resume is UnderWay ? null : stored?.Resume;
        var last = resuming ? stored!.LastDeleted : 0;
        var total = stored?.TotalDeleted ?? 0;
        var started = Stopwatch.GetTimestamp();
        var size = new RetentionBatchSizer(_options.RetentionBatchSize, _options.RetentionBatchTime);
        var deletedEvents = false;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batchStarted = Stopwatch.GetTimestamp();
                var step = await kind.RunBatchAsync(rule, _time.GetUtcNow(), resume, size.Rows, cancellationToken).ConfigureAwait(false);
                size.Took(step.Deleted, Stopwatch.GetElapsedTime(batchStarted));
                last += step.Deleted;
                total += step.Deleted;
                resume = step.Done ? null : step.Resume ?? UnderWay;
                if (step.Deleted > 0)
                {
                    _deleted.Add(step.Deleted, new KeyValuePair<string, object?>("cairn.retention.kind", kind.Name));
                    deletedEvents |= kind.Name == RetentionPolicy.Events;
                }

                await _store.SaveRetentionRunAsync(new RetentionRun(kind.Name, last, total, _time.GetUtcNow(), resume), CancellationToken.None).ConfigureAwait(false);
                if (step.Deleted > 0)
                {
                    // After the counts are saved: a stop here loses nothing the batch did.
                    await _store.AfterRetentionBatchAsync(cancellationToken).ConfigureAwait(false);
                }

                var batchTime = Stopwatch.GetElapsedTime(batchStarted);
                if (step.Done)
                {
                    break;
                }

                // A real pause (not the engine's clock) that leaves the writer to ingestion: at least the configured
                // pause and at least PauseFactor times what the batch took, so the pass holds at most a quarter of the
                // writer's time however slow the disk or busy the cores.
                var pause = TimeSpan.FromTicks(Math.Max(_options.RetentionPause.Ticks, batchTime.Ticks * PauseFactor));
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (deletedEvents)
            {
                // Once per walk, not per batch: dropping every partition's held histories makes each active contact's
                // next event read its history from the store again, which is what lifted ingest latency during a pass.
                _journeys.ForgetHistories();
            }
        }

        if (last > 0)
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            LogKindDone(_logger, kind.Name, last, seconds);
        }
    }

    private async Task<TimeSpan> PassAsync(CancellationToken stopping)
    {
        await RunPassAsync(stopping).ConfigureAwait(false);
        return _options.RetentionInterval;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention of {Kind}: {Deleted} rows in {Seconds:0.0} s")]
    private static partial void LogKindDone(ILogger logger, string kind, long deleted, double seconds);
}

/// <summary>
/// Sizes a kind's retention batches by time rather than rows: the first batch is small, and each next one is what the
/// last one's time per row says fits in the target time (at most twice the last size, so one quick batch over cached
/// pages does not jump to the most; at least <see cref="Least"/> rows, so a pass always moves). Its time includes waiting
/// for the writer, so a pass behind busy ingestion takes smaller bites.
/// </summary>
internal sealed class RetentionBatchSizer
{
    /// <summary>The fewest rows a batch asks for (unless the most is fewer).</summary>
    internal const int Least = 50;

    private readonly int _most;
    private readonly TimeSpan _target;

    /// <summary>A sizer for batches of at most <paramref name="most"/> rows that should take about <paramref name="target"/>.</summary>
    public RetentionBatchSizer(int most, TimeSpan target)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(most, 1);
        (_most, _target) = (most, target);
        Rows = Math.Min(most, 2 * Least);
    }

    /// <summary>How many rows the next batch asks for.</summary>
    public int Rows { get; private set; }

    /// <summary>Learns from a batch that deleted <paramref name="deleted"/> rows in <paramref name="elapsed"/>.</summary>
    public void Took(int deleted, TimeSpan elapsed)
    {
        if (deleted <= 0 || elapsed <= TimeSpan.Zero)
        {
            return;
        }

        var fits = _target.Ticks * (double)deleted / elapsed.Ticks;
        Rows = (int)Math.Clamp(fits, Math.Min(Least, _most), Math.Min(_most, 2L * Rows));
    }
}

