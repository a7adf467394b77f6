using Cairn.Core;

namespace Cairn.Http;

/// <summary>
/// Static lists (segments with <c>static: true</c>): members added and removed through the API, as JSON or as a
/// CSV upload, each change an entry or exit like any segment's.
/// </summary>
internal static class ListEndpoints
{
    private const int MaxListBytes = 64 * 1024 * 1024;

    /// <summary>Maps <c>POST /segments/{id}/members</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapLists(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/segments/{id}/members", ChangeAsync).Audited("list.uploaded", DocumentParser.SegmentKind)
            .WithTags("Segments")
            .WithSummary("Adds or removes members of a static list: JSON {\"add\": [{\"userId\"|\"email\"|\"contactId\": …}], \"remove\": […]}, or a CSV (text/csv) with a contactId, userId or email column, added (or removed with ?action=remove). Unknown contacts are reported by row; the others are applied.")
            .Accepts<string>("application/json", "text/csv")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return api;
    }

    private static async Task<Results<Ok<ListChangeView>, ProblemHttpResult>> ChangeAsync(string id, string? action, HttpContext context, ContactCommands contactCommands, IContactStore contactStore, IDocumentStore documentStore, IJourneyIndex journeyIndex)
    {
        var cancellationToken = context.RequestAborted;
        if (await documentStore.GetDocumentAsync(DocumentParser.SegmentKind, id, cancellationToken).ConfigureAwait(false) is not { } document)
        {
            return Problems.NotFound($"There is no segment '{id}'.");
        }

        if (DocumentParser.Parse(document.Draft, id) is not ParsedSegment { Segment.Static: true })
        {
            return Problems.Of(StatusCodes.Status409Conflict, "Not a static list", $"Segment '{id}' has a condition: its members are the contacts it holds for. Only a static list (static: true) takes members.");
        }

        if (action is not (null or "add" or "remove"))
        {
            return Problems.BadRequest("action is add or remove.");
        }

        var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var body = await RequestBody.ReadAsync(context.Request, MaxListBytes, "64 MB per upload", cancellationToken).ConfigureAwait(false);
        if (mediaType is not ("application/json" or "text/csv"))
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send members as application/json or text/csv.");
        }

        var (add, remove) = mediaType == "text/csv" ? ReadCsv(body, action == "remove") : ReadJson(body);

        var rejected = new List<RejectedRowView>();
        async Task<List<ContactId>> ResolveAsync(IEnumerable<Member> members)
        {
            var ids = new List<ContactId>();
            foreach (var member in members)
            {
                if (member.Error is not null)
                {
                    rejected.Add(new RejectedRowView(member.Row, member.Error));
                }
                else if (await ContactRows.FindAsync(member.Kind, member.Value, contactCommands, contactStore, cancellationToken).ConfigureAwait(false) is { } found)
                {
                    ids.Add(found);
                }
                else
                {
                    rejected.Add(new RejectedRowView(member.Row, $"no contact has {member.Kind} '{member.Value}'"));
                }
            }

            return ids;
        }

        var reason = mediaType == "text/csv" ? "uploaded" : "added through the API";
        var added = await contactCommands.ChangeListAsync(id, await ResolveAsync(add).ConfigureAwait(false), true, reason, cancellationToken).ConfigureAwait(false);
        var removed = await contactCommands.ChangeListAsync(id, await ResolveAsync(remove).ConfigureAwait(false), false, "removed through the API", cancellationToken).ConfigureAwait(false);
        var members = (await journeyIndex.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false)).GetValueOrDefault(id);
        return TypedResults.Ok(new ListChangeView(added, removed, members, rejected));
    }

    private static (List<Member> Add, List<Member> Remove) ReadJson(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException exception)
        {
            throw ProblemException.BadRequest($"The body is not valid JSON: {exception.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ProblemException.BadRequest("The body is a JSON object with 'add' and/or 'remove' lists.");
            }

            List<Member> Read(string name) => document.RootElement.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
                ? [.. list.EnumerateArray().Select((entry, index) => Member.Of($"{name}[{index}]", entry))]
                : [];
            return (Read("add"), Read("remove"));
        }
    }

    private static (List<Member> Add, List<Member> Remove) ReadCsv(byte[] body, bool remove)
    {
        var members = ContactRows.ReadCsv(body).Select(row => new Member(row.Line, row.Kind, row.Value, row.Error)).ToList();
        return remove ? ([], members) : (members, []);
    }

    /// <summary>One row or entry: which identifier it gives and its value, or why it cannot be used.</summary>
    private sealed record Member(string Row, string Kind, string Value, string? Error)
    {
        public static Member Of(string row, JsonElement entry)
        {
            if (entry.ValueKind == JsonValueKind.Object)
            {
                foreach (var kind in new[] { "contactId", "userId", "email" })
                {
                    if (entry.TryGetProperty(kind, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
                    {
                        return new Member(row, kind, text, null);
                    }
                }
            }

            return new Member(row, string.Empty, string.Empty, "an entry is an object with a contactId, userId or email");
        }
    }
}

/// <summary>A change of a static list's members: how many were added and removed, how many it has now, and the rejected entries.</summary>
internal sealed record ListChangeView(int Added, int Removed, long Members, IReadOnlyList<RejectedRowView> Rejected);
