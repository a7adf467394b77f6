using Cairn.Core.Journeys;

namespace Cairn.Core.Orchestration;

/// <summary>
/// The workspace's measurement settings, in the policy document's <c>measurement:</c> section.
/// </summary>
/// <param name="ConversionEvent">The event that counts as a conversion for attribution and the global control group (<c>order_completed</c>).</param>
/// <param name="RevenueProperty">Its property that carries the revenue (<c>revenue</c>).</param>
/// <param name="Lookback">How far before a conversion a message can earn credit for it (7 days).</param>
/// <param name="HalfLife">Time-decay attribution: a message this much older than another earns half its credit (7 days).</param>
/// <param name="GlobalControlPercent">
/// The share of contacts (0–<see cref="MaxGlobalControlPercent"/> %) that gets no promotional message from any journey;
/// 0 for none.
/// </param>
public sealed record MeasurementSettings(string ConversionEvent, string RevenueProperty, TimeSpan Lookback, TimeSpan HalfLife, double GlobalControlPercent)
{
    /// <summary>The largest global control group a policy may ask for.</summary>
    public const double MaxGlobalControlPercent = 50;

    /// <summary>The longest lookback or half-life.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(90);

    /// <summary>Segment's <c>Order Completed</c> as <c>order_completed</c> with <c>revenue</c>, 7-day lookback and half-life, no global control group.</summary>
    public static MeasurementSettings Default { get; } = new("order_completed", Goal.DefaultRevenueProperty, TimeSpan.FromDays(7), TimeSpan.FromDays(7), 0);
}
