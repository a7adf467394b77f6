using System.Collections.Immutable;
using Cairn.Core;
using Cairn.Core.Contacts;

namespace Cairn.Http;

/// <summary>The contacts part of the admin API.</summary>
internal static class ContactEndpoints
{
    private const int DefaultPageSize = 50;
    private const int DefaultTraitScan = 5_000;
    private const int MaxTraitScan = 50_000;
    private const int TraitScanBatch = 500;

    /// <summary>Maps <c>/contacts</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapContacts(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var contacts = api.MapGroup("/contacts").WithTags("Contacts");

        contacts.MapGet("/lookup", LookupAsync)
            .WithSummary("Finds the contact of a userId, anonymousId or email.")
            .Produces<ContactView>().ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapGet("/{id}", GetAsync)
            .WithSummary("A contact's profile (a merged contact's id returns the profile it was merged into).")
            .Produces<ContactView>().ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapGet("/{id}/events", EventsAsync)
            .WithSummary("A contact's timeline, newest first, cursor-paged.")
            .Produces<PageView<EventView>>().ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapGet("/by-trait", TraitSearchAsync)
            .WithSummary("Contacts whose trait has a value (case-insensitive; any value when value is omitted). Traits are not indexed: each call scans at most scan contacts (default 5,000) in id order and returns the matches with the cursor to scan on from (null at the end).")
            .Produces<TraitSearchView>().ProducesProblem(StatusCodes.Status400BadRequest);
        contacts.MapGet("/", SearchAsync)
            .WithSummary("Lists contacts, optionally matching q (part of an email or name, or an exact userId), cursor-paged.")
            .Produces<PageView<ContactView>>();
        contacts.MapGet("/{id}/journeys", JourneysAsync)
            .WithSummary("The contact's active enrollments and its ended ones (most recent first, up to limit), each with its path and the reason for every move.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapGet("/{id}/segments", async (string id, ContactCommands contactCommands, CancellationToken cancellationToken) =>
                await WithContactAsync(id, contactCommands, contact => contact.Segments
                    .Select(segment => new { segment = segment.Key, enteredAt = segment.Value.EnteredAt, reason = segment.Value.Reason }), cancellationToken).ConfigureAwait(false))
            .WithSummary("The segments the contact is in, with when and why it entered each.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapGet("/{id}/consent", async (string id, ContactCommands contactCommands, CancellationToken cancellationToken) =>
                await WithContactAsync(id, contactCommands, contact => ConsentView(contact.Consents), cancellationToken).ConfigureAwait(false))
            .WithSummary("The contact's consent by channel and subscription group: state, source, time and proof.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapGet("/{id}/engagement", async Task<Results<Ok<object>, ProblemHttpResult>> (string id, ContactCommands contactCommands, JourneyRegistry journeyRegistry, Cairn.Messaging.MessageDispatcher dispatcher, TimeProvider time, CancellationToken cancellationToken) =>
            {
                var (contact, missing) = await FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
                if (contact is null)
                {
                    return missing!;
                }

                var preference = Core.Orchestration.ChannelPreference.Of(contact) is var (preferred, source) ? new { channel = preferred, source } : null;
                var channels = Core.Orchestration.ChannelPreference.Engagement(contact).Select(channel => new { channel.Channel, channel.Received, channel.Engaged, rate = Math.Round(channel.Rate, 3) });
                if (journeyRegistry.Policy.Engagement is not { } engagement)
                {
                    return TypedResults.Ok<object>(new { measured = false, status = "active", preferredChannel = preference, channels });
                }

                var (status, last) = engagement.Standing(contact, await dispatcher.EngagementAsync(contact.Id, cancellationToken).ConfigureAwait(false), time.GetUtcNow());
                return TypedResults.Ok<object>(new { measured = true, channel = engagement.Channel, status, lastEngagedAt = last, throttleAfter = engagement.ThrottleAfter, sunsetAfter = engagement.SunsetAfter, preferredChannel = preference, channels });
            })
            .WithSummary("The contact's engagement: its standing under the policy's engagement rules (active, throttled: a reduced cap, or sunset: no promotional messages on the channel) and last open or click; per channel, messages received, engaged with and the smoothed rate; and its preferred channel, declared (trait preferred_channel) or learned (the best-engaged channel), which send steps with a fallback try first.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/consent/import", ImportConsentAsync)
            .WithTags("Contacts")
            .WithSummary("Imports consent answers from a CSV (text/csv): a contactId, userId or email column, then channel, group (optional), state (opted_in or opted_out), source, proof and at (optional). Each valid row is recorded like PUT …/consent; bad rows are reported by line.")
            .Accepts<string>("text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        contacts.MapGet("/{id}/consent/history", ConsentHistoryAsync)
            .WithSummary("Every consent answer the contact gave or withdrew, newest first (from its timeline): channel, group, state, source, proof, time.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapPut("/{id}/consent", PutConsentAsync)
            .WithSummary("Records consent given or withdrawn: {\"channel\": \"email\", \"group\": \"newsletter\" (optional), \"state\": \"opted_in\" | \"opted_out\", \"source\", \"proof\", \"at\" (optional), \"confirmed\" (optional)}. Under a double opt-in policy an opt-in stays pending, and a confirmation email is sent, unless confirmed is true. A consent_changed event goes on the timeline.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapPatch("/{id}/traits", PatchTraitsAsync)
            .WithSummary("Sets traits on a contact (a JSON object; null removes nothing, it sets null).")
            .Produces<ContactView>().ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<object>, ProblemHttpResult>> ImportConsentAsync(HttpContext context, ContactCommands contactCommands, IContactStore contactStore, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        if (context.Request.ContentType?.Split(';')[0].Trim().Equals("text/csv", StringComparison.OrdinalIgnoreCase) != true)
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the consent answers as text/csv.");
        }

        var body = await RequestBody.ReadAsync(context.Request, 64 * 1024 * 1024, "64 MB per upload", cancellationToken).ConfigureAwait(false);
        var (imported, rejected) = (0, new List<object>());
        foreach (var row in ContactRows.ReadCsv(body))
        {
            void Reject(string reason) => rejected.Add(new { row = row.Line, reason });

            if (row.Error is { } error)
            {
                Reject(error);
                continue;
            }

            var channel = row.Field("channel");
            var state = row.Field("state") switch { "opted_in" => Core.Consent.ConsentState.OptedIn, "opted_out" => Core.Consent.ConsentState.OptedOut, _ => (Core.Consent.ConsentState?)null };
            var at = time.GetUtcNow();
            if (!Core.Consent.Consents.IsChannel(channel))
            {
                Reject($"channel is {string.Join(", ", Core.Consent.Consents.ChannelNames)}");
            }
            else if (state is null)
            {
                Reject("state is opted_in or opted_out");
            }
            else if (row.Field("at") is { } given && !DateTimeOffset.TryParse(given, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out at))
            {
                Reject("at is an ISO 8601 time");
            }
            else if (await ContactRows.FindAsync(row.Kind, row.Value, contactCommands, contactStore, cancellationToken).ConfigureAwait(false) is not { } contact)
            {
                Reject($"no contact has {row.Kind} '{row.Value}'");
            }
            else
            {
                await contactCommands.ChangeConsentAsync(contact, channel!, row.Field("group"), new Core.Consent.ConsentRecord(state.Value, row.Field("source") ?? "import", at, row.Field("proof")), cancellationToken).ConfigureAwait(false);
                imported++;
            }
        }

        return TypedResults.Ok<object>(new { imported, rejected });
    }

    private static async Task<Results<Ok<List<object>>, ProblemHttpResult>> ConsentHistoryAsync(string id, ContactCommands contactCommands, IEventLog eventLog, CancellationToken cancellationToken)
    {
        var (contact, missing) = await FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return missing!;
        }
        var history = new List<object>();
        string? cursor = null;
        do
        {
            var page = await eventLog.GetEventsAsync(contact.Id, cursor, 1000, cancellationToken).ConfigureAwait(false);
            foreach (var stored in page.Items.Where(stored => stored.Name == "consent_changed"))
            {
                using var document = JsonDocument.Parse(stored.Json);
                history.Add(new { at = stored.Timestamp, answer = document.RootElement.GetProperty("properties").Clone() });
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null && history.Count < 1000);

        return TypedResults.Ok(history);
    }

    private static async Task<Results<Ok<IEnumerable<object>>, ProblemHttpResult>> PutConsentAsync(string id, HttpContext context, ContactCommands contactCommands, JourneyRegistry journeyRegistry, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        var (contact, missing) = await FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return missing!;
        }
        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: cancellationToken).ConfigureAwait(false)).RootElement;
        }
        catch (JsonException exception)
        {
            return Problems.BadRequest($"The body is not valid JSON: {exception.Message}");
        }

        string? Text(string name) => body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var channel = Text("channel");
        if (!Core.Consent.Consents.IsChannel(channel))
        {
            return Problems.BadRequest($"channel is {string.Join(", ", Core.Consent.Consents.ChannelNames)}.");
        }

        Core.Consent.ConsentState state;
        switch (Text("state"))
        {
            case "opted_in":
                state = Core.Consent.ConsentState.OptedIn;
                break;
            case "opted_out":
                state = Core.Consent.ConsentState.OptedOut;
                break;
            default:
                return Problems.BadRequest("state is opted_in or opted_out.");
        }

        var at = time.GetUtcNow();
        if (Text("at") is { } given && !DateTimeOffset.TryParse(given, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out at))
        {
            return Problems.BadRequest("at is an ISO 8601 time.");
        }

        // Double opt-in: an opt-in waits for the click in the confirmation email, unless the caller already confirmed it.
        var confirmed = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("confirmed", out var flag) && flag.ValueKind == JsonValueKind.True;
        if (state == Core.Consent.ConsentState.OptedIn && !confirmed && journeyRegistry.Policy.DoubleOptIn.Contains(channel!))
        {
            state = Core.Consent.ConsentState.Pending;
        }

        var record = new Core.Consent.ConsentRecord(state, Text("source") ?? "api", at, Text("proof"));
        await contactCommands.ChangeConsentAsync(contact.Id, channel!, Text("group"), record, cancellationToken).ConfigureAwait(false);
        return await WithContactAsync(id, contactCommands, changed => ConsentView(changed.Consents), cancellationToken).ConfigureAwait(false);
    }

    private static IEnumerable<object> ConsentView(IReadOnlyDictionary<string, Core.Consent.ConsentRecord> consents) =>
        consents.Select(pair => new
        {
            key = pair.Key,
            channel = pair.Key.Split(':')[0],
            group = pair.Key.Contains(':', StringComparison.Ordinal) ? pair.Key[(pair.Key.IndexOf(':', StringComparison.Ordinal) + 1)..] : null,
            state = Core.Consent.Consents.NameOf(pair.Value.State),
            source = pair.Value.Source,
            at = pair.Value.At,
            proof = pair.Value.Proof,
        });

    private static async Task<Results<Ok<ContactView>, ProblemHttpResult>> LookupAsync(string? userId, string? anonymousId, string? email, ContactCommands contactCommands, IContactStore contactStore, CancellationToken cancellationToken)
    {
        ContactId? id;
        switch (userId, anonymousId, email)
        {
            case ({ Length: > 0 } user, null, null):
                id = contactCommands.FindContact(IdentityKey.User(user));
                break;
            case (null, { Length: > 0 } anonymous, null):
                id = contactCommands.FindContact(IdentityKey.Anonymous(anonymous));
                break;
            case (null, null, { Length: > 0 } address):
                if (ContactNormalizer.NormalizeEmail(address) is not { } normalized)
                {
                    return Problems.BadRequest("The email is not valid.");
                }

                id = (await contactStore.FindContactsByEmailAsync(normalized, cancellationToken).ConfigureAwait(false)) is [var first, ..] ? first : null;
                break;
            default:
                return Problems.BadRequest("Give exactly one of userId, anonymousId or email.");
        }

        var contact = id is { } found ? await contactCommands.GetContactAsync(found, cancellationToken).ConfigureAwait(false) : null;
        return contact is null ? Problems.NotFound("No contact has that identifier.") : TypedResults.Ok(ContactView.From(contact));
    }

    private static Task<Results<Ok<ContactView>, ProblemHttpResult>> GetAsync(string id, ContactCommands contactCommands, CancellationToken cancellationToken) =>
        WithContactAsync(id, contactCommands, ContactView.From, cancellationToken);

    private static async Task<Results<Ok<PageView<EventView>>, ProblemHttpResult>> EventsAsync(string id, string? cursor, int? limit, ContactCommands contactCommands, IEventLog eventLog, CancellationToken cancellationToken)
    {
        var (contact, missing) = await FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return missing!;
        }

        var page = await eventLog.GetEventsAsync(contact.Id, cursor, PageSize(limit), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new PageView<EventView>(page.Items.Select(EventView.From).ToList(), page.NextCursor));
    }

    private static async Task<Results<Ok<object>, ProblemHttpResult>> JourneysAsync(string id, int? limit, ContactCommands contactCommands, IJourneyIndex journeyIndex, IOutbox outboxStore, CancellationToken cancellationToken)
    {
        var (contact, missing) = await FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return missing!;
        }

        var ended = await journeyIndex.GetEndedEnrollmentsAsync(contact.Id, PageSize(limit), cancellationToken).ConfigureAwait(false);

        // A report that came after its enrollment ended is on the message itself.
        var outbox = (await outboxStore.GetOutboxAsync(contact.Id, 1000, cancellationToken).ConfigureAwait(false))
            .ToDictionary(message => message.MessageId, message => message.LastError is { } why && message.Status != "sent" && message.Status != "delivered" ? $"{message.Status}: {why}" : message.Status, StringComparer.Ordinal);
        EnrollmentView View(Core.Journeys.Engine.Enrollment enrollment) => EnrollmentView.From(enrollment, outbox.GetValueOrDefault);
        return TypedResults.Ok<object>(new
        {
            active = contact.Journeys.Active.Values.OrderBy(e => e.JourneyId, StringComparer.Ordinal).Select(View),
            ended = ended.Select(View),
            history = contact.Journeys.History.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => new { journey = h.Key, entries = h.Value.Entries, lastEndedAt = h.Value.LastEndedAt }),
        });
    }

    private static async Task<Ok<PageView<ContactView>>> SearchAsync(string? q, string? cursor, int? limit, IContactStore contactStore, CancellationToken cancellationToken)
    {
        var page = await contactStore.SearchContactsAsync(q, cursor, PageSize(limit), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new PageView<ContactView>(page.Items.Select(ContactView.From).ToList(), page.NextCursor));
    }

    private static async Task<Results<Ok<TraitSearchView>, ProblemHttpResult>> TraitSearchAsync(string? trait, string? value, string? cursor, int? scan, int? limit, IContactStore contactStore, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(trait))
        {
            return Problems.BadRequest("Give the trait to search by.");
        }

        if (scan is < 1 or > MaxTraitScan)
        {
            return Problems.BadRequest($"scan must be between 1 and {MaxTraitScan}.");
        }

        var wanted = PageSize(limit);
        var budget = scan ?? DefaultTraitScan;
        var matches = new List<ContactView>();
        var scanned = 0;
        var after = cursor;
        var ended = false;
        while (scanned < budget && matches.Count < wanted && !ended)
        {
            var ids = await contactStore.ListContactIdsAsync(after, Math.Min(TraitScanBatch, budget - scanned), cancellationToken).ConfigureAwait(false);
            ended = ids.Count < Math.Min(TraitScanBatch, budget - scanned);
            var states = await contactStore.GetContactsAsync(ids, cancellationToken).ConfigureAwait(false);
            foreach (var id in ids)
            {
                scanned++;
                after = id.ToString();
                if (states.TryGetValue(id, out var state) && state.Traits.TryGetValue(trait, out var found) && Matches(found.Value, value))
                {
                    matches.Add(ContactView.From(state));
                    if (matches.Count == wanted)
                    {
                        ended = ended && id.Equals(ids[^1]);
                        break;
                    }
                }
            }
        }

        return TypedResults.Ok(new TraitSearchView(matches, ended ? null : after, scanned));
    }

    /// <summary>Whether a trait's value is <paramref name="value"/>: a string case-insensitively, anything else by its JSON text; any value when none is given.</summary>
    private static bool Matches(JsonElement trait, string? value) =>
        value is null || (trait.ValueKind == JsonValueKind.String
            ? string.Equals(trait.GetString(), value, StringComparison.OrdinalIgnoreCase)
            : string.Equals(trait.GetRawText(), value, StringComparison.OrdinalIgnoreCase));

    private static async Task<Results<Ok<ContactView>, ProblemHttpResult>> PatchTraitsAsync(string id, HttpContext context, ContactCommands contactCommands, CancellationToken cancellationToken)
    {
        var (contact, missing) = await FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return missing!;
        }

        RequestBody.RequireJson(context.Request);
        var body = await RequestBody.ReadAsync(context.Request, Core.Messages.MessageLimits.MaxMessageBytes, "32 KB", cancellationToken).ConfigureAwait(false);
        using var document = RequestBody.Parse(body, Core.Messages.MessageLimits.MaxDepth + 1);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return Problems.BadRequest("The body must be a JSON object of traits.");
        }

        var traits = document.RootElement.EnumerateObject()
            .ToImmutableSortedDictionary(property => property.Name, property => property.Value.Clone(), StringComparer.Ordinal);
        var updated = await contactCommands.PatchTraitsAsync(contact.Id, traits, cancellationToken).ConfigureAwait(false);
        return updated is null ? Problems.NotFound("The contact does not exist.") : TypedResults.Ok(ContactView.From(updated));
    }

    /// <summary>The contact <paramref name="id"/> names as <paramref name="view"/> shows it, or the problem (404) when it names none.</summary>
    internal static async Task<Results<Ok<TView>, ProblemHttpResult>> WithContactAsync<TView>(string id, ContactCommands contactCommands, Func<ContactState, TView> view, CancellationToken cancellationToken)
    {
        var (contact, missing) = await FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
        return contact is null ? missing! : TypedResults.Ok(view(contact));
    }

    /// <summary>The contact <paramref name="id"/> names, or the problem (404) when it names none.</summary>
    internal static async Task<(ContactState? Contact, ProblemHttpResult? Missing)> FindAsync(string id, ContactCommands contactCommands, CancellationToken cancellationToken)
    {
        if (!ContactId.TryParse(id, out var contactId))
        {
            return (null, Problems.NotFound($"'{id}' is not a contact id."));
        }

        return await contactCommands.GetContactAsync(contactId, cancellationToken).ConfigureAwait(false) is { } contact
            ? (contact, null)
            : (null, Problems.NotFound("The contact does not exist."));
    }

    private static int PageSize(int? limit) => limit switch
    {
        null => DefaultPageSize,
        >= 1 and <= 1000 => limit.Value,
        _ => throw ProblemException.BadRequest("limit must be between 1 and 1000."),
    };
}

/// <summary>A page of results; pass <see cref="NextCursor"/> as <c>cursor</c> for the next page (null on the last).</summary>
internal sealed record PageView<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>A page of a trait search: the matches, the cursor to scan on from (null when every contact was scanned), and how many contacts this call scanned.</summary>
internal sealed record TraitSearchView(IReadOnlyList<ContactView> Items, string? NextCursor, int Scanned);

/// <summary>A contact's profile as the API shows it.</summary>
internal sealed record ContactView(
    string Id,
    string? UserId,
    IReadOnlyList<string> AnonymousIds,
    string? Email,
    string? Phone,
    string? TimeZone,
    string? Name,
    IReadOnlyDictionary<string, JsonElement> Traits,
    IReadOnlyList<string> Groups,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    long EventCount,
    IReadOnlyDictionary<string, long> EventCounts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The view of a stored state.</summary>
    public static ContactView From(ContactState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new ContactView(
            state.Id.ToString(),
            state.UserId,
            [.. state.AnonymousIds],
            state.Email,
            state.Phone,
            state.TimeZone,
            state.DisplayName,
            state.Traits.ToDictionary(trait => trait.Key, trait => trait.Value.Value, StringComparer.Ordinal),
            [.. state.Groups],
            state.FirstSeen,
            state.LastSeen,
            state.EventCount,
            state.EventCounts,
            state.CreatedAt,
            state.UpdatedAt);
    }
}

/// <summary>One entry of a contact's timeline.</summary>
internal sealed record EventView(string MessageId, string Type, string Name, DateTimeOffset Timestamp, DateTimeOffset ReceivedAt, JsonElement Message)
{
    /// <summary>The view of a stored event.</summary>
    public static EventView From(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        using var document = JsonDocument.Parse(stored.Json);
        return new EventView(
            stored.MessageId,
            Core.Messages.MessageTypes.ToWireName(stored.Type),
            stored.Name,
            stored.Timestamp,
            stored.ReceivedAt,
            document.RootElement.Clone());
    }
}

/// <summary>One enrollment with its path, as the API shows it.</summary>
internal sealed record EnrollmentView(
    string Id,
    string Journey,
    int Version,
    string? Step,
    DateTimeOffset EnteredAt,
    DateTimeOffset? WakeAt,
    string? Arm,
    bool Control,
    DateTimeOffset? ConvertedAt,
    DateTimeOffset? EndedAt,
    string? EndReason,
    IReadOnlyList<Core.Journeys.Engine.PathEntry> Path,
    IReadOnlyList<StepMessageView> Messages)
{
    /// <summary>The view of an enrollment; <paramref name="messageStatus"/> describes a message the enrollment has no report of.</summary>
    public static EnrollmentView From(Core.Journeys.Engine.Enrollment enrollment, Func<string, string?> messageStatus)
    {
        ArgumentNullException.ThrowIfNull(messageStatus);
        ArgumentNullException.ThrowIfNull(enrollment);
        return new EnrollmentView(
            enrollment.Id,
            enrollment.JourneyId,
            enrollment.Version,
            enrollment.StepId,
            enrollment.EnteredAt,
            enrollment.WakeAt,
            enrollment.Arm,
            enrollment.Control,
            enrollment.ConvertedAt,
            enrollment.EndedAt,
            enrollment.EndReason,
            enrollment.Path,
            [.. enrollment.Sent.OrderBy(sent => sent.Key, StringComparer.Ordinal).Select(sent => new StepMessageView(sent.Key, sent.Value, enrollment.Deliveries.GetValueOrDefault(sent.Key) ?? messageStatus(sent.Value) ?? "queued"))]);
    }
}

/// <summary>A send step's message in an enrollment: its id and what became of it (queued, sent, deferred, dropped …).</summary>
internal sealed record StepMessageView(string Step, string MessageId, string Delivery);
