namespace Cairn.Http;

/// <summary>
/// Message templates as documents (<c>/api/templates</c>): <c>PUT</c> stores one, checked against its sample data and
/// live at once.
/// </summary>
internal static class TemplateEndpoints
{
    /// <summary>Maps <c>/templates</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapTemplates(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var templates = api.MapGroup("/templates").WithTags("Templates");
        templates.MapGet("/", async (IDocumentStore documentStore, CancellationToken cancellationToken) =>
            TypedResults.Ok((await documentStore.ListDocumentsAsync(DocumentParser.TemplateKind, cancellationToken).ConfigureAwait(false)).Select(DocumentView.From)));
        templates.MapGet("/{id}", (string id, IDocumentStore documentStore, CancellationToken cancellationToken) =>
            DocumentFlow.GetAsync(DocumentParser.TemplateKind, id, "template", document => Task.FromResult(DocumentView.From(document)), documentStore, cancellationToken));
        templates.MapPut("/{id}", (string id, HttpContext context, DocumentPublisher publisher, IDocumentStore documentStore, TimeProvider time) =>
                DocumentFlow.PutAsync(DocumentParser.TemplateKind, id, (document, warnings) => Task.FromResult(DocumentView.From(document) with { Warnings = warnings }), context, publisher, documentStore, time))
            .WithSummary("Stores a template document (kind: template, id, channel, content).")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }
}
