using Cairn.Messaging;

namespace Cairn.Http;

/// <summary>
/// Message templates as documents (<c>/api/templates</c>): <c>PUT</c> stores one, checked against its sample data and
/// live at once.
/// </summary>
internal static partial class TemplateEndpoints
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
            .Audited("template.saved", DocumentParser.TemplateKind, document: AuditedDocument.Draft)
            .WithSummary("Stores a template document (kind: template, id, channel, content).")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        templates.MapPost("/{id}/test-send", TestSendAsync).Audited("template.test_sent", DocumentParser.TemplateKind)
            .WithSummary("Sends the template once as a test ({\"to\": an email address or E.164 phone number}, rendered for {\"contactId\"} or the sample, optionally from the draft {\"document\"}): through the channel's real path (the provider, or the development mailbox when none is configured), marked [Test], never in the outbox or any journey's statistics. Email and SMS templates.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static async Task<Results<Ok<TestSendResult>, ProblemHttpResult>> TestSendAsync(string id, HttpContext context, ContactCommands contactCommands, IDocumentStore documentStore, MessageDispatcher dispatcher, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        JsonElement body;
        try
        {
            body = context.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) ?? false
                ? (await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: cancellationToken).ConfigureAwait(false)).RootElement.Clone()
                : default;
        }
        catch (JsonException exception)
        {
            return Problems.BadRequest($"The body is not valid JSON: {exception.Message}");
        }

        var (template, version, problem) = await TemplateDrafts.ResolveAsync(id, body, documentStore, cancellationToken).ConfigureAwait(false);
        if (template is null)
        {
            return problem!;
        }

        if (template.Channel is not (Channel.Email or Channel.Sms))
        {
            return Problems.BadRequest($"Test sends go to an email address or a phone number; '{id}' is a {template.Channel.DocumentName()} template.");
        }

        var to = TemplateDrafts.Text(body, "to")?.Trim();
        if (to is not null && (template.Channel == Channel.Email ? !MimeKit.MailboxAddress.TryParse(to, out _) || !to.Contains('@', StringComparison.Ordinal) : !PhoneNumber().IsMatch(to)))
        {
            return Problems.BadRequest(template.Channel == Channel.Email ? "'to' is not an email address." : "'to' is not a phone number in E.164 form (+ and 7 to 15 digits).");
        }

        var (rendered, contact, missing) = await TemplateDrafts.RenderAsync(template, version, body, contactCommands, dispatcher, time, cancellationToken).ConfigureAwait(false);
        if (rendered is null)
        {
            return missing!;
        }

        if (!rendered.Succeeded)
        {
            return TemplateDrafts.RenderProblem(id, rendered);
        }

        var recipient = contact ?? Core.Contacts.ContactState.New(new Core.ContactId(Guid.NewGuid()), time.GetUtcNow());
        recipient = template.Channel == Channel.Email ? recipient with { Email = to ?? recipient.Email } : recipient with { Phone = to ?? recipient.Phone };
        if ((template.Channel == Channel.Email ? recipient.Email : recipient.Phone) is not { } address)
        {
            return Problems.BadRequest("Say where to send the test: 'to', or a 'contactId' whose profile has the address.");
        }

        var (messageId, outcome) = await dispatcher.SendTestAsync(template, rendered, recipient, cancellationToken).ConfigureAwait(false);
        var status = outcome.Kind.ToString().ToLowerInvariant();
        return TypedResults.Ok(new TestSendResult(messageId, template.Channel.DocumentName(), address, status, outcome.Reason, dispatcher.Transport));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial System.Text.RegularExpressions.Regex PhoneNumber();
}

/// <summary>What became of a test send.</summary>
/// <param name="MessageId">Its id (<c>test-…</c>), as the development mailbox shows it.</param>
/// <param name="Channel">email or sms.</param>
/// <param name="To">The address or number it went to.</param>
/// <param name="Status">sent, delivered (the development mailbox), or why not: suppressed, undeliverable, failed, retry, bounced.</param>
/// <param name="Reason">Why it was not sent, when it was not.</param>
/// <param name="Transport">Where email goes: <c>mailbox</c> (the development mailbox) or <c>smtp</c>.</param>
internal sealed record TestSendResult(string MessageId, string Channel, string To, string Status, string? Reason, string Transport);
