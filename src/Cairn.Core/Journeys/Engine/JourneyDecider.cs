using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Measurement;
using Cairn.Core.Messages;

namespace Cairn.Core.Journeys.Engine;

/// <summary>The outcome of one journey decision: the contact's journeys and profile after it, and what to do.</summary>
public sealed record JourneyDecision(JourneyMemberships Memberships, ContactState Profile, ImmutableArray<Effect> Effects);

/// <summary>
/// Runs journeys for one contact: <c>decide(state, input, now) -> (state, effects)</c>, with no I/O. On an event,
/// goals are checked first (a conversion is recorded even when the same event also ends the enrollment), then
/// exit criteria (before anything can be sent), then waiting <c>wait_for</c> steps, then triggers. An enrollment moves through steps until it reaches one that waits; waits are timers
/// (effects), not sleeps. A timer that no longer matches the enrollment's step is ignored.
/// </summary>
public static partial class JourneyDecider
{
    /// <summary>The step id of the timer that ends an enrollment at its maximum run time.</summary>
    public const string MaxRunTimeTimer = "$max_run_time";

    /// <summary>The event property that correlates an event with a sent message (e.g. an email open).</summary>
    public const string MessageIdProperty = "message_id";

    // How a send step's delivery outcome starts when the orchestrator dropped its message (suppressed or expired).
    private const string DroppedOutcome = "dropped:";

    // A journey without a waiting step in a cycle is rejected at validation; this bounds anything that slips by.
    private const int MaxStepsPerInput = 1_000;

    // Journeys that enter each other with no wait between (a enters b, b enters a, both re-enterable) would enroll
    // without end within one input: each is valid alone, so the bound is here, as for steps.
    private const int MaxJourneysEnteredPerInput = 100;

    /// <summary>Decides what <paramref name="input"/> does to the contact's journeys.</summary>
    /// <param name="memberships">The contact's journeys before the input.</param>
    /// <param name="profile">The contact's profile (already updated by the input's own message, if any).</param>
    /// <param name="input">What happened.</param>
    /// <param name="library">The published journeys.</param>
    /// <param name="history">The contact's recent events, newest first (for windowed <c>performed</c> conditions).</param>
    /// <param name="now">The decision's time.</param>
    public static JourneyDecision Decide(
        JourneyMemberships memberships,
        ContactState profile,
        JourneyInput input,
        JourneyLibrary library,
        IReadOnlyList<PastEvent> history,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(memberships);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(library);
        ArgumentNullException.ThrowIfNull(history);
        var run = new Run(memberships, profile, library, history, now);
        switch (input)
        {
            case EventOccurred occurred:
                run.OnEvent(occurred.Message);
                break;
            case TimerFired timer:
                run.OnTimer(timer);
                break;
            case EnrollRequested request:
                run.Enroll(request.JourneyId, request.Payload, request.Reason ?? "enrolled by request");
                break;
            case VersionPublished published:
                run.OnVersionPublished(published);
                break;
            default:
                throw new InvalidOperationException($"Unknown journey input {input.GetType().Name}.");
        }

        run.DrainEnrollRequests();
        return new JourneyDecision(run.Memberships, run.Profile, [.. run.Effects]);
    }

    /// <summary>
    /// Why <paramref name="message"/> does not count for <paramref name="waitFor"/>'s <c>correlate</c>: null when it
    /// does (or the step correlates with nothing). It counts when its <c>message_id</c> is the id of the message the
    /// correlated send step sent; or, when it carries no <c>message_id</c> (opens and clicks exported from another
    /// email provider, or sent through <c>/v1/track</c>), when it names that step's template (<c>template</c>
    /// property) and happened no earlier than the step ran, once the message was no longer held back — it is the
    /// contact's own event, so contact, template and time match. The live engine and the simulator both match by this.
    /// </summary>
    public static string? Uncorrelated(Enrollment enrollment, JourneyDefinition journey, WaitForStep waitFor, SegmentMessage message)
    {
        ArgumentNullException.ThrowIfNull(enrollment);
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentNullException.ThrowIfNull(waitFor);
        ArgumentNullException.ThrowIfNull(message);
        if (waitFor.CorrelateWith is not { } step)
        {
            return null;
        }

        if (!enrollment.Sent.TryGetValue(step, out var sent))
        {
            return $"step '{step}' sent no message (holdout)";
        }

        if (ConditionEvaluator.Path(message.Properties, MessageIdProperty) is { ValueKind: not JsonValueKind.Null } id)
        {
            return id.ValueKind == JsonValueKind.String && id.GetString() == sent ? null : $"its message_id {id.GetRawText()} is not the message step '{step}' sent";
        }

        var templates = journey.Find(step) is SendStep send ? send.Fallback.Select(option => option.Template).Prepend(send.Template).ToList() : [];
        if (ConditionEvaluator.Path(message.Properties, "template") is not { ValueKind: JsonValueKind.String } named)
        {
            return $"it carries neither a message_id nor a template, so it cannot be matched to the message step '{step}' sent";
        }

        if (!templates.Contains(named.GetString()!, StringComparer.Ordinal))
        {
            return $"it carries no message_id, and its template '{named.GetString()}' is not the one step '{step}' sent ('{string.Join("', '", templates)}')";
        }

        if (enrollment.Path.LastOrDefault(entry => entry.From == step) is not { } ran || message.Timestamp < ran.At)
        {
            return $"it carries no message_id, and it happened before step '{step}' sent its message";
        }

        return enrollment.Deliveries.TryGetValue(step, out var delivery) && delivery is not ("sent" or "delivered")
            ? $"it carries no message_id, and the message step '{step}' sent had not gone out yet ({delivery})"
            : null;
    }

    /// <summary>
    /// True when two times are the same to the microsecond: timers come back from storage at that precision
    /// (both providers store microseconds), so a timer matches the wait that scheduled it.
    /// </summary>
    public static bool SameInstant(DateTimeOffset left, DateTimeOffset right) => left.UtcTicks / 10 == right.UtcTicks / 10;

    /// <summary>A stable number in [0, 100) for a contact and a key: holdouts and splits are deterministic.</summary>
    public static double Bucket(ContactId contact, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(contact + ":" + key))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash % 1_000_000UL / 10_000.0;
    }

    private sealed partial class Run(JourneyMemberships memberships, ContactState profile, JourneyLibrary library, IReadOnlyList<PastEvent> history, DateTimeOffset now)
    {
        private readonly Queue<(string Journey, JsonElement? Payload, string Reason)> _enrollRequests = new();
        private int _journeysEntered;

        public JourneyMemberships Memberships { get; private set; } = memberships;

        public ContactState Profile { get; private set; } = profile;

        public List<Effect> Effects { get; } = [];

        public void OnEvent(SegmentMessage message)
        {
            var delivery = DeliveryOf(message);
            foreach (var enrollment in Memberships.Active.Values.OrderBy(e => e.JourneyId, StringComparer.Ordinal).ToList())
            {
                if (Definition(enrollment) is not { } journey)
                {
                    continue;
                }

                var context = Context(enrollment.Payload, message);
                var current = enrollment;

                // A delivery report about one of the enrollment's messages: the send step records what became of it.
                if (delivery is var (messageId, outcome) && current.Sent.FirstOrDefault(pair => pair.Value == messageId) is { Key: { } sentBy })
                {
                    if (outcome.StartsWith(DroppedOutcome, StringComparison.Ordinal)
                        && !(current.Deliveries.GetValueOrDefault(sentBy)?.StartsWith(DroppedOutcome, StringComparison.Ordinal) ?? false))
                    {
                        Effects.Add(new EnrollmentSendDropped(current.JourneyId, current.Version, current.Id, sentBy, now));
                    }

                    current = Replace(current with { Deliveries = current.Deliveries.SetItem(sentBy, outcome) });
                }
                if (journey.Goal is { } goal && current.ConvertedAt is null && now - current.EnteredAt <= goal.Within
                    && ConditionEvaluator.Matches(message, goal.Event, goal.Where, context))
                {
                    current = Replace(current with { ConvertedAt = now, Revenue = Money.Read(message.Properties, goal.RevenueProperty) });
                    Effects.Add(new EnrollmentConverted(current.JourneyId, current.Version, current.Id, current.Arm, current.Control, now) { EnteredAt = current.EnteredAt });
                    CountOutcome(current, null, 0, 1, current.Revenue ?? 0);
                    if (current.Arm is { } arm)
                    {
                        CountOutcome(current, arm, 0, 1, current.Revenue ?? 0);
                    }

                    if (goal.ExitOnConversion)
                    {
                        End(current, $"goal reached ({goal.Event})", review: false, EndCause.Goal);
                        continue;
                    }
                }

                if (journey.ExitWhen.FirstOrDefault(criterion => ConditionEvaluator.Holds(criterion, context)) is { } exit)
                {
                    End(current, $"exit criterion met ({Describe(exit)})", review: false, EndCause.ExitCriterion);
                    continue;
                }

                if (current.StepId is { } stepId && journey.Find(stepId) is WaitForStep waitFor
                    && ConditionEvaluator.Matches(message, waitFor.Event, waitFor.Where, context)
                    && Uncorrelated(current, journey, waitFor, message) is null)
                {
                    Move(current, journey, waitFor, waitFor.Happened, $"{waitFor.Event} happened");
                }
                else if (current.StepId is { } waiting && journey.Find(waiting) is WaitForStep { CorrelateWith: { } send } correlated
                    && message.Event is { } name && IsAbout(current, correlated, message))
                {
                    OnAwaitedMessage(current, journey, correlated, send, name, message);
                }
            }

            // The payload (the whole trigger message) is parsed only when a trigger matches.
            JsonElement? payload = null;
            foreach (var live in library.Live.OrderByDescending(j => j.Definition.Priority).ThenBy(j => j.Definition.Id, StringComparer.Ordinal))
            {
                if (live.Definition.Trigger is EventTrigger trigger
                    && ConditionEvaluator.Matches(message, trigger.Event, trigger.Where, Context(null, message)))
                {
                    payload ??= Parse(message.Json);
                    Enroll(live, payload, $"triggered by {trigger.Event}");
                }
            }
        }

        /// <summary>
        /// What delivery reports about the message a <c>wait_for</c> correlates with: one the orchestrator deferred
        /// starts the window when it actually goes out (the timeout moves later); one that never goes out
        /// (suppressed, expired, bounced, failed) resolves the wait as not happened at once.
        /// </summary>
        private void OnAwaitedMessage(Enrollment enrollment, JourneyDefinition journey, WaitForStep waitFor, string send, string name, SegmentMessage message)
        {
            if (name is "message_suppressed" or "message_expired" or "email_bounced" or "sms_failed")
            {
                Move(enrollment, journey, waitFor, waitFor.TimedOut, $"{send} was not delivered ({name}), so no {waitFor.Event} can follow");
                return;
            }

            if (name.EndsWith("_sent", StringComparison.Ordinal) || name.EndsWith("_delivered", StringComparison.Ordinal))
            {
                var deferred = ConditionEvaluator.Path(message.Properties, "deferred") is { ValueKind: JsonValueKind.True };
                var due = message.Timestamp + waitFor.Timeout;
                if (deferred && enrollment.WakeAt is { } wake && due > wake)
                {
                    Replace(enrollment with { WakeAt = due });
                    Effects.Add(new ScheduleTimer(enrollment.Id, waitFor.Id, due));
                }
            }
        }

        public void OnTimer(TimerFired timer)
        {
            var enrollment = Memberships.Active.Values.FirstOrDefault(e => e.Id == timer.EnrollmentId);
            if (enrollment is null || Definition(enrollment) is not { } journey)
            {
                return;
            }

            if (timer.StepId == MaxRunTimeTimer)
            {
                if (SameInstant(timer.DueAt, enrollment.EnteredAt + journey.MaxRunTime))
                {
                    End(enrollment, $"maximum run time of {Duration.Format(journey.MaxRunTime)} reached", review: true, EndCause.MaxRunTime);
                }

                return;
            }

            if (enrollment.StepId != timer.StepId || enrollment.WakeAt is not { } wake || !SameInstant(wake, timer.DueAt))
            {
                return;
            }

            switch (journey.Find(timer.StepId))
            {
                case WaitForStep waitFor:
                    Move(enrollment, journey, waitFor, waitFor.TimedOut, $"no {waitFor.Event} within {Duration.Format(waitFor.Timeout)}");
                    break;
                case LinearStep waiting when waiting.Waits:
                    Move(enrollment, journey, waiting, waiting.Next, "wait over");
                    break;
            }
        }

        /// <summary>
        /// Moves the contact's enrollment in the journey to the new version when the publish maps its step. A
        /// contact waiting on time keeps its wake-up time when the new step waits too (a changed wait does not
        /// restart the clock); otherwise the new step runs as on any entry. Unmapped steps finish on their version.
        /// </summary>
        public void OnVersionPublished(VersionPublished published)
        {
            if (Memberships.Active.GetValueOrDefault(published.JourneyId) is not { } enrollment
                || enrollment.Version >= published.Version
                || enrollment.StepId is not { } step
                || !published.StepMap.TryGetValue(step, out var target)
                || !library.Versions.TryGetValue((published.JourneyId, published.Version), out var journey)
                || Definition(enrollment) is not { } old)
            {
                return;
            }

            var reason = $"moved from version {enrollment.Version} to version {published.Version} by publish";
            var leave = new PathEntry(now, step, JourneyStep.Migrated, JourneyStep.Migrated, reason);
            Effects.Add(new EnrollmentMoved(enrollment.JourneyId, enrollment.Version, enrollment.Id, leave) { StepEnteredAt = LastMoveAt(enrollment) });
            var moved = enrollment with { Version = published.Version, Path = enrollment.Path.Add(leave) };
            foreach (var arm in enrollment.Arm is { } taken ? [null, taken] : new string?[] { null })
            {
                CountWhole(enrollment, arm, -1);
                CountWhole(moved, arm, 1);
            }

            if (old.MaxRunTime != journey.MaxRunTime)
            {
                Effects.Add(new ScheduleTimer(moved.Id, MaxRunTimeTimer, moved.EnteredAt + journey.MaxRunTime));
            }

            if (enrollment.WakeAt is { } wake && journey.Find(target) is { Waits: true })
            {
                var enter = new PathEntry(now, JourneyStep.Migrated, JourneyStep.Migrated, target, reason + "; keeps its wake-up time");
                Effects.Add(new EnrollmentMoved(moved.JourneyId, moved.Version, moved.Id, enter) { StepEnteredAt = now });
                Effects.Add(new ScheduleTimer(moved.Id, target, wake));
                Replace(moved with { StepId = target, WakeAt = wake, Path = moved.Path.Add(enter) });
                return;
            }

            Continue(moved with { WakeAt = null }, journey, JourneyStep.Migrated, JourneyStep.Migrated, target, reason);
        }

        public void Enroll(string journeyId, JsonElement? payload, string reason)
        {
            if (library.Live.FirstOrDefault(j => j.Definition.Id == journeyId) is { } live)
            {
                Enroll(live, payload, reason);
            }
        }

        public void DrainEnrollRequests()
        {
            while (_enrollRequests.TryDequeue(out var request))
            {
                Enroll(request.Journey, request.Payload, request.Reason);
            }
        }

        private void Enroll(PublishedJourney live, JsonElement? payload, string reason)
        {
            var journey = live.Definition;
            var past = Memberships.History.GetValueOrDefault(journey.Id) ?? new JourneyHistory(0, null);
            var allowed = !Memberships.Active.ContainsKey(journey.Id) && journey.Entry.Reentry switch
            {
                ReentryKind.Never => past.Entries == 0,
                ReentryKind.After => past.LastEndedAt is not { } ended || now >= ended + journey.Entry.Cooldown,
                _ => true,
            };
            if (!allowed || (journey.Entry.Audience is { } audience && !ConditionEvaluator.Holds(audience, Context(payload, null))))
            {
                return;
            }

            var control = journey.Entry.HoldoutPercent > 0 && Bucket(Profile.Id, journey.Id + ":holdout") < journey.Entry.HoldoutPercent;
            var enrollment = new Enrollment(
                Enrollment.IdOf(journey.Id, past.Entries + 1),
                journey.Id,
                live.Version,
                null,
                now,
                null,
                null,
                control,
                payload,
                ImmutableDictionary.Create<string, string>(StringComparer.Ordinal),
                [],
                null,
                null,
                null);
            Memberships = Memberships with
            {
                Active = Memberships.Active.SetItem(journey.Id, enrollment),
                History = Memberships.History.SetItem(journey.Id, past with { Entries = past.Entries + 1 }),
            };
            Effects.Add(new ScheduleTimer(enrollment.Id, MaxRunTimeTimer, now + journey.MaxRunTime));
            CountOutcome(enrollment, null, 1, 0, 0);
            Continue(enrollment, journey, null, "entry", journey.Start, control ? reason + " (holdout: control group)" : reason);
        }

        /// <summary>Adds to the journey's outcome counters (<see cref="EnrollmentOutcomeCounted"/>) for a contact's first enrollment.</summary>
        private void CountOutcome(Enrollment enrollment, string? arm, int entries, int conversions, decimal revenue)
        {
            if (enrollment.IsFirst)
            {
                Effects.Add(new EnrollmentOutcomeCounted(enrollment.JourneyId, enrollment.Version, enrollment.EnteredAt, enrollment.Control, arm, entries, conversions, revenue));
            }
        }

        /// <summary>Counts the whole enrollment (its entry, and its conversion when it converted) into (1) or out of (-1) a row.</summary>
        private void CountWhole(Enrollment enrollment, string? arm, int sign)
        {
            var converted = enrollment.ConvertedAt is null ? 0 : sign;
            CountOutcome(enrollment, arm, sign, converted, converted * (enrollment.Revenue ?? 0));
        }

        private Enrollment Replace(Enrollment enrollment)
        {
            Memberships = Memberships with { Active = Memberships.Active.SetItem(enrollment.JourneyId, enrollment) };
            return enrollment;
        }

        private JourneyDefinition? Definition(Enrollment enrollment)
        {
            if (library.Versions.TryGetValue((enrollment.JourneyId, enrollment.Version), out var journey))
            {
                return journey;
            }

            Fail(enrollment, enrollment.StepId ?? "$entry", $"version {enrollment.Version} of the journey is no longer available");
            return null;
        }

        private EvaluationContext Context(JsonElement? payload, SegmentMessage? message) =>
            new(Profile, message?.Properties, payload, history, now, message);

        /// <summary>The message a delivery report is about and what it says, or null for any other event.</summary>
        private static (string MessageId, string Outcome)? DeliveryOf(SegmentMessage message)
        {
            if (message.Event is not { } name || ConditionEvaluator.Path(message.Properties, MessageIdProperty) is not { ValueKind: JsonValueKind.String } id)
            {
                return null;
            }

            string? Text(string property) => ConditionEvaluator.Path(message.Properties, property) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
            var outcome = name switch
            {
                "message_deferred" => Text("reason") ?? $"deferred to {Text("until") ?? "later"}",
                "message_suppressed" or "message_expired" => $"{DroppedOutcome} {Text("reason")}",
                "email_bounced" => $"bounced: {Text("reason")}",
                "sms_failed" => "failed",
                _ when name.EndsWith("_sent", StringComparison.Ordinal) => "sent",
                _ when name.EndsWith("_delivered", StringComparison.Ordinal) => "delivered",
                _ => null,
            };
            return outcome is null ? null : (id.GetString()!, outcome);
        }

        /// <summary>True when a delivery report (which always names its message) is about the message the <c>correlate</c> step sent.</summary>
        private static bool IsAbout(Enrollment enrollment, WaitForStep waitFor, SegmentMessage message) =>
            waitFor.CorrelateWith is not { } step
            || (enrollment.Sent.TryGetValue(step, out var sent)
                && ConditionEvaluator.Path(message.Properties, MessageIdProperty) is { ValueKind: JsonValueKind.String } id
                && id.GetString() == sent);

        private DateTimeOffset? DateFromTrait(WaitUntilDateStep step) =>
            LocalTime.DateTrait(Profile, step.Trait) is { } date
                ? LocalTime.ToInstant(date.AddDays((int)step.Offset.TotalDays), step.At, LocalTime.Zone(Profile))
                : null;

        private static JsonElement Parse(string json)
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }

        private static string ActionName(UpdateAction action) => action switch
        {
            UpdateAction.SetTrait => "set_trait",
            UpdateAction.UnsetTrait => "unset_trait",
            UpdateAction.AddTag => "add_tag",
            UpdateAction.RemoveTag => "remove_tag",
            UpdateAction.AddScore => "add_score",
            UpdateAction.SetStage => "set_stage",
            _ => "add_note",
        };

        private static string Describe(Condition condition) => condition switch
        {
            EventCondition happened => happened.Event,
            PerformedCondition performed => "performed " + performed.Event,
            Comparison comparison => $"{comparison.Path} {comparison.Operator}",
            _ => condition.GetType().Name.Replace("Condition", string.Empty, StringComparison.Ordinal).ToLowerInvariant(),
        };
    }
}
