using System.Collections.Immutable;
using System.Text.Json;

namespace Cairn.Core.Journeys;

/// <summary>A condition over a contact, an event or a trigger payload; nests with all / any / not.</summary>
public abstract record Condition(SourceLocation Location);

/// <summary>Every condition holds.</summary>
public sealed record AllCondition(ImmutableArray<Condition> Conditions, SourceLocation Location) : Condition(Location);

/// <summary>At least one condition holds.</summary>
public sealed record AnyCondition(ImmutableArray<Condition> Conditions, SourceLocation Location) : Condition(Location);

/// <summary>The condition does not hold.</summary>
public sealed record NotCondition(Condition Condition, SourceLocation Location) : Condition(Location);

/// <summary>What a comparison reads.</summary>
public enum Subject
{
    /// <summary>A profile trait.</summary>
    Trait,

    /// <summary>A property of the event being matched (dotted path).</summary>
    Property,

    /// <summary>A value of the trigger event or API enrollment payload (dotted path).</summary>
    Payload,
}

/// <summary>Comparison operators.</summary>
public enum ComparisonOperator
{
    /// <summary>Equal (strings case-sensitive, numbers by value).</summary>
    Eq,

    /// <summary>Not equal.</summary>
    Ne,

    /// <summary>One of a list.</summary>
    In,

    /// <summary>None of a list.</summary>
    NotIn,

    /// <summary>A string contains the value, or an array contains the element.</summary>
    Contains,

    /// <summary>A string starts with the value.</summary>
    StartsWith,

    /// <summary>Greater than (numbers or dates).</summary>
    Gt,

    /// <summary>Greater than or equal.</summary>
    Gte,

    /// <summary>Less than.</summary>
    Lt,

    /// <summary>Less than or equal.</summary>
    Lte,

    /// <summary>Present and not null.</summary>
    Exists,

    /// <summary>Absent or null.</summary>
    NotExists,

    /// <summary>A date (trait) within the last duration given as the value (e.g. <c>30d</c>): between now − value and now.</summary>
    WithinLast,

    /// <summary>A date (trait) within the next duration given as the value: between now and now + value.</summary>
    WithinNext,
}

/// <summary>A comparison of one value with a constant.</summary>
/// <param name="Subject">What is read.</param>
/// <param name="Path">The trait name or the dotted property path.</param>
/// <param name="Operator">The comparison.</param>
/// <param name="Value">The constant (a list for in / not_in; absent for exists / not_exists).</param>
/// <param name="Location">Where it is written.</param>
public sealed record Comparison(Subject Subject, string Path, ComparisonOperator Operator, JsonElement? Value, SourceLocation Location) : Condition(Location);

/// <summary>
/// Event history: the contact performed <see cref="Event"/> (matching <see cref="Where"/>) at least / at most
/// (<c>AtLeast</c> / <c>AtMost</c>) times within <see cref="Within"/> (or ever).
/// </summary>
public sealed record PerformedCondition(string Event, Condition? Where, int AtLeast, int? AtMost, TimeSpan? Within, SourceLocation Location) : Condition(Location);

/// <summary>The contact has the tag.</summary>
public sealed record TagCondition(string Tag, SourceLocation Location) : Condition(Location);

/// <summary>The contact is at the lifecycle stage.</summary>
public sealed record StageCondition(string Stage, SourceLocation Location) : Condition(Location);

/// <summary>The event being handled is <see cref="Event"/> and matches <see cref="Where"/> (exit criteria such as <c>order_completed</c>).</summary>
public sealed record EventCondition(string Event, Condition? Where, SourceLocation Location) : Condition(Location);

/// <summary>The contact is a member of another segment.</summary>
public sealed record SegmentCondition(string Segment, SourceLocation Location) : Condition(Location);

/// <summary>The contact's score in a scoring model (0 before anything scored), compared with a number (gt, gte, lt or lte).</summary>
public sealed record ScoreCondition(string Model, ComparisonOperator Operator, double Value, SourceLocation Location) : Condition(Location);

/// <summary>
/// When the contact first (or last) performed <see cref="Event"/> (matching <see cref="Where"/>): within the last
/// <see cref="Within"/>, longer ago than <see cref="Before"/>, and between the dates <see cref="Since"/> and
/// <see cref="Until"/> (each bound optional). False when it never did.
/// </summary>
public sealed record OccurrenceCondition(string Event, Condition? Where, bool First, TimeSpan? Within, TimeSpan? Before, SourceLocation Location) : Condition(Location)
{
    /// <summary>It happened at or after this date.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>It happened before this date.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>
    /// No such event came at or after it (<c>last_performed: ticket_opened, not_followed_by: ticket_closed</c>: a ticket is
    /// open).
    /// </summary>
    public string? NotFollowedBy { get; init; }
}

/// <summary>How an <see cref="AggregateCondition"/> combines the values.</summary>
public enum Aggregate
{
    /// <summary>The sum of the property.</summary>
    Sum,

    /// <summary>How many events (the property, when given, must be present).</summary>
    Count,

    /// <summary>How many distinct values of the property.</summary>
    Distinct,

    /// <summary>The smallest value.</summary>
    Min,

    /// <summary>The largest value.</summary>
    Max,

    /// <summary>The mean value.</summary>
    Average,
}

/// <summary>
/// An aggregate of a property over the contact's <see cref="Event"/> events (matching <see cref="Where"/>) within
/// <see cref="Within"/> (or ever), compared with a number: e.g. the sum of <c>order_completed.revenue</c> in 365 days ≥ 500.
/// </summary>
public sealed record AggregateCondition(Aggregate Function, string Event, string? Property, Condition? Where, TimeSpan? Within, ComparisonOperator Operator, double Value, SourceLocation Location) : Condition(Location);

/// <summary>The contact's consent for <see cref="Channel"/> (or the subscription <see cref="Group"/> on it) is <see cref="State"/>.</summary>
public sealed record ConsentCondition(string Channel, string? Group, Consent.ConsentState State, SourceLocation Location) : Condition(Location);
