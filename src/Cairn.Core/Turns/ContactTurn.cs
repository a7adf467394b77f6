using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Consent;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Segments;

namespace Cairn.Core.Turns;

/// <summary>
/// One contact's turn: everything one input does to the contact, decided as one pure function —
/// <c>decide(state, input, documents, reads, now) -> (state, effects)</c>. In order: the profile
/// (<see cref="ContactDecider"/>), date-trigger timers, consent (the input's own, or answers in identify traits, each a
/// <c>consent_changed</c> event), scores and segments (<see cref="AudienceDecider"/>), journeys
/// (<see cref="JourneyDecider"/>, fed the input and everything the audience announced), hand-offs to sales
/// (<see cref="Sales.HandOffDecider"/>); traits the journeys set go through scores, segments and journeys once more;
/// then acknowledgements and SLA escalations of open hand-offs. The server's partitions and the simulator both decide
/// through here, so they cannot drift.
/// <para>
/// No I/O: what a turn reads beyond the contact comes in <see cref="TurnReads"/>. When it needs something it was not
/// given — the stored history (only when a decision will look at it), the rescore's replay, an owner's turn or an
/// account's owner from the routing memory — it returns <see cref="TurnNeeds"/> having decided nothing, and the host
/// calls it again with that read. A turn is deterministic, so the second call decides exactly what the first would
/// have. <see cref="Begin"/> decides the profile step once; <see cref="Decide(TurnReads)"/> may then be called as often
/// as reads are added, and asks for the history before any other work, so a read costs no repeated decision.
/// </para>
/// <para>
/// Effects, in the order the host writes them: <see cref="AppendEvent"/> (consent changes, announcements, then the
/// input's message), <see cref="Journeys.Engine.ScheduleTimer"/> and <see cref="TimerHandled"/>,
/// <see cref="SendMessage"/> and <see cref="CallWebhook"/> (the outbox), <see cref="AlertOwner"/>,
/// <see cref="EnrollmentMoved"/> / <see cref="EnrollmentConverted"/> / <see cref="EnrollmentEnded"/> (statistics, the
/// enrollment index, reviews), <see cref="SegmentMembershipChanged"/>,
/// <see cref="HandOffOpened"/> / <see cref="HandOffClosed"/> / <see cref="HandOffEscalated"/>,
/// <see cref="IdentityMapped"/>, the merge effects (<see cref="RequestMerge"/>, <see cref="HandOver"/>,
/// <see cref="CompleteMerge"/>) and <see cref="ForwardInput"/>; <see cref="NotifyOwner"/> is informational (its
/// <see cref="AlertOwner"/> follows it).
/// </para>
/// </summary>
public sealed partial class ContactTurn
{
    /// <summary>
    /// The enrollment id of a contact's recheck timer: a segment membership can flip, or a decaying score cross a
    /// threshold, by time alone then.
    /// </summary>
    public const string SegmentTimer = "$segments";

    /// <summary>The enrollment id of hand-off SLA timers (the step id is the hand-off's id).</summary>
    public const string HandOffTimer = "$handoff";

    /// <summary>The event a consent change puts on the contact's timeline (properties: channel, group, state, source).</summary>
    public const string ConsentEvent = "consent_changed";

    /// <summary>The outbox channel of hand-off alerts (to the contact's owner, not to the contact).</summary>
    public const string OwnerChannel = "owner";

    private readonly TurnState _state;
    private readonly ContactInput _input;
    private readonly LiveDocuments _documents;
    private readonly DateTimeOffset _now;

    // The profile step, decided once.
    private readonly Decision _decision;
    private readonly ContactState _profiled;
    private readonly bool _profileChanged;
    private readonly ImmutableArray<Effect> _profileEffects;
    private readonly ImmutableArray<EventOccurred> _consentEvents;
    private readonly JourneyInput? _journeyInput;
    private readonly AudienceInput? _audienceInput;

    // The input's own message, when it is recorded: it is in the history every later step of the turn reads.
    private readonly Messages.SegmentMessage? _recorded;

    // What the turn reads before any other work (known from the profile step alone): null when nothing.
    private readonly HistoryNeeded? _firstRead;

    private ContactTurn(TurnState state, ContactInput input, LiveDocuments documents, DateTimeOffset now)
    {
        _state = state;
        _input = input;
        _documents = documents;
        _now = now;
        var before = state.Contact;
        if (state.Erased)
        {
            // Nothing is decided for an erased contact (Decide returns at once).
            _decision = new Decision(before ?? ContactState.New(input.ContactId, now), []);
            _profiled = _decision.State;
            return;
        }

        _decision = ContactDecider.Decide(before, input, now);
        var next = _decision.State;
        var changed = _decision.Changed;
        var accepted = _decision.Effects.OfType<AppendEvent>().Any();
        _recorded = input is MessageReceived received && accepted ? received.Message : null;
        var library = documents.Journeys;
        var effects = ImmutableArray.CreateBuilder<Effect>();
        if (input is TimerDue due)
        {
            // Deleted with whatever the timer causes; a crash before the commit fires it again.
            effects.Add(new TimerHandled(due.EnrollmentId, due.StepId, due.DueAt));
        }

        if (input is MessageReceived or TraitsPatched && changed)
        {
            effects.AddRange(DateTriggers.Schedule(before, next, library, now));
        }

        if (input is RolloutReached rollout && before is not null && next.MergedInto is null
            && DateTriggers.ScheduleFor(next, rollout.JourneyId, library, now) is { } occurrence)
        {
            effects.Add(occurrence);
        }

        var journeyInput = JourneyInputOf(input, _decision);
        if (journeyInput is TimerFired { EnrollmentId: var timerOf } fired && timerOf.StartsWith(DateTriggers.TimerPrefix, StringComparison.Ordinal))
        {
            var (enroll, following) = DateTriggers.Fire(next, fired, library);
            journeyInput = enroll;
            if (following is not null)
            {
                effects.Add(following);
            }
        }

        // A consent change is on the contact's timeline, and journeys react to it (an unsubscribe ends a nurture).
        // Consent also comes in identify traits: each answer that changes something is recorded the same way.
        var consentEvents = ImmutableArray.CreateBuilder<EventOccurred>();
        if (input is ConsentChanged consent && changed)
        {
            journeyInput = RecordConsent(next, consent.Channel, consent.Group, consent.Record, effects, now);
        }
        else if (_recorded is { } carrier && next.MergedInto is null)
        {
            var (withConsent, answers) = TraitConsent.Apply(next, carrier, documents.Policy.DoubleOptIn, now);
            foreach (var answer in answers)
            {
                consentEvents.Add(RecordConsent(withConsent, answer.Channel, answer.Group, answer.Record, effects, now));
            }

            changed |= answers.Count > 0;
            next = withConsent;
        }

        _profiled = next;
        _profileChanged = changed;
        _profileEffects = effects.ToImmutable();
        _consentEvents = consentEvents.ToImmutable();
        _journeyInput = journeyInput;
        _audienceInput = AudienceInputOf(input, _decision);
        _firstRead = FirstRead(next);
    }

    /// <summary>Decides the profile step of <paramref name="input"/>; <see cref="Decide(TurnReads)"/> decides the rest.</summary>
    /// <param name="state">The contact before the input.</param>
    /// <param name="input">The input; its <see cref="ContactInput.ContactId"/> is the contact's.</param>
    /// <param name="documents">The live documents.</param>
    /// <param name="now">The decision's time.</param>
    public static ContactTurn Begin(TurnState state, ContactInput input, LiveDocuments documents, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(documents);
        return new ContactTurn(state, input, documents, now);
    }

    /// <summary>Decides the whole turn in one call: <see cref="Begin"/>, then <see cref="Decide(TurnReads)"/>.</summary>
    public static TurnResult Decide(TurnState state, ContactInput input, LiveDocuments documents, TurnReads reads, DateTimeOffset now) =>
        Begin(state, input, documents, now).Decide(reads);

    /// <summary>
    /// Decides the turn with what the host read so far: the decision, or the next thing to read. Pure; may be called
    /// again with more reads (each call decides from the same profile step).
    /// </summary>
    public TurnResult Decide(TurnReads reads)
    {
        ArgumentNullException.ThrowIfNull(reads);
        if (_state.Erased)
        {
            // Erased: nothing is decided for it, and nothing is written.
            return new TurnDecided(_state, false, []);
        }

        if (_firstRead is { } first && (first.Replay ? reads.Replay : reads.History) is null)
        {
            return new TurnNeeds(first);
        }

        return new Run(this, reads).Execute();
    }

    /// <summary>
    /// The history the turn reads whatever the audience announces, known from the profile step: the rescore's (a model
    /// saved, profiles merged), the segments' when one with a history clause may be re-evaluated, or the journeys' when
    /// one has a history condition and the input reaches the journeys. Null when none; the journeys may still ask later
    /// for an announcement, and a second pass of the audience for traits a journey set.
    /// </summary>
    private HistoryNeeded? FirstRead(ContactState next)
    {
        if (_audienceInput is { } audience && AudienceRuns(next))
        {
            if (audience is AudienceInput.ModelSaved or AudienceInput.Merged)
            {
                return new HistoryNeeded(true, next);
            }

            if (AudienceDecider.NeedsHistory(_state.Contact, next, _documents.Scoring, _documents.Segments, audience))
            {
                return new HistoryNeeded(false, next);
            }
        }

        return _documents.JourneysNeedHistory && JourneysRun(next) && (_journeyInput is not null || !_consentEvents.IsEmpty)
            ? new HistoryNeeded(false, next)
            : null;
    }

    /// <summary>True when scores and segments are decided for the contact: it is not merged away, and there are some.</summary>
    private bool AudienceRuns(ContactState contact) =>
        contact.MergedInto is null
        && !(_documents.Scoring.Models.IsEmpty && contact.Scores.IsEmpty && _documents.Segments.Segments.IsEmpty && contact.Segments.IsEmpty);

    /// <summary>True when journeys are decided for the contact: one is live, or it is in one.</summary>
    private bool JourneysRun(ContactState contact) => _documents.Journeys.Live.Length > 0 || !contact.Journeys.Active.IsEmpty;

    /// <summary>The journey input an accepted input is, if any: a stored message, a due timer, an enrollment request.</summary>
    private static JourneyInput? JourneyInputOf(ContactInput input, Decision decision) => input switch
    {
        MessageReceived received when decision.Effects.OfType<AppendEvent>().Any() => new EventOccurred(received.Message),
        TimerDue { EnrollmentId: SegmentTimer or HandOffTimer } => null,
        TimerDue due when decision.State.MergedInto is null => new TimerFired(due.EnrollmentId, due.StepId, due.DueAt),
        EnrollmentRequested request when decision.State.MergedInto is null => new EnrollRequested(request.JourneyId, request.Payload),
        RolloutReached rollout when decision.State.MergedInto is null => new VersionPublished(rollout.JourneyId, rollout.Version, rollout.StepMap),
        _ => null,
    };

    /// <summary>What an input is to scores and segments; null when it cannot change them.</summary>
    private static AudienceInput? AudienceInputOf(ContactInput input, Decision decision) => input switch
    {
        MessageReceived received when decision.Effects.OfType<AppendEvent>().Any() => new AudienceInput.Recorded(received.Message),
        TraitsPatched when decision.Changed => new AudienceInput.TraitsSet(),
        TimerDue { EnrollmentId: SegmentTimer } => new AudienceInput.TimePassed(),
        SegmentsChanged changed => new AudienceInput.SegmentSaved(changed.Reason),
        ScoresChanged rescore => new AudienceInput.ModelSaved(rescore.Model, rescore.Reason),
        ContactAbsorbed => new AudienceInput.Merged(),
        ListMembershipChanged list => new AudienceInput.ListChanged(list.Segment, list.Add, list.Reason),
        ConsentChanged consent when decision.Changed => new AudienceInput.ConsentGiven(Consents.Key(consent.Channel, consent.Group), consent.Record),
        _ => null,
    };

    /// <summary>
    /// A recorded consent answer: a <c>consent_changed</c> event on the timeline and, for a pending opt-in (double
    /// opt-in), the confirmation email. Returns the event as journeys see it.
    /// </summary>
    private static EventOccurred RecordConsent(ContactState contact, string channel, string? group, ConsentRecord record, ImmutableArray<Effect>.Builder effects, DateTimeOffset now)
    {
        var key = Consents.Key(channel, group);
        var message = AudienceDecider.Announcement(
            contact,
            ConsentEvent,
            key,
            JsonSerializer.SerializeToElement(new { channel, group, state = Consents.NameOf(record.State), source = record.Source, proof = record.Proof, at = record.At }),
            now);
        effects.Add(new AppendEvent(contact.Id, message));
        if (record.State == ConsentState.Pending)
        {
            effects.Add(new SendMessage(
                $"{contact.Id}:{Consents.ConfirmationJourney}:{key}:{now.UtcTicks}",
                Consents.ConfirmationJourney,
                0,
                Consents.ConfirmationJourney,
                key,
                Channel.Email,
                Consents.ConfirmationTemplate,
                JourneyCategory.Transactional,
                100,
                JsonSerializer.SerializeToElement(new { channel, group })));
        }

        return new EventOccurred(message);
    }
}
