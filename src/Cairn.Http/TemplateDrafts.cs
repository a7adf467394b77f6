using Cairn.Core.Contacts;
using Cairn.Core.Templates;
using Cairn.Messaging;

namespace Cairn.Http;

/// <summary>
/// What template previews and test sends share: the template to use (the stored one, or the draft document the body
/// carries, so an editor sees unsaved changes) and its render for a contact or for sample data.
/// </summary>
internal static class TemplateDrafts
{
    /// <summary>
    /// The template <paramref name="id"/>: the draft in the body's <c>document</c> (YAML or JSON text) when given, else
    /// the stored draft. A 404 when neither exists, a 422 with every error (line and message) when it does not parse.
    /// </summary>
    public static async Task<(TemplateDefinition? Template, int? Version, ProblemHttpResult? Problem)> ResolveAsync(string id, JsonElement body, IDocumentStore documentStore, CancellationToken cancellationToken)
    {
        var stored = await documentStore.GetDocumentAsync(DocumentParser.TemplateKind, id, cancellationToken).ConfigureAwait(false);
        var draft = Text(body, "document");
        if (draft is null && stored is null)
        {
            return (null, null, Problems.NotFound($"There is no template '{id}'."));
        }

        var parsed = DocumentParser.Parse(draft ?? stored!.Draft, $"template '{id}'");
        if (parsed is not ParsedTemplate { Template: var template })
        {
            return (null, null, Problems.Of(
                StatusCodes.Status422UnprocessableEntity,
                draft is null ? "Invalid template" : "Invalid document",
                draft is null
                    ? $"The stored template no longer passes validation; correct it and store it again: {string.Join("; ", parsed.Errors.Select(error => error.ToString()))}"
                    : $"The template has {parsed.Errors.Length} error(s); see 'errors'.",
                new Dictionary<string, object?> { ["template"] = id, ["errors"] = parsed.Errors.Select(error => new { line = error.Line, message = error.Message }).ToList() }));
        }

        return (template, draft is null ? stored!.PublishedVersion : null, null);
    }

    /// <summary>
    /// Renders <paramref name="template"/> for the contact the body names (<c>contactId</c>, with an optional
    /// <c>payload</c> as the trigger event) or for sample data (the body's <c>sample</c>, else the template's own).
    /// </summary>
    public static async Task<(RenderResult? Rendered, ContactState? Contact, ProblemHttpResult? Problem)> RenderAsync(
        TemplateDefinition template, int? version, JsonElement body, ContactCommands contactCommands, MessageDispatcher dispatcher, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Text(body, "contactId") is { } given)
        {
            var (contact, missing) = await ContactEndpoints.FindAsync(given, contactCommands, cancellationToken).ConfigureAwait(false);
            if (contact is null)
            {
                return (null, null, missing);
            }

            JsonElement? payload = body.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.Object ? p : null;
            var message = new OutboxMessage("preview", contact.Id, string.Empty, 0, string.Empty, string.Empty, template.Channel.DocumentName(), template.Id, "promotional", 0, "preview", time.GetUtcNow(), payload?.GetRawText());
            return (await dispatcher.RenderAsync(message, new LiveTemplate(template, version ?? 0), contact, cancellationToken).ConfigureAwait(false), contact, null);
        }

        JsonElement? sample = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("sample", out var s) && s.ValueKind == JsonValueKind.Object ? s : template.Sample;
        var unsubscribe = dispatcher.Links.Unsubscribe("preview");
        return (dispatcher.Render(template, RenderModel.Sample(sample, new MessageContext("preview", null, null, null, unsubscribe, unsubscribe), dispatcher.Workspace)), null, null);
    }

    /// <summary>A render error as a problem (422): the message, and the part and document line it concerns when known.</summary>
    public static ProblemHttpResult RenderProblem(string id, RenderResult rendered) =>
        Problems.Of(StatusCodes.Status422UnprocessableEntity, "Render error", rendered.Error!, new Dictionary<string, object?>
        {
            ["template"] = id,
            ["part"] = rendered.ErrorPart,
            ["line"] = rendered.ErrorLine,
        });

    /// <summary>A string property of the JSON body, or null.</summary>
    public static string? Text(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
