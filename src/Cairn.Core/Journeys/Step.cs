using System.Collections.Immutable;
using System.Text.Json;

namespace Cairn.Core.Journeys;

/// <summary>A named way out of a step, to another step or to <see cref="JourneyStep.End"/>.</summary>
/// <param name="Name">The exit's name (<c>next</c>, <c>happened</c>, <c>timed_out</c>, a branch or arm name, <c>else</c>).</param>
/// <param name="Target">The step it leads to, <see cref="JourneyStep.End"/>, or null when the document gives none.</param>
/// <param name="Location">Where it is written.</param>
public sealed record StepExit(string Name, string? Target, SourceLocation Location);

/// <summary>One node of a journey's graph.</summary>
/// <param name="Id">Unique within the journey.</param>
/// <param name="Location">Where the step is written.</param>
public abstract record JourneyStep(string Id, SourceLocation Location)
{
    /// <summary>The target that ends the enrollment.</summary>
    public const string End = "end";

    /// <summary>
    /// The pseudo step between two versions in statistics and paths: an enrollment moved by a publish leaves its
    /// old version's step for it and enters the new version's step from it.
    /// </summary>
    public const string Migrated = "$migrated";

    /// <summary>The exit taken when a step cannot be carried out; the enrollment ends and is listed for review.</summary>
    public const string ErrorExit = "error";

    /// <summary>The step's exits.</summary>
    public abstract ImmutableArray<StepExit> Exits { get; }

    /// <summary>True when the step waits for time or an event (a cycle must pass through one).</summary>
    public virtual bool Waits => false;
}

/// <summary>A step with a single way on (<c>next</c>; none means the enrollment ends after it).</summary>
public abstract record LinearStep(string Id, StepExit Next, SourceLocation Location) : JourneyStep(Id, Location)
{
    /// <inheritdoc />
    public override ImmutableArray<StepExit> Exits => [Next];
}

/// <summary>Waits a fixed duration.</summary>
public sealed record WaitStep(string Id, TimeSpan Duration, StepExit Next, SourceLocation Location) : LinearStep(Id, Next, Location)
{
    /// <inheritdoc />
    public override bool Waits => true;
}

/// <summary>Waits until a time of day, optionally on given days of the week, in the contact's time zone.</summary>
public sealed record WaitUntilStep(string Id, TimeOnly Time, ImmutableArray<DayOfWeek> Days, StepExit Next, SourceLocation Location) : LinearStep(Id, Next, Location)
{
    /// <inheritdoc />
    public override bool Waits => true;
}

/// <summary>Waits until a date trait plus an offset (negative: before), at a time of day in the contact's time zone.</summary>
public sealed record WaitUntilDateStep(string Id, string Trait, TimeSpan Offset, TimeOnly At, StepExit Next, SourceLocation Location) : LinearStep(Id, Next, Location)
{
    /// <inheritdoc />
    public override bool Waits => true;
}

/// <summary>Waits for an event (optionally about the message a previous step sent) up to a timeout.</summary>
/// <param name="Id">The step id.</param>
/// <param name="Event">The awaited event.</param>
/// <param name="Where">A filter on it.</param>
/// <param name="CorrelateWith">A send step whose message the event must refer to, or null.</param>
/// <param name="Timeout">How long to wait.</param>
/// <param name="Happened">Taken when the event arrives in time.</param>
/// <param name="TimedOut">Taken at the timeout.</param>
/// <param name="Location">Where it is written.</param>
public sealed record WaitForStep(string Id, string Event, Condition? Where, string? CorrelateWith, TimeSpan Timeout, StepExit Happened, StepExit TimedOut, SourceLocation Location) : JourneyStep(Id, Location)
{
    /// <inheritdoc />
    public override ImmutableArray<StepExit> Exits => [Happened, TimedOut];

    /// <inheritdoc />
    public override bool Waits => true;
}

/// <summary>One case of a branch: the first whose condition holds is taken.</summary>
public sealed record BranchCase(string Name, Condition When, StepExit Next);

/// <summary>Takes the first case whose condition holds, else <see cref="Else"/>.</summary>
public sealed record BranchStep(string Id, ImmutableArray<BranchCase> Cases, StepExit Else, SourceLocation Location) : JourneyStep(Id, Location)
{
    /// <inheritdoc />
    public override ImmutableArray<StepExit> Exits => [.. Cases.Select(c => c.Next), Else];
}

/// <summary>One arm of a split.</summary>
public sealed record SplitArm(string Name, double Percent, StepExit Next);

/// <summary>Sends each contact down one arm, at random but deterministically per contact and journey.</summary>
/// <param name="Id">The step id.</param>
/// <param name="Arms">The arms; their percentages add up to 100.</param>
/// <param name="Experiment">True when the arms are experiment arms whose conversions are compared.</param>
/// <param name="Location">Where it is written.</param>
public sealed record SplitStep(string Id, ImmutableArray<SplitArm> Arms, bool Experiment, SourceLocation Location) : JourneyStep(Id, Location)
{
    /// <inheritdoc />
    public override ImmutableArray<StepExit> Exits => [.. Arms.Select(arm => arm.Next)];

    /// <summary>The automatic winner rule (<c>winner:</c>), when the split declares one.</summary>
    public SplitWinnerRule? Winner { get; init; }

    /// <summary>The bandit rule (<c>mode: bandit</c>), when the split declares one.</summary>
    public SplitBanditRule? Bandit { get; init; }

    /// <summary>How the split chooses an arm: fixed percentages, an automatic winner, or a bandit.</summary>
    public SplitMode Mode => Winner is not null ? SplitMode.Winner : Bandit is not null ? SplitMode.Bandit : SplitMode.Fixed;
}

/// <summary>How a split chooses an arm for a new entrant.</summary>
public enum SplitMode
{
    /// <summary>By the arms' percentages, always.</summary>
    Fixed,

    /// <summary>By the arms' percentages until an automatic winner is decided, then always the winner.</summary>
    Winner,

    /// <summary>Thompson sampling on the arms' goal conversions, with a floor per arm.</summary>
    Bandit,
}

/// <summary>
/// An automatic winner (<c>winner: { metric: goal, after: 7d, min_per_arm: 500 }</c>): once <see cref="After"/> has
/// passed since the split's first entry on the version and every arm has at least <see cref="MinPerArm"/> entries, the
/// arm with the highest posterior mean goal conversion rate is decided once, and every new entrant takes it.
/// </summary>
/// <param name="After">How long after the first entry the decision may be taken (at least an hour).</param>
/// <param name="MinPerArm">The entries every arm needs first.</param>
/// <param name="Location">Where it is written.</param>
public sealed record SplitWinnerRule(TimeSpan After, int MinPerArm, SourceLocation Location);

/// <summary>A bandit split (<c>mode: bandit</c>): Thompson sampling on goal conversion, each arm keeping <see cref="Floor"/> percent.</summary>
/// <param name="Floor">The share of new entrants, in percent, every arm keeps whatever the evidence (0 to 100 / arms).</param>
/// <param name="Location">Where it is written.</param>
public sealed record SplitBanditRule(double Floor, SourceLocation Location);

/// <summary>The channels a send can use.</summary>
public enum Channel
{
    /// <summary>Email over SMTP.</summary>
    Email,

    /// <summary>SMS.</summary>
    Sms,

    /// <summary>Mobile push.</summary>
    Push,

    /// <summary>An HTTP call to a configured endpoint.</summary>
    Webhook,

    /// <summary>An in-app message.</summary>
    InApp,
}

/// <summary>Sends a message from a template on a channel (through the orchestrator and the outbox).</summary>
public sealed record SendStep(string Id, Channel Channel, string Template, StepExit Next, SourceLocation Location) : LinearStep(Id, Next, Location)
{
    /// <summary>Channels to try, in order, when the contact cannot be reached on <see cref="Channel"/> (no address, no consent).</summary>
    public ImmutableArray<ChannelTemplate> Fallback { get; init; } = [];

    /// <summary><c>at: best_time</c>: wait up to this long for the contact's best hour (send-time optimisation).</summary>
    public TimeSpan? BestTimeWithin { get; init; }
}

/// <summary>A channel and the template to send on it.</summary>
public sealed record ChannelTemplate(Channel Channel, string Template);

/// <summary>What an update step changes.</summary>
public enum UpdateAction
{
    /// <summary>Sets a trait.</summary>
    SetTrait,

    /// <summary>Removes a trait.</summary>
    UnsetTrait,

    /// <summary>Adds a tag.</summary>
    AddTag,

    /// <summary>Removes a tag.</summary>
    RemoveTag,

    /// <summary>Adds score points.</summary>
    AddScore,

    /// <summary>Sets the lifecycle stage.</summary>
    SetStage,

    /// <summary>Adds a note to the contact.</summary>
    AddNote,
}

/// <summary>Changes the contact: a trait, a tag, score points, the lifecycle stage or a note.</summary>
public sealed record UpdateStep(string Id, UpdateAction Action, string Name, JsonElement? Value, StepExit Next, SourceLocation Location) : LinearStep(Id, Next, Location);

/// <summary>Alerts the contact's owner (a sales hand-off) with the recent timeline attached.</summary>
public sealed record NotifyOwnerStep(string Id, string Message, StepExit Next, SourceLocation Location) : LinearStep(Id, Next, Location);

/// <summary>Calls a webhook with the contact and the enrollment.</summary>
public sealed record WebhookStep(string Id, Uri Url, StepExit Next, SourceLocation Location) : LinearStep(Id, Next, Location);

/// <summary>Enrolls the contact in another journey (respecting its entry rules).</summary>
public sealed record EnterJourneyStep(string Id, string Journey, StepExit Next, SourceLocation Location) : LinearStep(Id, Next, Location);

/// <summary>Ends the enrollment.</summary>
public sealed record ExitStep(string Id, SourceLocation Location) : JourneyStep(Id, Location)
{
    /// <inheritdoc />
    public override ImmutableArray<StepExit> Exits => [];
}

/// <summary>Channel names as documents write them.</summary>
public static class Channels
{
    /// <summary><c>email</c>, <c>sms</c>, <c>push</c>, <c>webhook</c> or <c>in_app</c>.</summary>
    public static string DocumentName(this Channel channel) => channel == Channel.InApp ? "in_app" : channel.ToString().ToLowerInvariant();

    /// <summary>The channel a document names, if any.</summary>
    public static Channel? Parse(string? name) => Enum.GetValues<Channel>().Cast<Channel?>().FirstOrDefault(channel => channel!.Value.DocumentName() == name);
}
