using System.Net;
using Cairn.Core.Consent;
using Cairn.Core.Messages;
using Cairn.Core.Templates;
using Cairn.Http.Reports;
using Cairn.Messaging;

namespace Cairn.Http;

/// <summary>
/// What the development mailbox holds: where email goes (<c>mailbox</c> or <c>smtp</c>), a page of the newest messages,
/// and the cursor of the next page (null on the last).
/// </summary>
internal sealed record MailboxView(string Transport, IReadOnlyList<MailboxItemView> Messages, string? NextCursor);

/// <summary>
/// One message in the development mailbox: an email with its sender, text and HTML parts and the raw MIME message; an
/// SMS's text; a push notification's JSON (as <c>Text</c>).
/// </summary>
internal sealed record MailboxItemView(
    string MessageId,
    string Channel,
    string To,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? From,
    string Subject,
    DateTimeOffset CreatedAt,
    string? Text,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Html,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Raw)
{
    /// <summary>The view of a stored message (an email's MIME parsed into its parts).</summary>
    public static MailboxItemView Of(MailboxMessage stored)
    {
        if (stored.Channel != MessageDispatcher.EmailChannel)
        {
            return new(stored.MessageId, stored.Channel, stored.Recipient, null, stored.Subject, stored.CreatedAt, stored.Raw, null, null);
        }

        using var raw = new MemoryStream(Encoding.UTF8.GetBytes(stored.Raw));
        var mime = MimeKit.MimeMessage.Load(raw);
        return new(stored.MessageId, stored.Channel, stored.Recipient, mime.From.ToString(), stored.Subject, stored.CreatedAt, mime.TextBody, mime.HtmlBody, stored.Raw);
    }
}

/// <summary>
/// Messages: one message's status, template previews and the development mailbox (admin API); and the public
/// endpoints recipients reach from an email — the open pixel, click redirects, one-click unsubscribe (RFC 8058) and
/// the preference page. Public endpoints trust nothing but the link's signature.
/// </summary>
internal static class MessageEndpoints
{
    // The smallest transparent GIF.
    private static readonly byte[] Pixel = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    public static RouteGroupBuilder MapMessages(this RouteGroupBuilder api)
    {
        api.MapGet("/messages/{id}", async Task<Results<Ok<OutboxMessage>, ProblemHttpResult>> (string id, IOutbox outboxStore, CancellationToken cancellationToken) =>
                await outboxStore.GetMessageAsync(id, cancellationToken).ConfigureAwait(false) is { } message
                    ? TypedResults.Ok(message)
                    : Problems.NotFound($"There is no message '{id}'."))
            .WithTags("Messages")
            .WithSummary("One message: channel, template and version, status (queued, sending, sent, bounced, failed, suppressed, undeliverable), attempts, last error, recipient, subject, opens, clicks, unsubscribe.")
            .Produces<OutboxMessage>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/templates/{id}/preview", PreviewAsync).AllowViewer().NotAudited("renders a template and stores nothing")
            .WithTags("Templates")
            .WithSummary("Renders a template for a contact ({\"contactId\"}) or sample data ({\"sample\": {contact, event, events}}; default: the template's own): every part, the generated text of an email, the encoding and segments of an SMS. {\"document\": \"…\"} previews that draft of the template instead of the stored one (nothing is saved). 422 with the render error, its part and line, or the draft's errors.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/dev/mailbox", MailboxAsync)
            .WithTags("Messages")
            .WithSummary("The development mailbox (what was sent while no provider is configured), newest first, optionally for one channel (email, sms, push) and recipient (to), a page at a time (limit 1–500, default 50; nextCursor as cursor for the next page): email with its text and HTML parts and the raw message, SMS text, push JSON.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api.MapMessageStory().MapOutbox().MapMessagePerformance();
    }

    public static IEndpointRouteBuilder MapRecipientLinks(this IEndpointRouteBuilder app)
    {
        var links = app.MapGroup(string.Empty).WithTags("Recipient links").ExcludeFromDescription();
        links.MapMethods("/t/o/{token}", [HttpMethods.Get, HttpMethods.Head], OpenAsync);
        links.MapMethods("/t/c/{token}", [HttpMethods.Get, HttpMethods.Head], ClickAsync);
        links.MapGet("/u/{token}", PreferencesAsync);
        links.MapPost("/u/{token}", UnsubscribeAsync).DisableAntiforgery();
        links.MapGet("/c/{token}", (string token, MessageDispatcher dispatcher) =>
        {
            Verify(dispatcher, token, LinkKind.Confirm);
            return Page("Confirm your subscription", $"<p>One more step: confirm that you want to receive these emails.</p><form method=\"post\" action=\"{HtmlAttribute($"/c/{token}")}\"><button>Yes, subscribe me</button></form>");
        });
        links.MapPost("/c/{token}", ConfirmAsync).DisableAntiforgery();
        return app;
    }

    private static async Task<Results<Ok<TemplatePreview>, ProblemHttpResult>> PreviewAsync(string id, HttpContext context, ContactCommands contactCommands, IDocumentStore documentStore, MessageDispatcher dispatcher, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        var body = await ReadJsonAsync(context).ConfigureAwait(false);
        var (template, version, problem) = await TemplateDrafts.ResolveAsync(id, body, documentStore, cancellationToken).ConfigureAwait(false);
        if (template is null)
        {
            return problem!;
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

        var parts = rendered.Parts.ToDictionary(part => part.Key, part => part.Value, StringComparer.Ordinal);
        SmsPreview? sms = null;
        if (template.Channel == Channel.Email && !parts.ContainsKey("text"))
        {
            parts["text"] = HtmlText.From(rendered["html"]);
        }
        else if (template.Channel == Channel.Sms)
        {
            var info = SmsInfo.Of(rendered["text"]);
            sms = new SmsPreview(info.EncodingName, info.Units, info.Segments);
        }

        return TypedResults.Ok(new TemplatePreview(id, version, template.Channel.DocumentName(), contact?.Id.ToString(), parts, sms));
    }

    private static async Task<Ok<MailboxView>> MailboxAsync(string? channel, string? to, string? cursor, int? limit, IRecipientStore recipientStore, MessageDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var page = await recipientStore.GetMailboxAsync(
            string.IsNullOrWhiteSpace(channel) ? null : channel,
            string.IsNullOrWhiteSpace(to) ? null : to,
            string.IsNullOrEmpty(cursor) ? null : cursor,
            Math.Clamp(limit ?? 50, 1, 500),
            cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new MailboxView(dispatcher.Transport, [.. page.Items.Select(MailboxItemView.Of)], page.NextCursor));
    }

    private static async Task<IResult> OpenAsync(string token, HttpContext context, ContactCommands contactCommands, IOutbox outboxStore, MessageDispatcher dispatcher, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        var link = Verify(dispatcher, token, LinkKind.Open);
        if (await outboxStore.GetMessageAsync(link.MessageId, cancellationToken).ConfigureAwait(false) is { } message)
        {
            var now = time.GetUtcNow();
            var machine = IsMachine(context, EngagementKind.Open, message, now, 1);
            await RecordAsync(contactCommands, outboxStore, message, machine ? Engagement.MachineOpened : Engagement.Opened, null, now, cancellationToken).ConfigureAwait(false);
        }

        return Results.Bytes(Pixel, "image/gif");
    }

    private static async Task<IResult> ClickAsync(string token, HttpContext context, ContactCommands contactCommands, IOutbox outboxStore, MessageDispatcher dispatcher, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        var link = Verify(dispatcher, token, LinkKind.Click);
        if (await outboxStore.GetMessageAsync(link.MessageId, cancellationToken).ConfigureAwait(false) is { } message)
        {
            // A second distinct link of the message within seconds of the previous click is a scanner's burst.
            var now = time.GetUtcNow();
            var linkHash = LinkHash(link.Url);
            var burst = message.LastClickAt is { } last && now - last < MachineEngagement.Burst && message.LastClickLink is { } previous && previous != linkHash ? 2 : 1;
            var machine = IsMachine(context, EngagementKind.Click, message, now, burst);

            // A click proves the email was opened, also when the client blocked the pixel: by the recipient when the
            // recipient clicked, by the machine when a machine did.
            if (machine ? message.Opens == 0 : message.OpenedAt is null)
            {
                await RecordAsync(contactCommands, outboxStore, message, machine ? Engagement.MachineOpened : Engagement.Opened, null, now, cancellationToken).ConfigureAwait(false);
            }

            await RecordAsync(contactCommands, outboxStore, message, machine ? Engagement.MachineClicked : Engagement.Clicked, link.Url, now, cancellationToken, linkHash).ConfigureAwait(false);
        }

        return Results.Redirect(link.Url!);
    }

    /// <summary>
    /// Whether an open or click looks like a machine's (<see cref="MachineEngagement"/>): from the request's user agent,
    /// address and method and the time since the message was sent. None of them is stored or logged.
    /// </summary>
    private static bool IsMachine(HttpContext context, EngagementKind kind, OutboxMessage message, DateTimeOffset now, int distinctLinksInBurst)
    {
        var signal = new EngagementSignal(
            kind,
            context.Request.Headers.UserAgent.ToString(),
            context.Connection.RemoteIpAddress,
            HttpMethods.IsHead(context.Request.Method),
            message.SentAt is { } sent ? now - sent : null,
            distinctLinksInBurst);
        return MachineEngagement.Classify(signal) != MachineReason.None;
    }

    // Which link a click followed, without keeping the address: the first 16 hex digits of its SHA-256.
    private static string? LinkHash(string? url) =>
        url is null ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(url)))[..16];

    private static async Task<IResult> PreferencesAsync(string token, JourneyRegistry journeyRegistry, IOutbox outboxStore, MessageDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var link = Verify(dispatcher, token, LinkKind.Unsubscribe);
        var message = await outboxStore.GetMessageAsync(link.MessageId, cancellationToken).ConfigureAwait(false);
        var group = GroupOf(journeyRegistry, message);
        var action = HtmlAttribute($"/u/{token}");
        var options = group is null
            ? $"<button name=\"scope\" value=\"all\">Unsubscribe from all marketing email</button>"
            : $"<button name=\"scope\" value=\"group\">Unsubscribe from {WebUtility.HtmlEncode(group)}</button> <button name=\"scope\" value=\"all\">Unsubscribe from all marketing email</button>";
        return Page("Email preferences", $"<p>Choose which email you no longer want to receive.</p><form method=\"post\" action=\"{action}\">{options}</form>");
    }

    private static async Task<IResult> UnsubscribeAsync(string token, HttpContext context, ContactCommands contactCommands, JourneyRegistry journeyRegistry, IOutbox outboxStore, MessageDispatcher dispatcher, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        var link = Verify(dispatcher, token, LinkKind.Unsubscribe);
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false) : null;
        var oneClick = form is not null && form["List-Unsubscribe"].ToString() == "One-Click";
        if (await outboxStore.GetMessageAsync(link.MessageId, cancellationToken).ConfigureAwait(false) is not { } message)
        {
            return Problems.NotFound("This unsubscribe link belongs to a message that no longer exists.");
        }

        var group = form is not null && form["scope"].ToString() == "all" ? null : GroupOf(journeyRegistry, message);
        var now = time.GetUtcNow();
        var source = oneClick ? "one_click_unsubscribe" : "unsubscribe_page";
        var record = new ConsentRecord(ConsentState.OptedOut, source, now, $"message {message.MessageId}");
        await contactCommands.ChangeConsentAsync(message.ContactId, MessageDispatcher.EmailChannel, group, record, cancellationToken).ConfigureAwait(false);
        await outboxStore.RecordEngagementAsync(message.MessageId, Engagement.Unsubscribed, now, cancellationToken).ConfigureAwait(false);
        var what = group is null ? "all marketing email" : $"“{group}” email";
        return oneClick
            ? Results.Text($"Unsubscribed from {what}.", "text/plain")
            : Page("Unsubscribed", $"<p>You are unsubscribed from {WebUtility.HtmlEncode(what)}. It takes effect at once.</p>");
    }

    /// <summary>The double opt-in click (a button on the page, so that link scanners do not confirm by fetching it).</summary>
    private static async Task<IResult> ConfirmAsync(string token, HttpContext context, ContactCommands contactCommands, IOutbox outboxStore, MessageDispatcher dispatcher, TimeProvider time)
    {
        var link = Verify(dispatcher, token, LinkKind.Confirm);
        if (await outboxStore.GetMessageAsync(link.MessageId, context.RequestAborted).ConfigureAwait(false) is not { } message)
        {
            return Problems.NotFound("This confirmation link belongs to a message that no longer exists.");
        }

        using var payload = JsonDocument.Parse(message.Payload ?? "{}");
        var channel = payload.RootElement.TryGetProperty("channel", out var c) ? c.GetString()! : MessageDispatcher.EmailChannel;
        var group = payload.RootElement.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
        var proof = $"confirmed through message {message.MessageId} from {context.Connection.RemoteIpAddress} ({context.Request.Headers.UserAgent})";
        await contactCommands.ChangeConsentAsync(message.ContactId, channel, group, new ConsentRecord(ConsentState.OptedIn, "double_opt_in", time.GetUtcNow(), proof), context.RequestAborted).ConfigureAwait(false);
        return Page("Subscribed", "<p>Thank you: your subscription is confirmed.</p>");
    }

    private static async Task RecordAsync(ContactCommands contactCommands, IOutbox outboxStore, OutboxMessage message, Engagement engagement, string? url, DateTimeOffset now, CancellationToken cancellationToken, string? linkHash = null)
    {
        await outboxStore.RecordEngagementAsync(message.MessageId, engagement, now, linkHash, cancellationToken).ConfigureAwait(false);
        var machine = engagement is Engagement.MachineOpened or Engagement.MachineClicked;
        var opened = engagement is Engagement.Opened or Engagement.MachineOpened;
        var properties = JsonSerializer.SerializeToElement(new Dictionary<string, object?>
        {
            ["message_id"] = message.MessageId,
            ["channel"] = message.Channel,
            ["template"] = message.Template,
            ["journey_id"] = message.JourneyId,
            ["step_id"] = message.StepId,
            ["url"] = url,
            ["machine"] = machine ? true : null,
        }.Where(pair => pair.Value is not null).ToDictionary());
        await contactCommands.RecordEventAsync(message.ContactId, opened ? $"{message.Channel}_opened" : $"{message.Channel}_clicked", properties, cancellationToken).ConfigureAwait(false);
    }

    private static string? GroupOf(JourneyRegistry journeyRegistry, OutboxMessage? message) =>
        message is not null && journeyRegistry.Templates.TryGetValue(message.Template, out var template) ? template.Definition.Subscription : null;

    private static SignedLink Verify(MessageDispatcher dispatcher, string token, LinkKind kind) =>
        dispatcher.Links.Signer.Verify(token) is { } link && link.Kind == kind
            ? link
            : throw ProblemException.BadRequest("This link is not valid (it was changed or is incomplete).");

    private static string HtmlAttribute(string text) => WebUtility.HtmlEncode(text);

    private static IResult Page(string title, string body) => Results.Content(
        $"<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{WebUtility.HtmlEncode(title)}</title></head>"
        + $"<body style=\"font-family:sans-serif;max-width:480px;margin:3em auto\"><h1>{WebUtility.HtmlEncode(title)}</h1>{body}</body></html>",
        "text/html; charset=utf-8");

    private static async Task<JsonElement> ReadJsonAsync(HttpContext context)
    {
        if (context.Request.ContentLength is 0 || !(context.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return default;
        }

        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            throw ProblemException.BadRequest($"The body is not valid JSON: {exception.Message}");
        }
    }
}

/// <summary>A rendered template: every part by name, and for an SMS its encoding and segments.</summary>
/// <param name="Template">The template id.</param>
/// <param name="Version">The stored version rendered; null for a draft sent with the request.</param>
/// <param name="Channel">email, sms, push, webhook or in_app.</param>
/// <param name="ContactId">The contact it was rendered for; null for sample data.</param>
/// <param name="Parts">Each part's text (<c>subject</c>, <c>html</c>, <c>text</c>, <c>title</c>, <c>body</c>…).</param>
/// <param name="Sms">An SMS's encoding and length.</param>
internal sealed record TemplatePreview(string Template, int? Version, string Channel, string? ContactId, IReadOnlyDictionary<string, string> Parts, SmsPreview? Sms);

/// <summary>How an SMS text is sent: <c>GSM-7</c> or <c>UCS-2</c>, its length in that encoding's units, and its segments.</summary>
internal sealed record SmsPreview(string Encoding, int Units, int Segments);
