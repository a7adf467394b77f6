using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Messaging;

namespace Cairn.Http;

/// <summary>
/// Erasure (the GDPR right to erasure, CCPA deletion): <c>POST /api/erasures</c> names the person by contactId, userId,
/// email or phone and erases every contact that matches, <c>DELETE /api/contacts/{id}</c> erases one, and
/// <c>GET /api/erasures</c> is the audit log. The addresses go on the suppression list as keyed hashes first.
/// </summary>
internal static class ErasureEndpoints
{
    private static readonly string[] Identifiers = ["contactId", "userId", "email", "phone"];

    public static RouteGroupBuilder MapErasures(this RouteGroupBuilder api)
    {
        var erasures = api.MapGroup("/erasures").WithTags("Erasure").RequireAdmin();
        erasures.MapPost("/", EraseAsync).Audited("contact.erased", "contact", targetRoute: null)
            .WithSummary("Erases a person: {\"contactId\" | \"userId\" | \"email\" | \"phone\", \"reason\"}. Every matching contact (with the contacts merged into it) loses its profile, events, enrollments, timers, messages, memberships, hand-offs, devices and inbox; its addresses are suppressed by keyed hash; the erasure is logged without personal data.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        erasures.MapGet("/", async (int? limit, IErasureStore erasureStore, CancellationToken cancellationToken) =>
                TypedResults.Ok((await erasureStore.ListErasuresAsync(Math.Clamp(limit ?? 100, 1, 1000), cancellationToken).ConfigureAwait(false)).Select(View)))
            .WithSummary("The erasure log, newest first: the contact id, the reason, when, and how many rows of each kind were deleted.");
        api.MapDelete("/contacts/{id}", EraseContactAsync).RequireAdmin().Audited("contact.erased", "contact")
            .WithTags("Contacts", "Erasure")
            .WithSummary("Erases a contact (see POST /api/erasures); reason as a query parameter.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<ErasureView>, ProblemHttpResult>> EraseContactAsync(string id, string? reason, ContactCommands contactCommands, MessageDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var (contact, missing) = await ContactEndpoints.FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return missing!;
        }

        return await dispatcher.Suppressions.EraseAsync(contact.Id, reason ?? "erasure requested through the API", cancellationToken).ConfigureAwait(false) is { } record
            ? TypedResults.Ok(View(record))
            : Problems.NotFound("The contact does not exist.");
    }

    private static async Task<Results<Ok<ErasuresView>, ProblemHttpResult>> EraseAsync(HttpContext context, ContactCommands contactCommands, IContactStore contactStore, MessageDispatcher dispatcher)
    {
        var cancellationToken = context.RequestAborted;
        var body = await RequestBody.ParseAsync(context.Request, 16 * 1024, "16 KB", cancellationToken).ConfigureAwait(false);
        var named = Identifiers
            .Select(kind => (Kind: kind, Value: RequestBody.Text(body, kind)))
            .Where(pair => !string.IsNullOrWhiteSpace(pair.Value))
            .ToList();
        if (named is not [var (kind, value)])
        {
            return Problems.BadRequest("Name the person with exactly one of contactId, userId, email or phone.");
        }

        var (contacts, invalid) = await FindAllAsync(kind, value!.Trim(), contactCommands, contactStore, cancellationToken).ConfigureAwait(false);
        if (invalid is not null)
        {
            return invalid;
        }

        if (contacts.Count == 0)
        {
            return Problems.NotFound($"No contact has this {kind}.");
        }

        var reason = RequestBody.Text(body, "reason") ?? "erasure requested through the API";
        var records = new List<ErasureRecord>();
        foreach (var contact in contacts)
        {
            if (await dispatcher.Suppressions.EraseAsync(contact, reason, cancellationToken).ConfigureAwait(false) is { } record)
            {
                records.Add(record);
            }
        }

        // Named by contact id and erasure id only: the reason is free text and may hold personal data.
        var note = context.AuditNote();
        note.TargetId = records.Count > 0 ? records[0].ContactId.ToString() : null;
        note.Summary = $"Erased {records.Count} contact(s): {string.Join(", ", records.Select(record => $"{record.ContactId} (erasure {record.Id})"))}";
        return TypedResults.Ok(new ErasuresView(records.Count, [.. records.Select(View)]));
    }

    /// <summary>Every contact the identifier names (an email or a phone number can belong to several), or the problem (400) with the identifier.</summary>
    internal static async Task<(IReadOnlyList<ContactId> Contacts, ProblemHttpResult? Invalid)> FindAllAsync(string kind, string value, ContactCommands contactCommands, IContactStore contactStore, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case "email":
                return ContactNormalizer.NormalizeEmail(value) is { } email
                    ? (await contactStore.FindContactsByEmailAsync(email, cancellationToken).ConfigureAwait(false), null)
                    : ([], Problems.BadRequest($"'{value}' is not an email address."));
            case "phone":
                return ContactNormalizer.NormalizePhone(value) is { } phone
                    ? (await contactStore.FindContactsByPhoneAsync(phone, cancellationToken).ConfigureAwait(false), null)
                    : ([], Problems.BadRequest($"'{value}' is not a phone number in E.164 form."));
            default:
                return (await ContactRows.FindAsync(kind, value, contactCommands, contactStore, cancellationToken).ConfigureAwait(false) is { } id ? [id] : [], null);
        }
    }

    private static ErasureView View(ErasureRecord record) => new(record.Id, record.ContactId.ToString(), record.Reason, record.ErasedAt, record.Deleted);
}

/// <summary>One erasure in the log: whose, why, when, and how many rows of each kind were deleted.</summary>
internal sealed record ErasureView(string Id, string ContactId, string Reason, DateTimeOffset ErasedAt, IReadOnlyDictionary<string, long> Deleted);

/// <summary>What one erasure request erased.</summary>
internal sealed record ErasuresView(int Erased, IReadOnlyList<ErasureView> Erasures);
