using System.Collections.Immutable;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cairn.Runtime;

/// <summary>
/// Keeps the evidence of adaptive splits (automatic winner, bandit) fresh: every <see cref="SplitModes.RefreshInterval"/>
/// a background loop counts each arm's treated entries and goal conversions on the enrollment rows (one indexed
/// aggregate per journey with such a split), decides every automatic winner now due (<see cref="SplitModes.DueWinner"/>,
/// pure), records it once (<see cref="ISplitStore.RecordSplitDecisionAsync"/>), and hands the snapshot to the partitions
/// through <see cref="JourneyRegistry.UseSplitEvidence"/>. A publish reads a snapshot too, so a new adaptive split
/// never decides without one. Registered after the engine, so it runs only while the engine accepts inputs.
/// </summary>
public sealed partial class SplitRunner : IHostedService, IAsyncDisposable
{
    private readonly JourneyRegistry _journeys;
    private readonly ISplitStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<SplitRunner> _logger;
    private readonly BackgroundLoop _loop;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates the runner (not running until started).</summary>
    public SplitRunner(JourneyRegistry journeys, ISplitStore store, TimeProvider time, ILogger<SplitRunner> logger)
    {
        (_journeys, _store, _time, _logger) = (journeys, store, time, logger);
        _loop = new BackgroundLoop("splits", PassAsync, time, logger);
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
    }

    /// <summary>
    /// Takes a snapshot now: counts the arms, decides and records every winner due, and hands the evidence to the
    /// partitions. The loop calls it every refresh interval; tests call it to take one at a chosen time.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var library = _journeys.Library;
            var now = _time.GetUtcNow();
            var evidence = await SplitSnapshots.ReadAsync(_store, library, now, cancellationToken).ConfigureAwait(false);
            var decided = evidence.ToBuilder();
            foreach (var (key, split) in SplitSnapshots.Adaptive(library).Where(pair => pair.Split.Mode == SplitMode.Winner))
            {
                if (evidence.TryGetValue(key, out var current) && SplitModes.DueWinner(split, current, now) is { } decision)
                {
                    if (await _store.RecordSplitDecisionAsync(new StoredSplitDecision(key, decision), cancellationToken).ConfigureAwait(false))
                    {
                        LogWinner(_logger, key.JourneyId, key.Version, key.StepId, decision.Arm);
                    }

                    // Recorded by this pass or an earlier one (another node): the stored decision is the one.
                    var stored = (await _store.GetSplitDecisionsAsync(key.JourneyId, cancellationToken).ConfigureAwait(false)).FirstOrDefault(entry => entry.Split == key);
                    decided[key] = current with { Decision = stored?.Decision ?? decision };
                }
            }

            _journeys.UseSplitEvidence(decided.ToImmutable());
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<TimeSpan> PassAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return SplitModes.RefreshInterval;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Journey {Journey} version {Version}, split {Step}: automatic winner {Arm} decided; new entrants take it")]
    private static partial void LogWinner(ILogger logger, string journey, int version, string step, string arm);
}

/// <summary>Reads the evidence of a library's adaptive splits from the store: the arms' counts and the recorded winners.</summary>
internal static class SplitSnapshots
{
    /// <summary>Every adaptive split (automatic winner, bandit) of every version in <paramref name="library"/>.</summary>
    public static IEnumerable<(SplitKey Key, SplitStep Split)> Adaptive(JourneyLibrary library) =>
        library.Versions
            .OrderBy(pair => pair.Key.Journey, StringComparer.Ordinal).ThenBy(pair => pair.Key.Version)
            .SelectMany(pair => pair.Value.Steps.OfType<SplitStep>()
                .Where(split => split.Mode != SplitMode.Fixed && split.Experiment)
                .Select(split => (new SplitKey(pair.Key.Journey, pair.Key.Version, split.Id), split)));

    /// <summary>The evidence of every adaptive split of <paramref name="library"/> as of <paramref name="now"/>.</summary>
    public static async Task<ImmutableDictionary<SplitKey, SplitEvidence>> ReadAsync(ISplitStore store, JourneyLibrary library, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var splits = Adaptive(library).ToList();
        if (splits.Count == 0)
        {
            return ImmutableDictionary<SplitKey, SplitEvidence>.Empty;
        }

        var decisions = (await store.GetSplitDecisionsAsync(null, cancellationToken).ConfigureAwait(false)).ToDictionary(entry => entry.Split, entry => entry.Decision);
        var evidence = ImmutableDictionary.CreateBuilder<SplitKey, SplitEvidence>();
        foreach (var journey in splits.GroupBy(pair => pair.Key.JourneyId, StringComparer.Ordinal))
        {
            var counts = await store.CountSplitArmsAsync(journey.Key, cancellationToken).ConfigureAwait(false);
            foreach (var (key, split) in journey)
            {
                var arms = split.Arms.Select(arm => counts.FirstOrDefault(count => count.Version == key.Version && count.Arm == arm.Name)).ToList();
                var first = arms.OfType<SplitArmCount>().Select(count => (DateTimeOffset?)count.FirstEntryAt).Min();
                evidence[key] = new SplitEvidence(
                    [.. split.Arms.Select((arm, index) => new ArmCount(arm.Name, arms[index]?.Entries ?? 0, arms[index]?.Conversions ?? 0))],
                    first,
                    now)
                {
                    Decision = decisions.GetValueOrDefault(key),
                };
            }
        }

        return evidence.ToImmutable();
    }
}
