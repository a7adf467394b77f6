using Cairn.Runtime.Storage;

namespace Cairn.Messaging.Channels;

/// <summary>In-app messages: rendered into the contact's inbox, which the customer's app reads (<c>GET /api/inbox/{contact}</c>); delivered once there.</summary>
internal sealed class InAppChannel(IRecipientStore store, TimeProvider time, MessagingOptions options) : IMessageChannel
{
    /// <inheritdoc />
    public string Name => "in_app";

    /// <inheritdoc />
    public bool Templated => true;

    /// <inheritdoc />
    public int Concurrency => 8;

    /// <inheritdoc />
    public RetryPolicy Retry { get; } = new(options.MaxAttempts, options.RetryDelay);

    /// <inheritdoc />
    public Task<Preparation> PrepareAsync(DeliveryJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var rendered = job.Rendered!;
        string? Part(string name) => rendered.Parts.TryGetValue(name, out var text) && text.Length > 0 ? text : null;
        return Task.FromResult(Preparation.Ready(job.Contact.Id.ToString(), rendered["title"], async token =>
        {
            await store.AddInboxItemAsync(new InboxItem(job.Message.MessageId, job.Contact.Id, rendered["title"], rendered["body"], Part("action.label"), Part("action.url"), time.GetUtcNow()), token).ConfigureAwait(false);
            return new DeliveryOutcome(OutcomeKind.Delivered);
        }));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
