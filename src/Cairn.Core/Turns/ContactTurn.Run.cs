using System.Collections.Immutable;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;
using Cairn.Core.Scoring;
using Cairn.Core.Segments;

namespace Cairn.Core.Turns;

public sealed partial class ContactTurn
{
    /// <summary>
    /// One call of <see cref="Decide(TurnReads)"/>: the steps after the profile, on a working copy of the contact. Lives
    /// for that call only; a step that lacks a read sets <see cref="_need"/> and every step after it returns at once.
    /// </summary>
    private sealed partial class Run
    {
        private readonly ContactTurn _turn;
        private readonly TurnReads _reads;
        private readonly LiveDocuments _documents;
        private readonly DateTimeOffset _now;
        private readonly ImmutableArray<Effect>.Builder _effects;

        // The events this turn appended so far (consent changes, announcements), as conditions see them.
        private readonly List<PastEvent> _appended = [];
        private readonly RoutingAnswers _routing;

        private ContactState _next;
        private bool _changed;
        private TurnRequest? _need;

        // The history last combined, and how many of the turn's own events it holds (it is combined again after more).
        private (bool Replay, int Appended, ContactState Profile, IReadOnlyList<PastEvent> History)? _combined;

        public Run(ContactTurn turn, TurnReads reads)
        {
            _turn = turn;
            _reads = reads;
            _documents = turn._documents;
            _now = turn._now;
            _next = turn._profiled;
            _changed = turn._profileChanged;
            _effects = ImmutableArray.CreateBuilder<Effect>(turn._profileEffects.Length + 8);
            _effects.AddRange(turn._profileEffects);
            foreach (var effect in turn._profileEffects)
            {
                if (effect is AppendEvent append)
                {
                    _appended.Add(PastOf(append.Message));
                }
            }

            _routing = new RoutingAnswers(reads);
        }

        public TurnResult Execute()
        {
            var turn = _turn;
            var announced = turn._audienceInput is { } audienceInput ? Audience(audienceInput, turn._state.Contact) : [];
            var beforeJourneys = _next;
            Journeys([.. announced.Prepend(turn._journeyInput).Concat(turn._consentEvents).OfType<JourneyInput>()]);

            // Traits the journeys set (an update step, a hand-off's owner) reach scores and segments in the same input;
            // what that announces reaches the journeys once more.
            if (_need is null && !ReferenceEquals(beforeJourneys.Traits, _next.Traits))
            {
                Journeys(Audience(new AudienceInput.TraitsSet("set by a journey step"), beforeJourneys));
            }

            // Acknowledgements (an event the team counts as one, or the API) and missed SLAs.
            if (_need is null && _next.MergedInto is null && FollowUp() is { } followed)
            {
                _next = followed;
                _changed = true;
            }

            if (_need is { } need)
            {
                return new TurnNeeds(need);
            }

            // The identities the profile gained are indexed (this re-indexes any whose first commit failed).
            var decision = turn._decision;
            if (decision.Changed && decision.State.MergedInto is null)
            {
                var known = turn._state.Contact?.Identities.ToHashSet() ?? [];
                foreach (var identity in decision.State.Identities.Where(identity => !known.Contains(identity)))
                {
                    _effects.Add(new IdentityMapped(identity));
                }
            }

            foreach (var effect in decision.Effects)
            {
                _effects.Add(effect switch
                {
                    AppendEvent or RequestMerge or HandOver or CompleteMerge or ForwardInput => effect,
                    _ => throw new InvalidOperationException($"Unknown effect {effect.GetType().Name}."),
                });
            }

            return new TurnDecided(new TurnState(_next), _changed, _effects.ToImmutable());
        }

        /// <summary>
        /// Scores and segments after the profile changed (<paramref name="before"/> is how it was): what they announce
        /// (threshold crossings, stage changes, segment entries and exits) are events on the timeline that journeys react
        /// to. The stored history is read only when a decision will look at it.
        /// </summary>
        private List<JourneyInput> Audience(AudienceInput input, ContactState? before)
        {
            if (_need is not null || !_turn.AudienceRuns(_next))
            {
                return [];
            }

            var scoring = _documents.Scoring;
            var rescore = input is AudienceInput.ModelSaved or AudienceInput.Merged;
            var needed = rescore || AudienceDecider.NeedsHistory(before, _next, scoring, _documents.Segments, input);
            var history = needed ? History(rescore) : PastEvents.Empty;
            var replayed = rescore && history is not null ? Replayed(input) : null;
            if (history is null || (rescore && _need is not null))
            {
                return [];
            }

            var audience = AudienceDecider.Decide(before, _next, scoring, _documents.Segments, input, history, _now, replayed);
            if (!ReferenceEquals(audience.Profile, _next))
            {
                _next = audience.Profile;
                _changed = true;
            }

            foreach (var change in audience.SegmentChanges)
            {
                _effects.Add(new SegmentMembershipChanged(change.Segment, change.Entered ? _next.Segments[change.Segment] : null));
            }

            foreach (var message in audience.Announced)
            {
                Append(message);
            }

            if (audience.NextCheck is { } recheck)
            {
                _effects.Add(new ScheduleTimer(SegmentTimer, "recheck", recheck));
            }

            return [.. audience.Announced.Select(message => new EventOccurred(message))];
        }

        /// <summary>
        /// For a rescore whose history holds too many events of a scored name to hold them all: every event the live
        /// models' rules score, replayed from the store. Null when the history held is whole (the rescore replays it).
        /// </summary>
        private ScoreReplay? Replayed(AudienceInput input)
        {
            var scoring = _documents.Scoring;
            var scored = scoring.Models.SelectMany(model => model.Rules).Select(rule => rule.Event).ToHashSet(StringComparer.Ordinal);
            if (_reads.Replay is not { Exceeded: { } exceeded } loaded || !exceeded.Overlaps(scored))
            {
                return null;
            }

            if (_reads.Replayed is { } replayed)
            {
                return replayed;
            }

            var models = input is AudienceInput.ModelSaved saved ? new HashSet<string>(StringComparer.Ordinal) { saved.Model } : null;
            var filtered = scoring.Models.SelectMany(model => model.Rules).Where(rule => rule.Where is not null).Select(rule => rule.Event).ToHashSet(StringComparer.Ordinal);

            // This batch's events, oldest first, go in between the stored ones by time (a stored event first on a tie), as
            // a replay of the whole history held in memory would take them.
            var newer = Added().Where(past => scored.Contains(past.Name)).Reverse().ToList();
            _need = new ScoreReplayNeeded(new ScoreReplay(scoring, _next, models, _now), scored, filtered, newer);
            return null;
        }

        /// <summary>
        /// Runs the journeys over <paramref name="inputs"/>, in order: enrollments are indexed when they start or change
        /// version, a <c>notify_owner</c> hands the contact off.
        /// </summary>
        private void Journeys(List<JourneyInput> inputs)
        {
            var library = _documents.Journeys;
            foreach (var input in inputs)
            {
                if (_need is not null || !_turn.JourneysRun(_next))
                {
                    return;
                }

                var history = _documents.JourneysNeedHistory ? History(replay: false) : PastEvents.Empty;
                if (history is null)
                {
                    return;
                }

                var decided = JourneyDecider.Decide(_next.Journeys, _next, input, library, history, _now);
                if (!ReferenceEquals(decided.Memberships, _next.Journeys) || !ReferenceEquals(decided.Profile, _next))
                {
                    _next = decided.Profile with { Journeys = decided.Memberships };
                    _changed = true;
                }

                _effects.AddRange(decided.Effects);
                foreach (var notify in decided.Effects.OfType<NotifyOwner>())
                {
                    _next = HandOff(_next, notify);
                    _changed = true;
                }
            }
        }

        /// <summary>An event the turn puts on the timeline: appended, and in the history of every later step.</summary>
        private void Append(SegmentMessage message)
        {
            _effects.Add(new AppendEvent(_next.Id, message));
            _appended.Add(PastOf(message));
        }

        /// <summary>
        /// The contact's history as conditions see it now, newest first: what the host read of its stored events (the
        /// rescore's read when <paramref name="replay"/>), this batch's earlier events, the events this turn appended
        /// so far and the input's own message. Null when it was not read: the turn then asks for it.
        /// </summary>
        private IReadOnlyList<PastEvent>? History(bool replay)
        {
            if ((replay ? _reads.Replay : _reads.History) is not { } loaded)
            {
                _need ??= new HistoryNeeded(replay, _next);
                return null;
            }

            if (_combined is { } held && held.Replay == replay && held.Appended == _appended.Count && (ReferenceEquals(held.Profile, _next) || loaded.Stored.Folds is null))
            {
                return held.History;
            }

            var history = TurnHistory.Combine(loaded.Stored, Added(loaded), _next, _now);
            _combined = (replay, _appended.Count, _next, history);
            return history;
        }

        /// <summary>
        /// The events the batch adds for the contact so far, newest first: this batch's earlier ones, this turn's, and the
        /// input's own message (appended when the turn ends). Among events at the same instant the later added comes
        /// first, as the store reads them back, so a decision does not depend on where a batch began.
        /// </summary>
        private List<PastEvent> Added(LoadedHistory? loaded = null)
        {
            loaded ??= _reads.Replay ?? _reads.History ?? LoadedHistory.Empty;
            var added = new List<PastEvent>(loaded.Earlier.Count + _appended.Count + 1);
            if (_turn._recorded is { } recorded)
            {
                added.Add(PastOf(recorded));
            }

            for (var i = _appended.Count - 1; i >= 0; i--)
            {
                added.Add(_appended[i]);
            }

            for (var i = loaded.Earlier.Count - 1; i >= 0; i--)
            {
                added.Add(loaded.Earlier[i]);
            }

            // A stable sort: ties keep the newest-added-first order built above.
            return added.Count <= 1 ? added : [.. added.OrderByDescending(past => past.Timestamp)];
        }

        private static PastEvent PastOf(SegmentMessage message) => new(ContactDecider.CounterName(message), message.Timestamp, message.Properties);
    }
}
