namespace Cairn.Http;

/// <summary>
/// Segments as documents: <c>PUT</c> stores one and makes it live (backfilled over every contact), with its members,
/// backfill status, archive, and a preview of a draft condition that saves nothing.
/// </summary>
internal static class SegmentEndpoints
{
    /// <summary>Maps <c>/segments</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapSegments(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var segments = api.MapGroup("/segments").WithTags("Segments");
        segments.MapGet("/", ListSegmentsAsync).WithSummary("Every segment with its member count and backfill status.");
        segments.MapGet("/{id}", SegmentAsync).WithSummary("One segment: its document, member count and backfill status.").ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapPut("/{id}", PutAsync).Audited("segment.saved", DocumentParser.SegmentKind, document: AuditedDocument.Draft)
            .WithSummary("Stores the segment document (YAML or JSON) and makes it live: a changed segment is backfilled over every contact, then kept up to date with each input.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        segments.MapGet("/{id}/status", SegmentStatusAsync).WithSummary("The backfill of the segment's current version: status, contacts processed, members so far.").ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapGet("/{id}/members", MembersAsync).WithSummary("The segment's members, cursor-paged, with when and why each entered.").ProducesProblem(StatusCodes.Status404NotFound);
        segments.MapArchive(DocumentParser.SegmentKind, "Retires the segment: members leave it (with segment_exited), and it is no longer evaluated. Refused (409) while another segment refers to it.");
        segments.MapPost("/preview", PreviewAsync).AllowViewer().NotAudited("evaluates a draft condition and stores nothing").WithSummary("Evaluates a draft condition without saving anything: the count and a sample of members. Above 25,000 contacts the count is estimated from a uniform random sample of about 10,000 (exact: false, margin: the 95 % margin of error in contacts); ?exact=true evaluates every contact.").ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static async Task<Ok<List<SegmentView>>> ListSegmentsAsync(IDocumentStore documentStore, IJourneyIndex journeyIndex, CancellationToken cancellationToken)
    {
        var documents = await documentStore.ListDocumentsAsync(DocumentParser.SegmentKind, cancellationToken).ConfigureAwait(false);
        var counts = await journeyIndex.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false);
        var views = new List<SegmentView>();
        foreach (var document in documents.Where(document => document.Status != DocumentStatus.Archived))
        {
            views.Add(SegmentView.From(document, counts.GetValueOrDefault(document.Id), await NewestRolloutAsync(document.Id, documentStore, cancellationToken).ConfigureAwait(false)));
        }

        return TypedResults.Ok(views);
    }

    private static Task<Results<Ok<SegmentView>, ProblemHttpResult>> SegmentAsync(string id, IDocumentStore documentStore, IJourneyIndex journeyIndex, CancellationToken cancellationToken) =>
        DocumentFlow.GetAsync(DocumentParser.SegmentKind, id, "segment", document => ViewAsync(document, documentStore, journeyIndex, cancellationToken), documentStore, cancellationToken);

    private static Task<Results<Ok<SegmentView>, ProblemHttpResult>> PutAsync(string id, HttpContext context, DocumentPublisher publisher, IDocumentStore documentStore, IJourneyIndex journeyIndex, TimeProvider time) =>
        DocumentFlow.PutAsync(DocumentParser.SegmentKind, id, (document, _) => ViewAsync(document, documentStore, journeyIndex, context.RequestAborted), context, publisher, documentStore, time);

    private static async Task<SegmentView> ViewAsync(StoredDocument document, IDocumentStore documentStore, IJourneyIndex journeyIndex, CancellationToken cancellationToken)
    {
        var counts = await journeyIndex.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false);
        return SegmentView.From(document, counts.GetValueOrDefault(document.Id), await NewestRolloutAsync(document.Id, documentStore, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<Rollout?> NewestRolloutAsync(string id, IDocumentStore documentStore, CancellationToken cancellationToken) =>
        (await documentStore.GetRolloutsAsync(DocumentParser.SegmentKind, id, cancellationToken).ConfigureAwait(false)).MaxBy(r => r.Version);

    private static ProblemHttpResult NotFound(string id) => Problems.NotFound($"There is no segment '{id}'.");

    private static async Task<Results<Ok<SegmentStatusView>, ProblemHttpResult>> SegmentStatusAsync(string id, IDocumentStore documentStore, IJourneyIndex journeyIndex, CancellationToken cancellationToken)
    {
        if (await documentStore.GetDocumentAsync(DocumentParser.SegmentKind, id, cancellationToken).ConfigureAwait(false) is not { } document)
        {
            return NotFound(id);
        }

        var rollout = await NewestRolloutAsync(id, documentStore, cancellationToken).ConfigureAwait(false);
        var members = (await journeyIndex.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false)).GetValueOrDefault(id);
        return TypedResults.Ok(new SegmentStatusView(
            id,
            document.PublishedVersion,
            rollout is null || rollout.Done ? "done" : "running",
            rollout?.Processed ?? 0,
            members,
            rollout?.CreatedAt,
            rollout?.UpdatedAt));
    }

    private static async Task<Results<Ok<MembersPage>, ProblemHttpResult>> MembersAsync(string id, string? cursor, int? limit, IDocumentStore documentStore, IJourneyIndex journeyIndex, CancellationToken cancellationToken)
    {
        if (await documentStore.GetDocumentAsync(DocumentParser.SegmentKind, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return NotFound(id);
        }

        if (limit is not (null or (>= 1 and <= 1000)))
        {
            return Problems.BadRequest("limit must be between 1 and 1000.");
        }

        if (cursor is not null && !Core.ContactId.TryParse(cursor, out _))
        {
            return Problems.BadRequest("The cursor is not valid.");
        }

        var size = limit ?? 100;
        var members = await journeyIndex.GetSegmentMembersAsync(id, cursor, size + 1, cancellationToken).ConfigureAwait(false);
        var page = members.Take(size).Select(member => new MemberView(member.ContactId.ToString(), member.EnteredAt, member.Reason)).ToList();
        return TypedResults.Ok(new MembersPage(page, members.Count > size ? page[^1].ContactId : null));
    }

    private static async Task<Results<Ok<SegmentPreviewView>, ProblemHttpResult>> PreviewAsync(HttpContext context, SegmentPreviewer previewer, TimeProvider time)
    {
        if (!DocumentFlow.SendsDocument(context.Request))
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the draft segment as application/yaml or application/json.");
        }

        var body = await RequestBody.ReadAsync(context.Request, DocumentFlow.MaxDocumentBytes, "1 MB per document", context.RequestAborted).ConfigureAwait(false);
        var text = Encoding.UTF8.GetString(body);
        var parsed = DocumentParser.Parse(AsDraftSegment(text), "preview");
        if (parsed is not ParsedSegment { Segment: var draft })
        {
            return Problems.Of(
                StatusCodes.Status422UnprocessableEntity,
                "Invalid segment",
                $"The draft has {parsed.Errors.Length} error(s); see 'errors'.",
                new Dictionary<string, object?> { ["errors"] = parsed.Errors.Select(error => new { line = error.Line, message = error.Message }).ToList() });
        }

        if (draft.Condition is not { } condition)
        {
            return Problems.Of(StatusCodes.Status422UnprocessableEntity, "Invalid segment", "A static list has no condition to preview; its members are the ones added to it.");
        }

        var exact = context.Request.Query["exact"] is [var flag] && (flag == "true" || flag == "1");
        var preview = await previewer.PreviewSegmentAsync(condition, 20, context.RequestAborted, exact).ConfigureAwait(false);
        return TypedResults.Ok(new SegmentPreviewView(
            preview.Count,
            preview.Exact,
            preview.Margin,
            preview.Evaluated,
            preview.Population,
            [.. preview.Sample.Select(contact => new SampleContactView(contact.Id.ToString(), contact.UserId, contact.Email))],
            time.GetUtcNow()));
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
}

/// <summary>A segment as the API shows it.</summary>
internal sealed record SegmentView(string Id, string? Name, string? Description, int? Version, long Members, string Backfill, long BackfillProcessed, DateTimeOffset UpdatedAt, string Document)
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

/// <summary>The backfill of a segment's current version.</summary>
internal sealed record SegmentStatusView(string Id, int? Version, string Backfill, long Processed, long Members, DateTimeOffset? StartedAt, DateTimeOffset? UpdatedAt);

/// <summary>A segment member: when and why it entered.</summary>
internal sealed record MemberView(string ContactId, DateTimeOffset EnteredAt, string Reason);

/// <summary>A page of segment members, and the cursor of the next page (null on the last).</summary>
internal sealed record MembersPage(IReadOnlyList<MemberView> Items, string? NextCursor);

/// <summary>
/// A draft segment's preview: how many contacts it holds for (<see cref="Exact"/>, or estimated from a sample within
/// <see cref="Margin"/>), how many were evaluated of the <see cref="Population"/>, and some of the matching contacts.
/// </summary>
internal sealed record SegmentPreviewView(long Count, bool Exact, long Margin, long Evaluated, long Population, IReadOnlyList<SampleContactView> Sample, DateTimeOffset EvaluatedAt);

/// <summary>A matching contact in a segment preview.</summary>
internal sealed record SampleContactView(string Id, string? UserId, string? Email);
