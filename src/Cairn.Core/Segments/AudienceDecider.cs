using System.Buffers.Text;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;
using Cairn.Core.Scoring;

namespace Cairn.Core.Segments;

/// <summary>What happened to a contact, as scores and segments see it.</summary>
public abstract record AudienceInput
{
    /// <summary>An event was recorded (the profile already counts it).</summary>
    public sealed record Recorded(SegmentMessage Message) : AudienceInput;

    /// <summary>Traits were set, not by a message: through the API, or by a journey step.</summary>
    public sealed record TraitsSet(string Source = "traits set through the API") : AudienceInput;

    /// <summary>A recheck timer fired: decay and windows moved.</summary>
    public sealed record TimePassed : AudienceInput;

    /// <summary>A segment was saved: every segment is evaluated.</summary>
    public sealed record SegmentSaved(string Reason) : AudienceInput;

    /// <summary>A scoring model was saved: its score is rebuilt from history.</summary>
    public sealed record ModelSaved(string Model, string Reason) : AudienceInput;

    /// <summary>Another profile was merged into this one: every score is rebuilt and every segment evaluated.</summary>
    public sealed record Merged : AudienceInput;

    /// <summary>The contact's consent changed.</summary>
    public sealed record ConsentGiven(string Key, Consent.ConsentRecord Record) : AudienceInput;

    /// <summary>The contact was added to (or removed from) a static list.</summary>
    public sealed record ListChanged(string Segment, bool Add, string Reason) : AudienceInput;
}

/// <summary>The contact's scores and segments after an input, the events they announce, and when time alone next changes them.</summary>
/// <param name="Profile">The contact with its scores, stage and segments.</param>
/// <param name="Announced">Events for the contact's timeline, in order: score crossings, stage changes, segment entries and exits.</param>
/// <param name="SegmentChanges">The segment entries and exits.</param>
/// <param name="NextCheck">When a decaying score or a sliding window can next change something with no input.</param>
public sealed record AudienceDecision(ContactState Profile, ImmutableArray<SegmentMessage> Announced, ImmutableArray<SegmentChange> SegmentChanges, DateTimeOffset? NextCheck);

/// <summary>
/// Everything an input changes beyond the profile itself: scores first (their stage changes are traits), then the
/// segments the input can affect (which may read scores and the stage). The server's partitions and the simulator
/// both decide through here, so they cannot disagree. No I/O.
/// </summary>
public static class AudienceDecider
{
    /// <summary>Decides the contact's scores and segments after <paramref name="input"/>.</summary>
    /// <param name="before">The profile before the input (null for a new contact): which traits changed.</param>
    /// <param name="profile">The profile after the input.</param>
    /// <param name="scoring">The live scoring models.</param>
    /// <param name="segments">The live segments.</param>
    /// <param name="input">What happened.</param>
    /// <param name="history">The contact's recent events, newest first (for history conditions and rescoring).</param>
    /// <param name="now">The decision's time.</param>
    /// <param name="replayed">
    /// For a rescore (a model saved, profiles merged) of a history too long to hold: its events replayed already, from
    /// the store; else the rescore replays <paramref name="history"/>.
    /// </param>
    public static AudienceDecision Decide(ContactState? before, ContactState profile, ScoringLibrary scoring, SegmentLibrary segments, AudienceInput input, IReadOnlyList<PastEvent> history, DateTimeOffset now, ScoreReplay? replayed = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(scoring);
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(input);
        var announced = ImmutableArray.CreateBuilder<SegmentMessage>();
        DateTimeOffset? next = null;
        IReadOnlySet<string> moved = ImmutableHashSet<string>.Empty;
        if (!scoring.Models.IsEmpty || !profile.Scores.IsEmpty)
        {
            ScoreDecision? scored = input switch
            {
                AudienceInput.Recorded recorded => ScoreDecider.Decide(profile, scoring, new PastEvent(ContactDecider.CounterName(recorded.Message), recorded.Message.Timestamp, recorded.Message.Properties), now),
                AudienceInput.TraitsSet or AudienceInput.TimePassed => ScoreDecider.Decide(profile, scoring, null, now),
                AudienceInput.ModelSaved or AudienceInput.Merged when replayed is not null => ScoreDecider.Rescore(profile, scoring, replayed, now),
                AudienceInput.ModelSaved saved => ScoreDecider.Rescore(profile, scoring, history, new HashSet<string>(StringComparer.Ordinal) { saved.Model }, now),
                AudienceInput.Merged => ScoreDecider.Rescore(profile, scoring, history, null, now),
                _ => null,
            };
            if (scored is not null)
            {
                profile = scored.Profile;
                moved = scored.Changed;
                next = scored.NextCheck;
                foreach (var score in scored.Events)
                {
                    var key = score.Name == ScoreDecider.StageChangedEvent
                        ? $"{score.Model}:{score.Properties.GetProperty("to").GetString()}"
                        : $"{score.Model}:{score.Properties.GetProperty("threshold").GetRawText()}:{score.Properties.GetProperty("direction").GetString()}";
                    announced.Add(Announcement(profile, score.Name, key, score.Properties, now));
                }
            }
        }

        var changes = ImmutableArray<SegmentChange>.Empty;
        var listed = ImmutableArray<SegmentChange>.Empty;
        if (input is AudienceInput.ListChanged list && segments.Segments.Any(segment => segment.Id == list.Segment && segment.Static)
            && profile.Segments.ContainsKey(list.Segment) != list.Add)
        {
            profile = profile with
            {
                Segments = list.Add ? profile.Segments.Add(list.Segment, new SegmentMembership(now, list.Reason)) : profile.Segments.Remove(list.Segment),
            };
            listed = [new SegmentChange(list.Segment, list.Add, list.Reason)];
        }

        if (!segments.Segments.IsEmpty || !profile.Segments.IsEmpty)
        {
            var cause = CauseOf(input, before, profile);
            var decided = SegmentDecider.Decide(profile, segments, history, cause with { Scores = moved, Segments = listed.Select(change => change.Segment).ToHashSet(StringComparer.Ordinal) }, now);
            changes = [.. listed, .. decided.Changes];
            if (!changes.IsEmpty)
            {
                profile = profile with { Segments = decided.Segments };
                foreach (var change in changes)
                {
                    announced.Add(Announcement(
                        profile,
                        change.Entered ? SegmentDefinition.EnteredEvent : SegmentDefinition.ExitedEvent,
                        change.Segment,
                        JsonSerializer.SerializeToElement(new { segment = change.Segment, reason = change.Reason }),
                        now));
                }
            }

            if (decided.NextCheck is { } recheck && (next is null || recheck < next))
            {
                next = recheck;
            }
        }

        return new AudienceDecision(profile, announced.ToImmutable(), changes, next);
    }

    /// <summary>
    /// True when deciding <paramref name="input"/> reads the contact's event history: a rescore replays it, or a segment
    /// with a history clause may be re-evaluated (judged before scoring, so a score this input can change, and the stage
    /// it may move, count as moved). The host loads the history only then.
    /// </summary>
    public static bool NeedsHistory(ContactState? before, ContactState profile, ScoringLibrary scoring, SegmentLibrary segments, AudienceInput input)
    {
        ArgumentNullException.ThrowIfNull(scoring);
        ArgumentNullException.ThrowIfNull(segments);
        if (input is AudienceInput.ModelSaved or AudienceInput.Merged)
        {
            return true;
        }

        if (segments.HistorySegments.IsEmpty)
        {
            return false;
        }

        var cause = CauseOf(input, before, profile);
        if (cause.Everything)
        {
            return true;
        }

        // The models whose points this input can change: a rule for its event, fit rules when traits changed.
        var models = scoring.Models
            .Where(model => (cause.Event is { } name && model.Rules.Any(rule => rule.Event == name)) || (cause.Traits.Count > 0 && !model.Fit.IsEmpty))
            .Select(model => model.Id)
            .ToHashSet(StringComparer.Ordinal);
        var widened = cause with
        {
            Traits = models.Count == 0 ? cause.Traits : cause.Traits.Append(ConditionEvaluator.StageTrait).ToHashSet(StringComparer.Ordinal),
            Scores = models,
        };

        // The segments that may be re-evaluated, in dependency order: those the cause reaches, then those referring to them.
        var reached = new HashSet<string>(StringComparer.Ordinal);
        if (input is AudienceInput.ListChanged list)
        {
            reached.Add(list.Segment);
        }

        foreach (var segment in segments.Segments)
        {
            if (segment.Condition is { } condition && SegmentDecider.Affected(condition, widened, reached))
            {
                reached.Add(segment.Id);
            }
        }

        return segments.HistorySegments.Any(segment => reached.Contains(segment.Id));
    }

    /// <summary>What an input can change in the contact's segments, and why in words.</summary>
    private static SegmentCause CauseOf(AudienceInput input, ContactState? before, ContactState profile)
    {
        var traits = ChangedTraits(before, profile);
        return input switch
        {
            AudienceInput.Recorded { Message: var message } => new SegmentCause(
                traits,
                ContactDecider.CounterName(message),
                false,
                message.Type == MessageType.Track ? $"performed {message.DisplayName}"
                    : traits.Count == 0 ? message.Type.ToWireName()
                    : $"{message.Type.ToWireName()} set {string.Join(", ", traits.Order(StringComparer.Ordinal))}")
            {
                // Consent given in the message's traits.
                Consent = !ReferenceEquals(before?.Consents, profile.Consents),
            },
            AudienceInput.TraitsSet set => new SegmentCause(traits, null, false, $"{set.Source}: {string.Join(", ", traits.Order(StringComparer.Ordinal))}"),
            AudienceInput.ModelSaved saved => new SegmentCause(traits, null, false, saved.Reason),
            AudienceInput.SegmentSaved saved => SegmentCause.All(saved.Reason),
            AudienceInput.Merged => SegmentCause.All("profiles merged"),
            AudienceInput.ListChanged changed => new SegmentCause(traits, null, false, changed.Reason),
            AudienceInput.ConsentGiven consent => new SegmentCause(traits, null, false, $"consent {consent.Key}: {(consent.Record.State == Consent.ConsentState.OptedIn ? "opted in" : "opted out")} ({consent.Record.Source})") { Consent = true },
            _ => SegmentCause.All("time passed"),
        };
    }

    /// <summary>The traits whose value differs between the two profiles (set, changed or removed).</summary>
    public static IReadOnlySet<string> ChangedTraits(ContactState? before, ContactState after)
    {
        ArgumentNullException.ThrowIfNull(after);
        return after.Traits.Keys.Where(key => before?.Traits.TryGetValue(key, out var old) != true || !JsonElement.DeepEquals(old!.Value, after.Traits[key].Value))
            .Concat(before?.Traits.Keys.Where(key => !after.Traits.ContainsKey(key)) ?? [])
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// The message id of an announcement: the same for the same contact, event, key and time (a replayed input announces
    /// the same ids, which the log keeps once), and short: <c>cairn-</c> and 22 characters of a SHA-256 of the four, where
    /// the parts themselves made 80–100 characters, kept twice per event (the row and its unique index).
    /// </summary>
    public static string AnnouncementId(ContactId contact, string name, string key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{contact}:{name}:{key}:{now.UtcTicks}")), hash);
        return "cairn-" + Base64Url.EncodeToString(hash[..16]);
    }

    /// <summary>
    /// An event Cairn announces on the contact's timeline (a segment entry or exit, a score crossing, a stage change):
    /// a track call like a received one, so journeys trigger on it and the timeline shows it.
    /// </summary>
    public static SegmentMessage Announcement(ContactState contact, string name, string key, JsonElement properties, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["type"] = "track",
            ["messageId"] = AnnouncementId(contact.Id, name, key, now),
            ["userId"] = contact.UserId ?? contact.AnonymousIds.FirstOrDefault() ?? $"cairn:{contact.Id}",
            ["event"] = name,
            ["properties"] = properties,
            ["timestamp"] = now,
        });
        using var document = JsonDocument.Parse(json);
        return SegmentMessageReader.TryRead(document.RootElement, null, now, null, () => name, out var message, out var error)
            ? message
            : throw new InvalidOperationException(error);
    }
}
