using System.Globalization;
using Cairn.Messaging;

namespace Cairn.Http;

/// <summary>
/// Bounce, complaint and delivery reports from email providers (<c>POST /webhooks/email</c>, write key), in Cairn's
/// generic JSON or as Amazon SES notifications (directly, or wrapped by SNS); and the suppression list
/// (<c>/api/suppressions</c>). One unreadable report in a batch is rejected on its own.
/// </summary>
internal static class DeliveryFeedbackEndpoints
{
    /// <summary>A suppressed address as the list shows it: masked, with why, from where and since when.</summary>
    internal sealed record SuppressionView(string Address, string? Reason, string? Source, DateTimeOffset? SuppressedAt);

    public static IEndpointRouteBuilder MapDeliveryFeedback(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/email", ReceiveAsync)
            .WithTags("Delivery reports")
            .WithSummary("Bounce, complaint and delivery reports: {\"type\": \"bounce\" | \"complaint\" | \"delivered\", \"email\", \"bounce_type\": \"hard\" | \"soft\", \"message_id\" (Cairn's id or the Message-ID header), \"reason\", \"timestamp\"} or an array of them, or Amazon SES notifications (also through SNS). Write key as basic auth user or ?writeKey=.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireIngestKey();
        return app;
    }

    public static RouteGroupBuilder MapSuppressions(this RouteGroupBuilder api)
    {
        var suppressions = api.MapGroup("/suppressions").WithTags("Suppression list");
        suppressions.MapGet("/", async Task<Ok<PageView<SuppressionView>>> (string? cursor, int? limit, ISuppressionList suppressionList, CancellationToken cancellationToken) =>
            {
                var page = await suppressionList.ListSuppressionsAsync(string.IsNullOrEmpty(cursor) ? null : cursor, Math.Clamp(limit ?? 100, 1, 1000), cancellationToken).ConfigureAwait(false);
                return TypedResults.Ok(new PageView<SuppressionView>([.. page.Items.Select(entry => new SuppressionView(entry.Hint, entry.Reason, entry.Source, entry.SuppressedAt))], page.NextCursor));
            })
            .WithSummary("Suppressed addresses (masked), newest first, with the reason and its source, a page at a time (limit 1–1000, default 100; nextCursor as cursor for the next page).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        suppressions.MapGet("/check", async (string address, string? channel, MessageDispatcher dispatcher, CancellationToken cancellationToken) =>
                Results.Ok(await dispatcher.Suppressions.SuppressedAsync(ChannelOf(channel), address, cancellationToken).ConfigureAwait(false) is { } entry
                    ? new { address, suppressed = true, reason = entry.Reason, source = entry.Source, suppressedAt = entry.SuppressedAt }
                    : (object)new { address, suppressed = false }))
            .WithSummary("Whether an address is suppressed, and why (channel: email, the default, or sms for a phone number).");
        suppressions.MapPost("/", async Task<Results<Ok<SuppressedAddressView>, ProblemHttpResult>> (HttpContext context, MessageDispatcher dispatcher) =>
            {
                var body = await RequestBody.ParseAsync(context.Request, 64 * 1024, "64 KB", context.RequestAborted).ConfigureAwait(false);
                if (Text(body, "address") is not { } address)
                {
                    return Problems.BadRequest("Give the address to suppress.");
                }

                var reason = Text(body, "reason") ?? "added by an operator";
                await dispatcher.Suppressions.ApplyAsync(new DeliveryFeedback(FeedbackKind.HardBounce, address, null, reason, "api", dispatcher.Suppressions.Now), context.RequestAborted).ConfigureAwait(false);

                // Named by the address's keyed hash, as the suppression list keeps it: the address is personal data.
                var note = context.AuditNote();
                note.TargetId = dispatcher.Suppressions.KeyOf(MessageDispatcher.EmailChannel, address);
                note.Summary = "Suppressed an email address (target: its keyed hash)";
                return TypedResults.Ok(new SuppressedAddressView(address, true));
            })
            .Audited("suppression.added", "suppression", targetRoute: null)
            .WithSummary("Suppresses an email address: {\"address\", \"reason\"}.");
        suppressions.MapDelete("/", async Task<Results<NoContent, ProblemHttpResult>> (string address, string? channel, HttpContext context, ISuppressionList suppressionList, MessageDispatcher dispatcher, CancellationToken cancellationToken) =>
            {
                var key = dispatcher.Suppressions.KeyOf(ChannelOf(channel), address);
                var note = context.AuditNote();
                note.TargetId = key;
                note.Summary = $"Took a{(channel == "sms" ? " phone number" : "n email address")} off the suppression list (target: its keyed hash)";
                return await suppressionList.RemoveSuppressionAsync(key, cancellationToken).ConfigureAwait(false)
                    ? TypedResults.NoContent()
                    : Problems.NotFound("The address is not suppressed.");
            })
            .Audited("suppression.removed", "suppression", targetRoute: null)
            .WithSummary("Takes an address off the suppression list (after the owner fixed the mailbox, or an erased person signed up again); channel email (default) or sms.");
        return api;
    }

    /// <summary>The channel a suppression query names: email (the default) or sms.</summary>
    private static string ChannelOf(string? channel) => channel switch
    {
        null or "email" => MessageDispatcher.EmailChannel,
        "sms" => "sms",
        _ => throw ProblemException.BadRequest("channel is email or sms."),
    };

    private static async Task<IResult> ReceiveAsync(HttpContext context, KeyRing keys, MessageDispatcher dispatcher)
    {
        var body = await RequestBody.ParseAsync(context.Request, 1024 * 1024, "1 MB", context.RequestAborted).ConfigureAwait(false);
        IngestEndpoints.Authorize(context, keys, body);

        // Amazon SNS asks once whether the endpoint wants the topic; the operator confirms by opening the address.
        if (Text(body, "Type") == "SubscriptionConfirmation")
        {
            return Results.Ok(new { confirm = Text(body, "SubscribeURL"), note = "Open this address once to confirm the SNS subscription." });
        }

        var reports = body.ValueKind == JsonValueKind.Array ? [.. body.EnumerateArray()] : new List<JsonElement> { body };
        var accepted = 0;
        var rejected = new List<object>();
        for (var index = 0; index < reports.Count; index++)
        {
            IReadOnlyList<DeliveryFeedback> feedback;
            try
            {
                feedback = Read(reports[index], dispatcher.Suppressions.Now);
            }
            catch (FormatException exception)
            {
                rejected.Add(new { index, reason = exception.Message });
                continue;
            }

            foreach (var report in feedback)
            {
                await dispatcher.Suppressions.ApplyAsync(report, context.RequestAborted).ConfigureAwait(false);
                accepted++;
            }
        }

        if (accepted == 0 && rejected.Count > 0)
        {
            throw new ProblemException(StatusCodes.Status400BadRequest, "No report could be read", "Every report was rejected.", new Dictionary<string, object?> { ["rejected"] = rejected });
        }

        return Results.Ok(new { accepted, rejected });
    }

    /// <summary>The reports in one item: Cairn's generic format, an SES notification or event, or SNS wrapping either.</summary>
    internal static IReadOnlyList<DeliveryFeedback> Read(JsonElement report, DateTimeOffset now)
    {
        if (report.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a report is a JSON object");
        }

        if (Text(report, "Type") == "Notification" && Text(report, "Message") is { } wrapped)
        {
            try
            {
                // Recursive per level of wrapping, which is bounded by the body's size: each level escapes the
                // quotes of the one inside it, so the backslashes a quote needs double per level (a 1 MB body holds ~20).
                using var inner = JsonDocument.Parse(wrapped);
                return Read(inner.RootElement.Clone(), now);
            }
            catch (JsonException exception)
            {
                throw new FormatException($"the SNS Message is not JSON: {exception.Message}");
            }
        }

        if ((Text(report, "notificationType") ?? Text(report, "eventType")) is { } sesType)
        {
            return Ses(report, sesType, now);
        }

        var kind = Text(report, "type") switch
        {
            "bounce" => Text(report, "bounce_type") == "soft" ? FeedbackKind.SoftBounce : FeedbackKind.HardBounce,
            "complaint" => FeedbackKind.Complaint,
            "delivered" => FeedbackKind.Delivered,
            _ => throw new FormatException("type is bounce, complaint or delivered"),
        };
        var email = Text(report, "email") ?? throw new FormatException("email is required");
        return [new DeliveryFeedback(kind, email, MessageIdOf(Text(report, "message_id")), Text(report, "reason"), Text(report, "source") ?? "webhook", Time(report, "timestamp") ?? now)];
    }

    private static List<DeliveryFeedback> Ses(JsonElement report, string type, DateTimeOffset now)
    {
        var mail = report.TryGetProperty("mail", out var m) ? m : default;
        string? messageId = null;
        if (mail.ValueKind == JsonValueKind.Object && mail.TryGetProperty("headers", out var headers) && headers.ValueKind == JsonValueKind.Array)
        {
            var byName = headers.EnumerateArray().Where(header => header.ValueKind == JsonValueKind.Object)
                .Select(header => (Name: Text(header, "name"), Value: Text(header, "value")))
                .ToList();
            messageId = byName.FirstOrDefault(header => string.Equals(header.Name, "X-Cairn-Message-Id", StringComparison.OrdinalIgnoreCase)).Value
                ?? MessageIdOf(byName.FirstOrDefault(header => string.Equals(header.Name, "Message-ID", StringComparison.OrdinalIgnoreCase)).Value);
        }

        IEnumerable<(string Address, string? Reason)> Recipients(string section, string list) =>
            report.TryGetProperty(section, out var part) && part.TryGetProperty(list, out var recipients) && recipients.ValueKind == JsonValueKind.Array
                ? recipients.EnumerateArray().Select(recipient => recipient.ValueKind == JsonValueKind.String
                    ? (recipient.GetString()!, (string?)null)
                    : (Text(recipient, "emailAddress") ?? throw new FormatException($"{section}.{list} has no emailAddress"), Text(recipient, "diagnosticCode")))
                : throw new FormatException($"an SES {type} needs {section}.{list}");

        switch (type)
        {
            case "Bounce":
                var bounce = report.GetProperty("bounce");
                var kind = Text(bounce, "bounceType") == "Permanent" ? FeedbackKind.HardBounce : FeedbackKind.SoftBounce;
                var at = Time(bounce, "timestamp") ?? now;
                return [.. Recipients("bounce", "bouncedRecipients").Select(r => new DeliveryFeedback(kind, r.Address, messageId, r.Reason ?? $"{Text(bounce, "bounceType")}/{Text(bounce, "bounceSubType")}", "ses", at))];
            case "Complaint":
                var complaint = report.GetProperty("complaint");
                return [.. Recipients("complaint", "complainedRecipients").Select(r => new DeliveryFeedback(FeedbackKind.Complaint, r.Address, messageId, Text(complaint, "complaintFeedbackType"), "ses", Time(complaint, "timestamp") ?? now))];
            case "Delivery":
                var delivery = report.GetProperty("delivery");
                return [.. Recipients("delivery", "recipients").Select(r => new DeliveryFeedback(FeedbackKind.Delivered, r.Address, messageId, null, "ses", Time(delivery, "timestamp") ?? now))];
            default:
                return [];
        }
    }

    private static string? MessageIdOf(string? given) =>
        given is null ? null : given.Contains('@', StringComparison.Ordinal) ? EmailComposer.OutboxIdOf(given) : given;

    private static string? Text(JsonElement element, string name) => RequestBody.Text(element, name);

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        Text(element, name) is { } text
            ? DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : throw new FormatException($"{name} is not an ISO 8601 time")
            : null;
}

/// <summary>An address an operator suppressed.</summary>
internal sealed record SuppressedAddressView(string Address, bool Suppressed);
