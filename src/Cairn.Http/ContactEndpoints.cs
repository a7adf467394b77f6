using System.Collections.Immutable;
using Cairn.Core;
using Cairn.Core.Contacts;

namespace Cairn.Http;

/// <summary>The contacts part of the admin API.</summary>
internal static class ContactEndpoints
{
    private const int DefaultPageSize = 50;
    private const int MaxTraitQuery = 1000;

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
            .WithSummary("Contacts whose trait has a value (a string case-insensitively, another value by its JSON text; any value when value is omitted), from the trait index, cursor-paged in (value, id) order. A page may hold fewer than limit contacts and still have a nextCursor.")
            .Produces<PageView<ContactView>>().ProducesProblem(StatusCodes.Status400BadRequest);
        contacts.MapGet("/", SearchAsync)
            .WithSummary("Lists contacts, oldest first, optionally matching q (at most 200 characters), cursor-paged, always from an index. A q of 3 characters or more matches part of an email or name (case-insensitive), or an exact userId; a shorter q matches the start of an email, userId, phone or anonymousId, in the order of the identifier matched.")
            .Produces<PageView<ContactView>>().ProducesProblem(StatusCodes.Status400BadRequest);
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
        contacts.MapGet("/{id}/engagement", async Task<Results<Ok<EngagementView>, ProblemHttpResult>> (string id, ContactCommands contactCommands, JourneyRegistry journeyRegistry, Cairn.Messaging.MessageDispatcher dispatcher, TimeProvider time, CancellationToken cancellationToken) =>
            {
                var (contact, missing) = await FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
                if (contact is null)
                {
                    return missing!;
                }

                var preference = Core.Orchestration.ChannelPreference.Of(contact) is var (preferred, source) ? new PreferredChannelView(preferred, source) : null;
                List<ChannelEngagementView> channels = [.. Core.Orchestration.ChannelPreference.Engagement(contact).Select(channel => new ChannelEngagementView(channel.Channel, channel.Received, channel.Engaged, Math.Round(channel.Rate, 3)))];
                if (journeyRegistry.Policy.Engagement is not { } engagement)
                {
                    return TypedResults.Ok(new EngagementView(false, null, "active", null, null, null, preference, channels));
                }

                var (status, last) = engagement.Standing(contact, await dispatcher.EngagementAsync(contact.Id, cancellationToken).ConfigureAwait(false), time.GetUtcNow());
                return TypedResults.Ok(new EngagementView(true, engagement.Channel, status, last, engagement.ThrottleAfter, engagement.SunsetAfter, preference, channels));
            })
            .WithSummary("The contact's engagement: its standing under the policy's engagement rules (active, throttled: a reduced cap, or sunset: no promotional messages on the channel) and last open or click; per channel, messages received, engaged with and the smoothed rate; and its preferred channel, declared (trait preferred_channel) or learned (the best-engaged channel), which send steps with a fallback try first.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/consent/import", ImportConsentAsync).Audited("consent.imported")
            .WithTags("Contacts")
            .WithSummary("Imports consent answers from a CSV (text/csv): a contactId, userId or email column, then channel, group (optional), state (opted_in or opted_out), source, proof and at (optional). Each valid row is recorded like PUT …/consent; bad rows are reported by line.")
            .Accepts<string>("text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        contacts.MapGet("/{id}/consent/history", ConsentHistoryAsync)
            .WithSummary("Every consent answer the contact gave or withdrew, newest first (from its timeline): channel, group, state, source, proof, time.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapPut("/{id}/consent", PutConsentAsync).Audited("contact.consent_changed", "contact")
            .WithSummary("Records consent given or withdrawn: {\"channel\": \"email\", \"group\": \"newsletter\" (optional), \"state\": \"opted_in\" | \"opted_out\", \"source\", \"proof\", \"at\" (optional), \"confirmed\" (optional)}. Under a double opt-in policy an opt-in stays pending, and a confirmation email is sent, unless confirmed is true. A consent_changed event goes on the timeline.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapPatch("/{id}/traits", PatchTraitsAsync).Audited("contact.traits_changed", "contact")
            .WithSummary("Sets traits on a contact (a JSON object; null removes nothing, it sets null).")
            .Produces<ContactView>().ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<ImportedRowsView>, ProblemHttpResult>> ImportConsentAsync(HttpContext context, ContactCommands contactCommands, IContactStore contactStore, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        if (context.Request.ContentType?.Split(';')[0].Trim().Equals("text/csv", StringComparison.OrdinalIgnoreCase) != true)
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the consent answers as text/csv.");
        }

        var body = await RequestBody.ReadAsync(context.Request, 64 * 1024 * 1024, "64 MB per upload", cancellationToken).ConfigureAwait(false);
        var (imported, rejected) = (0, new List<RejectedRowView>());
        foreach (var row in ContactRows.ReadCsv(body))
        {
            void Reject(string reason) => rejected.Add(new RejectedRowView(row.Line, reason));

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

        return TypedResults.Ok(new ImportedRowsView(imported, rejected));
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

    private static async Task<Results<Ok<ContactJourneysView>, ProblemHttpResult>> JourneysAsync(string id, int? limit, ContactCommands contactCommands, IJourneyIndex journeyIndex, IOutbox outboxStore, CancellationToken cancellationToken)
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
        return TypedResults.Ok(new ContactJourneysView(
            [.. contact.Journeys.Active.Values.OrderBy(e => e.JourneyId, StringComparer.Ordinal).Select(View)],
            [.. ended.Select(View)],
            [.. contact.Journeys.History.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => new JourneyHistoryView(h.Key, h.Value.Entries, h.Value.LastEndedAt))]));
    }

    private static async Task<Results<Ok<PageView<ContactView>>, ProblemHttpResult>> SearchAsync(string? q, string? cursor, int? limit, IContactStore contactStore, CancellationToken cancellationToken)
    {
        if (q is { Length: > IContactStore.MaxSearchQuery })
        {
            return Problems.BadRequest($"q has at most {IContactStore.MaxSearchQuery} characters.");
        }

        if (HasControlCharacters(q))
        {
            return Problems.BadRequest("q holds a control character.");
        }

        var page = await contactStore.SearchContactsAsync(q, cursor, PageSize(limit), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new PageView<ContactView>(page.Items.Select(ContactView.From).ToList(), page.NextCursor));
    }

    private static async Task<Results<Ok<PageView<ContactView>>, ProblemHttpResult>> TraitSearchAsync(string? trait, string? value, string? cursor, int? limit, IContactStore contactStore, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(trait))
        {
            return Problems.BadRequest("Give the trait to search by.");
        }

        if (trait.Length > MaxTraitQuery || value is { Length: > MaxTraitQuery })
        {
            return Problems.BadRequest($"trait and value have at most {MaxTraitQuery} characters each.");
        }

        if (HasControlCharacters(trait) || HasControlCharacters(value))
        {
            return Problems.BadRequest("trait or value holds a control character.");
        }

        var page = await contactStore.FindContactsByTraitAsync(trait, value, cursor, PageSize(limit), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new PageView<ContactView>(page.Items.Select(ContactView.From).ToList(), page.NextCursor));
    }

    /// <summary>Whether a search term holds a control character (no identifier has one; PostgreSQL text cannot hold NUL).</summary>
    private static bool HasControlCharacters(string? text) => text is not null && text.Any(char.IsControl);

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

/// <summary>
/// A contact's engagement: its standing under the policy's engagement rules (<see cref="Measured"/> false, and the
/// rule's fields null, when the policy has none), its preferred channel and its engagement per channel.
/// </summary>
internal sealed record EngagementView(
    bool Measured,
    string? Channel,
    string Status,
    DateTimeOffset? LastEngagedAt,
    TimeSpan? ThrottleAfter,
    TimeSpan? SunsetAfter,
    PreferredChannelView? PreferredChannel,
    IReadOnlyList<ChannelEngagementView> Channels);

/// <summary>The channel a contact prefers: <see cref="Source"/> is <c>declared</c> (a trait) or <c>learned</c>.</summary>
internal sealed record PreferredChannelView(string Channel, string Source);

/// <summary>A contact's messages received and engaged with on a channel, and the smoothed rate.</summary>
internal sealed record ChannelEngagementView(string Channel, long Received, long Engaged, double Rate);

/// <summary>What an upload imported, and the lines it rejected with the reason.</summary>
internal sealed record ImportedRowsView(int Imported, IReadOnlyList<RejectedRowView> Rejected);

/// <summary>A contact's journeys: its active enrollments, its latest ended ones, and its entries per journey.</summary>
internal sealed record ContactJourneysView(IReadOnlyList<EnrollmentView> Active, IReadOnlyList<EnrollmentView> Ended, IReadOnlyList<JourneyHistoryView> History);

/// <summary>How many times a contact entered a journey, and when its last enrollment ended.</summary>
internal sealed record JourneyHistoryView(string Journey, int Entries, DateTimeOffset? LastEndedAt);
