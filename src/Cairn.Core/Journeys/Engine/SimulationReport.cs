namespace Cairn.Core.Journeys.Engine;

/// <summary>How many enrollments left a step by one of its exits, and where that exit led.</summary>
/// <param name="Exit">The exit's name (<c>next</c>, <c>happened</c>, <c>timed_out</c>, a branch or arm name, <c>else</c>, <c>ended</c>, <c>error</c>).</param>
/// <param name="To">The step it led to, or <c>end</c>.</param>
/// <param name="Count">How many times it was taken.</param>
public sealed record SimulatedExit(string Exit, string To, int Count);

/// <summary>One visit of a contact's path: the step entered, when, and the exit it left by (null while still there at the end).</summary>
/// <param name="Step">The step.</param>
/// <param name="At">When it was entered.</param>
/// <param name="Exit">The exit taken out of it, or null when the contact was still there when the simulation stopped.</param>
public sealed record SimulatedVisit(string Step, DateTimeOffset At, string? Exit);

/// <summary>One contact's way through the journey in a simulation.</summary>
/// <param name="Key">The contact's userId (or anonymousId, or contact id) in the stream.</param>
/// <param name="ContactId">The stored contact the events were recorded for (a replay of recorded events), or null for an uploaded stream.</param>
/// <param name="Path">The steps it went through, in order (over every enrollment in the journey).</param>
/// <param name="Outcome">How its last enrollment ended (<c>goal reached …</c>, <c>reached the end</c>, …), or null while it was still waiting.</param>
public sealed record SimulatedPath(string Key, string? ContactId, IReadOnlyList<SimulatedVisit> Path, string? Outcome);

/// <summary>What happened at one step of the simulated journey.</summary>
/// <param name="Id">The step's id.</param>
/// <param name="Kind">The step's kind: <c>wait</c>, <c>wait_until</c>, <c>wait_until_date</c>, <c>wait_for</c>, <c>branch</c>, <c>split</c>, <c>send</c>, <c>update</c>, <c>notify_owner</c>, <c>webhook</c>, <c>enter_journey</c> or <c>exit</c>.</param>
/// <param name="Entered">How many times an enrollment entered it.</param>
/// <param name="Exits">How many left it, per exit.</param>
/// <param name="Waiting">How many were still at it when the simulation stopped.</param>
/// <param name="Errors">How many could not be carried out there (left by the <c>error</c> exit).</param>
/// <param name="Contacts">The contacts that entered it, with their paths, in order of first appearance; at most the report's contact limit.</param>
/// <param name="ContactsTruncated">True when more contacts entered it than <paramref name="Contacts"/> lists.</param>
public sealed record SimulatedStep(string Id, string Kind, int Entered, IReadOnlyList<SimulatedExit> Exits, int Waiting, int Errors, IReadOnlyList<SimulatedPath> Contacts, bool ContactsTruncated);

/// <summary>The messages of one template on one channel the journey queued, by what became of them.</summary>
/// <param name="Channel">The channel it ended on (after any fallback).</param>
/// <param name="Template">The template it ended on.</param>
/// <param name="Queued">Every message queued.</param>
/// <param name="Sent">Would have gone out.</param>
/// <param name="Deferred">Still deferred by the orchestrator when the simulation stopped.</param>
/// <param name="Suppressed">Stopped by the orchestrator (consent, a rule, sunset) or the suppression list.</param>
/// <param name="Expired">Deferred past their validity.</param>
/// <param name="Undeliverable">The contact had no address for the channel.</param>
/// <param name="Unknown">Whether they could go out is not in the events (push devices).</param>
public sealed record SimulatedTemplate(string Channel, string Template, int Queued, int Sent, int Deferred, int Suppressed, int Expired, int Undeliverable, int Unknown);

/// <summary>How many times the journey's messages of one template were held back for one reason, by the orchestrator or the suppression list.</summary>
/// <param name="Decision"><c>deferred</c> (it may have gone out later), <c>suppressed</c> or <c>expired</c>.</param>
/// <param name="Reason">
/// Why, in words, without the times (e.g. <c>quiet hours (21:00–08:00 America/New_York)</c>, <c>no opt-in for sms</c>);
/// for the suppression list, <c>suppression list: </c> and why the address is on it, without the provider's details
/// (<c>suppression list: hard bounce</c>, <c>suppression list: complaint</c>).
/// </param>
/// <param name="Channel">The channel the message was on when it was held back.</param>
/// <param name="Template">The template it was on.</param>
/// <param name="Count">How many times.</param>
public sealed record SimulatedHold(string Decision, string Reason, string Channel, string Template, int Count);

/// <summary>
/// What a journey would do with a stream of events, step by step: the answer of the simulation API, drawn from a
/// <see cref="SimulationResult"/> for one journey.
/// </summary>
/// <param name="JourneyId">The simulated journey.</param>
/// <param name="From">When the simulated clock started.</param>
/// <param name="To">When it stopped.</param>
/// <param name="Events">How many events were replayed.</param>
/// <param name="Contacts">How many contacts the events were for.</param>
/// <param name="Entered">How many of them entered the journey.</param>
/// <param name="Converted">How many enrollments reached the journey's goal.</param>
/// <param name="Steps">Every step of the journey, in document order.</param>
/// <param name="Messages">The journey's messages per channel and template, by outcome.</param>
/// <param name="HeldBack">What the orchestrator or the suppression list held back, per decision, reason and template.</param>
/// <param name="ContactLimit">The most contacts listed per step.</param>
public sealed record SimulationReport(
    string JourneyId,
    DateTimeOffset From,
    DateTimeOffset To,
    int Events,
    int Contacts,
    int Entered,
    int Converted,
    IReadOnlyList<SimulatedStep> Steps,
    IReadOnlyList<SimulatedTemplate> Messages,
    IReadOnlyList<SimulatedHold> HeldBack,
    int ContactLimit)
{
    /// <summary>The report of <paramref name="journey"/> in <paramref name="result"/>, listing at most <paramref name="contactLimit"/> contacts per step.</summary>
    /// <param name="journey">The journey to report on.</param>
    /// <param name="result">The simulation.</param>
    /// <param name="events">How many events were replayed.</param>
    /// <param name="contactLimit">The most contacts listed per step.</param>
    /// <param name="identify">The key a simulated contact is shown by and its stored contact id, when it has one (default: its stream key, none).</param>
    public static SimulationReport Of(JourneyDefinition journey, SimulationResult result, int events, int contactLimit, Func<SimulatedContact, (string Key, string? ContactId)>? identify = null)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentNullException.ThrowIfNull(result);
        var id = journey.Id;
        var moves = new List<(SimulatedContact Contact, EnrollmentMoved Move)>();
        var paths = new Dictionary<SimulatedContact, SimulatedPath>();
        var waiting = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var contact in result.Contacts)
        {
            var mine = contact.Moves.Where(move => move.JourneyId == id).ToList();
            if (mine.Count == 0)
            {
                continue;
            }

            moves.AddRange(mine.Select(move => (contact, move)));
            var visits = new List<SimulatedVisit>();
            foreach (var move in mine)
            {
                if (move.Entry.From is { } from && visits.Count > 0 && visits[^1] is { Exit: null } open && open.Step == from)
                {
                    visits[^1] = open with { Exit = move.Entry.Exit };
                }

                if (move.Entry.To != JourneyStep.End)
                {
                    visits.Add(new SimulatedVisit(move.Entry.To, move.Entry.At, null));
                }
            }

            // An enrollment whose last move did not end it is still waiting where that move led.
            foreach (var last in mine.GroupBy(move => move.EnrollmentId).Select(group => group.Last()).Where(move => move.Entry.To != JourneyStep.End))
            {
                waiting[last.Entry.To] = waiting.GetValueOrDefault(last.Entry.To) + 1;
            }

            var ends = contact.Ends.Where(end => end.JourneyId == id).ToList();
            var stillIn = mine[^1].Entry.To != JourneyStep.End;
            var (key, contactId) = identify?.Invoke(contact) ?? (contact.Key, null);
            paths[contact] = new SimulatedPath(key, contactId, visits, stillIn || ends.Count == 0 ? null : ends[^1].Reason);
        }

        var into = moves.ToLookup(item => item.Move.Entry.To, StringComparer.Ordinal);
        var outOf = moves.Where(item => item.Move.Entry.From is not null).ToLookup(item => item.Move.Entry.From!, StringComparer.Ordinal);
        var steps = journey.Steps.Select(step =>
        {
            var entered = into[step.Id].ToList();
            var contacts = entered.Select(item => item.Contact).Distinct().ToList();
            var left = outOf[step.Id].Select(item => item.Move.Entry).ToList();
            return new SimulatedStep(
                step.Id,
                KindOf(step),
                entered.Count,
                [.. left.GroupBy(entry => (entry.Exit, entry.To)).OrderByDescending(group => group.Count()).ThenBy(group => group.Key.Exit, StringComparer.Ordinal)
                    .Select(group => new SimulatedExit(group.Key.Exit, group.Key.To, group.Count()))],
                waiting.GetValueOrDefault(step.Id),
                left.Count(entry => entry.Exit == JourneyStep.ErrorExit),
                [.. contacts.Take(contactLimit).Select(contact => paths[contact])],
                contacts.Count > contactLimit);
        }).ToList();

        var deliveries = result.Contacts.SelectMany(contact => contact.Deliveries).Where(delivery => delivery.JourneyId == id).ToList();
        var messages = deliveries
            .GroupBy(delivery => (Channel: delivery.Channel.DocumentName(), delivery.Template))
            .OrderBy(group => group.Key.Channel, StringComparer.Ordinal).ThenBy(group => group.Key.Template, StringComparer.Ordinal)
            .Select(group => new SimulatedTemplate(
                group.Key.Channel,
                group.Key.Template,
                group.Count(),
                group.Count(d => d.Outcome == MessageOutcome.Sent),
                group.Count(d => d.Outcome == MessageOutcome.Deferred),
                group.Count(d => d.Outcome == MessageOutcome.Suppressed),
                group.Count(d => d.Outcome == MessageOutcome.Expired),
                group.Count(d => d.Outcome == MessageOutcome.Undeliverable),
                group.Count(d => d.Outcome == MessageOutcome.Unknown)))
            .ToList();
        var held = result.Contacts.SelectMany(contact => contact.Decisions).Where(decision => decision.JourneyId == id)
            .GroupBy(decision => (decision.Outcome, Reason: ReasonOf(decision), Channel: decision.Channel.DocumentName(), decision.Template))
            .OrderByDescending(group => group.Count()).ThenBy(group => group.Key.Outcome, StringComparer.Ordinal).ThenBy(group => group.Key.Reason, StringComparer.Ordinal)
            .ThenBy(group => group.Key.Channel, StringComparer.Ordinal).ThenBy(group => group.Key.Template, StringComparer.Ordinal)
            .Select(group => new SimulatedHold(group.Key.Outcome, group.Key.Reason, group.Key.Channel, group.Key.Template, group.Count()))
            .ToList();
        var converted = result.Contacts.Sum(contact => contact.Conversions.Count(conversion => conversion.JourneyId == id));
        return new SimulationReport(id, result.From, result.To, events, result.Contacts.Length, paths.Count, converted, steps, messages, held, contactLimit);
    }

    /// <summary>A decision's reason without the instants it names, so that the same cause counts once: "deferred to 08:00 …: quiet hours (…)" is "quiet hours (…)".</summary>
    private static string ReasonOf(SimulatedDecision decision)
    {
        const string Deferred = "deferred to ";
        var reason = decision.Reason;
        if (decision.ListedBecause is { } listed)
        {
            return "suppression list: " + ListKind(listed);
        }

        if (decision.Kind == Orchestration.DecisionKind.Expire)
        {
            return "deferred past its validity";
        }

        if (reason.StartsWith(Deferred, StringComparison.Ordinal) && reason.IndexOf(": ", Deferred.Length, StringComparison.Ordinal) is var colon and > 0)
        {
            return reason[(colon + 2)..];
        }

        return reason.StartsWith("send-time optimisation", StringComparison.Ordinal) ? "send-time optimisation" : reason;
    }

    /// <summary>
    /// Why an address is on the suppression list, without what varies from address to address (the provider's reply, the
    /// last bounce): <c>hard bounce: 550 5.1.1 …</c> is <c>hard bounce</c>, <c>complaint (marked as spam)</c> is <c>complaint</c>.
    /// </summary>
    public static string ListKind(string listedBecause)
    {
        ArgumentNullException.ThrowIfNull(listedBecause);
        var end = listedBecause.IndexOfAny([':', '(']);
        var kind = (end > 0 ? listedBecause[..end] : listedBecause).Trim();
        return kind.Length > 0 ? kind : listedBecause;
    }

    /// <summary>The document keyword of a step's kind (<c>wait</c>, <c>send</c>, <c>branch</c> …).</summary>
    public static string KindOf(JourneyStep step) => step switch
    {
        WaitStep => "wait",
        WaitUntilStep => "wait_until",
        WaitUntilDateStep => "wait_until_date",
        WaitForStep => "wait_for",
        BranchStep => "branch",
        SplitStep => "split",
        SendStep => "send",
        UpdateStep => "update",
        NotifyOwnerStep => "notify_owner",
        WebhookStep => "webhook",
        EnterJourneyStep => "enter_journey",
        _ => "exit",
    };
}
