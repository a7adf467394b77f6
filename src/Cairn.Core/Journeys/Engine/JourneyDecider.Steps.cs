using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Contacts;

namespace Cairn.Core.Journeys.Engine;

// How an enrollment moves through its steps: each step kind's decision, and how an enrollment ends.
public static partial class JourneyDecider
{
    private sealed partial class Run
    {
        private void Move(Enrollment enrollment, JourneyDefinition journey, JourneyStep from, StepExit exit, string reason) =>
            Continue(enrollment with { WakeAt = null }, journey, from.Id, exit.Name, exit.Target ?? JourneyStep.End, reason);

        /// <summary>Moves the enrollment along until a step waits or the enrollment ends.</summary>
        private void Continue(Enrollment enrollment, JourneyDefinition journey, string? from, string exit, string target, string reason)
        {
            for (var moves = 0; ; moves++)
            {
                var step = journey.Find(target);
                if (target != JourneyStep.End && step is null)
                {
                    Fail(enrollment, from ?? "$entry", $"step '{target}' does not exist");
                    return;
                }

                var entry = new PathEntry(now, from, exit, target, reason);
                DateTimeOffset? stepEnteredAt = from is null ? null : LastMoveAt(enrollment);
                enrollment = enrollment with { Path = enrollment.Path.Add(entry), StepId = target };
                Effects.Add(new EnrollmentMoved(enrollment.JourneyId, enrollment.Version, enrollment.Id, entry) { StepEnteredAt = stepEnteredAt });
                if (step is null)
                {
                    End(enrollment, "reached the end", review: false, EndCause.Completed);
                    return;
                }

                if (moves >= MaxStepsPerInput)
                {
                    Fail(enrollment, step.Id, $"more than {MaxStepsPerInput} steps in one input");
                    return;
                }

                if (step is EnterJourneyStep && _journeysEntered >= MaxJourneysEnteredPerInput)
                {
                    Fail(enrollment, step.Id, $"more than {MaxJourneysEnteredPerInput} journeys entered in one input (journeys that enter each other with no wait between loop)");
                    return;
                }

                var context = Context(enrollment.Payload, null);
                (string Exit, string? Target, string Reason)? next = step switch
                {
                    WaitStep wait => Wait(ref enrollment, step, now + wait.Duration),
                    WaitForStep waitFor => Wait(ref enrollment, step, now + waitFor.Timeout),
                    WaitUntilStep until => Wait(ref enrollment, step, LocalTime.Next(now, until.Time, until.Days, LocalTime.Zone(Profile))),
                    WaitUntilDateStep untilDate => DateFromTrait(untilDate) is { } due && due > now
                        ? Wait(ref enrollment, step, due)
                        : ("next", untilDate.Next.Target, DateFromTrait(untilDate) is null ? $"no date in trait {untilDate.Trait}" : "the date has passed"),
                    BranchStep branch => branch.Cases.FirstOrDefault(c => ConditionEvaluator.Holds(c.When, context)) is { } taken
                        ? (taken.Name, taken.Next.Target, $"case '{taken.Name}' holds")
                        : ("else", branch.Else.Target, "no case holds"),
                    SplitStep split => Split(ref enrollment, split),
                    SendStep send => Send(ref enrollment, journey, send),
                    UpdateStep update => Update(update),
                    NotifyOwnerStep notify => Notify(enrollment, journey, notify),
                    WebhookStep webhook => Webhook(enrollment, journey, webhook),
                    EnterJourneyStep enter => EnterJourney(enrollment, enter),
                    ExitStep => null,
                    _ => throw new InvalidOperationException($"Unknown step {step.GetType().Name}."),
                };

                if (next is null && step is ExitStep)
                {
                    End(enrollment, $"exit step '{step.Id}'", review: false, EndCause.Completed);
                    return;
                }

                if (next is null)
                {
                    Replace(enrollment);
                    return;
                }

                from = step.Id;
                (exit, target, reason) = (next.Value.Exit, next.Value.Target ?? JourneyStep.End, next.Value.Reason);
            }
        }

        private (string, string?, string)? Wait(ref Enrollment enrollment, JourneyStep step, DateTimeOffset due)
        {
            enrollment = enrollment with { WakeAt = due };
            Effects.Add(new ScheduleTimer(enrollment.Id, step.Id, due));
            return null;
        }

        private (string, string?, string) Split(ref Enrollment enrollment, SplitStep split)
        {
            var evidence = split.Mode == SplitMode.Fixed ? null : library.Splits.GetValueOrDefault(new SplitKey(enrollment.JourneyId, enrollment.Version, split.Id));
            var (arm, reason) = SplitModes.Choose(split, evidence, Profile.Id, enrollment.JourneyId, enrollment.Version);
            if (split.Experiment && enrollment.Arm != arm.Name)
            {
                if (enrollment.Arm is not null)
                {
                    CountWhole(enrollment, enrollment.Arm, -1);
                }

                enrollment = enrollment with { Arm = arm.Name };
                CountWhole(enrollment, arm.Name, 1);
            }

            return (arm.Name, arm.Next.Target, reason);
        }

        private (string, string?, string) Send(ref Enrollment enrollment, JourneyDefinition journey, SendStep send)
        {
            if (enrollment.Control)
            {
                return ("next", send.Next.Target, "holdout: not sent");
            }

            var messageId = MessageIdOf(enrollment, send);
            enrollment = enrollment with { Sent = enrollment.Sent.SetItem(send.Id, messageId) };
            // The contact's preferred channel (declared, or learned from engagement), when the step offers it, is tried first.
            ChannelTemplate[] options = [new ChannelTemplate(send.Channel, send.Template), .. send.Fallback];
            if (options.Length > 1 && Orchestration.ChannelPreference.Of(Profile) is var (preferred, _) && Array.FindIndex(options, option => option.Channel.DocumentName() == preferred) is > 0 and var at)
            {
                options = [options[at], .. options.Where((_, index) => index != at)];
            }

            Effects.Add(new SendMessage(messageId, journey.Id, enrollment.Version, enrollment.Id, send.Id, options[0].Channel, options[0].Template, journey.Category, journey.Priority, enrollment.Payload) { Fallback = [.. options.Skip(1)], BestTimeWithin = send.BestTimeWithin });
            return ("next", send.Next.Target, $"{options[0].Channel.DocumentName()} '{options[0].Template}' queued");
        }

        private (string, string?, string) Update(UpdateStep update)
        {
            var traits = Profile.Traits;
            switch (update.Action)
            {
                case UpdateAction.SetTrait:
                    traits = traits.SetItem(update.Name, new TraitValue(update.Value!.Value, now));
                    break;
                case UpdateAction.UnsetTrait:
                    traits = traits.Remove(update.Name);
                    break;
                case UpdateAction.AddTag or UpdateAction.RemoveTag:
                    var tags = ConditionEvaluator.Tags(Profile).ToHashSet(StringComparer.Ordinal);
                    var changed = update.Action == UpdateAction.AddTag ? tags.Add(update.Name) : tags.Remove(update.Name);
                    if (changed)
                    {
                        traits = traits.SetItem(ConditionEvaluator.TagsTrait, new TraitValue(JsonSerializer.SerializeToElement(tags.Order(StringComparer.Ordinal)), now));
                    }

                    break;
                case UpdateAction.AddScore:
                    var points = update.Value!.Value.ValueKind == JsonValueKind.Number ? update.Value.Value.GetDecimal() : 0;
                    var score = traits.TryGetValue(update.Name, out var existing) && existing.Value.ValueKind == JsonValueKind.Number ? existing.Value.GetDecimal() : 0;
                    traits = traits.SetItem(update.Name, new TraitValue(JsonSerializer.SerializeToElement(score + points), now));
                    break;
                case UpdateAction.SetStage:
                    traits = traits.SetItem(ConditionEvaluator.StageTrait, new TraitValue(JsonSerializer.SerializeToElement(update.Name), now));
                    break;
                case UpdateAction.AddNote:
                    var notes = traits.TryGetValue("notes", out var old) && old.Value.ValueKind == JsonValueKind.Array
                        ? old.Value.EnumerateArray().Select(note => note.Clone()).ToList()
                        : [];
                    notes.Add(JsonSerializer.SerializeToElement(new { at = now, text = update.Name }));
                    traits = traits.SetItem("notes", new TraitValue(JsonSerializer.SerializeToElement(notes), now));
                    break;
            }

            Profile = Profile with { Traits = traits, UpdatedAt = now };
            return ("next", update.Next.Target, $"{ActionName(update.Action)} {update.Name}");
        }

        private (string, string?, string) Notify(Enrollment enrollment, JourneyDefinition journey, NotifyOwnerStep notify)
        {
            Effects.Add(new NotifyOwner(MessageIdOf(enrollment, notify), journey.Id, enrollment.Version, enrollment.Id, notify.Id, journey.Owner, notify.Message));
            return ("next", notify.Next.Target, "owner notified");
        }

        private (string, string?, string) Webhook(Enrollment enrollment, JourneyDefinition journey, WebhookStep webhook)
        {
            if (!enrollment.Control)
            {
                Effects.Add(new CallWebhook(MessageIdOf(enrollment, webhook), enrollment.JourneyId, enrollment.Version, enrollment.Id, webhook.Id, webhook.Url, journey.Category, journey.Priority, enrollment.Payload));
            }

            return ("next", webhook.Next.Target, enrollment.Control ? "holdout: not called" : "webhook queued");
        }

        private (string, string?, string) EnterJourney(Enrollment enrollment, EnterJourneyStep enter)
        {
            _journeysEntered++;
            _enrollRequests.Enqueue((enter.Journey, enrollment.Payload, $"entered from {enrollment.JourneyId}"));
            return ("next", enter.Next.Target, $"enters {enter.Journey}");
        }

        private void End(Enrollment enrollment, string reason, bool review, EndCause cause)
        {
            if (enrollment.StepId is { } at && at != JourneyStep.End)
            {
                // Ended while at a step (exit criterion, goal, run time): the step's statistics see it leave.
                var entry = new PathEntry(now, at, "ended", JourneyStep.End, reason);
                var stepEnteredAt = LastMoveAt(enrollment);
                enrollment = enrollment with { Path = enrollment.Path.Add(entry) };
                Effects.Add(new EnrollmentMoved(enrollment.JourneyId, enrollment.Version, enrollment.Id, entry) { StepEnteredAt = stepEnteredAt, Ending = cause });
            }

            var ended = enrollment with { StepId = null, WakeAt = null, EndedAt = now, EndReason = reason };
            var past = Memberships.History.GetValueOrDefault(enrollment.JourneyId) ?? new JourneyHistory(1, null);
            Memberships = Memberships with
            {
                Active = Memberships.Active.Remove(enrollment.JourneyId),
                History = Memberships.History.SetItem(enrollment.JourneyId, past with { LastEndedAt = now }),
            };
            Effects.Add(new EnrollmentEnded(ended.JourneyId, ended.Version, ended.Id, reason, review, now, ended) { Cause = cause });
        }

        /// <summary>Ends the enrollment through the step's error exit (counted as the step's error), for review.</summary>
        private void Fail(Enrollment enrollment, string at, string reason)
        {
            var entry = new PathEntry(now, at, JourneyStep.ErrorExit, JourneyStep.End, reason);
            DateTimeOffset? stepEnteredAt = at == "$entry" ? null : LastMoveAt(enrollment);
            enrollment = enrollment with { Path = enrollment.Path.Add(entry), StepId = JourneyStep.End };
            Effects.Add(new EnrollmentMoved(enrollment.JourneyId, enrollment.Version, enrollment.Id, entry) { StepEnteredAt = stepEnteredAt, Ending = EndCause.Error });
            End(enrollment, reason, review: true, EndCause.Error);
        }

        /// <summary>When the enrollment entered the step it is at: its last move's time (its entry time before any move).</summary>
        private static DateTimeOffset LastMoveAt(Enrollment enrollment) => enrollment.Path.IsEmpty ? enrollment.EnteredAt : enrollment.Path[^1].At;

        /// <summary>The idempotency key of what a step sends: the same enrollment step never produces two.</summary>
        /// <summary>
        /// The outbox's idempotency key of what a step sends: one per visit of the step, so a journey that loops back to
        /// a send step sends again (the first visit keeps the plain key, as before visits were counted; later visits
        /// add their number). The visit is counted on the enrollment's path, so a replay decides the same key.
        /// </summary>
        private string MessageIdOf(Enrollment enrollment, JourneyStep step)
        {
            var visit = enrollment.Path.Count(entry => entry.To == step.Id && entry.From != JourneyStep.Migrated);
            return visit > 1 ? $"{Profile.Id}:{enrollment.Id}:{step.Id}:{visit}" : $"{Profile.Id}:{enrollment.Id}:{step.Id}";
        }
    }
}
