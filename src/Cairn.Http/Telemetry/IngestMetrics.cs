using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cairn.Runtime.Diagnostics;

namespace Cairn.Http.Telemetry;

/// <summary>The ingestion area's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="Meter"/> (<c>Cairn.Ingest</c>).</summary>
public sealed class IngestMetrics
{
    /// <summary>Activities: <c>ingest</c>, one per request (or import chunk) handed to the engine.</summary>
    public static readonly ActivitySource ActivitySource = new(CairnTelemetry.Ingest);

    private readonly Counter<long> _events;
    private readonly Counter<long> _rejected;

    public IngestMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(CairnTelemetry.Ingest);
        _events = meter.CreateCounter<long>("cairn.ingest.events", "{event}", "Messages ingested, by endpoint (track, identify, …, batch) and outcome (stored, duplicate, erased).");
        _rejected = meter.CreateCounter<long>("cairn.ingest.rejected", "{event}", "Messages rejected, by endpoint and reason class (invalid, too_large; unauthorized and rate_limited count requests).");
    }

    /// <summary>The engine's outcome of a message that came in through <paramref name="endpoint"/>.</summary>
    public void Ingested(string endpoint, InputOutcome outcome) =>
        _events.Add(1, new KeyValuePair<string, object?>("cairn.endpoint", endpoint), new KeyValuePair<string, object?>("cairn.outcome", outcome switch
        {
            InputOutcome.Stored => "stored",
            InputOutcome.Duplicate => "duplicate",
            _ => "erased",
        }));

    /// <summary>A message (or, for <c>unauthorized</c>, a request) was rejected.</summary>
    public void Rejected(string endpoint, string reason, int count = 1) =>
        _rejected.Add(count, new KeyValuePair<string, object?>("cairn.endpoint", endpoint), new KeyValuePair<string, object?>("cairn.reason", reason));
}
