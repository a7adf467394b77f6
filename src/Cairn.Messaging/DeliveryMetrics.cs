using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Cairn.Messaging;

/// <summary>
/// The delivery area's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="Meter"/> (<c>Cairn.Delivery</c>):
/// every channel reports through them, told apart by the <c>cairn.channel</c> tag.
/// </summary>
public sealed class DeliveryMetrics
{
    /// <summary>The meter's and the activity source's name.</summary>
    public const string Name = "Cairn.Delivery";

    /// <summary>Activities: one per channel batch (<c>deliver {channel}</c>) and one per provider call (<c>send {channel}</c>).</summary>
    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _messages;
    private readonly Counter<long> _renderErrors;
    private readonly Histogram<double> _sendDuration;

    public DeliveryMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(Name);
        _messages = meter.CreateCounter<long>("cairn.messages", "{message}", "Outbox messages by channel and the status a delivery pass left them in (sent, delivered, bounced, failed, suppressed, undeliverable, expired, deferred, retried, dead_letter, fell_back).");
        _renderErrors = meter.CreateCounter<long>("cairn.messages.render_errors", "{message}", "Messages that failed because their template did not render.");
        _sendDuration = meter.CreateHistogram<double>(
            "cairn.delivery.send.duration",
            "s",
            "How long one provider call took (SMTP, SMS, push, webhook, inbox).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    }

    /// <summary>A message left a pass with <paramref name="status"/>.</summary>
    public void Recorded(string channel, string status) =>
        _messages.Add(1, new KeyValuePair<string, object?>("cairn.channel", channel), new KeyValuePair<string, object?>("cairn.status", status));

    /// <summary>A message's template did not render.</summary>
    public void RenderFailed(string channel) => _renderErrors.Add(1, new KeyValuePair<string, object?>("cairn.channel", channel));

    /// <summary>A provider call ended after <paramref name="elapsed"/>.</summary>
    public void Sent(string channel, TimeSpan elapsed) => _sendDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("cairn.channel", channel));
}
