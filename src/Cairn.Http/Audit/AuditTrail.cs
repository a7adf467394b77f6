using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cairn.Http.Audit;

/// <summary>Which document an audited route changes, so that the audit trail keeps it before and after.</summary>
public enum AuditedDocument
{
    /// <summary>None: the entry has no documents.</summary>
    None,

    /// <summary>The stored draft (a <c>PUT</c> of a document; live at once for every kind but journeys).</summary>
    Draft,

    /// <summary>The latest published version (a publish).</summary>
    Published,

    /// <summary>The status only (pause, resume, archive): named in the summary, no documents.</summary>
    Status,
}

/// <summary>
/// The action a route records in the audit log when it succeeds, and what it changes: a target of <see cref="TargetKind"/>
/// whose id is the route value <see cref="TargetRoute"/>, and, for a document, the document of that kind.
/// </summary>
/// <param name="Action">The action, <c>resource.verb</c>.</param>
/// <param name="TargetKind">The kind of the target; null when the route has none.</param>
/// <param name="TargetRoute">The route value that names the target; null when none.</param>
/// <param name="Document">The document kept before and after.</param>
/// <param name="TargetId">The target's id when the route names none (the policy's <c>default</c>).</param>
public sealed record AuditedRoute(string Action, string? TargetKind, string? TargetRoute, AuditedDocument Document, string? TargetId = null);

/// <summary>A route under <c>/api</c> that changes nothing (a preview, a simulation), so it is not recorded, with the reason.</summary>
/// <param name="Reason">Why nothing is recorded.</param>
public sealed record NotAuditedRoute(string Reason);

/// <summary>What a handler adds to its route's audit entry: a target it only learns itself (a created id), a more precise action, a summary.</summary>
internal sealed class AuditNote
{
    /// <summary>The action instead of the route's (e.g. <c>user.role_changed</c> rather than <c>user.changed</c>).</summary>
    public string? Action { get; set; }

    /// <summary>The target's kind instead of the route's.</summary>
    public string? TargetKind { get; set; }

    /// <summary>The target's id instead of the route value's.</summary>
    public string? TargetId { get; set; }

    /// <summary>One line in words instead of the default, without personal data of contacts.</summary>
    public string? Summary { get; set; }

    /// <summary>A document before the change, when the route's metadata does not name one.</summary>
    public string? Before { get; set; }

    /// <summary>A document after the change.</summary>
    public string? After { get; set; }

    /// <summary>True when the request changed nothing after all (an unchanged document applied again): nothing is recorded.</summary>
    public bool Unchanged { get; set; }
}

/// <summary>
/// The audit trail of <c>/api</c>: one endpoint filter on the whole group records every request that changed something
/// and succeeded (2xx), named by the route's <see cref="AuditedRoute"/>, so that a new route cannot be forgotten (a
/// test fails when a changing route declares neither <c>.Audited(…)</c> nor <c>.NotAudited(…)</c>). A <c>GET</c> is recorded
/// only when it declares an action (an export). Who: <see cref="Caller.Of"/>; from where: the connection's remote address.
/// </summary>
internal static partial class AuditTrail
{
    private static readonly object NoteKey = new();

    /// <summary>Records <paramref name="action"/> when the route succeeds, on the target <paramref name="targetKind"/> named by the route value <paramref name="targetRoute"/>.</summary>
    public static TBuilder Audited<TBuilder>(this TBuilder builder, string action, string? targetKind = null, string? targetRoute = "id", AuditedDocument document = AuditedDocument.None, string? targetId = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AuditedRoute(action, targetKind, targetKind is null || targetId is not null ? null : targetRoute, document, targetId));

    /// <summary>Marks a changing route that changes nothing stored (a preview, a simulation, a lint), with the reason.</summary>
    public static TBuilder NotAudited<TBuilder>(this TBuilder builder, string reason)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new NotAuditedRoute(reason));

    /// <summary>The note of this request's audit entry, for a handler to complete.</summary>
    public static AuditNote AuditNote(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Items[NoteKey] is not AuditNote note)
        {
            note = new AuditNote();
            http.Items[NoteKey] = note;
        }

        return note;
    }

    /// <summary>The filter on <c>/api</c> (inside the access filter, so the caller is known).</summary>
    public static async ValueTask<object?> RecordAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var audited = http.GetEndpoint()?.Metadata.GetMetadata<AuditedRoute>();
        var safe = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);
        if (audited is null || (safe && HttpMethods.IsHead(http.Request.Method)))
        {
            return await next(context).ConfigureAwait(false);
        }

        var targetId = audited.TargetRoute is { } route ? http.Request.RouteValues[route]?.ToString() : audited.TargetId;
        var documents = http.RequestServices.GetRequiredService<IDocumentStore>();
        var before = await SnapshotAsync(audited, targetId, documents, http.RequestAborted).ConfigureAwait(false);
        var result = await next(context).ConfigureAwait(false);
        var status = StatusOf(result, http);
        if (status is < 200 or >= 300)
        {
            return result;
        }

        var note = http.Items[NoteKey] as AuditNote;
        var after = await SnapshotAsync(audited, note?.TargetId ?? targetId, documents, http.RequestAborted).ConfigureAwait(false);
        if (note?.Unchanged == true || (audited.Document is not AuditedDocument.None && before == after && before is not null))
        {
            return result;
        }

        var recorder = http.RequestServices.GetRequiredService<AuditRecorder>();
        var kind = note?.TargetKind ?? audited.TargetKind;
        var id = note?.TargetId ?? targetId;
        var action = note?.Action ?? audited.Action;
        var summary = note?.Summary ?? DefaultSummary(action, kind, id, audited.Document, before, after);
        var (beforeText, afterText) = audited.Document is AuditedDocument.Draft or AuditedDocument.Published
            ? (before?.Text, after?.Text)
            : (note?.Before, note?.After);
        await recorder.RecordAsync(http, action, kind, id, summary, status, beforeText, afterText).ConfigureAwait(false);
        return result;
    }

    /// <summary>The status a result will answer with: its own, or 200 for a value serialised as JSON.</summary>
    internal static int StatusOf(object? result, HttpContext http) => result switch
    {
        INestedHttpResult nested => StatusOf(nested.Result, http),
        IStatusCodeHttpResult { StatusCode: { } code } => code,
        null => http.Response.StatusCode,
        _ => StatusCodes.Status200OK,
    };

    private static async Task<DocumentSnapshot?> SnapshotAsync(AuditedRoute audited, string? id, IDocumentStore documents, CancellationToken cancellationToken)
    {
        if (audited.Document is AuditedDocument.None || audited.TargetKind is not { } kind || id is null)
        {
            return null;
        }

        var stored = await documents.GetDocumentAsync(kind, id, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        return audited.Document switch
        {
            AuditedDocument.Draft => new DocumentSnapshot(stored.Status, stored.PublishedVersion, stored.Draft),
            AuditedDocument.Published => new DocumentSnapshot(
                stored.Status,
                stored.PublishedVersion,
                stored.PublishedVersion is { } version
                    ? (await documents.GetVersionsAsync(kind, cancellationToken).ConfigureAwait(false)).FirstOrDefault(v => v.Id == id && v.Version == version)?.Body
                    : null),
            _ => new DocumentSnapshot(stored.Status, stored.PublishedVersion, null),
        };
    }

    private static string DefaultSummary(string action, string? kind, string? id, AuditedDocument document, DocumentSnapshot? before, DocumentSnapshot? after)
    {
        var what = kind is null ? action : id is null ? $"{action} ({kind})" : $"{action}: {kind} '{id}'";
        return document switch
        {
            AuditedDocument.Published when after?.Version is { } version => $"{what}, version {version}",
            AuditedDocument.Status when before is not null && after is not null && before.Status != after.Status =>
                $"{what}, {before.Status.ToString().ToLowerInvariant()} → {after.Status.ToString().ToLowerInvariant()}",
            AuditedDocument.Draft when before is null => $"{what} (new)",
            _ => what,
        };
    }

    private sealed record DocumentSnapshot(DocumentStatus Status, int? Version, string? Text);
}

/// <summary>Appends entries to the audit log for a request (or for Cairn itself), with the caller and the address.</summary>
internal sealed partial class AuditRecorder(IAuditStore auditStore, TimeProvider time, ILogger<AuditRecorder> logger)
{
    /// <summary>
    /// Records a change made by <paramref name="http"/>'s caller. The change has happened: a failure to record it is
    /// logged (with the action, never personal data) and does not turn the answer into an error.
    /// </summary>
    public async Task RecordAsync(HttpContext http, string action, string? targetKind, string? targetId, string summary, int status, string? before = null, string? after = null, (string Kind, string? Id, string? Name)? actor = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        var caller = Caller.Of(http);
        var (kind, id, name) = actor ?? (caller is null
            ? (AuditActorKinds.Anonymous, null, null)
            : (caller.Kind switch { CallerKind.User => AuditActorKinds.User, CallerKind.Key => AuditActorKinds.Key, _ => AuditActorKinds.ConfiguredKey }, caller.Id, caller.Name));
        var entry = new AuditEntry(0, time.GetUtcNow(), kind, id, name, http.Connection.RemoteIpAddress?.ToString(), action, targetKind, targetId, Truncate(summary, 1000), status, before, after);
        try
        {
            // Not the request's token: an aborted request's change has happened all the same.
            await auditStore.AppendAuditAsync(entry, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogNotRecorded(logger, exception, action);
        }
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

    [LoggerMessage(Level = LogLevel.Error, Message = "The audit log could not record {Action}")]
    private static partial void LogNotRecorded(ILogger logger, Exception exception, string action);
}
