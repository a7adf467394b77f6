using System.Text.Json;
using Cairn.Core.Journeys;
using Cairn.Core.Templates;
using Cairn.Runtime;
using Cairn.Runtime.Storage;

namespace Cairn.Messaging;

/// <summary>Rendering: a message for its contact as it would be sent now, for the delivery and the preview alike.</summary>
public sealed partial class MessageDispatcher
{
    /// <summary>Renders a message for its contact as it would be sent now (the preview and the send use this).</summary>
    public async Task<RenderResult> RenderAsync(OutboxMessage message, LiveTemplate template, Core.Contacts.ContactState contact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(contact);
        var recent = template.Definition.Parts.Any(part => part.Source.Contains("events", StringComparison.Ordinal))
            ? (await _events.GetEventsAsync(contact.Id, null, RenderModel.RecentEvents, cancellationToken).ConfigureAwait(false)).Items
            : [];
        JsonElement? payload = null;
        if (message.Payload is { } json)
        {
            using var document = JsonDocument.Parse(json);
            payload = document.RootElement.Clone();
        }

        var arm = contact.Journeys.Active.TryGetValue(message.JourneyId, out var enrollment) && enrollment.Id == message.EnrollmentId ? enrollment.Arm : null;
        var unsubscribe = Links.Unsubscribe(message.MessageId);
        var model = RenderModel.For(
            contact,
            _time.GetUtcNow(),
            payload,
            [.. recent.Select(stored => stored.ToPastEvent())],
            new MessageContext(message.MessageId, message.JourneyId, message.StepId, arm, unsubscribe, unsubscribe)
            {
                ConfirmUrl = message.JourneyId == Core.Consent.Consents.ConfirmationJourney ? Links.Confirm(message.MessageId) : null,
            },
            Workspace);
        return Render(template.Definition, model);
    }

    /// <summary>
    /// Renders a template within <see cref="TemplateRenderer.MaxTime"/>, measured on this server's clock (Core reads none).
    /// </summary>
    public RenderResult Render(TemplateDefinition template, RenderModel model)
    {
        var started = _time.GetTimestamp();
        return TemplateRenderer.Render(template, model, () => _time.GetElapsedTime(started));
    }
}
