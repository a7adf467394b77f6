using System.Runtime.InteropServices;
using Cairn.Core.Messages;
using Cairn.Http.Telemetry;

namespace Cairn.Http;

/// <summary>A message of a batch that was not stored, and why.</summary>
/// <param name="Index">Its position in the batch (0-based).</param>
/// <param name="MessageId">Its messageId, when it had one.</param>
/// <param name="Reason">Why it was rejected.</param>
public sealed record RejectedMessage(int Index, string? MessageId, string Reason);

/// <summary>The outcome of ingesting a batch: every valid message is stored even when others are rejected.</summary>
public sealed record BatchResult(int Accepted, int Duplicates, IReadOnlyList<RejectedMessage> Rejected);

/// <summary>
/// Validates the messages of a request one by one and hands the valid ones to the engine, which acknowledges
/// them once durable. Shared by the <c>/v1</c> endpoints and imports, so both accept exactly the same messages.
/// </summary>
public sealed class BatchIngestor(CairnEngine engine, TimeProvider time, IngestMetrics? metrics = null)
{
    /// <summary>Ingests <paramref name="messages"/>, each validated on its own.</summary>
    /// <param name="messages">The message objects.</param>
    /// <param name="endpointType">The type fixed by a single-message endpoint, or null for batches.</param>
    /// <param name="batchSentAt">The batch envelope's <c>sentAt</c>.</param>
    /// <param name="cancellationToken">Cancels waiting (not the ingestion of what was handed over).</param>
    public async Task<BatchResult> IngestAsync(
        IReadOnlyList<JsonElement> messages,
        MessageType? endpointType,
        DateTimeOffset? batchSentAt,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var endpoint = endpointType?.ToString().ToLowerInvariant() ?? "batch";
        using var activity = IngestMetrics.ActivitySource.StartActivity("ingest")?.SetTag("cairn.endpoint", endpoint).SetTag("cairn.messages", messages.Count);
        var receivedAt = time.GetUtcNow();
        var valid = new List<SegmentMessage>(messages.Count);
        var rejected = new List<RejectedMessage>();
        for (var index = 0; index < messages.Count; index++)
        {
            var element = messages[index];
            if (JsonMarshal.GetRawUtf8Value(element).Length > MessageLimits.MaxMessageBytes)
            {
                rejected.Add(new RejectedMessage(index, MessageIdOf(element), "the message exceeds the 32 KB limit"));
                metrics?.Rejected(endpoint, "too_large");
            }
            else if (SegmentMessageReader.TryRead(element, endpointType, receivedAt, batchSentAt, NewMessageId, out var message, out var error))
            {
                valid.Add(message);
            }
            else
            {
                rejected.Add(new RejectedMessage(index, MessageIdOf(element), error));
                metrics?.Rejected(endpoint, "invalid");
            }
        }

        if (valid.Count == 0)
        {
            return new BatchResult(0, 0, rejected);
        }

        var outcomes = await engine.IngestAsync(valid, cancellationToken).ConfigureAwait(false);
        foreach (var outcome in outcomes)
        {
            metrics?.Ingested(endpoint, outcome);
        }

        var duplicates = outcomes.Count(outcome => outcome == InputOutcome.Duplicate);
        return new BatchResult(outcomes.Count - duplicates, duplicates, rejected);
    }

    private static string NewMessageId() => "cairn-" + Guid.CreateVersion7().ToString("N");

    private static string? MessageIdOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("messageId", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()
            : null;
}
