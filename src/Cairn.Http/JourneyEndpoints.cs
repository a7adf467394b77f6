using System.Collections.Immutable;

namespace Cairn.Http;

/// <summary>
/// Journeys as documents: <c>PUT</c> stores the draft (validated, idempotent), <c>publish</c> makes an immutable
/// version, <c>pause</c> / <c>archive</c> change the status; <c>GET /api/journeys</c> is the inventory, with each
/// journey's rollouts, statistics, reviews and API enrollment.
/// </summary>
internal static class JourneyEndpoints
{
    /// <summary>Maps <c>/journeys</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapJourneys(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var journeys = api.MapGroup("/journeys").WithTags("Journeys");
        journeys.MapGet("/", ListJourneysAsync).WithSummary("The journey inventory: every journey with its status, trigger, audience, owner and version.");
        journeys.MapGet("/{id}", JourneyAsync)
            .WithSummary("One journey: its status, versions and the applied document.");
        journeys.MapPut("/{id}", PutAsync).Audited("journey.drafted", DocumentParser.JourneyKind, document: AuditedDocument.Draft)
            .WithSummary("Stores the journey document (YAML or JSON) as the draft; applying the same text again changes nothing.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        journeys.MapPost("/{id}/publish", PublishAsync).Audited("journey.published", DocumentParser.JourneyKind, document: AuditedDocument.Published)
            .WithSummary("Publishes the draft as a new immutable version (none when it is unchanged). An optional body {\"stepMap\": {\"old step\": \"new step\"}} moves enrollments on earlier versions at those steps to the new version; the others finish on their version.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        journeys.MapGet("/{id}/rollouts", RolloutsAsync)
            .WithSummary("How far each publish got in reaching existing contacts (moving enrollments by a step map, scheduling a date trigger).");
        journeys.MapPost("/{id}/enroll", EnrollAsync).Audited("journey.contact_enrolled", DocumentParser.JourneyKind)
            .WithSummary("Enrolls a contact (by contactId, userId or email) in a published journey with an API trigger; the payload is available to templates and conditions.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        journeys.MapGet("/{id}/stats", StatsAsync)
            .WithSummary("Per version and step: entered, left, currently there, errors, taken per exit, and a send step's messages by status (sent, delivered, failed with render errors, suppressed …); enrollments moved in and out by publishes; conversions per experiment arm and for the holdout.");
        journeys.MapGet("/{id}/review", async (string id, int? limit, IJourneyIndex journeyIndex, CancellationToken cancellationToken) =>
                TypedResults.Ok(await journeyIndex.GetJourneyReviewsAsync(id, limit is >= 1 and <= 1000 ? limit.Value : 100, cancellationToken).ConfigureAwait(false)))
            .WithSummary("Enrollments that ended for review (maximum run time reached, or an error), newest first.");
        journeys.MapPost("/{id}/pause", (string id, JourneyRegistry journeyRegistry, IDocumentStore documentStore, IJourneyIndex journeyIndex, TimeProvider time, CancellationToken cancellationToken) => SetStatusAsync(id, DocumentStatus.Paused, journeyRegistry, documentStore, journeyIndex, time, cancellationToken))
            .Audited("journey.paused", DocumentParser.JourneyKind, document: AuditedDocument.Status)
            .WithSummary("Stops new entries; enrollments already in the journey continue.");
        journeys.MapPost("/{id}/resume", (string id, JourneyRegistry journeyRegistry, IDocumentStore documentStore, IJourneyIndex journeyIndex, TimeProvider time, CancellationToken cancellationToken) => SetStatusAsync(id, DocumentStatus.Published, journeyRegistry, documentStore, journeyIndex, time, cancellationToken))
            .Audited("journey.resumed", DocumentParser.JourneyKind, document: AuditedDocument.Status)
            .WithSummary("Takes a paused journey back to published: new entries resume; enrollments already in it carry on.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        journeys.MapPost("/{id}/archive", (string id, JourneyRegistry journeyRegistry, IDocumentStore documentStore, IJourneyIndex journeyIndex, TimeProvider time, CancellationToken cancellationToken) => SetStatusAsync(id, DocumentStatus.Archived, journeyRegistry, documentStore, journeyIndex, time, cancellationToken))
            .Audited("journey.archived", DocumentParser.JourneyKind, document: AuditedDocument.Status)
            .WithSummary("Retires the journey: no new entries.");
        api.MapJourneyConsole();
        return api;
    }

    private static async Task<Ok<IEnumerable<JourneySummary>>> ListJourneysAsync(bool? archived, IDocumentStore documentStore, IJourneyIndex journeyIndex, CancellationToken cancellationToken)
    {
        var documents = await documentStore.ListDocumentsAsync(DocumentParser.JourneyKind, cancellationToken).ConfigureAwait(false);
        var active = await journeyIndex.CountActiveEnrollmentsAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(documents
            .Where(document => archived == true || document.Status != DocumentStatus.Archived)
            .Select(document => JourneySummary.From(document, active.GetValueOrDefault(document.Id))));
    }

    private static Task<Results<Ok<JourneySummary>, ProblemHttpResult>> JourneyAsync(string id, IDocumentStore documentStore, IJourneyIndex journeyIndex, CancellationToken cancellationToken) =>
        DocumentFlow.GetAsync(DocumentParser.JourneyKind, id, "journey", document => SummaryAsync(document, journeyIndex, cancellationToken), documentStore, cancellationToken);

    private static Task<Results<Ok<JourneySummary>, ProblemHttpResult>> PutAsync(string id, HttpContext context, DocumentPublisher publisher, IDocumentStore documentStore, IJourneyIndex journeyIndex, TimeProvider time) =>
        DocumentFlow.PutAsync(DocumentParser.JourneyKind, id, (document, _) => SummaryAsync(document, journeyIndex, context.RequestAborted), context, publisher, documentStore, time);

    private static ProblemHttpResult NotFound(string id) => Problems.NotFound($"There is no journey '{id}'.");

    /// <summary>The inventory entry of a stored journey, with its count of active enrollments.</summary>
    private static async Task<JourneySummary> SummaryAsync(StoredDocument document, IJourneyIndex journeyIndex, CancellationToken cancellationToken) =>
        JourneySummary.From(document, (await journeyIndex.CountActiveEnrollmentsAsync(cancellationToken).ConfigureAwait(false)).GetValueOrDefault(document.Id));

    private static async Task<Results<Ok<PublishedView>, ProblemHttpResult>> PublishAsync(string id, HttpContext context, DocumentPublisher publisher, JourneyRegistry journeyRegistry, IDocumentStore documentStore)
    {
        var cancellationToken = context.RequestAborted;
        if (await documentStore.GetDocumentAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false) is not { } document)
        {
            return NotFound(id);
        }

        // The templates it uses may have changed since the draft was stored.
        if (await DocumentFlow.ValidateAsync(DocumentParser.JourneyKind, id, document.Draft, documentStore, cancellationToken).ConfigureAwait(false) is { Problem: { } invalid })
        {
            return invalid;
        }

        var journey = DocumentParser.Parse<ParsedJourney>(document.Draft, id).Journey;
        var (stepMap, malformed) = await ReadStepMapAsync(context).ConfigureAwait(false);
        if (malformed is not null)
        {
            return malformed;
        }

        var earlier = journeyRegistry.Library.Versions.Where(version => version.Key.Journey == id).ToList();
        var problems = new List<string>();
        if (stepMap.Count > 0 && earlier.Count == 0)
        {
            problems.Add("the journey has no earlier version to move enrollments from");
        }

        foreach (var (from, to) in stepMap.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (earlier.Count > 0 && !earlier.Any(version => version.Value.Find(from) is not null))
            {
                problems.Add($"'{from}' is not a step of any earlier version");
            }

            if (journey.Find(to) is null)
            {
                problems.Add($"'{to}' (the target of '{from}') is not a step of the new version");
            }
        }

        if (problems.Count > 0)
        {
            return Problems.Of(
                StatusCodes.Status422UnprocessableEntity,
                "Invalid step map",
                string.Join("; ", problems) + ".",
                new Dictionary<string, object?> { ["errors"] = problems });
        }

        var (version, created, rollout) = (await publisher.PublishJourneyAsync(id, stepMap, cancellationToken).ConfigureAwait(false))!.Value;
        if (created)
        {
            await documentStore.SetPublishedByAsync(DocumentParser.JourneyKind, id, version, context.User.Identity?.Name ?? "api-key", cancellationToken).ConfigureAwait(false);
        }

        return TypedResults.Ok(new PublishedView(id, version, created, rollout is null ? null : RolloutView.From(rollout)));
    }

    /// <summary>The optional publish body: <c>{"stepMap": {"old": "new"}}</c>; a problem (400) when it is not that.</summary>
    private static async Task<(ImmutableDictionary<string, string> StepMap, ProblemHttpResult? Problem)> ReadStepMapAsync(HttpContext context)
    {
        var empty = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && context.Request.ContentType is null))
        {
            return (empty, null);
        }

        RequestBody.RequireJson(context.Request);
        var body = await RequestBody.ReadAsync(context.Request, Core.Messages.MessageLimits.MaxMessageBytes, "32 KB", context.RequestAborted).ConfigureAwait(false);
        if (body.Length == 0)
        {
            return (empty, null);
        }

        using var document = RequestBody.Parse(body, Core.Messages.MessageLimits.MaxDepth + 1);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (empty, Problems.BadRequest("The publish body must be a JSON object."));
        }

        if (!root.TryGetProperty("stepMap", out var map) || map.ValueKind == JsonValueKind.Null)
        {
            return (empty, null);
        }

        if (map.ValueKind != JsonValueKind.Object
            || map.EnumerateObject().Any(pair => pair.Value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(pair.Value.GetString())))
        {
            return (empty, Problems.BadRequest("stepMap must map old step ids to new step ids, as strings."));
        }

        return (map.EnumerateObject().ToImmutableDictionary(pair => pair.Name, pair => pair.Value.GetString()!, StringComparer.Ordinal), null);
    }

    private static async Task<Results<Ok<IEnumerable<RolloutView>>, ProblemHttpResult>> RolloutsAsync(string id, IDocumentStore documentStore, CancellationToken cancellationToken)
    {
        if (await documentStore.GetDocumentAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return NotFound(id);
        }

        var rollouts = await documentStore.GetRolloutsAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(rollouts.OrderByDescending(r => r.Version).Select(RolloutView.From));
    }

    private static async Task<Results<Ok<EnrolledView>, ProblemHttpResult>> EnrollAsync(string id, HttpContext context, ContactCommands contactCommands, JourneyRegistry journeyRegistry, IContactStore contactStore)
    {
        var live = journeyRegistry.Library.Live.FirstOrDefault(journey => journey.Definition.Id == id);
        if (live is null)
        {
            return Problems.Conflict($"The journey '{id}' is not published (or is paused or archived).");
        }

        if (live.Definition.Trigger is not ApiTrigger)
        {
            return Problems.Conflict($"The journey '{id}' is not triggered through the API (its trigger is {JourneySummary.Describe(live.Definition.Trigger)}).");
        }

        RequestBody.RequireJson(context.Request);
        var body = await RequestBody.ReadAsync(context.Request, Core.Messages.MessageLimits.MaxMessageBytes, "32 KB", context.RequestAborted).ConfigureAwait(false);
        using var document = RequestBody.Parse(body, Core.Messages.MessageLimits.MaxDepth + 1);
        var root = document.RootElement;
        string? Text(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        Core.ContactId? contactId;
        switch (Text("contactId"), Text("userId"), Text("email"))
        {
            case ({ } text, null, null):
                if (!Core.ContactId.TryParse(text, out var parsed))
                {
                    return Problems.BadRequest("contactId is not a contact id.");
                }

                contactId = parsed;
                break;
            case (null, { } user, null):
                contactId = contactCommands.FindContact(Core.Contacts.IdentityKey.User(user));
                break;
            case (null, null, { } email):
                contactId = (await contactStore.FindContactsByEmailAsync(email.Trim(), context.RequestAborted).ConfigureAwait(false)) is [var first, ..] ? first : null;
                break;
            default:
                return Problems.BadRequest("Give exactly one of contactId, userId or email.");
        }

        var payload = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("payload", out var given) ? given.Clone() : (JsonElement?)null;
        var before = contactId is { } known ? await contactCommands.GetContactAsync(known, context.RequestAborted).ConfigureAwait(false) : null;
        var after = before is null ? null : await contactCommands.EnrollAsync(before.Id, id, payload, context.RequestAborted).ConfigureAwait(false);
        if (before is null || after is null)
        {
            return Problems.NotFound("No contact has that identifier.");
        }

        // Entry rules may refuse the enrollment (already in the journey, re-entry, audience): say so.
        var entries = (Core.Contacts.ContactState state) => state.Journeys.History.GetValueOrDefault(id)?.Entries ?? 0;
        var enrollment = after.Journeys.Active.GetValueOrDefault(id);
        return TypedResults.Ok(new EnrolledView(after.Id.ToString(), entries(after) > entries(before), enrollment?.Id, enrollment?.StepId));
    }

    private static async Task<Results<Ok<JourneyStatsView>, ProblemHttpResult>> StatsAsync(string id, IDocumentStore documentStore, IJourneyIndex journeyIndex, IOutbox outboxStore, CancellationToken cancellationToken)
    {
        if (await documentStore.GetDocumentAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return NotFound(id);
        }

        var (moves, conversions) = await journeyIndex.GetJourneyStatsAsync(id, cancellationToken).ConfigureAwait(false);
        var messages = await outboxStore.CountMessagesAsync(id, cancellationToken).ConfigureAwait(false);
        var versions = moves.Select(m => m.Version).Concat(conversions.Select(c => c.Version)).Distinct().Order();

        // Nested per version and step, as the console reads it.
        return TypedResults.Ok(new JourneyStatsView(
            id,
            [.. versions.Select(version =>
            {
                var mine = moves.Where(m => m.Version == version).ToList();
                var steps = mine.Select(m => m.ToStep).Concat(mine.Select(m => m.FromStep)).Where(step => step is not "$entry" and not JourneyStep.End and not JourneyStep.Migrated).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                return new JourneyVersionStatsView(
                    version,
                    mine.Where(m => m.FromStep == "$entry").Sum(m => m.Count),
                    mine.Where(m => m.ToStep == JourneyStep.End).Sum(m => m.Count),
                    mine.Where(m => m.FromStep == JourneyStep.Migrated).Sum(m => m.Count),
                    mine.Where(m => m.ToStep == JourneyStep.Migrated).Sum(m => m.Count),
                    [.. steps.Select(step =>
                    {
                        var entered = mine.Where(m => m.ToStep == step).Sum(m => m.Count);
                        var left = mine.Where(m => m.FromStep == step).Sum(m => m.Count);
                        return new JourneyStepStatsView(
                            step,
                            entered,
                            left,
                            entered - left,
                            mine.Where(m => m.FromStep == step && m.Exit == JourneyStep.ErrorExit).Sum(m => m.Count),
                            mine.Where(m => m.FromStep == step).GroupBy(m => m.Exit).ToDictionary(g => g.Key, g => g.Sum(m => m.Count)),
                            messages.Where(m => m.Version == version && m.StepId == step).ToDictionary(m => m.Status, m => m.Count));
                    })],
                    [.. conversions.Where(c => c.Version == version).Select(c => new JourneyConversionView(c.Arm.Length == 0 ? null : c.Arm, c.Control, c.Count))]);
            })]));
    }

    private static async Task<Results<Ok<JourneySummary>, ProblemHttpResult>> SetStatusAsync(string id, DocumentStatus status, JourneyRegistry journeyRegistry, IDocumentStore documentStore, IJourneyIndex journeyIndex, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await documentStore.GetDocumentAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false) is not { } document)
        {
            return NotFound(id);
        }

        if (status == DocumentStatus.Paused && document.Status != DocumentStatus.Published)
        {
            return Problems.Conflict($"Only a published journey can be paused; '{id}' is {document.Status.ToString().ToLowerInvariant()}.");
        }

        if (status == DocumentStatus.Published && document.Status != DocumentStatus.Paused)
        {
            return Problems.Conflict($"Only a paused journey can be resumed; '{id}' is {document.Status.ToString().ToLowerInvariant()}.");
        }

        await documentStore.SetStatusAsync(DocumentParser.JourneyKind, id, status, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await journeyRegistry.ReloadAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(await SummaryAsync((await documentStore.GetDocumentAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false))!, journeyIndex, cancellationToken).ConfigureAwait(false));
    }
}

/// <summary>A publish: the version current afterwards, whether it was created, and the rollout it started.</summary>
internal sealed record PublishedView(string Id, int Version, bool Created, RolloutView? Rollout);

/// <summary>An API enrollment: whether the entry rules let the contact in, and where its enrollment is.</summary>
internal sealed record EnrolledView(string ContactId, bool Enrolled, string? EnrollmentId, string? Step);

/// <summary>A journey in the inventory.</summary>
internal sealed record JourneySummary(
    string Id,
    string? Name,
    string Status,
    string? Category,
    int? Priority,
    string? Trigger,
    bool HasAudience,
    string? Owner,
    int? PublishedVersion,
    bool HasUnpublishedChanges,
    long Active,
    DateTimeOffset UpdatedAt,
    string Document)
{
    /// <summary>A trigger in words: <c>event cart_abandoned</c>, <c>date contract_end (14d before)</c>, <c>api</c>.</summary>
    public static string Describe(Trigger trigger) => trigger switch
    {
        EventTrigger e => $"event {e.Event}",
        DateTrigger d => $"date {d.Trait} ({string.Join(", ", d.OffsetDays.Select(days => days < 0 ? $"{-days}d before" : days > 0 ? $"{days}d after" : "on the day"))})",
        _ => "api",
    };

    /// <summary>The summary of a stored journey (its draft, as applied) with its count of active enrollments.</summary>
    public static JourneySummary From(StoredDocument document, long active)
    {
        ArgumentNullException.ThrowIfNull(document);
        var journey = (DocumentParser.Parse(document.Draft, document.Id) as ParsedJourney)?.Journey;
        var trigger = journey is null ? null : Describe(journey.Trigger);
        return new JourneySummary(
            document.Id,
            journey?.Name,
            document.Status.ToString().ToLowerInvariant(),
            journey?.Category.ToString().ToLowerInvariant(),
            journey?.Priority,
            trigger,
            journey?.Entry.Audience is not null,
            journey?.Owner,
            document.PublishedVersion,
            document.DraftDiffersFromPublished,
            active,
            document.UpdatedAt,
            document.Draft);
    }
}

/// <summary>A publish's rollout to existing contacts, as the API shows it.</summary>
internal sealed record RolloutView(int Version, string Scope, IReadOnlyDictionary<string, string> StepMap, string Status, long Processed, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>The view of a stored rollout.</summary>
    public static RolloutView From(Rollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        return new RolloutView(
            rollout.Version,
            rollout.Plan.Scope == RolloutScope.AllContacts ? "all_contacts" : "enrolled",
            new SortedDictionary<string, string>(rollout.Plan.StepMap, StringComparer.Ordinal),
            rollout.Done ? "done" : "running",
            rollout.Processed,
            rollout.CreatedAt,
            rollout.UpdatedAt);
    }
}

/// <summary>A journey's statistics, per published version and step, as the console's canvas reads them.</summary>
internal sealed record JourneyStatsView(string Id, IReadOnlyList<JourneyVersionStatsView> Versions);

/// <summary>
/// One version's statistics: contacts who entered and ended, moved in from or out to another version by a
/// rollout, per step, and the conversions per experiment arm.
/// </summary>
internal sealed record JourneyVersionStatsView(
    int Version,
    long Entered,
    long Ended,
    long MigratedIn,
    long MigratedOut,
    IReadOnlyList<JourneyStepStatsView> Steps,
    IReadOnlyList<JourneyConversionView> Conversions);

/// <summary>
/// One step: contacts who entered and left it, those at it now, its errors, how many left by each exit, and its
/// messages by delivery status.
/// </summary>
internal sealed record JourneyStepStatsView(
    string Step,
    long Entered,
    long Left,
    long Current,
    long Errors,
    IReadOnlyDictionary<string, long> Exits,
    IReadOnlyDictionary<string, long> Messages);

/// <summary>Conversions of an experiment arm (null: no experiment), in or out of the holdout.</summary>
internal sealed record JourneyConversionView(string? Arm, bool Holdout, long Count);
