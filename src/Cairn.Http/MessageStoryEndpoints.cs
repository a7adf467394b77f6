using Cairn.Core.Templates;
using Cairn.Messaging;

namespace Cairn.Http;

/// <summary>
/// What the console shows of one message beyond its outbox row: the content as it was delivered (from the development
/// mailbox, when no provider is configured) or, when that copy is gone, as its template renders it for the contact now.
/// </summary>
internal static class MessageStoryEndpoints
{
    /// <summary>How many of the recipient's newest mailbox messages are searched for the message's own copy.</summary>
    private const int MailboxWindow = 200;

    /// <summary>Maps <c>/messages/{id}/content</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapMessageStory(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/messages/{id}/content", ContentAsync)
            .WithTags("Messages")
            .WithSummary("A message's content: the copy the development mailbox kept (source mailbox) or, when there is none, the template rendered for the contact now (source rendered); subject, text and HTML for email, text for SMS and push.")
            .Produces<MessageContentView>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static async Task<Results<Ok<MessageContentView>, ProblemHttpResult>> ContentAsync(string id, IOutbox outboxStore, IRecipientStore recipientStore, ContactCommands contactCommands, JourneyRegistry journeyRegistry, MessageDispatcher dispatcher, CancellationToken cancellationToken)
    {
        if (await outboxStore.GetMessageAsync(id, cancellationToken).ConfigureAwait(false) is not { } message)
        {
            return Problems.NotFound($"There is no message '{id}'.");
        }

        if (message.Recipient is { } recipient
            && (await recipientStore.GetMailboxAsync(message.Channel, recipient, null, MailboxWindow, cancellationToken).ConfigureAwait(false)).Items
                .FirstOrDefault(stored => stored.MessageId == message.MessageId) is { } kept)
        {
            if (kept.Channel != MessageDispatcher.EmailChannel)
            {
                return TypedResults.Ok(new MessageContentView("mailbox", kept.Channel, message.TemplateVersion, kept.Subject, kept.Raw, null));
            }

            using var raw = new MemoryStream(Encoding.UTF8.GetBytes(kept.Raw));
            var mime = await MimeKit.MimeMessage.LoadAsync(raw, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new MessageContentView("mailbox", kept.Channel, message.TemplateVersion, kept.Subject, mime.TextBody, mime.HtmlBody));
        }

        if (message.Template.Length == 0 || !journeyRegistry.Templates.TryGetValue(message.Template, out var template))
        {
            return Problems.NotFound($"The content of message '{id}' was not kept, and its template '{message.Template}' is not live to render it again.");
        }

        var (contact, missing) = await ContactEndpoints.FindAsync(message.ContactId.ToString(), contactCommands, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return missing!;
        }

        var rendered = await dispatcher.RenderAsync(message, template, contact, cancellationToken).ConfigureAwait(false);
        if (!rendered.Succeeded)
        {
            return Problems.Of(StatusCodes.Status422UnprocessableEntity, "Render error", rendered.Error!, new Dictionary<string, object?> { ["template"] = message.Template });
        }

        string? Part(string name) => rendered.Parts.TryGetValue(name, out var value) ? value : null;
        var html = template.Definition.Channel == Channel.Email ? Part("html") : null;
        var text = Part("text") ?? Part("body") ?? (html is null ? null : HtmlText.From(html));
        return TypedResults.Ok(new MessageContentView("rendered", message.Channel, template.Version, Part("subject") ?? Part("title") ?? message.Subject, text, html));
    }
}

/// <summary>A message's content as the console shows it.</summary>
/// <param name="Source"><c>mailbox</c>: the copy that was delivered; <c>rendered</c>: the template rendered for the contact now.</param>
/// <param name="Channel">The message's channel.</param>
/// <param name="TemplateVersion">The template version it was (or is now) rendered from.</param>
/// <param name="Subject">The subject (email) or title (push, in-app).</param>
/// <param name="Text">The text part (email), the SMS text or the push JSON.</param>
/// <param name="Html">The HTML part of an email.</param>
internal sealed record MessageContentView(string Source, string Channel, int? TemplateVersion, string? Subject, string? Text, string? Html);
