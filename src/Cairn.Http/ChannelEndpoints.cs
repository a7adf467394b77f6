using System.Net;
using Cairn.Core.Consent;
using Cairn.Messaging;

namespace Cairn.Http;

/// <summary>
/// Channel endpoints: push device tokens and messaging settings (admin API), the dead-letter queue and replays, the
/// in-app inbox the customer's app reads with a per-user HMAC token, and the SMS provider's webhooks (inbound
/// messages with STOP/START/HELP, delivery status callbacks).
/// </summary>
internal static class ChannelEndpoints
{
    private const string DeviceNotAudited = "a recipient's push device, registered by the customer's app on the person's behalf like ingestion; kept with the contact and erased with it";

    private static readonly string[] StopWords = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
    private static readonly string[] StartWords = ["START", "UNSTOP", "YES"];
    private static readonly string[] HelpWords = ["HELP", "INFO"];

    public static RouteGroupBuilder MapChannels(this RouteGroupBuilder api)
    {
        var devices = api.MapGroup("/contacts/{id}/devices").WithTags("Push devices");
        devices.MapGet("/", async Task<Results<Ok<List<DeviceView>>, ProblemHttpResult>> (string id, ContactCommands contactCommands, IRecipientStore recipientStore, CancellationToken cancellationToken) =>
            {
                var (contact, missing) = await ContactEndpoints.FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
                return contact is null
                    ? missing!
                    : TypedResults.Ok<List<DeviceView>>([.. (await recipientStore.GetDevicesAsync(contact.Id, cancellationToken).ConfigureAwait(false)).Select(device => new DeviceView(device.Token, device.Platform, device.CreatedAt))]);
            })
            .WithSummary("The contact's push device tokens.").ProducesProblem(StatusCodes.Status404NotFound);
        devices.MapPost("/", RegisterDeviceAsync).NotAudited(DeviceNotAudited)
            .WithSummary("Registers a push device token for the contact: {\"token\", \"platform\": \"android\" | \"ios\" | \"web\"}. A token registered again moves to this contact.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        devices.MapDelete("/{token}", async Task<Results<NoContent, ProblemHttpResult>> (string id, string token, ContactCommands contactCommands, IRecipientStore recipientStore, CancellationToken cancellationToken) =>
            {
                var (contact, missing) = await ContactEndpoints.FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
                if (contact is null)
                {
                    return missing!;
                }

                return (await recipientStore.GetDevicesAsync(contact.Id, cancellationToken).ConfigureAwait(false)).Any(device => device.Token == token)
                    && await recipientStore.RemoveDeviceAsync(token, cancellationToken).ConfigureAwait(false)
                    ? TypedResults.NoContent()
                    : Problems.NotFound("The contact has no such device token.");
            })
            .NotAudited(DeviceNotAudited)
            .WithSummary("Removes a device token (the app logged out).").ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/dead-letters", async (string? channel, int? limit, IOutbox outboxStore, CancellationToken cancellationToken) =>
                Results.Ok(await outboxStore.ListMessagesAsync("dead_letter", channel, Math.Clamp(limit ?? 100, 1, 1000), cancellationToken).ConfigureAwait(false)))
            .WithTags("Messages")
            .WithSummary("Webhooks (and owner alerts) that kept failing until their retries ran out, newest first, with the last error.");
        api.MapPost("/messages/{id}/retry", async Task<Results<Ok<OutboxMessage>, ProblemHttpResult>> (string id, IOutbox outboxStore, CancellationToken cancellationToken) =>
                await outboxStore.RequeueMessageAsync(id, cancellationToken).ConfigureAwait(false)
                    ? TypedResults.Ok((await outboxStore.GetMessageAsync(id, cancellationToken).ConfigureAwait(false))!)
                    : Problems.Of(StatusCodes.Status409Conflict, "Not retryable", $"The message '{id}' does not exist or is not failed or dead-lettered."))
            .WithTags("Messages")
            .Audited("message.retried", "message")
            .WithSummary("Queues a failed or dead-lettered message again, with a fresh set of attempts.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/settings/messaging", (MessageDispatcher dispatcher, HttpContext context) => Results.Ok(new
            {
                publicUrl = dispatcher.Options.PublicUrl,
                email = dispatcher.Transport,
                sms = dispatcher.Options.Sms.Enabled ? "provider" : "mailbox",
                push = dispatcher.Options.Push.Enabled ? "provider" : "mailbox",
                webhookSecret = AccessControl.RoleOf(context.User) == UserRole.Admin ? dispatcher.Webhooks.Secret : null,
                inboxSecret = AccessControl.RoleOf(context.User) == UserRole.Admin ? dispatcher.InboxSecret : null,
            }))
            .WithTags("Messages")
            .WithSummary("Where each channel delivers, the Standard Webhooks secret receivers verify Cairn's calls with, and the secret the customer's backend signs inbox tokens with (hex HMAC-SHA256 of the user id). The secrets only for an admin (or an API key); null for other roles.");
        return api;
    }

    public static IEndpointRouteBuilder MapChannelWebhooks(this IEndpointRouteBuilder app)
    {
        var inbox = app.MapGroup("/api/inbox/{userId}").WithTags("In-app inbox");
        inbox.MapGet("/", InboxAsync)
            .WithSummary("The user's in-app messages, newest first (dismissed ones with ?dismissed=true). For the customer's app: send the user's inbox token (hex HMAC-SHA256 of the user id with the inbox secret) as X-Cairn-Inbox-Token.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        const string InboxNotAudited = "a recipient's own inbox activity, relayed by the customer's app like ingestion: recorded as the contact's events";
        inbox.MapPost("/{messageId}/read", (string userId, string messageId, HttpContext context, ContactCommands contactCommands, IOutbox outboxStore, IRecipientStore recipientStore, MessageDispatcher dispatcher, TimeProvider time) => MarkAsync(userId, messageId, "read", context, contactCommands, outboxStore, recipientStore, dispatcher, time))
            .NotAudited(InboxNotAudited).WithSummary("Marks an in-app message read (an in_app_opened event).");
        inbox.MapPost("/{messageId}/dismiss", (string userId, string messageId, HttpContext context, ContactCommands contactCommands, IOutbox outboxStore, IRecipientStore recipientStore, MessageDispatcher dispatcher, TimeProvider time) => MarkAsync(userId, messageId, "dismiss", context, contactCommands, outboxStore, recipientStore, dispatcher, time))
            .NotAudited(InboxNotAudited).WithSummary("Dismisses an in-app message (it leaves the inbox).");
        inbox.MapPost("/{messageId}/click", (string userId, string messageId, HttpContext context, ContactCommands contactCommands, IOutbox outboxStore, IRecipientStore recipientStore, MessageDispatcher dispatcher, TimeProvider time) => MarkAsync(userId, messageId, "click", context, contactCommands, outboxStore, recipientStore, dispatcher, time))
            .NotAudited(InboxNotAudited).WithSummary("Records a click on the message's action (an in_app_clicked event).");

        var sms = app.MapGroup("/webhooks/sms").WithTags("SMS provider").ExcludeFromDescription();
        sms.MapPost("/inbound", InboundSmsAsync).DisableAntiforgery();
        sms.MapPost("/status/{token}", SmsStatusAsync).DisableAntiforgery();
        return app;
    }

    private static async Task<Results<Ok<RegisteredDeviceView>, ProblemHttpResult>> RegisterDeviceAsync(string id, HttpContext context, ContactCommands contactCommands, IRecipientStore recipientStore, TimeProvider time)
    {
        var (contact, missing) = await ContactEndpoints.FindAsync(id, contactCommands, context.RequestAborted).ConfigureAwait(false);
        if (contact is null)
        {
            return missing!;
        }

        var body = await RequestBody.ParseAsync(context.Request, 16 * 1024, "16 KB", context.RequestAborted).ConfigureAwait(false);
        var token = Text(body, "token");
        if (token is not { Length: > 0 and <= 4096 })
        {
            return Problems.BadRequest("Give the device token (up to 4096 characters).");
        }

        var platform = Text(body, "platform") ?? "android";
        if (platform is not ("android" or "ios" or "web"))
        {
            return Problems.BadRequest("platform is android, ios or web.");
        }

        await recipientStore.AddDeviceAsync(new Device(token, contact.Id, platform, time.GetUtcNow()), context.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(new RegisteredDeviceView(token, platform, contact.Id.ToString()));
    }

    private static async Task<IResult> InboxAsync(string userId, bool? dismissed, int? limit, HttpContext context, ContactCommands contactCommands, IRecipientStore recipientStore, MessageDispatcher dispatcher)
    {
        var contact = await InboxContactAsync(userId, context, contactCommands, dispatcher).ConfigureAwait(false);
        var items = contact is null ? [] : await recipientStore.GetInboxAsync(contact.Value, dismissed ?? false, Math.Clamp(limit ?? 50, 1, 200), context.RequestAborted).ConfigureAwait(false);
        return Results.Ok(new
        {
            unread = items.Count(item => item.ReadAt is null && item.DismissedAt is null),
            items = items.Select(item => new
            {
                id = item.MessageId,
                title = item.Title,
                body = item.Body,
                action = item.ActionUrl is null ? null : new { label = item.ActionLabel, url = item.ActionUrl },
                createdAt = item.CreatedAt,
                readAt = item.ReadAt,
                dismissedAt = item.DismissedAt,
            }),
        });
    }

    private static async Task<IResult> MarkAsync(string userId, string messageId, string what, HttpContext context, ContactCommands contactCommands, IOutbox outboxStore, IRecipientStore recipientStore, MessageDispatcher dispatcher, TimeProvider time)
    {
        var now = time.GetUtcNow();
        if (await InboxContactAsync(userId, context, contactCommands, dispatcher).ConfigureAwait(false) is not { } contact
            || !await recipientStore.MarkInboxItemAsync(contact, messageId, what == "dismiss", now, context.RequestAborted).ConfigureAwait(false))
        {
            return Problems.NotFound("There is no such message in this inbox.");
        }

        if (what != "dismiss" && await outboxStore.GetMessageAsync(messageId, context.RequestAborted).ConfigureAwait(false) is { } message)
        {
            await outboxStore.RecordEngagementAsync(messageId, what == "read" ? Engagement.Opened : Engagement.Clicked, now, context.RequestAborted).ConfigureAwait(false);
            var properties = JsonSerializer.SerializeToElement(new { message_id = messageId, channel = "in_app", template = message.Template, journey_id = message.JourneyId, step_id = message.StepId });
            await contactCommands.RecordEventAsync(contact, what == "read" ? "in_app_opened" : "in_app_clicked", properties, context.RequestAborted).ConfigureAwait(false);
        }

        return Results.NoContent();
    }

    /// <summary>The contact behind an inbox request, after checking the token; null when the user is unknown (an empty inbox).</summary>
    private static Task<Core.ContactId?> InboxContactAsync(string userId, HttpContext context, ContactCommands contactCommands, MessageDispatcher dispatcher)
    {
        var token = context.Request.Headers["X-Cairn-Inbox-Token"].FirstOrDefault() ?? context.Request.Query["token"].FirstOrDefault();
        if (!dispatcher.IsInboxToken(userId, token))
        {
            throw ProblemException.Unauthorized("Send the user's inbox token (hex HMAC-SHA256 of the user id with the inbox secret) as X-Cairn-Inbox-Token.");
        }

        return Task.FromResult(contactCommands.FindContact(Core.Contacts.IdentityKey.User(userId)));
    }

    private static async Task<IResult> InboundSmsAsync(HttpContext context, ContactCommands contactCommands, IContactStore contactStore, MessageDispatcher dispatcher, KeyRing keys, TimeProvider time)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        Authorize(context, form, dispatcher, keys);
        var from = form["From"].ToString();
        var body = form["Body"].ToString().Trim();
        var word = body.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.ToUpperInvariant() ?? string.Empty;
        var contacts = await contactStore.FindContactsByPhoneAsync(from, context.RequestAborted).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var name = dispatcher.Options.WorkspaceName;
        var proof = $"inbound SMS {form["MessageSid"]}".Trim();

        if (StopWords.Contains(word) || StartWords.Contains(word))
        {
            var state = StopWords.Contains(word) ? ConsentState.OptedOut : ConsentState.OptedIn;
            var changed = false;
            foreach (var id in contacts)
            {
                var contact = await contactCommands.GetContactAsync(id, context.RequestAborted).ConfigureAwait(false);
                changed |= contact is not null && Consents.StateOf(contact.Consents, "sms", null) != state;
                await contactCommands.ChangeConsentAsync(id, "sms", null, new ConsentRecord(state, state == ConsentState.OptedOut ? "sms_stop" : "sms_start", now, proof), context.RequestAborted).ConfigureAwait(false);
            }

            // Confirm once: a second STOP from a number already opted out gets no reply.
            return changed
                ? TwiML(state == ConsentState.OptedOut
                    ? $"{name}: you are unsubscribed and will receive no more messages. Reply START to resubscribe."
                    : $"{name}: you are subscribed again. Reply STOP to unsubscribe, HELP for help.")
                : TwiML(null);
        }

        if (HelpWords.Contains(word))
        {
            return TwiML($"{name}: reply STOP to unsubscribe. Msg & data rates may apply. Help: {dispatcher.Options.WorkspaceUrl}");
        }

        foreach (var id in contacts)
        {
            await contactCommands.RecordEventAsync(id, "sms_received", JsonSerializer.SerializeToElement(new { body, from }), context.RequestAborted).ConfigureAwait(false);
        }

        return TwiML(null);
    }

    private static async Task<IResult> SmsStatusAsync(string token, HttpContext context, ContactCommands contactCommands, IOutbox outboxStore, MessageDispatcher dispatcher, TimeProvider time)
    {
        if (dispatcher.Links.Signer.Verify(token) is not { Kind: LinkKind.Status } link)
        {
            throw ProblemException.BadRequest("This status address is not valid.");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var status = form["MessageStatus"].ToString();
        if (await outboxStore.GetMessageAsync(link.MessageId, context.RequestAborted).ConfigureAwait(false) is not { } message || status is not ("delivered" or "undelivered" or "failed"))
        {
            return Results.NoContent();
        }

        var now = time.GetUtcNow();
        string? reason = null;
        if (status == "delivered")
        {
            await outboxStore.RecordEngagementAsync(message.MessageId, Engagement.Delivered, now, context.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            reason = $"carrier reported {status}{(form["ErrorCode"].ToString() is { Length: > 0 } code ? $" (error {code})" : string.Empty)}";
            await outboxStore.RecordDeliveryAsync(message.MessageId, "failed", message.Attempts, null, message.SentAt, reason, context.RequestAborted).ConfigureAwait(false);
        }

        var properties = JsonSerializer.SerializeToElement(new Dictionary<string, string?> { ["message_id"] = message.MessageId, ["template"] = message.Template, ["journey_id"] = message.JourneyId, ["step_id"] = message.StepId, ["reason"] = reason }.Where(pair => pair.Value is not null).ToDictionary());
        await contactCommands.RecordEventAsync(message.ContactId, status == "delivered" ? "sms_delivered" : "sms_failed", properties, context.RequestAborted).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>Inbound SMS comes signed by the provider (X-Twilio-Signature with the auth token) or carries the write key.</summary>
    private static void Authorize(HttpContext context, IFormCollection form, MessageDispatcher dispatcher, KeyRing keys)
    {
        var sms = dispatcher.Options.Sms;
        if (sms.AuthToken is { } authToken && context.Request.Headers["X-Twilio-Signature"].FirstOrDefault() is { } signature)
        {
            var url = new Uri(dispatcher.Options.PublicUrl, context.Request.Path + context.Request.QueryString).ToString();
            var fields = form.Select(field => new KeyValuePair<string, string>(field.Key, field.Value.ToString()));
            if (TwilioSignature.IsValid(authToken, url, fields, signature))
            {
                return;
            }

            throw ProblemException.Unauthorized("The X-Twilio-Signature does not match this request.");
        }

        IngestEndpoints.Authorize(context, keys, default);
    }

    private static IResult TwiML(string? reply) => Results.Content(
        reply is null
            ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"
            : $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{WebUtility.HtmlEncode(reply)}</Message></Response>",
        "application/xml");

    private static string? Text(JsonElement element, string name) => RequestBody.Text(element, name);
}

/// <summary>A push device token of a contact, its platform and when it was registered.</summary>
internal sealed record DeviceView(string Token, string Platform, DateTimeOffset CreatedAt);

/// <summary>A registered push device token and the contact it now belongs to.</summary>
internal sealed record RegisteredDeviceView(string Token, string Platform, string ContactId);
