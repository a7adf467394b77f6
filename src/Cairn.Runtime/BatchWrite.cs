using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Measurement;
using Cairn.Core.Messages;
using Cairn.Core.Orchestration;
using Cairn.Core.Turns;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>
/// What one partition batch writes, built from its turns' effects: the rows of its one transaction
/// (<see cref="CommitBatch"/>), the contacts as the batch leaves them, the owner alerts whose payload is written just
/// before the commit, whom to acknowledge once it is durable and the inputs to route to other contacts after it. An
/// appended event that is the workspace's conversion (<paramref name="measurement"/>) is also recorded as a
/// <see cref="WorkspaceConversion"/>, attributed in the same transaction.
/// </summary>
internal sealed class BatchWrite(OwnerRouter router, MeasurementSettings measurement)
{
    /// <summary>The rows of the batch's transaction.</summary>
    public CommitBatch Commit { get; } = new();

    /// <summary>The contacts the batch changed, as it leaves them.</summary>
    public Dictionary<ContactId, ContactState> States { get; } = [];

    /// <summary>Owner alerts put in the outbox (at <c>Index</c>), whose payload is written before the commit.</summary>
    public List<(int Index, ContactId ContactId, AlertOwner Alert)> Alerts { get; } = [];

    /// <summary>Inputs for other contacts (or forwarded ones), routed once the batch is committed.</summary>
    public List<PartitionWork> After { get; } = [];

    /// <summary>Completions to set once the batch is committed.</summary>
    public List<(TaskCompletionSource<InputOutcome> Completion, InputOutcome Outcome)> Acknowledgements { get; } = [];

    // Where each enrollment row of the batch is in Commit.Enrollments: a later change of it in the batch replaces it there.
    private readonly Dictionary<(ContactId Contact, string Enrollment), int> _enrollmentRows = [];

    // Each contact as its stored row has it (null for one not stored yet): as its first turn in the batch found it.
    private readonly Dictionary<ContactId, ContactState?> _stored = [];

    /// <summary>
    /// Adds one turn's decision for <paramref name="work"/> to the batch; <paramref name="before"/> is the contact as the
    /// turn found it (null for a new one). The profile row is written when the profile changed (once changed in the batch,
    /// it is written as the batch leaves it), and each active enrollment's row when that enrollment changed: a step that
    /// only moves an enrollment writes that enrollment's row, not the contact's.
    /// </summary>
    public void Add(PartitionWork work, ContactState? before, TurnDecided decided, DateTimeOffset now)
    {
        var id = work.Input.ContactId;
        _stored.TryAdd(id, before);
        if (decided.Changed && decided.State.Contact is { } contact)
        {
            States[id] = contact;
            if (before is null || Commit.Contacts.ContainsKey(id) || !SameProfile(before, contact))
            {
                Commit.Contacts[id] = contact;
                if (_stored[id] is { } stored && SameColumns(stored, contact))
                {
                    Commit.ProfilesOnly.Add(id);
                }
                else
                {
                    Commit.ProfilesOnly.Remove(id);
                }
            }

            WriteEnrollments(id, before?.Journeys.Active, contact.Journeys.Active, decided.Effects);
        }

        // The identities resolution mapped, plus any the profile gained (re-persisting mappings whose first commit failed).
        foreach (var identity in work.Identities.Union(decided.Effects.OfType<IdentityMapped>().Select(mapped => mapped.Identity)))
        {
            Commit.Identities.Add(new IdentityMapping(identity, id));
        }

        var forwarded = false;
        foreach (var effect in decided.Effects)
        {
            forwarded |= Write(work, effect, now);
        }

        if (!forwarded && work.Completion is { } completion)
        {
            Acknowledgements.Add((completion, InputOutcome.Stored));
        }
    }

    /// <summary>Writes one effect; true when it forwards the input (its sender is acknowledged when the survivor commits it).</summary>
    private bool Write(PartitionWork work, Effect effect, DateTimeOffset now)
    {
        var id = work.Input.ContactId;
        switch (effect)
        {
            case AppendEvent append:
                Commit.Events.Add(StoredEvent.From(append.ContactId, append.Message));
                if (append.Message is { Type: MessageType.Track } message && string.Equals(message.Event, measurement.ConversionEvent, StringComparison.Ordinal))
                {
                    var revenue = Money.Read(message.Properties, measurement.RevenueProperty) ?? 0;
                    Commit.WorkspaceConversions.Add(new WorkspaceConversion(message.MessageId, append.ContactId, message.Timestamp, revenue, measurement.Lookback, measurement.HalfLife));
                }

                break;
            case ScheduleTimer timer:
                Commit.Timers.Add(new StoredTimer(id, timer.EnrollmentId, timer.StepId, timer.DueAt));
                break;
            case TimerHandled handled:
                Commit.TimersDone.Add(new StoredTimer(id, handled.EnrollmentId, handled.StepId, handled.DueAt));
                break;
            case SendMessage send:
                Commit.Outbox.Add(new OutboxMessage(send.MessageId, id, send.JourneyId, send.Version, send.EnrollmentId, send.StepId, send.Channel.DocumentName(), send.Template, CategoryName(send.Category), send.Priority, "queued", now, send.Payload?.GetRawText())
                {
                    Fallback = send.Fallback.IsEmpty ? null : JsonSerializer.Serialize(send.Fallback.Select(option => new { channel = option.Channel.DocumentName(), template = option.Template })),
                    SendWindow = send.BestTimeWithin,
                });
                break;
            case CallWebhook webhook:
                Commit.Outbox.Add(new OutboxMessage(webhook.MessageId, id, webhook.JourneyId, webhook.Version, webhook.EnrollmentId, webhook.StepId, Channel.Webhook.DocumentName(), string.Empty, CategoryName(webhook.Category), webhook.Priority, "queued", now, JsonSerializer.Serialize(new { url = webhook.Url, payload = webhook.Payload })));
                break;
            case AlertOwner alert:
                Alerts.Add((Commit.Outbox.Count, id, alert));
                Commit.Outbox.Add(new OutboxMessage(alert.MessageId, id, alert.JourneyId, alert.Version, alert.EnrollmentId, alert.StepId, ContactTurn.OwnerChannel, string.Empty, "internal", 0, "queued", now));
                break;
            case EnrollmentMoved moved:
                Commit.Moves.Add(new JourneyMove(moved.JourneyId, moved.Version, moved.Entry.From ?? "$entry", moved.Entry.Exit, moved.Entry.To));
                FunnelCounting.Add(Commit.Funnel, moved);
                break;
            case EnrollmentConverted converted:
                Commit.Conversions.Add(new JourneyConversion(converted.JourneyId, converted.Version, converted.Arm ?? string.Empty, converted.Control));
                FunnelCounting.Add(Commit.Funnel, converted);
                break;
            case EnrollmentSendDropped dropped:
                FunnelCounting.Add(Commit.Funnel, dropped);
                break;
            case EnrollmentOutcomeCounted counted:
                FunnelCounting.Add(Commit.Funnel, counted);
                break;
            case EnrollmentEnded ended:
                WriteEnrollment(id, ended.Final);
                if (ended.NeedsReview)
                {
                    Commit.Reviews.Add(new JourneyReview(ended.JourneyId, ended.Version, ended.EnrollmentId, id, ended.Reason, ended.At));
                }

                break;
            case SegmentMembershipChanged membership:
                Commit.SegmentMembers.Add(new SegmentMemberChange(membership.Segment, id, membership.Membership));
                break;
            case HandOffOpened opened:
                var handOff = opened.HandOff;
                router.Remember(handOff.Team, opened.Domain, handOff.Owner);
                Commit.HandOffs.Add(new HandOffRecord(handOff.Id, id, handOff.Team, handOff.Owner, opened.RoutedBy, opened.Domain, opened.JourneyId, handOff.CreatedAt, handOff.DueAt));
                break;
            case HandOffClosed closed:
                Commit.HandOffAcknowledgements.Add(new HandOffAcknowledgement(closed.Id, closed.At, closed.By));
                break;
            case HandOffEscalated escalated:
                Commit.HandOffEscalations.Add(new HandOffEscalation(escalated.Id, escalated.At, escalated.To, escalated.Owner, escalated.DueAt));
                break;
            case RequestMerge request:
                Commit.MergesRequested.Add(new PendingMerge(request.From, request.Into));
                After.Add(new PartitionWork(new MergeRequested(request.From, request.Into), [], null));
                break;
            case HandOver handOver:
                Commit.HandOvers.Add(new PendingMerge(handOver.From, handOver.Into));
                After.Add(new PartitionWork(new ContactAbsorbed(handOver.Into, handOver.Snapshot), [], null));
                break;
            case CompleteMerge complete:
                Commit.MergesCompleted.Add(new PendingMerge(complete.From, complete.Into));
                break;
            case ForwardInput forward:
                // The survivor commits it; the sender is acknowledged then, not now.
                After.Add(work with { Input = forward.Input });
                return true;
            case NotifyOwner or IdentityMapped:
                // A notify_owner is written as its AlertOwner; identities with the contact and enrollments from the state, above.
                break;
            default:
                throw new InvalidOperationException($"Unknown effect {effect.GetType().Name}.");
        }

        return false;
    }

    /// <summary>
    /// True when the row's columns other than the profile, last-seen and updated times are the same for both: the
    /// identities and addresses the indexes hold, the traits the trait index and the search text come from (the same
    /// instance: the decider keeps it when no trait changed), the times that do not move, the merge.
    /// </summary>
    private static bool SameColumns(ContactState stored, ContactState after) =>
        string.Equals(stored.UserId, after.UserId, StringComparison.Ordinal)
        && string.Equals(stored.Email, after.Email, StringComparison.Ordinal)
        && string.Equals(stored.Phone, after.Phone, StringComparison.Ordinal)
        && ReferenceEquals(stored.Traits, after.Traits)
        && stored.MergedInto == after.MergedInto
        && stored.FirstSeen == after.FirstSeen
        && stored.CreatedAt == after.CreatedAt;

    /// <summary>
    /// True when <paramref name="after"/> is <paramref name="before"/> but for its active enrollments: the profile row
    /// need not be written. Collections compare by reference (a turn that leaves one alone keeps the same instance), so
    /// a rebuilt but equal collection counts as a change (a needless write, never a lost one).
    /// </summary>
    private static bool SameProfile(ContactState before, ContactState after) =>
        before.Equals(after with { Journeys = after.Journeys with { Active = before.Journeys.Active } });

    /// <summary>
    /// The rows of the active enrollments that changed between <paramref name="before"/> and <paramref name="after"/>:
    /// each one started or changed is written; one gone without ending (its <see cref="EnrollmentEnded"/> writes its
    /// final row) is deleted.
    /// </summary>
    private void WriteEnrollments(ContactId id, ImmutableDictionary<string, Enrollment>? before, ImmutableDictionary<string, Enrollment> after, ImmutableArray<Effect> effects)
    {
        if (ReferenceEquals(before, after))
        {
            return;
        }

        foreach (var (journey, enrollment) in after)
        {
            if (before?.GetValueOrDefault(journey) is not { } previous || !ReferenceEquals(previous, enrollment))
            {
                WriteEnrollment(id, enrollment);
            }
        }

        foreach (var (journey, previous) in before ?? ImmutableDictionary<string, Enrollment>.Empty)
        {
            if (after.GetValueOrDefault(journey)?.Id != previous.Id && !effects.Any(effect => effect is EnrollmentEnded ended && ended.EnrollmentId == previous.Id))
            {
                _enrollmentRows.Remove((id, previous.Id));
                Commit.EnrollmentsRemoved.Add(new EnrollmentRemoved(id, previous.Id));
            }
        }
    }

    /// <summary>Writes an enrollment's row, in place of the row the batch wrote for it before.</summary>
    private void WriteEnrollment(ContactId id, Enrollment enrollment)
    {
        var record = new EnrollmentRecord(id, enrollment);
        if (_enrollmentRows.TryGetValue((id, enrollment.Id), out var index))
        {
            Commit.Enrollments[index] = record;
            return;
        }

        _enrollmentRows[(id, enrollment.Id)] = Commit.Enrollments.Count;
        Commit.Enrollments.Add(record);
    }

    private static string CategoryName(JourneyCategory category) => category.ToString().ToLowerInvariant();
}
