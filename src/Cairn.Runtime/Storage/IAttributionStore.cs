namespace Cairn.Runtime.Storage;

/// <summary>
/// The workspace's conversions (the policy's <c>measurement.conversion</c> event) and their attribution to messages,
/// written by <see cref="IPartitionWriter"/> in the converting contact's commit: one row per conversion (time, revenue,
/// the contact's bucket) and daily counters of the credit each model gave each journey, template and channel.
/// </summary>
public interface IAttributionStore
{
    /// <summary>
    /// The attribution counters of the UTC days from <paramref name="fromDay"/> (inclusive) to <paramref name="toDay"/>
    /// (exclusive), summed per model and per value of <paramref name="by"/>, with the days' totals.
    /// </summary>
    Task<AttributionCounts> GetAttributionAsync(DateTimeOffset fromDay, DateTimeOffset toDay, AttributionGrouping by, CancellationToken cancellationToken);

    /// <summary>
    /// Contacts and their conversions in <c>[<paramref name="since"/>, <paramref name="until"/>)</c>, split between the
    /// global control group (buckets from <paramref name="firstControlBucket"/> up) and everyone else.
    /// </summary>
    Task<ControlGroupCounts> GetControlGroupAsync(DateTimeOffset since, DateTimeOffset until, int firstControlBucket, CancellationToken cancellationToken);
}

/// <summary>What attribution credit is grouped by.</summary>
public enum AttributionGrouping
{
    /// <summary>The journey that sent the message (empty for a message sent outside a journey).</summary>
    Journey,

    /// <summary>The message's template.</summary>
    Template,

    /// <summary>The message's channel.</summary>
    Channel,
}

/// <summary>A conversion of the workspace, to record with its attribution in the contact's commit.</summary>
/// <param name="MessageId">The converting event's message id (a conversion is counted once).</param>
/// <param name="ContactId">Who converted.</param>
/// <param name="At">The event's time.</param>
/// <param name="Revenue">The revenue it carried (0 without one); counted to the cent.</param>
/// <param name="Lookback">How far back touches earn credit (the policy in force at commit time).</param>
/// <param name="HalfLife">The time-decay half-life in force at commit time.</param>
public sealed record WorkspaceConversion(string MessageId, Core.ContactId ContactId, DateTimeOffset At, decimal Revenue, TimeSpan Lookback, TimeSpan HalfLife);

/// <summary>One model's credit to one group over a period.</summary>
/// <param name="Model">The model's name (<c>first_touch</c> …).</param>
/// <param name="Key">The journey id, template or channel (empty when the message had none).</param>
/// <param name="Conversions">The conversions credited (fractions under the multi-touch models).</param>
/// <param name="Revenue">The revenue credited.</param>
public sealed record AttributionCredited(string Model, string Key, double Conversions, decimal Revenue);

/// <summary>Attribution counters over a period.</summary>
/// <param name="Conversions">Conversions in the period.</param>
/// <param name="Revenue">Their revenue.</param>
/// <param name="Unattributed">Conversions with no touch in their lookback.</param>
/// <param name="UnattributedRevenue">Their revenue.</param>
/// <param name="Credits">The credit per model and group, by model then key.</param>
public sealed record AttributionCounts(long Conversions, decimal Revenue, long Unattributed, decimal UnattributedRevenue, IReadOnlyList<AttributionCredited> Credits);

/// <summary>One side of the control-group comparison.</summary>
/// <param name="Contacts">Unmerged contacts in the group (now).</param>
/// <param name="Converters">Contacts of the group with at least one conversion in the period.</param>
/// <param name="Conversions">Their conversions.</param>
/// <param name="Revenue">Their revenue.</param>
/// <param name="RevenueSquares">The sum over converters of the square of each one's revenue (for the variance per contact).</param>
public sealed record ControlGroupSide(long Contacts, long Converters, long Conversions, decimal Revenue, double RevenueSquares);

/// <summary>The control group and everyone else.</summary>
/// <param name="Control">Contacts in the global control group.</param>
/// <param name="Others">Everyone else.</param>
public sealed record ControlGroupCounts(ControlGroupSide Control, ControlGroupSide Others);
