using System.Collections.Immutable;
using System.Text;
using Cairn.Core.Journeys;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Http;

/// <summary>
/// Journeys and templates as documents: <c>PUT</c> stores the draft (validated, idempotent), <c>publish</c> makes
/// an immutable version, <c>pause</c> / <c>archive</c> change the status; <c>GET /api/journeys</c> is the inventory.
/// </summary>
public static class DocumentEndpoints
{
    private const int MaxDocumentBytes = 1024 * 1024;

    private static readonly string[] DocumentMediaTypes = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "application/json", "text/plain"];

    /// <summary>Maps <c>/journeys</c> and <c>/templates</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapDocuments(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var journeys = api.MapGroup("/journeys").WithTags("Journeys");
        journeys.MapGet("/", ListJourneysAsync).WithSummary("The journey inventory: every journey with its status, trigger, audience, owner and version.");
        journeys.MapGet("/{id}", (string id, CairnEngine engine, CancellationToken cancellationToken) => GetAsync("journey", id, engine, cancellationToken))
            .WithSummary("One journey: its status, versions and the applied document.");
        journeys.MapPut("/{id}", (string id, HttpContext context, CairnEngine engine, TimeProvider time) => PutAsync("journey", id, context, engine, time))
            .WithSummary("Stores the journey document (YAML or JSON) as the draft; applying the same text again changes nothing.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        journeys.MapPost("/{id}/publish", PublishAsync)
            .WithSummary("Publishes the draft as a new immutable version (none when it is unchanged). An optional body {\"stepMap\": {\"old step\": \"new step\"}} moves enrollments on earlier versions at those steps to the new version; the others finish on their version.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        journeys.MapGet("/{id}/rollouts", RolloutsAsync)
            .WithSummary("How far each publish got in reaching existing contacts (moving enrollments by a step map, scheduling a date trigger).");
        journeys.MapPost("/{id}/enroll", EnrollAsync)
            .WithSummary("Enrolls a contact (by contactId, userId or email) in a published journey with an API trigger; the payload is available to templates and conditions.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        journeys.MapGet("/{id}/stats", StatsAsync)
            .WithSummary("Per version and step: entered, left, currently there, errors, taken per exit, and a send step's messages by status (sent, delivered, failed with render errors, suppressed …); enrollments moved in and out by publishes; conversions per experiment arm and for the holdout.");
        journeys.MapGet("/{id}/review", async (string id, int? limit, CairnEngine engine, CancellationToken cancellationToken) =>
                Results.Ok(await engine.Store.GetJourneyReviewsAsync(id, limit is >= 1 and <= 1000 ? limit.Value : 100, cancellationToken).ConfigureAwait(false)))
            .WithSummary("Enrollments that ended for review (maximum run time reached, or an error), newest first.");
        journeys.MapPost("/{id}/pause", (string id, CairnEngine engine, TimeProvider time, CancellationToken cancellationToken) => SetStatusAsync(id, DocumentStatus.Paused, engine, time, cancellationToken))
            .WithSummary("Stops new entries; enrollments already in the journey continue.");
        journeys.MapPost("/{id}/archive", (string id, CairnEngine engine, TimeProvider time, CancellationToken cancellationToken) => SetStatusAsync(id, DocumentStatus.Archived, engine, time, cancellationToken))
            .WithSummary("Retires the journey: no new entries.");

        var segments = api.MapGroup("/segments").WithTags("Segments");
        segments.MapGet("/", ListSegmentsAsync).WithSummary("Every segment with its member count and backfill status.");
        segments.MapGet("/{id}", SegmentAsync).WithSummary("One segment: its document, member count and backfill status.").ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapPut("/{id}", (string id, HttpContext context, CairnEngine engine, TimeProvider time) => PutAsync("segment", id, context, engine, time))
            .WithSummary("Stores the segment document (YAML or JSON) and makes it live: a changed segment is backfilled over every contact, then kept up to date with each input.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        segments.MapGet("/{id}/status", SegmentStatusAsync).WithSummary("The backfill of the segment's current version: status, contacts processed, members so far.").ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapGet("/{id}/members", MembersAsync).WithSummary("The segment's members, cursor-paged, with when and why each entered.").ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapArchive("segment", "Retires the segment: members leave it (with segment_exited), and it is no longer evaluated. Refused (409) while another segment refers to it.");
        segments.MapPost("/preview", PreviewAsync).WithSummary("Evaluates a draft condition without saving anything: the count and a sample of members. Above 25,000 contacts the count is estimated from a uniform random sample of about 10,000 (exact: false, margin: the 95 % margin of error in contacts); ?exact=true evaluates every contact.").ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        var policy = api.MapGroup("/policy").WithTags("Orchestrator");
        policy.MapGet("/", async (CairnEngine engine, CancellationToken cancellationToken) =>
            {
                var document = await engine.Store.GetDocumentAsync(DocumentParser.PolicyKind, Core.Orchestration.Policy.DefaultId, cancellationToken).ConfigureAwait(false);
                var rules = engine.Journeys.Policy;
                return Results.Ok(new
                {
                    document = document is null ? null : DocumentView.From(document),
                    timeZone = rules.TimeZone,
                    validFor = rules.ValidFor,
                    requireOptIn = rules.RequireOptIn,
                    quietHours = rules.QuietHours.Select(quiet => new { quiet.Channel, from = quiet.From.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), to = quiet.To.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture) }),
                    caps = rules.Caps.Select(cap => new { cap.Id, cap.Channel, cap.Max, per = cap.Per.ToString().ToLowerInvariant(), cap.Rolling, categories = cap.Categories.Select(category => category.ToString().ToLowerInvariant()) }),
                    suppressionRules = rules.Rules.Select(rule => new { rule.Id, action = rule.Hold ? "hold" : "drop", categories = rule.Categories.Select(category => category.ToString().ToLowerInvariant()) }),
                });
            })
            .WithSummary("The orchestrator's rules in force (the stored policy document, or the defaults: SMS only 08:00-21:00 local, no caps).");
        policy.MapPut("/", (HttpContext context, CairnEngine engine, TimeProvider time) => PutAsync(DocumentParser.PolicyKind, Core.Orchestration.Policy.DefaultId, context, engine, time))
            .WithSummary("Stores the orchestrator policy (kind: policy, id: default): time zone, quiet hours, frequency caps, suppression rules, opt-in requirements, validity of deferred messages. Live at once.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        var templates = api.MapGroup("/templates").WithTags("Templates");
        templates.MapGet("/", async (CairnEngine engine, CancellationToken cancellationToken) =>
            Results.Ok((await engine.Store.ListDocumentsAsync("template", cancellationToken).ConfigureAwait(false)).Select(DocumentView.From)));
        templates.MapGet("/{id}", (string id, CairnEngine engine, CancellationToken cancellationToken) => GetAsync("template", id, engine, cancellationToken));
        templates.MapPut("/{id}", (string id, HttpContext context, CairnEngine engine, TimeProvider time) => PutAsync("template", id, context, engine, time))
            .WithSummary("Stores a template document (kind: template, id, channel, content).")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static async Task<IResult> ListJourneysAsync(bool? archived, CairnEngine engine, CancellationToken cancellationToken)
    {
        var documents = await engine.Store.ListDocumentsAsync("journey", cancellationToken).ConfigureAwait(false);
        var active = await engine.Store.CountActiveEnrollmentsAsync(cancellationToken).ConfigureAwait(false);
        return Results.Ok(documents
            .Where(document => archived == true || document.Status != DocumentStatus.Archived)
            .Select(document => JourneySummary.From(document, active.GetValueOrDefault(document.Id))));
    }

    private static async Task<IResult> GetAsync(string kind, string id, CairnEngine engine, CancellationToken cancellationToken)
    {
        var document = await engine.Store.GetDocumentAsync(kind, id, cancellationToken).ConfigureAwait(false)
            ?? throw ProblemException.NotFound($"There is no {kind} '{id}'.");
        return Results.Ok(kind == "journey" ? await SummaryAsync(document, engine, cancellationToken).ConfigureAwait(false) : DocumentView.From(document));
    }

    /// <summary>Validates and stores a document sent as YAML or JSON; segments and scoring models go live at once.</summary>
    internal static async Task<IResult> PutAsync(string kind, string id, HttpContext context, CairnEngine engine, TimeProvider time)
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is null || !DocumentMediaTypes.Contains(mediaType))
        {
            throw new ProblemException(
                StatusCodes.Status415UnsupportedMediaType,
                "Unsupported media type",
                "Send the document as application/yaml or application/json.");
        }

        var body = await RequestBody.ReadAsync(context.Request, MaxDocumentBytes, "1 MB per document", context.RequestAborted).ConfigureAwait(false);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            throw ProblemException.BadRequest("The document is not valid UTF-8.");
        }

        var warnings = await ValidateAsync(kind, id, text, engine, context.RequestAborted).ConfigureAwait(false);
        var changed = await engine.Store.SaveDraftAsync(kind, id, text, time.GetUtcNow(), context.RequestAborted).ConfigureAwait(false);
        if (kind is "segment" or DocumentParser.ScoringKind or DocumentParser.SalesTeamKind)
        {
            // A static list and a sales team have nothing to evaluate over existing contacts.
            var evaluated = kind != DocumentParser.SalesTeamKind && DocumentParser.Parse(text, id) is not ParsedSegment { Segment.Static: true };
            await engine.SaveLiveDocumentAsync(kind, id, context.RequestAborted, backfill: evaluated).ConfigureAwait(false);
            context.Response.Headers["Cairn-Changed"] = changed ? "true" : "false";
            return kind switch
            {
                "segment" => await SegmentAsync(id, engine, context.RequestAborted).ConfigureAwait(false),
                DocumentParser.ScoringKind => await ScoringEndpoints.ModelAsync(id, engine, context.RequestAborted).ConfigureAwait(false),
                _ => await HandOffEndpoints.TeamAsync(id, engine, context.RequestAborted).ConfigureAwait(false),
            };
        }

        if (kind is "template" or DocumentParser.PolicyKind)
        {
            // Live from the moment it is saved: messages not yet sent render from the new template and pass the new rules.
            await engine.SaveLiveDocumentAsync(kind, id, context.RequestAborted, backfill: false).ConfigureAwait(false);
        }

        var document = await engine.Store.GetDocumentAsync(kind, id, context.RequestAborted).ConfigureAwait(false);
        context.Response.Headers["Cairn-Changed"] = changed ? "true" : "false";
        return Results.Ok(kind == "journey" ? await SummaryAsync(document!, engine, context.RequestAborted).ConfigureAwait(false) : DocumentView.From(document!) with { Warnings = warnings });
    }

    /// <summary>Maps <c>POST {id}/archive</c> for documents of <paramref name="kind"/> (segments, scoring models, sales teams).</summary>
    internal static void MapArchive(this RouteGroupBuilder group, string kind, string summary) =>
        group.MapPost("/{id}/archive", (string id, CairnEngine engine, TimeProvider time, CancellationToken cancellationToken) => ArchiveAsync(kind, id, engine, time, cancellationToken))
            .WithSummary(summary)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

    /// <summary>
    /// Archives a segment, scoring model or sales team: it stops being evaluated (a segment's members leave it at
    /// once; a model's scores are dropped at each contact's next input). Refused while a live document refers to it.
    /// </summary>
    private static async Task<IResult> ArchiveAsync(string kind, string id, CairnEngine engine, TimeProvider time, CancellationToken cancellationToken)
    {
        var what = kind switch { "segment" => "segment", DocumentParser.ScoringKind => "scoring model", _ => "sales team" };
        if (await engine.Store.GetDocumentAsync(kind, id, cancellationToken).ConfigureAwait(false) is null)
        {
            throw ProblemException.NotFound($"There is no {what} '{id}'.");
        }

        var referrers = new List<string>();
        foreach (var other in (await engine.Store.ListDocumentsAsync("segment", cancellationToken).ConfigureAwait(false)).Where(d => d.Status != DocumentStatus.Archived && !(kind == "segment" && d.Id == id)))
        {
            var condition = (DocumentParser.Parse(other.Draft, other.Id) as ParsedSegment)?.Segment.Condition;
            if ((kind == "segment" && Core.Segments.SegmentConditions.References(condition).Contains(id))
                || (kind == DocumentParser.ScoringKind && Core.Segments.SegmentConditions.Leaves(condition).OfType<ScoreCondition>().Any(score => score.Model == id)))
            {
                referrers.Add($"segment '{other.Id}'");
            }
        }

        foreach (var journey in engine.Journeys.Library.Live.Select(live => live.Definition))
        {
            var leaves = journey.Conditions().SelectMany(Core.Segments.SegmentConditions.Leaves).ToList();
            if ((kind == "segment" && leaves.OfType<SegmentCondition>().Any(member => member.Segment == id))
                || (kind == DocumentParser.ScoringKind && leaves.OfType<ScoreCondition>().Any(score => score.Model == id))
                || (kind == DocumentParser.SalesTeamKind && journey.Owner == id))
            {
                referrers.Add($"journey '{journey.Id}'");
            }
        }

        if (referrers.Count > 0)
        {
            throw new ProblemException(StatusCodes.Status409Conflict, "In use", $"The {what} '{id}' is used by {string.Join(", ", referrers)}; change or archive those first.");
        }

        await engine.Store.SetStatusAsync(kind, id, DocumentStatus.Archived, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await engine.Journeys.ReloadAsync(cancellationToken).ConfigureAwait(false);
        var left = kind == "segment" ? await engine.EvictSegmentAsync(id, cancellationToken).ConfigureAwait(false) : 0;
        return Results.Ok(new { id, kind, status = "archived", membersRemoved = left });
    }

    private static async Task<JourneySummary> SummaryAsync(StoredDocument document, CairnEngine engine, CancellationToken cancellationToken) =>
        JourneySummary.From(document, (await engine.Store.CountActiveEnrollmentsAsync(cancellationToken).ConfigureAwait(false)).GetValueOrDefault(document.Id));

    private static async Task<IResult> PublishAsync(string id, HttpContext context, CairnEngine engine)
    {
        var cancellationToken = context.RequestAborted;
        var document = await engine.Store.GetDocumentAsync("journey", id, cancellationToken).ConfigureAwait(false)
            ?? throw ProblemException.NotFound($"There is no journey '{id}'.");

        // The templates it uses may have changed since the draft was stored.
        await ValidateAsync("journey", id, document.Draft, engine, cancellationToken).ConfigureAwait(false);
        var journey = DocumentParser.Parse<ParsedJourney>(document.Draft, id).Journey;
        var stepMap = await ReadStepMapAsync(context).ConfigureAwait(false);
        var earlier = engine.Journeys.Library.Versions.Where(version => version.Key.Journey == id).ToList();
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
            throw new ProblemException(
                StatusCodes.Status422UnprocessableEntity,
                "Invalid step map",
                string.Join("; ", problems) + ".",
                new Dictionary<string, object?> { ["errors"] = problems });
        }

        var (version, created, rollout) = (await engine.PublishJourneyAsync(id, stepMap, cancellationToken).ConfigureAwait(false))!.Value;
        return Results.Ok(new { id, version, created, rollout = rollout is null ? null : RolloutView.From(rollout) });
    }

    /// <summary>The optional publish body: <c>{"stepMap": {"old": "new"}}</c>.</summary>
    private static async Task<ImmutableDictionary<string, string>> ReadStepMapAsync(HttpContext context)
    {
        var empty = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && context.Request.ContentType is null))
        {
            return empty;
        }

        RequestBody.RequireJson(context.Request);
        var body = await RequestBody.ReadAsync(context.Request, Core.Messages.MessageLimits.MaxMessageBytes, "32 KB", context.RequestAborted).ConfigureAwait(false);
        if (body.Length == 0)
        {
            return empty;
        }

        using var document = RequestBody.Parse(body, Core.Messages.MessageLimits.MaxDepth + 1);
        var root = document.RootElement;
        if (root.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            throw ProblemException.BadRequest("The publish body must be a JSON object.");
        }

        if (!root.TryGetProperty("stepMap", out var map) || map.ValueKind == System.Text.Json.JsonValueKind.Null)
        {
            return empty;
        }

        if (map.ValueKind != System.Text.Json.JsonValueKind.Object
            || map.EnumerateObject().Any(pair => pair.Value.ValueKind != System.Text.Json.JsonValueKind.String || string.IsNullOrEmpty(pair.Value.GetString())))
        {
            throw ProblemException.BadRequest("stepMap must map old step ids to new step ids, as strings.");
        }

        return map.EnumerateObject().ToImmutableDictionary(pair => pair.Name, pair => pair.Value.GetString()!, StringComparer.Ordinal);
    }

    private static async Task<IResult> RolloutsAsync(string id, CairnEngine engine, CancellationToken cancellationToken)
    {
        _ = await engine.Store.GetDocumentAsync("journey", id, cancellationToken).ConfigureAwait(false)
            ?? throw ProblemException.NotFound($"There is no journey '{id}'.");
        var rollouts = await engine.Store.GetRolloutsAsync("journey", id, cancellationToken).ConfigureAwait(false);
        return Results.Ok(rollouts.OrderByDescending(r => r.Version).Select(RolloutView.From));
    }

    private static async Task<IResult> EnrollAsync(string id, HttpContext context, CairnEngine engine)
    {
        var live = engine.Journeys.Library.Live.FirstOrDefault(journey => journey.Definition.Id == id)
            ?? throw new ProblemException(StatusCodes.Status409Conflict, "Conflict", $"The journey '{id}' is not published (or is paused or archived).");
        if (live.Definition.Trigger is not ApiTrigger)
        {
            throw new ProblemException(StatusCodes.Status409Conflict, "Conflict", $"The journey '{id}' is not triggered through the API (its trigger is {JourneySummary.Describe(live.Definition.Trigger)}).");
        }

        RequestBody.RequireJson(context.Request);
        var body = await RequestBody.ReadAsync(context.Request, Core.Messages.MessageLimits.MaxMessageBytes, "32 KB", context.RequestAborted).ConfigureAwait(false);
        using var document = RequestBody.Parse(body, Core.Messages.MessageLimits.MaxDepth + 1);
        var root = document.RootElement;
        string? Text(string name) => root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString() : null;
        Core.ContactId? contactId = (Text("contactId"), Text("userId"), Text("email")) switch
        {
            ({ } text, null, null) => Core.ContactId.TryParse(text, out var parsed) ? parsed : throw ProblemException.BadRequest("contactId is not a contact id."),
            (null, { } user, null) => engine.FindContact(Core.Contacts.IdentityKey.User(user)),
            (null, null, { } email) => (await engine.Store.FindContactsByEmailAsync(email.Trim(), context.RequestAborted).ConfigureAwait(false)) is [var first, ..] ? first : null,
            _ => throw ProblemException.BadRequest("Give exactly one of contactId, userId or email."),
        };
        var payload = root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty("payload", out var given) ? given.Clone() : (System.Text.Json.JsonElement?)null;
        var before = contactId is { } known ? await engine.GetContactAsync(known, context.RequestAborted).ConfigureAwait(false) : null;
        var after = before is null ? null : await engine.EnrollAsync(before.Id, id, payload, context.RequestAborted).ConfigureAwait(false);
        if (before is null || after is null)
        {
            throw ProblemException.NotFound("No contact has that identifier.");
        }

        // Entry rules may refuse the enrollment (already in the journey, re-entry, audience): say so.
        var entries = (Core.Contacts.ContactState state) => state.Journeys.History.GetValueOrDefault(id)?.Entries ?? 0;
        var enrollment = after.Journeys.Active.GetValueOrDefault(id);
        return Results.Ok(new
        {
            contactId = after.Id.ToString(),
            enrolled = entries(after) > entries(before),
            enrollmentId = enrollment?.Id,
            step = enrollment?.StepId,
        });
    }

    private static async Task<IResult> StatsAsync(string id, CairnEngine engine, CancellationToken cancellationToken)
    {
        _ = await engine.Store.GetDocumentAsync("journey", id, cancellationToken).ConfigureAwait(false)
            ?? throw ProblemException.NotFound($"There is no journey '{id}'.");
        var (moves, conversions) = await engine.Store.GetJourneyStatsAsync(id, cancellationToken).ConfigureAwait(false);
        var messages = await engine.Store.CountMessagesAsync(id, cancellationToken).ConfigureAwait(false);
        var versions = moves.Select(m => m.Version).Concat(conversions.Select(c => c.Version)).Distinct().Order();
        return Results.Ok(new
        {
            id,
            versions = versions.Select(version =>
            {
                var mine = moves.Where(m => m.Version == version).ToList();
                var steps = mine.Select(m => m.ToStep).Concat(mine.Select(m => m.FromStep)).Where(step => step is not "$entry" and not JourneyStep.End and not JourneyStep.Migrated).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                return new
                {
                    version,
                    entered = mine.Where(m => m.FromStep == "$entry").Sum(m => m.Count),
                    ended = mine.Where(m => m.ToStep == JourneyStep.End).Sum(m => m.Count),
                    migratedIn = mine.Where(m => m.FromStep == JourneyStep.Migrated).Sum(m => m.Count),
                    migratedOut = mine.Where(m => m.ToStep == JourneyStep.Migrated).Sum(m => m.Count),
                    steps = steps.Select(step =>
                    {
                        var entered = mine.Where(m => m.ToStep == step).Sum(m => m.Count);
                        var left = mine.Where(m => m.FromStep == step).Sum(m => m.Count);
                        return new
                        {
                            step,
                            entered,
                            left,
                            current = entered - left,
                            errors = mine.Where(m => m.FromStep == step && m.Exit == JourneyStep.ErrorExit).Sum(m => m.Count),
                            exits = mine.Where(m => m.FromStep == step).GroupBy(m => m.Exit).ToDictionary(g => g.Key, g => g.Sum(m => m.Count)),
                            messages = messages.Where(m => m.Version == version && m.StepId == step).ToDictionary(m => m.Status, m => m.Count),
                        };
                    }),
                    conversions = conversions.Where(c => c.Version == version).Select(c => new { arm = c.Arm.Length == 0 ? null : c.Arm, holdout = c.Control, c.Count }),
                };
            }),
        });
    }

    private static async Task<IResult> SetStatusAsync(string id, DocumentStatus status, CairnEngine engine, TimeProvider time, CancellationToken cancellationToken)
    {
        var document = await engine.Store.GetDocumentAsync("journey", id, cancellationToken).ConfigureAwait(false)
            ?? throw ProblemException.NotFound($"There is no journey '{id}'.");
        if (status == DocumentStatus.Paused && document.Status != DocumentStatus.Published)
        {
            throw new ProblemException(StatusCodes.Status409Conflict, "Conflict", $"Only a published journey can be paused; '{id}' is {document.Status.ToString().ToLowerInvariant()}.");
        }

        await engine.Store.SetStatusAsync("journey", id, status, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await engine.Journeys.ReloadAsync(cancellationToken).ConfigureAwait(false);
        return Results.Ok(await SummaryAsync((await engine.Store.GetDocumentAsync("journey", id, cancellationToken).ConfigureAwait(false))!, engine, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> ListSegmentsAsync(CairnEngine engine, CancellationToken cancellationToken)
    {
        var documents = await engine.Store.ListDocumentsAsync("segment", cancellationToken).ConfigureAwait(false);
        var counts = await engine.Store.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false);
        var views = new List<SegmentView>();
        foreach (var document in documents.Where(document => document.Status != DocumentStatus.Archived))
        {
            var rollout = (await engine.Store.GetRolloutsAsync("segment", document.Id, cancellationToken).ConfigureAwait(false)).MaxBy(r => r.Version);
            views.Add(SegmentView.From(document, counts.GetValueOrDefault(document.Id), rollout));
        }

        return Results.Ok(views);
    }

    private static async Task<IResult> SegmentAsync(string id, CairnEngine engine, CancellationToken cancellationToken)
    {
        var document = await engine.Store.GetDocumentAsync("segment", id, cancellationToken).ConfigureAwait(false)
            ?? throw ProblemException.NotFound($"There is no segment '{id}'.");
        var counts = await engine.Store.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false);
        var rollout = (await engine.Store.GetRolloutsAsync("segment", id, cancellationToken).ConfigureAwait(false)).MaxBy(r => r.Version);
        return Results.Ok(SegmentView.From(document, counts.GetValueOrDefault(id), rollout));
    }

    private static async Task<IResult> SegmentStatusAsync(string id, CairnEngine engine, CancellationToken cancellationToken)
    {
        var document = await engine.Store.GetDocumentAsync("segment", id, cancellationToken).ConfigureAwait(false)
            ?? throw ProblemException.NotFound($"There is no segment '{id}'.");
        var rollout = (await engine.Store.GetRolloutsAsync("segment", id, cancellationToken).ConfigureAwait(false)).MaxBy(r => r.Version);
        var members = (await engine.Store.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false)).GetValueOrDefault(id);
        return Results.Ok(new
        {
            id,
            version = document.PublishedVersion,
            backfill = rollout is null ? "done" : rollout.Done ? "done" : "running",
            processed = rollout?.Processed ?? 0,
            members,
            startedAt = rollout?.CreatedAt,
            updatedAt = rollout?.UpdatedAt,
        });
    }

    private static async Task<IResult> MembersAsync(string id, string? cursor, int? limit, CairnEngine engine, CancellationToken cancellationToken)
    {
        _ = await engine.Store.GetDocumentAsync("segment", id, cancellationToken).ConfigureAwait(false)
            ?? throw ProblemException.NotFound($"There is no segment '{id}'.");
        var size = limit switch
        {
            null => 100,
            >= 1 and <= 1000 => limit.Value,
            _ => throw ProblemException.BadRequest("limit must be between 1 and 1000."),
        };
        if (cursor is not null && !Core.ContactId.TryParse(cursor, out _))
        {
            throw ProblemException.BadRequest("The cursor is not valid.");
        }

        var members = await engine.Store.GetSegmentMembersAsync(id, cursor, size + 1, cancellationToken).ConfigureAwait(false);
        var page = members.Take(size).Select(member => new { contactId = member.ContactId.ToString(), member.EnteredAt, member.Reason }).ToList();
        return Results.Ok(new { items = page, nextCursor = members.Count > size ? page[^1].contactId : null });
    }

    private static async Task<IResult> PreviewAsync(HttpContext context, CairnEngine engine, TimeProvider time)
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is null || !DocumentMediaTypes.Contains(mediaType))
        {
            throw new ProblemException(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the draft segment as application/yaml or application/json.");
        }

        var body = await RequestBody.ReadAsync(context.Request, MaxDocumentBytes, "1 MB per document", context.RequestAborted).ConfigureAwait(false);
        var text = Encoding.UTF8.GetString(body);
        var parsed = DocumentParser.Parse(AsDraftSegment(text), "preview");
        if (parsed is not ParsedSegment { Segment: var draft })
        {
            throw new ProblemException(
                StatusCodes.Status422UnprocessableEntity,
                "Invalid segment",
                $"The draft has {parsed.Errors.Length} error(s); see 'errors'.",
                new Dictionary<string, object?> { ["errors"] = parsed.Errors.Select(error => new { line = error.Line, message = error.Message }).ToList() });
        }

        if (draft.Condition is not { } condition)
        {
            throw new ProblemException(StatusCodes.Status422UnprocessableEntity, "Invalid segment", "A static list has no condition to preview; its members are the ones added to it.");
        }

        var exact = context.Request.Query["exact"] is [var flag] && (flag == "true" || flag == "1");
        var preview = await engine.PreviewSegmentAsync(condition, 20, context.RequestAborted, exact).ConfigureAwait(false);
        return Results.Ok(new
        {
            count = preview.Count,
            exact = preview.Exact,
            margin = preview.Margin,
            evaluated = preview.Evaluated,
            population = preview.Population,
            sample = preview.Sample.Select(contact => new { id = contact.Id.ToString(), userId = contact.UserId, email = contact.Email }),
            evaluatedAt = time.GetUtcNow(),
        });
    }

    /// <summary>A preview body (a segment document, or just <c>condition:</c>) as a complete segment document.</summary>
    private static string AsDraftSegment(string text)
    {
        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                if (System.Text.Json.Nodes.JsonNode.Parse(text) is System.Text.Json.Nodes.JsonObject json)
                {
                    json["kind"] ??= "segment";
                    json["id"] ??= "preview";
                    json["name"] ??= "Preview";
                    return json.ToJsonString();
                }
            }
            catch (System.Text.Json.JsonException)
            {
                return text;
            }

            return text;
        }

        var lines = text.Split('\n');
        bool Has(string key) => lines.Any(line => line.StartsWith(key + ":", StringComparison.Ordinal));
        return (Has("kind") ? string.Empty : "kind: segment\n") + (Has("id") ? string.Empty : "id: preview\n") + (Has("name") ? string.Empty : "name: Preview\n") + text;
    }

    /// <summary>
    /// Parses and validates a document against the stored templates and journeys; 422 with every error (and the
    /// warnings) otherwise. Returns the warnings: what is allowed but probably not meant, which never fails a document.
    /// </summary>
    private static async Task<IReadOnlyList<DocumentWarning>> ValidateAsync(string kind, string id, string text, CairnEngine engine, CancellationToken cancellationToken)
    {
        var source = $"{kind} '{id}'";
        var parsed = DocumentParser.Parse(text, source);
        var errors = parsed.Errors.ToList();
        var warnings = DocumentSet.WarningsOf(parsed).Select(warning => new DocumentWarning(warning.Line, warning.Message)).ToList();
        if (errors.Count == 0 && parsed.Kind != kind)
        {
            errors.Add(new DocumentError(source, 1, null, kind switch
            {
                "journey" => "this is not a journey document",
                "segment" => "a segment document needs kind: segment",
                DocumentParser.ScoringKind => $"a scoring model document needs kind: {DocumentParser.ScoringKind}",
                DocumentParser.SalesTeamKind => $"a sales team document needs kind: {DocumentParser.SalesTeamKind}",
                DocumentParser.PolicyKind => $"the orchestrator policy needs kind: {DocumentParser.PolicyKind}",
                _ => "a template document needs kind: template",
            }));
        }
        else if (errors.Count == 0 && parsed is ParsedSegment { Segment: var segment })
        {
            if (segment.Id != id)
            {
                errors.Add(new DocumentError(source, 1, null, $"the document's id is '{segment.Id}', but it was sent to '{id}'"));
            }

            var stored = (await engine.Store.ListDocumentsAsync("segment", cancellationToken).ConfigureAwait(false))
                .Where(document => document.Id != id && document.Status != DocumentStatus.Archived)
                .Select(document => DocumentParser.Parse(document.Draft, document.Id))
                .OfType<ParsedSegment>()
                .Select(stored => stored.Segment)
                .Append(segment)
                .ToList();
            errors.AddRange(Core.Segments.SegmentConditions.References(segment.Condition)
                .Where(reference => !stored.Any(other => other.Id == reference))
                .Select(reference => new DocumentError(source, segment.Location.Line, null, $"segment '{id}' refers to the unknown segment '{reference}'")));

            // A segment that refers to itself, directly or through others, could never be evaluated: the cycle is named.
            if (Core.Segments.SegmentConditions.CycleThrough(id, stored) is { } cycle)
            {
                var first = Core.Segments.SegmentConditions.Leaves(segment.Condition).OfType<SegmentCondition>().First(reference => reference.Segment == cycle[1]);
                errors.Add(new DocumentError(source, first.Location.Line, null, Core.Segments.SegmentConditions.CycleMessage(cycle)));
            }
        }
        else if (errors.Count == 0 && parsed.Id != id)
        {
            errors.Add(new DocumentError(source, 1, null, $"the document's id is '{parsed.Id}', but it was sent to '{id}'"));
        }

        var conditions = parsed is ParsedSegment { Segment.Condition: { } read } ? [read]
            : parsed is ParsedJourney { Journey: var flow } ? flow.Conditions()
            : parsed is ParsedPolicy { Policy: var policy } ? policy.Rules.Select(rule => rule.When)
            : [];
        if (errors.Count == 0 && conditions.Any())
        {
            var models = (await engine.Store.ListDocumentsAsync(DocumentParser.ScoringKind, cancellationToken).ConfigureAwait(false))
                .Where(document => document.Status != DocumentStatus.Archived)
                .Select(document => document.Id)
                .ToHashSet(StringComparer.Ordinal);
            errors.AddRange(conditions.SelectMany(condition => DocumentSet.UnknownModels(condition, models))
                .Select(unknown => new DocumentError(source, unknown.Location.Line, null, $"there is no scoring model '{unknown.Model}'")));
        }

        if (errors.Count == 0 && parsed is ParsedJourney { Journey: var journey })
        {
            var templates = new Dictionary<string, Channel>(StringComparer.Ordinal);
            foreach (var stored in await engine.Store.ListDocumentsAsync("template", cancellationToken).ConfigureAwait(false))
            {
                if (DocumentParser.Parse(stored.Draft, stored.Id) is ParsedTemplate { Template: var template })
                {
                    templates[template.Id] = template.Channel;
                }
            }

            var journeys = (await engine.Store.ListDocumentsAsync("journey", cancellationToken).ConfigureAwait(false))
                .Where(document => document.Status != DocumentStatus.Archived)
                .Select(document => document.Id)
                .Append(journey.Id)
                .ToHashSet(StringComparer.Ordinal);
            errors.AddRange(JourneyValidator.Validate(journey, source, new JourneyCatalog(templates, journeys)));
        }

        if (errors.Count > 0)
        {
            var extensions = new Dictionary<string, object?> { ["errors"] = errors.Select(error => new { line = error.Line, step = error.StepId, message = error.Message }).ToList() };
            if (warnings.Count > 0)
            {
                extensions["warnings"] = warnings;
            }

            throw new ProblemException(
                StatusCodes.Status422UnprocessableEntity,
                "Invalid document",
                $"The {kind} has {errors.Count} error(s); see 'errors'.",
                extensions);
        }

        return warnings;
    }
}

/// <summary>Something a document allows that is probably not meant (it is stored all the same), with its line.</summary>
public sealed record DocumentWarning(int Line, string Message);

/// <summary>A stored document as the API shows it.</summary>
public sealed record DocumentView(string Id, string Kind, string Status, int? PublishedVersion, bool HasUnpublishedChanges, DateTimeOffset UpdatedAt, string Document)
{
    /// <summary>When the document was just stored: what its validation warned about (never a failure); null otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<DocumentWarning>? Warnings { get; init; }

    /// <summary>The view of a stored document.</summary>
    public static DocumentView From(StoredDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new(document.Id, document.Kind, document.Status.ToString().ToLowerInvariant(), document.PublishedVersion, document.DraftDiffersFromPublished, document.UpdatedAt, document.Draft);
    }
}

/// <summary>A journey in the inventory.</summary>
public sealed record JourneySummary(
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
public sealed record RolloutView(int Version, string Scope, IReadOnlyDictionary<string, string> StepMap, string Status, long Processed, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt)
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

/// <summary>A segment as the API shows it.</summary>
public sealed record SegmentView(string Id, string? Name, string? Description, int? Version, long Members, string Backfill, long BackfillProcessed, DateTimeOffset UpdatedAt, string Document)
{
    /// <summary>The view of a stored segment.</summary>
    public static SegmentView From(StoredDocument document, long members, Rollout? rollout)
    {
        ArgumentNullException.ThrowIfNull(document);
        var segment = (DocumentParser.Parse(document.Draft, document.Id) as ParsedSegment)?.Segment;
        return new SegmentView(
            document.Id,
            segment?.Name,
            segment?.Description,
            document.PublishedVersion,
            members,
            rollout is null || rollout.Done ? "done" : "running",
            rollout?.Processed ?? 0,
            document.UpdatedAt,
            document.Draft);
    }
}
