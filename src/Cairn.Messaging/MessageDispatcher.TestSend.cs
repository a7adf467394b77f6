using Cairn.Core.Journeys;
using Cairn.Core.Templates;
using Cairn.Messaging.Channels;
using Cairn.Runtime;
using Cairn.Runtime.Storage;

namespace Cairn.Messaging;

/// <summary>The test send of a template from the editor: outside the outbox and the orchestrator.</summary>
public sealed partial class MessageDispatcher
{
    /// <summary>
    /// Sends a rendered template once to <paramref name="recipient"/> (whose address is the one to test) through its
    /// channel's own path (the address checks, the composer, the provider or the development mailbox), as a test: the
    /// message id starts with <c>test-</c>, the subject or text with <c>[Test]</c>, and it never enters the outbox, so
    /// no journey, cap or statistic counts it. Skips the orchestrator (a test is sent when asked).
    /// </summary>
    /// <returns>The message id and what became of it.</returns>
    public async Task<(string MessageId, DeliveryOutcome Outcome)> SendTestAsync(TemplateDefinition template, RenderResult rendered, Core.Contacts.ContactState recipient, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(rendered);
        ArgumentNullException.ThrowIfNull(recipient);
        var name = template.Channel.DocumentName();
        var messageId = $"test-{Guid.NewGuid():N}";
        if (!_channels.TryGetValue(name, out var channel))
        {
            return (messageId, DeliveryOutcome.Failed($"the {name} channel is not enabled"));
        }

        var marked = rendered.Parts.ContainsKey("subject") ? "subject" : rendered.Parts.ContainsKey("title") ? "title" : "text";
        var parts = rendered.Parts.SetItem(marked, "[Test] " + rendered[marked]);
        var message = new OutboxMessage(messageId, recipient.Id, string.Empty, 0, string.Empty, string.Empty, name, template.Id, "transactional", 0, "test", _time.GetUtcNow());
        var preparation = await channel.PrepareAsync(new DeliveryJob(message, recipient, new LiveTemplate(template, 0), rendered with { Parts = parts }), cancellationToken).ConfigureAwait(false);
        return (messageId, preparation switch
        {
            { Ended: { } ended } => ended,
            { Send: { } send } => await SendAsync(channel, message, send, cancellationToken).ConfigureAwait(false),
            _ => DeliveryOutcome.Failed("the channel prepared nothing to send"),
        });
    }
}
