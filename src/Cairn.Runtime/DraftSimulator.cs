using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>A simulation's answer: the report, or why it was not run (the input is over a limit).</summary>
/// <param name="Report">The report, when it ran.</param>
/// <param name="Refusal">Why it did not run, in words.</param>
public sealed record DraftSimulation(SimulationReport? Report, string? Refusal);

/// <summary>
/// Runs a draft journey through <see cref="JourneySimulator"/> (the turn the partitions decide with, as
/// <c>cairn simulate</c> does) with the workspace's live segments, scoring models, policy and template subscriptions,
/// alongside its other live journeys (whose sends count against the same caps), over recorded events of a period or
/// an uploaded stream. Reads only: nothing is stored, queued or sent.
/// </summary>
public sealed class DraftSimulator(IEventLog events, IContactStore contacts, JourneyRegistry registry)
{
    /// <summary>The most events one simulation replays.</summary>
    public const int MaxEvents = 100_000;

    /// <summary>The most contacts one simulation follows.</summary>
    public const int MaxContacts = 20_000;

    /// <summary>The most contacts listed per step.</summary>
    public const int ContactsPerStep = 200;

    /// <summary>
    /// Replays the events recorded between <paramref name="from"/> and <paramref name="to"/> (those Cairn derived itself
    /// left out: the simulation derives them again). Each contact starts from its stored profile (its current traits,
    /// as an identify at <paramref name="from"/>), so messages find the addresses and consent it has; events are keyed
    /// by the contact they were recorded for.
    /// </summary>
    /// <param name="draft">The journey to simulate.</param>
    /// <param name="from">The period's start.</param>
    /// <param name="to">The period's end.</param>
    /// <param name="stopAtEnd">Stop the clock at <paramref name="to"/>; otherwise it runs on, without events, for the draft's maximum run time after the last event, so every enrollment can finish.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public async Task<DraftSimulation> ReplayAsync(JourneyDefinition draft, DateTimeOffset from, DateTimeOffset to, bool stopAtEnd, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var recorded = await events.GetEventsBetweenAsync(from, to, MaxEvents + 1, cancellationToken).ConfigureAwait(false);
        if (recorded.Count > MaxEvents)
        {
            return new DraftSimulation(null, $"The period holds more than {MaxEvents:N0} events; choose a shorter one.");
        }

        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        var stream = new List<SegmentMessage>(recorded.Count);
        foreach (var stored in recorded)
        {
            using var document = JsonDocument.Parse(stored.Json);
            if (SegmentMessageReader.TryRead(document.RootElement, null, stored.ReceivedAt, null, () => stored.MessageId, out var message, out _))
            {
                stream.Add(message with { Timestamp = stored.Timestamp });
                keys[message.MessageId] = stored.ContactId.ToString();
            }
        }

        var ids = recorded.Select(stored => stored.ContactId).Distinct().ToList();
        if (ids.Count > MaxContacts)
        {
            return new DraftSimulation(null, $"The period's events are for more than {MaxContacts:N0} contacts; choose a shorter one.");
        }

        var profiles = new List<SegmentMessage>(ids.Count);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(500))
        {
            var found = await contacts.GetContactsAsync(chunk, cancellationToken).ConfigureAwait(false);
            foreach (var (id, contact) in found)
            {
                names[id.ToString()] = contact.UserId ?? contact.Email ?? contact.AnonymousIds.FirstOrDefault() ?? id.ToString();
                if (ProfileOf(contact, from) is { } profile)
                {
                    profiles.Add(profile);
                    keys[profile.MessageId] = id.ToString();
                }
            }
        }

        var end = stopAtEnd ? to : (stream.Count > 0 ? stream.Max(message => message.Timestamp) : from) + draft.MaxRunTime;
        var report = Run(draft, profiles, stream, from, end, message => keys[message.MessageId], key => ContactId.TryParse(key, out var id) ? id : JourneySimulator.IdFor(key), contact => (names.GetValueOrDefault(contact.Key, contact.Key), contact.Key));
        return new DraftSimulation(report, null);
    }

    /// <summary>Simulates an uploaded stream (keyed by userId, else anonymousId), from its first event until the draft's maximum run time after its last.</summary>
    /// <param name="draft">The journey to simulate.</param>
    /// <param name="stream">The events.</param>
    public DraftSimulation Simulate(JourneyDefinition draft, IReadOnlyList<SegmentMessage> stream)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.Count > MaxEvents)
        {
            return new DraftSimulation(null, $"The stream holds more than {MaxEvents:N0} events.");
        }

        if (stream.Select(message => message.UserId ?? message.AnonymousId).Distinct(StringComparer.Ordinal).Count() > MaxContacts)
        {
            return new DraftSimulation(null, $"The stream's events are for more than {MaxContacts:N0} contacts.");
        }

        var end = stream.Count > 0 ? stream.Max(message => message.Timestamp) + draft.MaxRunTime : (DateTimeOffset?)null;
        return new DraftSimulation(Run(draft, [], stream, null, end, null, null, null), null);
    }

    private SimulationReport Run(
        JourneyDefinition draft,
        IReadOnlyList<SegmentMessage> profiles,
        IReadOnlyList<SegmentMessage> stream,
        DateTimeOffset? from,
        DateTimeOffset? to,
        Func<SegmentMessage, string>? keyOf,
        Func<string, ContactId>? contactIds,
        Func<SimulatedContact, (string, string?)>? identify)
    {
        var documents = registry.Documents;
        var version = documents.Journeys.Versions.Keys.Where(key => key.Journey == draft.Id).Select(key => key.Version).DefaultIfEmpty(0).Max() + 1;
        var library = JourneyLibrary.Of([.. documents.Journeys.Live.Where(journey => journey.Definition.Id != draft.Id), new PublishedJourney(draft, version)]);
        var result = JourneySimulator.Run(
            library,
            profiles,
            stream,
            from,
            to,
            contactIds,
            documents.Scoring,
            documents.Segments,
            documents.Policy,
            registry.Templates.ToDictionary(pair => pair.Key, pair => pair.Value.Definition.Subscription, StringComparer.Ordinal),
            suppressions: null,
            keyOf);
        return SimulationReport.Of(draft, result, stream.Count, ContactsPerStep, identify);
    }

    /// <summary>An identify carrying the contact's current traits, as of <paramref name="at"/>: where its simulation starts.</summary>
    private static SegmentMessage? ProfileOf(Core.Contacts.ContactState contact, DateTimeOffset at)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["type"] = "identify",
            ["messageId"] = $"profile:{contact.Id}",
            ["userId"] = contact.UserId,
            ["anonymousId"] = contact.UserId is null ? contact.AnonymousIds.FirstOrDefault() ?? contact.Id.ToString() : null,
            ["traits"] = contact.Traits.ToDictionary(pair => pair.Key, pair => pair.Value.Value, StringComparer.Ordinal),
            ["timestamp"] = at,
        });
        using var document = JsonDocument.Parse(json);
        return SegmentMessageReader.TryRead(document.RootElement, null, at, null, () => $"profile:{contact.Id}", out var message, out _) ? message : null;
    }
}
