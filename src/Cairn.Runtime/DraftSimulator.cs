using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Options;

namespace Cairn.Runtime;

/// <summary>A simulation's answer: the report, or why it was not run (the input is over a limit).</summary>
/// <param name="Report">The report, when it ran.</param>
/// <param name="Refusal">Why it did not run, in words.</param>
/// <param name="Setting">The setting whose limit was exceeded (<c>Engine:MaxSimulationEvents</c>, <c>Engine:MaxSimulationContacts</c>), when it did not run.</param>
/// <param name="Limit">That setting's value.</param>
public sealed record DraftSimulation(SimulationReport? Report, string? Refusal, string? Setting = null, int? Limit = null);

/// <summary>
/// Runs a draft journey through <see cref="JourneySimulator"/> (the turn the partitions decide with, as
/// <c>cairn simulate</c> does) with the workspace's live segments, scoring models, policy and template subscriptions,
/// alongside its other live journeys (whose sends count against the same caps), over recorded events of a period or
/// an uploaded stream, and with the workspace's suppression list (when messaging runs: <see cref="ISuppressionCheck"/>).
/// Reads only: nothing is stored, queued or sent. Its work is bounded by <see cref="EngineOptions.MaxSimulationEvents"/>
/// and <see cref="EngineOptions.MaxSimulationContacts"/>: the period is read a page at a time and refused as soon as it
/// holds more.
/// </summary>
/// <param name="events">The event log.</param>
/// <param name="contacts">The contact store.</param>
/// <param name="registry">The live documents.</param>
/// <param name="options">The limits.</param>
/// <param name="suppressions">The suppression list, when messaging runs; without it no address counts as suppressed.</param>
public sealed class DraftSimulator(IEventLog events, IContactStore contacts, JourneyRegistry registry, IOptions<EngineOptions> options, ISuppressionCheck? suppressions = null)
{
    /// <summary>The most contacts listed per step.</summary>
    public const int ContactsPerStep = 200;

    /// <summary>How many events one read of a period holds.</summary>
    public const int PageSize = 1000;

    /// <summary>How many contacts' profiles and earlier identifies one read holds.</summary>
    private const int ContactChunk = 100;

    /// <summary>The name identifies are read by (<see cref="IEventLog.GetEventsOfAsync"/>).</summary>
    private const string IdentifyName = "$identify";

    private const string EventsSetting = "Engine:MaxSimulationEvents";
    private const string ContactsSetting = "Engine:MaxSimulationContacts";

    private readonly EngineOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;

    /// <summary>
    /// Replays the events recorded between <paramref name="from"/> and <paramref name="to"/> (those Cairn derived itself
    /// left out: the simulation derives them again), keyed by the contact they were recorded for. Each contact starts
    /// from its profile as of <paramref name="from"/>, rebuilt by <see cref="ProfileAsOf"/> from its stored traits (each
    /// with when it was set) and its identifies recorded before <paramref name="from"/>, so a contact who became
    /// <c>plan: pro</c> after the period started is simulated with the plan it had then.
    /// </summary>
    /// <param name="draft">The journey to simulate.</param>
    /// <param name="from">The period's start.</param>
    /// <param name="to">The period's end.</param>
    /// <param name="stopAtEnd">Stop the clock at <paramref name="to"/>; otherwise it runs on, without events, for the draft's maximum run time after the last event, so every enrollment can finish.</param>
    /// <param name="cancellationToken">Cancels the reads and the run (a client that went away).</param>
    public async Task<DraftSimulation> ReplayAsync(JourneyDefinition draft, DateTimeOffset from, DateTimeOffset to, bool stopAtEnd, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        var stream = new List<SegmentMessage>();
        var ids = new HashSet<ContactId>();
        var order = new List<ContactId>();
        var read = 0;
        string? cursor = null;
        do
        {
            // A page at a time (a range read of the index on the event time): a period of any length is refused after
            // at most one page past the limit, never read whole.
            var page = await events.GetEventsBetweenAsync(from, to, cursor, PageSize, cancellationToken).ConfigureAwait(false);
            foreach (var stored in page.Items)
            {
                if (++read > _options.MaxSimulationEvents)
                {
                    return new DraftSimulation(null, $"The period holds more than {_options.MaxSimulationEvents:N0} events, the most one simulation replays ({EventsSetting}); choose a shorter one.", EventsSetting, _options.MaxSimulationEvents);
                }

                if (ids.Add(stored.ContactId))
                {
                    order.Add(stored.ContactId);
                    if (ids.Count > _options.MaxSimulationContacts)
                    {
                        return new DraftSimulation(null, $"The period's events are for more than {_options.MaxSimulationContacts:N0} contacts, the most one simulation follows ({ContactsSetting}); choose a shorter one.", ContactsSetting, _options.MaxSimulationContacts);
                    }
                }

                if (Read(stored) is { } message)
                {
                    stream.Add(message);
                    keys[message.MessageId] = stored.ContactId.ToString();
                }
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var profiles = new List<SegmentMessage>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var addresses = new HashSet<(string Channel, string Address)>();
        foreach (var chunk in order.Chunk(ContactChunk))
        {
            var found = await contacts.GetContactsAsync(chunk, cancellationToken).ConfigureAwait(false);
            var identifies = await events.GetEventsOfAsync(chunk, [IdentifyName], cancellationToken).ConfigureAwait(false);
            foreach (var id in chunk)
            {
                if (!found.TryGetValue(id, out var contact))
                {
                    continue;
                }

                names[id.ToString()] = contact.UserId ?? contact.Email ?? contact.AnonymousIds.FirstOrDefault() ?? id.ToString();
                AddAddresses(addresses, contact.Email, contact.Phone);

                // The store reads a contact's events newest first; the profile wants them in the order recorded.
                var earlier = identifies.GetValueOrDefault(id) is { } list
                    ? list.Where(stored => stored.Timestamp < from).Reverse().Select(Read).OfType<SegmentMessage>()
                    : [];
                foreach (var message in ProfileAsOf.Messages(contact, earlier, from))
                {
                    profiles.Add(message);
                    keys[message.MessageId] = id.ToString();
                }
            }
        }

        foreach (var message in profiles.Concat(stream))
        {
            AddAddresses(addresses, message);
        }

        var suppressed = await SuppressedAsync(addresses, cancellationToken).ConfigureAwait(false);
        var end = stopAtEnd ? to : (stream.Count > 0 ? stream.Max(message => message.Timestamp) : from) + draft.MaxRunTime;
        var report = Run(draft, profiles, stream, from, end, suppressed, message => keys[message.MessageId], key => ContactId.TryParse(key, out var id) ? id : JourneySimulator.IdFor(key), contact => (names.GetValueOrDefault(contact.Key, contact.Key), contact.Key), cancellationToken);
        return new DraftSimulation(report, null);
    }

    /// <summary>Simulates an uploaded stream (keyed by userId, else anonymousId), from its first event until the draft's maximum run time after its last.</summary>
    /// <param name="draft">The journey to simulate.</param>
    /// <param name="stream">The events.</param>
    /// <param name="cancellationToken">Cancels the lookups and the run.</param>
    public async Task<DraftSimulation> SimulateAsync(JourneyDefinition draft, IReadOnlyList<SegmentMessage> stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.Count > _options.MaxSimulationEvents)
        {
            return new DraftSimulation(null, $"The stream holds more than {_options.MaxSimulationEvents:N0} events, the most one simulation replays ({EventsSetting}).", EventsSetting, _options.MaxSimulationEvents);
        }

        if (stream.Select(message => message.UserId ?? message.AnonymousId).Distinct(StringComparer.Ordinal).Count() > _options.MaxSimulationContacts)
        {
            return new DraftSimulation(null, $"The stream's events are for more than {_options.MaxSimulationContacts:N0} contacts, the most one simulation follows ({ContactsSetting}).", ContactsSetting, _options.MaxSimulationContacts);
        }

        var addresses = new HashSet<(string Channel, string Address)>();
        foreach (var message in stream)
        {
            AddAddresses(addresses, message);
        }

        var suppressed = await SuppressedAsync(addresses, cancellationToken).ConfigureAwait(false);
        var end = stream.Count > 0 ? stream.Max(message => message.Timestamp) + draft.MaxRunTime : (DateTimeOffset?)null;
        return new DraftSimulation(Run(draft, [], stream, null, end, suppressed, null, null, null, cancellationToken), null);
    }

    private SimulationReport Run(
        JourneyDefinition draft,
        IReadOnlyList<SegmentMessage> profiles,
        IReadOnlyList<SegmentMessage> stream,
        DateTimeOffset? from,
        DateTimeOffset? to,
        IReadOnlyDictionary<string, string> suppressed,
        Func<SegmentMessage, string>? keyOf,
        Func<string, ContactId>? contactIds,
        Func<SimulatedContact, (string, string?)>? identify,
        CancellationToken cancellationToken)
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
            suppressed,
            keyOf,
            cancellationToken);
        return SimulationReport.Of(draft, result, stream.Count, ContactsPerStep, identify);
    }

    /// <summary>
    /// The suppression list's entries for <paramref name="addresses"/>, looked up one by one as the channels look them up
    /// (the list keeps keyed hashes, so it cannot be read whole): address (lower case) → why it is suppressed.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, string>> SuppressedAsync(HashSet<(string Channel, string Address)> addresses, CancellationToken cancellationToken)
    {
        var suppressed = new Dictionary<string, string>(StringComparer.Ordinal);
        if (suppressions is null)
        {
            return suppressed;
        }

        foreach (var (channel, address) in addresses)
        {
            if (await suppressions.SuppressedBecauseAsync(channel, address, cancellationToken).ConfigureAwait(false) is { } reason)
            {
                suppressed[address.Trim().ToLowerInvariant()] = reason;
            }
        }

        return suppressed;
    }

    /// <summary>The email address and phone number a message's traits give a profile, normalised as the profile fold normalises them.</summary>
    private static void AddAddresses(HashSet<(string Channel, string Address)> addresses, SegmentMessage message)
    {
        string? email = null;
        string? phone = null;
        string? country = null;
        foreach (var (name, value) in ContactDecider.TraitsOf(message).Where(pair => pair.Value.ValueKind == JsonValueKind.String))
        {
            switch (name)
            {
                case "email":
                    email = value.GetString();
                    break;
                case "phone":
                    phone = value.GetString();
                    break;
                case "country":
                    country = value.GetString();
                    break;
            }
        }

        AddAddresses(addresses, ContactNormalizer.NormalizeEmail(email), ContactNormalizer.NormalizePhone(phone, country is { Length: 2 } ? country : null) ?? ContactNormalizer.NormalizePhone(phone));
    }

    private static void AddAddresses(HashSet<(string Channel, string Address)> addresses, string? email, string? phone)
    {
        if (email is not null)
        {
            addresses.Add(("email", email));
        }

        if (phone is not null)
        {
            addresses.Add(("sms", phone));
        }
    }

    /// <summary>A stored event as the message it was received as, at its event time; null when it no longer reads.</summary>
    private static SegmentMessage? Read(StoredEvent stored)
    {
        using var document = JsonDocument.Parse(stored.Json);
        return SegmentMessageReader.TryRead(document.RootElement, null, stored.ReceivedAt, null, () => stored.MessageId, out var message, out _)
            ? message with { Timestamp = stored.Timestamp }
            : null;
    }
}
