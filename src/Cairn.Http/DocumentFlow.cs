namespace Cairn.Http;

/// <summary>
/// What every document resource shares: reading a document sent as YAML or JSON, validating it against what is stored,
/// storing the draft (and making it live for the kinds that are live at once), reading one back, and archiving.
/// </summary>
internal static class DocumentFlow
{
    /// <summary>The largest document accepted: 1 MB.</summary>
    internal const int MaxDocumentBytes = 1024 * 1024;

    /// <summary>The media types a document may be sent as (YAML, JSON, or plain text holding either).</summary>
    private static readonly string[] DocumentMediaTypes = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "application/json", "text/plain"];

    /// <summary>True when the request declares one of the document media types.</summary>
    internal static bool SendsDocument(HttpRequest request) =>
        request.ContentType?.Split(';')[0].Trim().ToLowerInvariant() is { } mediaType && DocumentMediaTypes.Contains(mediaType);

    /// <summary>
    /// One stored document of <paramref name="kind"/> as <paramref name="view"/> shows it; 404 naming it as
    /// <paramref name="what"/> when there is none.
    /// </summary>
    internal static async Task<Results<Ok<TView>, ProblemHttpResult>> GetAsync<TView>(
        string kind, string id, string what, Func<StoredDocument, Task<TView>> view, IDocumentStore documentStore, CancellationToken cancellationToken) =>
        await documentStore.GetDocumentAsync(kind, id, cancellationToken).ConfigureAwait(false) is { } document
            ? TypedResults.Ok(await view(document).ConfigureAwait(false))
            : Problems.NotFound($"There is no {what} '{id}'.");

    /// <summary>
    /// Validates and stores a document sent as YAML or JSON: the draft, live at once for every kind but journeys (a
    /// segment is backfilled and a scoring model rescores existing contacts). Sets <c>Cairn-Changed</c> and answers
    /// with the stored document as <paramref name="view"/> shows it (given the warnings), or the problem (415, 400, 422)
    /// that stopped it.
    /// </summary>
    internal static async Task<Results<Ok<TView>, ProblemHttpResult>> PutAsync<TView>(
        string kind, string id, Func<StoredDocument, IReadOnlyList<DocumentWarning>, Task<TView>> view, HttpContext context, DocumentPublisher publisher, IDocumentStore documentStore, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        if (!SendsDocument(context.Request))
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the document as application/yaml or application/json.");
        }

        var body = await RequestBody.ReadAsync(context.Request, MaxDocumentBytes, "1 MB per document", cancellationToken).ConfigureAwait(false);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return Problems.BadRequest("The document is not valid UTF-8.");
        }

        var (parsed, warnings, problem) = await ValidateAsync(kind, id, text, documentStore, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var changed = await documentStore.SaveDraftAsync(kind, id, text, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (kind != DocumentParser.JourneyKind)
        {
            // Templates and the policy are live from the moment they are saved: messages not yet sent render from the new
            // template and pass the new rules. A static list and a sales team have nothing to evaluate over existing contacts.
            var evaluated = kind is DocumentParser.SegmentKind or DocumentParser.ScoringKind && parsed is not ParsedSegment { Segment.Static: true };
            await publisher.SaveLiveDocumentAsync(kind, id, cancellationToken, backfill: evaluated).ConfigureAwait(false);
        }

        context.Response.Headers["Cairn-Changed"] = changed ? "true" : "false";
        var document = await documentStore.GetDocumentAsync(kind, id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(await view(document!, warnings).ConfigureAwait(false));
    }

    /// <summary>
    /// Parses <paramref name="text"/> as the <paramref name="kind"/> document <paramref name="id"/> and validates it with
    /// <see cref="DocumentSet"/> against the stored documents it may refer to, as <c>cairn validate</c> does a directory;
    /// a problem (422) with every error (and the warnings) when it is not valid. The warnings are what is allowed but
    /// probably not meant, which never fails a document.
    /// </summary>
    internal static async Task<(ParsedDocument Parsed, IReadOnlyList<DocumentWarning> Warnings, ProblemHttpResult? Problem)> ValidateAsync(
        string kind, string id, string text, IDocumentStore documentStore, CancellationToken cancellationToken)
    {
        var source = $"{kind} '{id}'";
        var parsed = DocumentParser.Parse(text, source);
        var warnings = DocumentSet.WarningsOf(parsed).Select(warning => new DocumentWarning(warning.Line, warning.Message)).ToList();
        IReadOnlyList<DocumentError> errors = parsed is InvalidDocument ? parsed.Errors
            : parsed.Kind != kind ? [new DocumentError(source, 1, null, WrongKind(kind))]
            : parsed.Id != id ? [new DocumentError(source, 1, null, $"the document's id is '{parsed.Id}', but it was sent to '{id}'")]
            : DocumentSet.Of([parsed], await KnownAsync(parsed, documentStore, cancellationToken).ConfigureAwait(false)).Errors;
        if (errors.Count == 0)
        {
            return (parsed, warnings, null);
        }

        var extensions = new Dictionary<string, object?> { ["errors"] = errors.Select(error => new { line = error.Line, step = error.StepId, message = error.Message }).ToList() };
        if (warnings.Count > 0)
        {
            extensions["warnings"] = warnings;
        }

        return (parsed, warnings, Problems.Of(StatusCodes.Status422UnprocessableEntity, "Invalid document", $"The {kind} has {errors.Count} error(s); see 'errors'.", extensions));
    }

    private static string WrongKind(string kind) => kind switch
    {
        DocumentParser.JourneyKind => "this is not a journey document",
        DocumentParser.SegmentKind => "a segment document needs kind: segment",
        DocumentParser.ScoringKind => $"a scoring model document needs kind: {DocumentParser.ScoringKind}",
        DocumentParser.SalesTeamKind => $"a sales team document needs kind: {DocumentParser.SalesTeamKind}",
        DocumentParser.PolicyKind => $"the orchestrator policy needs kind: {DocumentParser.PolicyKind}",
        _ => "a template document needs kind: template",
    };

    /// <summary>The stored documents (not archived) that <paramref name="parsed"/> may refer to: only the kinds it can name are read.</summary>
    private static async Task<KnownDocuments> KnownAsync(ParsedDocument parsed, IDocumentStore documentStore, CancellationToken cancellationToken)
    {
        async Task<List<StoredDocument>> LiveAsync(string kind) =>
            [.. (await documentStore.ListDocumentsAsync(kind, cancellationToken).ConfigureAwait(false)).Where(document => document.Status != DocumentStatus.Archived)];
        async Task<HashSet<string>> IdsAsync(string kind) =>
            (await LiveAsync(kind).ConfigureAwait(false)).Select(document => document.Id).ToHashSet(StringComparer.Ordinal);

        return parsed switch
        {
            ParsedJourney => KnownDocuments.None with
            {
                Templates = (await documentStore.ListDocumentsAsync(DocumentParser.TemplateKind, cancellationToken).ConfigureAwait(false))
                    .Select(document => DocumentParser.Parse(document.Draft, document.Id))
                    .OfType<ParsedTemplate>()
                    .ToDictionary(template => template.Template.Id, template => template.Template.Channel, StringComparer.Ordinal),
                Journeys = await IdsAsync(DocumentParser.JourneyKind).ConfigureAwait(false),
                ScoringModels = await IdsAsync(DocumentParser.ScoringKind).ConfigureAwait(false),
            },
            ParsedSegment => KnownDocuments.None with
            {
                Segments = [.. (await LiveAsync(DocumentParser.SegmentKind).ConfigureAwait(false))
                    .Select(document => DocumentParser.Parse(document.Draft, document.Id))
                    .OfType<ParsedSegment>()
                    .Select(segment => segment.Segment)],
                ScoringModels = await IdsAsync(DocumentParser.ScoringKind).ConfigureAwait(false),
            },
            ParsedPolicy => KnownDocuments.None with { ScoringModels = await IdsAsync(DocumentParser.ScoringKind).ConfigureAwait(false) },
            _ => KnownDocuments.None,
        };
    }

    /// <summary>Maps <c>POST {id}/archive</c> for documents of <paramref name="kind"/> (segments, scoring models, sales teams).</summary>
    internal static void MapArchive(this RouteGroupBuilder group, string kind, string summary) =>
        group.MapPost("/{id}/archive", (string id, ContactCommands contactCommands, JourneyRegistry journeyRegistry, IDocumentStore documentStore, TimeProvider time, CancellationToken cancellationToken) => ArchiveAsync(kind, id, contactCommands, journeyRegistry, documentStore, time, cancellationToken))
            .Audited(kind + ".archived", kind, document: AuditedDocument.Status)
            .WithSummary(summary)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

    /// <summary>
    /// Archives a segment, scoring model or sales team: it stops being evaluated (a segment's members leave it at
    /// once; a model's scores are dropped at each contact's next input). Refused while a live document refers to it.
    /// </summary>
    private static async Task<Results<Ok<ArchivedView>, ProblemHttpResult>> ArchiveAsync(string kind, string id, ContactCommands contactCommands, JourneyRegistry journeyRegistry, IDocumentStore documentStore, TimeProvider time, CancellationToken cancellationToken)
    {
        var what = kind switch { DocumentParser.SegmentKind => "segment", DocumentParser.ScoringKind => "scoring model", _ => "sales team" };
        if (await documentStore.GetDocumentAsync(kind, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"There is no {what} '{id}'.");
        }

        var referrers = new List<string>();
        foreach (var other in (await documentStore.ListDocumentsAsync(DocumentParser.SegmentKind, cancellationToken).ConfigureAwait(false)).Where(d => d.Status != DocumentStatus.Archived && !(kind == DocumentParser.SegmentKind && d.Id == id)))
        {
            var condition = (DocumentParser.Parse(other.Draft, other.Id) as ParsedSegment)?.Segment.Condition;
            if ((kind == DocumentParser.SegmentKind && Core.Segments.SegmentConditions.References(condition).Contains(id))
                || (kind == DocumentParser.ScoringKind && Core.Segments.SegmentConditions.Leaves(condition).OfType<ScoreCondition>().Any(score => score.Model == id)))
            {
                referrers.Add($"segment '{other.Id}'");
            }
        }

        foreach (var journey in journeyRegistry.Library.Live.Select(live => live.Definition))
        {
            var leaves = journey.Conditions().SelectMany(Core.Segments.SegmentConditions.Leaves).ToList();
            if ((kind == DocumentParser.SegmentKind && leaves.OfType<SegmentCondition>().Any(member => member.Segment == id))
                || (kind == DocumentParser.ScoringKind && leaves.OfType<ScoreCondition>().Any(score => score.Model == id))
                || (kind == DocumentParser.SalesTeamKind && journey.Owner == id))
            {
                referrers.Add($"journey '{journey.Id}'");
            }
        }

        if (referrers.Count > 0)
        {
            return Problems.Of(StatusCodes.Status409Conflict, "In use", $"The {what} '{id}' is used by {string.Join(", ", referrers)}; change or archive those first.");
        }

        await documentStore.SetStatusAsync(kind, id, DocumentStatus.Archived, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await journeyRegistry.ReloadAsync(cancellationToken).ConfigureAwait(false);
        var left = kind == DocumentParser.SegmentKind ? await contactCommands.EvictSegmentAsync(id, cancellationToken).ConfigureAwait(false) : 0;
        return TypedResults.Ok(new ArchivedView(id, kind, "archived", left));
    }
}

/// <summary>A document just archived, and how many members a segment lost.</summary>
internal sealed record ArchivedView(string Id, string Kind, string Status, int MembersRemoved);

/// <summary>Something a document allows that is probably not meant (it is stored all the same), with its line.</summary>
internal sealed record DocumentWarning(int Line, string Message);

/// <summary>A stored document as the API shows it.</summary>
internal sealed record DocumentView(string Id, string Kind, string Status, int? PublishedVersion, bool HasUnpublishedChanges, DateTimeOffset UpdatedAt, string Document)
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
