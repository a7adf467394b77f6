using System.IO.Compression;
using Cairn.Core;
using Cairn.Messaging;

namespace Cairn.Http;

/// <summary>
/// Data subject export (GDPR art. 15 and 20, CCPA right to know): <c>GET /api/contacts/{id}/export</c> and
/// <c>GET /api/exports?email=…</c> give everything Cairn holds about a person as one JSON document, or a ZIP of it with a
/// README for the person (<c>format=zip</c>). Admin only: an export is the person's whole record, as sensitive as an
/// erasure is destructive (see docs/export.md). The document is streamed a page of rows at a time.
/// </summary>
internal static class ExportEndpoints
{
    public static RouteGroupBuilder MapExports(this RouteGroupBuilder api)
    {
        api.MapGet("/contacts/{id}/export", ExportContactAsync).RequireAdmin().Audited("contact.exported", "contact")
            .WithTags("Contacts", "Export")
            .WithSummary("Everything held about a contact (GDPR art. 15 and 20, CCPA right to know), with the contacts merged into it; a merged contact's id exports the contact it was merged into. format=json (default) gives one JSON document, format=zip a ZIP of it with a README.txt for the person. Admin only.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/exports", ExportPersonAsync).RequireAdmin().Audited("contact.exported", "contact", targetRoute: null)
            .WithTags("Export")
            .WithSummary("Everything held about a person named by exactly one of contactId, userId, email or phone (every contact with that email or phone), as GET /api/contacts/{id}/export gives it. Admin only.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> ExportContactAsync(string id, string? format, ContactCommands contactCommands, IExportStore exportStore, IErasureStore erasureStore, MessageDispatcher dispatcher, ISuppressionList suppressionList, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Format(format) is not { } zip)
        {
            return Problems.BadRequest("format must be json or zip.");
        }

        if (!ContactId.TryParse(id, out var contactId))
        {
            return Problems.NotFound($"'{id}' is not a contact id.");
        }

        if (await contactCommands.GetContactAsync(contactId, cancellationToken).ConfigureAwait(false) is not { } contact)
        {
            return await MissingAsync(contactId, exportStore, cancellationToken).ConfigureAwait(false);
        }

        return await ExportAsync([contact.Id], zip, new ContactExport(exportStore, erasureStore, suppressionList, dispatcher.Suppressions, time), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> ExportPersonAsync(string? contactId, string? userId, string? email, string? phone, string? format, HttpContext http, ContactCommands contactCommands, IContactStore contactStore, IExportStore exportStore, IErasureStore erasureStore, MessageDispatcher dispatcher, ISuppressionList suppressionList, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Format(format) is not { } zip)
        {
            return Problems.BadRequest("format must be json or zip.");
        }

        var named = new[] { ("contactId", contactId), ("userId", userId), ("email", email), ("phone", phone) }.Where(pair => !string.IsNullOrWhiteSpace(pair.Item2)).ToList();
        if (named is not [var (kind, value)])
        {
            return Problems.BadRequest("Name the person with exactly one of contactId, userId, email or phone.");
        }

        var (found, invalid) = await ErasureEndpoints.FindAllAsync(kind, value!.Trim(), contactCommands, contactStore, cancellationToken).ConfigureAwait(false);
        if (invalid is not null)
        {
            return invalid;
        }

        // The survivor of each contact named (a merged contact's id leads to the contact it was merged into).
        var survivors = new List<ContactId>();
        foreach (var id in found)
        {
            if (await contactCommands.GetContactAsync(id, cancellationToken).ConfigureAwait(false) is { } contact && !survivors.Contains(contact.Id))
            {
                survivors.Add(contact.Id);
            }
        }

        if (survivors.Count == 0)
        {
            return kind == "contactId" && ContactId.TryParse(value.Trim(), out var erased)
                ? await MissingAsync(erased, exportStore, cancellationToken).ConfigureAwait(false)
                : Problems.NotFound($"No contact has this {kind}.");
        }

        // Named by contact id only: the query's e-mail address or phone number is the person's.
        var note = http.AuditNote();
        note.TargetId = survivors[0].ToString();
        note.Summary = $"Exported {survivors.Count} contact(s) as {(zip ? "zip" : "json")}, named by {kind}: {string.Join(", ", survivors)}";
        return await ExportAsync(survivors, zip, new ContactExport(exportStore, erasureStore, suppressionList, dispatcher.Suppressions, time), cancellationToken).ConfigureAwait(false);
    }

    private static bool? Format(string? format) => format?.Trim().ToLowerInvariant() switch
    {
        null or "" or "json" => false,
        "zip" => true,
        _ => null,
    };

    private static async Task<IResult> MissingAsync(ContactId id, IExportStore exportStore, CancellationToken cancellationToken) =>
        await exportStore.FindErasureAsync(id, cancellationToken).ConfigureAwait(false) is { } erasure
            ? Problems.NotFound($"The contact was erased on {erasure.ErasedAt:yyyy-MM-dd} (erasure {erasure.Id}); Cairn holds nothing about it any more.")
            : Problems.NotFound("The contact does not exist.");

    private static async Task<IResult> ExportAsync(List<ContactId> contacts, bool zip, ContactExport export, CancellationToken cancellationToken)
    {
        var groups = await export.GroupsAsync(contacts, cancellationToken).ConfigureAwait(false);
        var name = $"cairn-export-{contacts[0]}";
        return new ExportResult(groups, zip, name, export);
    }

    /// <summary>Streams the export to the response: the JSON document, or a ZIP of it with the README.</summary>
    private sealed class ExportResult(IReadOnlyList<ContactExport.Group> groups, bool zip, string name, ContactExport export) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            var cancellationToken = httpContext.RequestAborted;
            response.Headers.CacheControl = "no-store";
            if (!zip)
            {
                response.ContentType = "application/json; charset=utf-8";
                response.Headers.ContentDisposition = $"attachment; filename=\"{name}.json\"";
                await export.WriteAsync(groups, response.Body, cancellationToken).ConfigureAwait(false);
                return;
            }

            // ZipArchive still writes some of its records (an entry's header, the central directory) synchronously even
            // through its async API; allow that for this response rather than buffer a whole archive of personal data.
            if (httpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>() is { } bodyControl)
            {
                bodyControl.AllowSynchronousIO = true;
            }

            response.ContentType = "application/zip";
            response.Headers.ContentDisposition = $"attachment; filename=\"{name}.zip\"";
            await using var archive = await ZipArchive.CreateAsync(response.Body, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: Encoding.UTF8, cancellationToken).ConfigureAwait(false);
            var readme = archive.CreateEntry("README.txt", CompressionLevel.Optimal);
            await using (var stream = await readme.OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(export.Readme()), cancellationToken).ConfigureAwait(false);
            }

            var json = archive.CreateEntry("export.json", CompressionLevel.Optimal);
            await using (var stream = await json.OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                await export.WriteAsync(groups, stream, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
