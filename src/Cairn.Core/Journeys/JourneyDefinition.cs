using System.Collections.Immutable;

namespace Cairn.Core.Journeys;

/// <summary>What kind of message a journey sends; the orchestrator treats the kinds differently.</summary>
public enum JourneyCategory
{
    /// <summary>Receipts, password resets: exempt from marketing caps, never from consent law.</summary>
    Transactional,

    /// <summary>Marketing: needs consent, counts toward caps.</summary>
    Promotional,

    /// <summary>Service notices and internal workflows.</summary>
    Operational,
}

/// <summary>Where a position in a journey document is, for error messages.</summary>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
public readonly record struct SourceLocation(int Line, int Column);

/// <summary>
/// A journey as written in its YAML/JSON document: a directed graph of steps entered through a trigger, with
/// entry rules, exit criteria, a goal and a maximum run time.
/// </summary>
/// <param name="Id">Stable identifier (lower-case letters, digits, '-' and '_').</param>
/// <param name="Name">Display name.</param>
/// <param name="Description">What the journey is for.</param>
/// <param name="Version">The author's version number (published versions are numbered by the server).</param>
/// <param name="Priority">0–100; the orchestrator prefers higher priorities when caps bind.</param>
/// <param name="Category">Transactional, promotional or operational.</param>
/// <param name="Owner">Who owns the journey (shown in the inventory and used for hand-off alerts).</param>
/// <param name="Trigger">How contacts enter.</param>
/// <param name="Entry">Who may enter, and how often.</param>
/// <param name="Start">The first step.</param>
/// <param name="Steps">Every step, by id, in document order.</param>
/// <param name="ExitWhen">Conditions that end an enrollment at any step.</param>
/// <param name="Goal">The conversion the journey is measured against, if any.</param>
/// <param name="MaxRunTime">After this long an enrollment ends and is listed for review.</param>
public sealed record JourneyDefinition(
    string Id,
    string Name,
    string? Description,
    int Version,
    int Priority,
    JourneyCategory Category,
    string? Owner,
    Trigger Trigger,
    EntryRules Entry,
    string Start,
    ImmutableArray<JourneyStep> Steps,
    ImmutableArray<Condition> ExitWhen,
    Goal? Goal,
    TimeSpan MaxRunTime)
{
    /// <summary>The step with <paramref name="id"/>, or null.</summary>
    public JourneyStep? Find(string id) => Steps.FirstOrDefault(step => step.Id == id);

    /// <summary>
    /// Every condition of the journey (entry audience, branch cases, exit criteria, and the filters of its trigger, its
    /// <c>wait_for</c> steps and its goal, which may read history too).
    /// </summary>
    public IEnumerable<Condition> Conditions() =>
        Steps.OfType<BranchStep>().SelectMany(branch => branch.Cases.Select(c => c.When))
            .Concat(ExitWhen)
            .Append(Entry.Audience)
            .Append((Trigger as EventTrigger)?.Where)
            .Concat(Steps.OfType<WaitForStep>().Select(wait => wait.Where))
            .Append(Goal?.Where)
            .OfType<Condition>();
}

/// <summary>How contacts enter a journey.</summary>
public abstract record Trigger(SourceLocation Location);

/// <summary>Enters on an event (track name, or <c>$identify</c>/<c>$page</c>… for other types) matching the filter.</summary>
public sealed record EventTrigger(string Event, Condition? Where, SourceLocation Location) : Trigger(Location);

/// <summary>
/// Enters relative to a date trait: at <see cref="At"/> in the contact's time zone on each offset (negative:
/// days before the date), every year when <see cref="Annually"/> (birthdays).
/// </summary>
public sealed record DateTrigger(string Trait, ImmutableArray<int> OffsetDays, bool Annually, TimeOnly At, SourceLocation Location) : Trigger(Location);

/// <summary>Enters only through <c>POST /api/journeys/{id}/enroll</c>.</summary>
public sealed record ApiTrigger(SourceLocation Location) : Trigger(Location);

/// <summary>Whether a contact may enter again after an enrollment ends.</summary>
public enum ReentryKind
{
    /// <summary>Once per contact, ever.</summary>
    Never,

    /// <summary>Again after a cool-down from the end of the previous enrollment.</summary>
    After,

    /// <summary>Whenever the trigger fires and no enrollment is active.</summary>
    Always,
}

/// <summary>Entry rules. At most one enrollment per contact and journey is active at a time, always.</summary>
/// <param name="Reentry">Whether a contact may enter again.</param>
/// <param name="Cooldown">For <see cref="ReentryKind.After"/>: how long after the previous enrollment ended.</param>
/// <param name="Audience">Who may enter (conditions over the profile), or null for everyone.</param>
/// <param name="HoldoutPercent">The share (0–100) held out as a control group, chosen deterministically per contact.</param>
public sealed record EntryRules(ReentryKind Reentry, TimeSpan Cooldown, Condition? Audience, double HoldoutPercent)
{
    /// <summary>Enter once, no audience filter, no holdout.</summary>
    public static EntryRules Default { get; } = new(ReentryKind.Never, TimeSpan.Zero, null, 0);
}

/// <summary>The conversion a journey is measured against.</summary>
/// <param name="Event">The conversion event.</param>
/// <param name="Where">A filter on it.</param>
/// <param name="Within">The conversion window from entry.</param>
/// <param name="ExitOnConversion">Whether converting ends the enrollment.</param>
public sealed record Goal(string Event, Condition? Where, TimeSpan Within, bool ExitOnConversion)
{
    /// <summary>The property of the conversion event that carries its revenue (<c>revenue</c> unless the goal names another).</summary>
    public string RevenueProperty { get; init; } = DefaultRevenueProperty;

    /// <summary>The revenue property of Segment's e-commerce spec (<c>Order Completed</c>).</summary>
    public const string DefaultRevenueProperty = "revenue";
}
