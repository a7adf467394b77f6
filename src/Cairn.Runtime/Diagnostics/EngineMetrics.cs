using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime.Diagnostics;

/// <summary>
/// The names of Cairn's <see cref="ActivitySource"/>s and <see cref="Meter"/>s, one per area (npgsql's
/// <c>NpgsqlActivitySource</c> habit): what a host adds to its OpenTelemetry tracer and meter providers.
/// </summary>
public static class CairnTelemetry
{
    /// <summary>Ingestion: events accepted and rejected (<c>Cairn.Http</c>).</summary>
    public const string Ingest = "Cairn.Ingest";

    /// <summary>The partitions: commits, their latency and size, queue depth.</summary>
    public const string Partitions = "Cairn.Partitions";

    /// <summary>Journey timers: due, fired, lag.</summary>
    public const string Timers = "Cairn.Timers";

    /// <summary>Segments: re-evaluations, entries and exits, previews.</summary>
    public const string Segments = "Cairn.Segments";

    /// <summary>Delivery, every channel (tag <c>cairn.channel</c>): messages by status, render errors, provider calls (<c>Cairn.Messaging</c>).</summary>
    public const string Delivery = "Cairn.Delivery";

    /// <summary>Retention: rows each kind's pass deleted (<c>cairn.retention.deleted</c>, tag <c>cairn.retention.kind</c>).</summary>
    public const string Retention = "Cairn.Retention";

    /// <summary>Every Cairn source and meter. HTTP is ASP.NET Core's own (<c>Microsoft.AspNetCore.Hosting</c>).</summary>
    public static IReadOnlyList<string> All { get; } = [Ingest, Partitions, Timers, Segments, Delivery, Retention];
}

/// <summary>
/// The engine's instruments: <c>Cairn.Partitions</c>, <c>Cairn.Timers</c> and <c>Cairn.Segments</c>, fed from what a
/// partition commits (kept apart from <see cref="Partition"/>, which calls it around its commit in one line each).
/// Created from the host's <see cref="IMeterFactory"/>, so two engines in one process (tests) count apart.
/// </summary>
internal sealed class EngineMetrics
{
    /// <summary>Activities of the partitions: <c>partition commit</c>.</summary>
    public static readonly ActivitySource PartitionSource = new(CairnTelemetry.Partitions);

    /// <summary>Activities of the timer loop: <c>timers fire</c>.</summary>
    public static readonly ActivitySource TimerSource = new(CairnTelemetry.Timers);

    /// <summary>Activities of segments: <c>segment preview</c>, <c>rollout</c>.</summary>
    public static readonly ActivitySource SegmentSource = new(CairnTelemetry.Segments);

    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] LagBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
    private static readonly int[] SizeBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

    private readonly TimeProvider _time;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _inputs;
    private readonly Counter<long> _commitFailures;
    private readonly Counter<long> _timersDue;
    private readonly Counter<long> _timersFired;
    private readonly Histogram<double> _timerLag;
    private readonly Counter<long> _reevaluations;
    private readonly Counter<long> _segmentChanges;

    public EngineMetrics(IMeterFactory? meters, TimeProvider time, Func<IEnumerable<(int Partition, int Queued)>> queues)
    {
        _time = time;
        meters ??= NoMeters.Instance;
        var partitions = meters.Create(CairnTelemetry.Partitions);
        _commitDuration = partitions.CreateHistogram<double>(
            "cairn.partition.commit.duration", "s", "How long a partition's group commit took (one transaction for the batch).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _batchSize = partitions.CreateHistogram<int>(
            "cairn.partition.batch.size", "{input}", "Inputs a partition committed in one transaction.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = SizeBuckets });
        _inputs = partitions.CreateCounter<long>("cairn.partition.inputs", "{input}", "Inputs the partitions committed.");
        _commitFailures = partitions.CreateCounter<long>("cairn.partition.commit.failures", "{batch}", "Batches whose commit failed (none of their inputs was acknowledged).");
        partitions.CreateObservableGauge(
            "cairn.partition.queue.depth",
            () => queues().Select(queue => new Measurement<int>(queue.Queued, new KeyValuePair<string, object?>("cairn.partition", queue.Partition))),
            "{input}",
            "Inputs waiting in a partition's queue.");

        var timers = meters.Create(CairnTelemetry.Timers);
        _timersDue = timers.CreateCounter<long>("cairn.timers.due", "{timer}", "Due timers the timer loop handed to their partitions.");
        _timersFired = timers.CreateCounter<long>("cairn.timers.fired", "{timer}", "Timers fired: committed with what they caused.");
        _timerLag = timers.CreateHistogram<double>(
            "cairn.timers.lag", "s", "How late a timer fired: its commit's time minus its due time.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LagBuckets });

        var segments = meters.Create(CairnTelemetry.Segments);
        _reevaluations = segments.CreateCounter<long>("cairn.segments.reevaluations", "{contact}", "Contacts whose segments were re-evaluated without an event of theirs (cairn.reason: rollout, recheck, list).");
        _segmentChanges = segments.CreateCounter<long>("cairn.segments.changes", "{contact}", "Segment entries and exits (cairn.change: entered, exited).");
    }

    /// <summary>A timestamp to pass to <see cref="Committed"/>.</summary>
    public long Start() => _time.GetTimestamp();

    /// <summary>A partition committed <paramref name="inputs"/> as <paramref name="commit"/>, begun at <paramref name="started"/>.</summary>
    public void Committed(IReadOnlyList<PartitionWork> inputs, CommitBatch commit, long started)
    {
        _commitDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
        _batchSize.Record(inputs.Count);
        _inputs.Add(inputs.Count);
        var now = _time.GetUtcNow();
        foreach (var timer in commit.TimersDone)
        {
            _timersFired.Add(1);
            _timerLag.Record(Math.Max(0, (now - timer.DueAt).TotalSeconds));
        }

        foreach (var change in commit.SegmentMembers)
        {
            _segmentChanges.Add(1, new KeyValuePair<string, object?>("cairn.change", change.Membership is null ? "exited" : "entered"));
        }

        foreach (var work in inputs)
        {
            var reason = work.Input switch
            {
                SegmentsChanged => "rollout",
                TimerDue { EnrollmentId: Core.Turns.ContactTurn.SegmentTimer } => "recheck",
                ListMembershipChanged => "list",
                _ => null,
            };
            if (reason is not null)
            {
                _reevaluations.Add(1, new KeyValuePair<string, object?>("cairn.reason", reason));
            }
        }
    }

    /// <summary>A partition's commit failed.</summary>
    public void Failed(int partition) => _commitFailures.Add(1, new KeyValuePair<string, object?>("cairn.partition", partition));

    /// <summary>The timer loop found <paramref name="count"/> due timers and handed them over.</summary>
    public void TimersDue(int count)
    {
        if (count > 0)
        {
            _timersDue.Add(count);
        }
    }

    /// <summary>Meters that no one listens to, for an engine built without a host (benchmarks, tools).</summary>
    private sealed class NoMeters : IMeterFactory
    {
        public static readonly NoMeters Instance = new();

        public Meter Create(MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
