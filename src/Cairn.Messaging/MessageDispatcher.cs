using System.Text.Json;
using Cairn.Core.Consent;
using Cairn.Core.Templates;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cairn.Messaging;

/// <summary>
/// Delivers the outbox's email: renders each due message from its template's live version against the contact as
/// it is now, composes it, claims it (<c>sending</c>) and hands it to the transport — SMTP, or the development
/// mailbox when no relay is configured. A render error, a missing address or a withdrawn consent ends the message
/// with that reason instead of sending something broken or unwanted. A transient failure is retried with exponential
/// backoff and jitter; a permanent one (a 5xx reply) is a hard bounce. A crash between the claim and the relay's
/// answer leaves the message in <c>sending</c>: it is sent again at the next start under the same Message-ID (at
/// least once, with the Message-ID as the idempotency key a relay or inbox can deduplicate on).
/// </summary>
public sealed partial class MessageDispatcher : IHostedService, IAsyncDisposable
{
    /// <summary>The outbox channel this dispatcher delivers.</summary>
    public const string EmailChannel = "email";

    private readonly CairnEngine _engine;
    private readonly MessagingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MessageDispatcher> _logger;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly JsonElement _workspace;
    private IEmailTransport? _transport;
    private EmailComposer? _composer;
    private MessageLinks? _links;
    private Suppressions? _suppressions;
    private Task _loop = Task.CompletedTask;

    public MessageDispatcher(CairnEngine engine, IOptions<MessagingOptions> options, TimeProvider time, ILogger<MessageDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _engine = engine;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _workspace = JsonSerializer.SerializeToElement(new { name = _options.WorkspaceName, address = _options.WorkspaceAddress, url = _options.WorkspaceUrl });
    }

    /// <summary>The signed links of this workspace (tracking and unsubscribe endpoints verify with it); set once started.</summary>
    public MessageLinks Links => _links ?? throw new InvalidOperationException("The dispatcher has not started.");

    /// <summary>The suppression list and the bounce and complaint reports that feed it; set once started.</summary>
    public Suppressions Suppressions => _suppressions ?? throw new InvalidOperationException("The dispatcher has not started.");

    /// <summary>Where email goes: <c>smtp</c> or <c>mailbox</c>.</summary>
    public string Transport => _transport?.Name ?? (_options.Smtp.Host is null ? "mailbox" : "smtp");

    /// <summary>The workspace settings templates see.</summary>
    public JsonElement Workspace => _workspace;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var store = _engine.Store;
        var key = await store.GetOrAddSettingAsync(LinkSigner.SettingKey, LinkSigner.NewKey(), cancellationToken).ConfigureAwait(false);
        _links = new MessageLinks(new LinkSigner(Convert.FromBase64String(key)), _options.PublicUrl);
        _composer = new EmailComposer(_options, _links);
        var addressKey = await store.GetOrAddSettingAsync(Suppressions.SettingKey, LinkSigner.NewKey(), cancellationToken).ConfigureAwait(false);
        _suppressions = new Suppressions(_engine, Convert.FromBase64String(addressKey), _time) { SoftBounceLimit = _options.SoftBounceLimit };
        _transport = _options.Smtp.Host is null ? new MailboxTransport(store, _time) : new SmtpTransport(_options.Smtp);
        var requeued = await store.RequeueSendingAsync(cancellationToken).ConfigureAwait(false);
        if (requeued > 0)
        {
            LogRequeued(_logger, requeued);
        }

        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One pass: every due email message (up to a batch) is rendered and sent, as many at once as the transport has
    /// connections. Returns how many were attempted. The loop calls it; tests call it after moving a fake clock.
    /// </summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var due = await _engine.Store.GetDueDeliveriesAsync(EmailChannel, _time.GetUtcNow(), _options.BatchSize, cancellationToken).ConfigureAwait(false);
            await Parallel.ForEachAsync(
                due,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Smtp.MaxConnections), CancellationToken = cancellationToken },
                async (message, token) => await DeliverAsync(message, token).ConfigureAwait(false)).ConfigureAwait(false);
            return due.Count;
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>Renders a message for its contact as it would be sent now (the preview and the send use this).</summary>
    public async Task<RenderResult> RenderAsync(OutboxMessage message, LiveTemplate template, Core.Contacts.ContactState contact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(contact);
        var recent = await _engine.Store.GetEventsAsync(contact.Id, null, RenderModel.RecentEvents, cancellationToken).ConfigureAwait(false);
        JsonElement? payload = message.Payload is { } json ? JsonDocument.Parse(json).RootElement.Clone() : null;
        var arm = contact.Journeys.Active.TryGetValue(message.JourneyId, out var enrollment) && enrollment.Id == message.EnrollmentId ? enrollment.Arm : null;
        var unsubscribe = Links.Unsubscribe(message.MessageId);
        var model = RenderModel.For(
            contact,
            _time.GetUtcNow(),
            payload,
            [.. recent.Items.Select(stored => stored.ToPastEvent())],
            new MessageContext(message.MessageId, message.JourneyId, message.StepId, arm, unsubscribe, unsubscribe),
            _workspace);
        return TemplateRenderer.Render(template.Definition, model);
    }

    private async Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var store = _engine.Store;
        async Task EndAsync(string status, string reason) =>
            await store.RecordDeliveryAsync(message.MessageId, status, message.Attempts, null, null, reason, cancellationToken).ConfigureAwait(false);

        if (!_engine.Journeys.Templates.TryGetValue(message.Template, out var template))
        {
            await EndAsync("failed", $"the template '{message.Template}' is not live (missing or archived)").ConfigureAwait(false);
            return;
        }

        if (await _engine.GetContactAsync(message.ContactId, cancellationToken).ConfigureAwait(false) is not { } contact)
        {
            await EndAsync("failed", "the contact no longer exists").ConfigureAwait(false);
            return;
        }

        if (contact.Email is null)
        {
            await EndAsync("undeliverable", "the contact has no email address").ConfigureAwait(false);
            return;
        }

        // Transactional or not, nothing goes to an address that bounced hard or complained.
        if (await Suppressions.SuppressedAsync(contact.Email, cancellationToken).ConfigureAwait(false) is { } suppressed)
        {
            await EndAsync("suppressed", $"the address is on the suppression list ({suppressed.Reason})").ConfigureAwait(false);
            return;
        }

        var transactional = message.Category == "transactional";
        if (!transactional && Consents.StateOf(contact.Consents, EmailChannel, template.Definition.Subscription) == ConsentState.OptedOut)
        {
            await EndAsync("suppressed", template.Definition.Subscription is { } group ? $"the contact opted out of email ({group})" : "the contact opted out of email").ConfigureAwait(false);
            return;
        }

        var rendered = await RenderAsync(message, template, contact, cancellationToken).ConfigureAwait(false);
        if (!rendered.Succeeded)
        {
            LogRenderFailed(_logger, message.MessageId, message.Template, template.Version);
            await EndAsync("failed", $"render error in '{message.Template}' v{template.Version}: {rendered.Error}").ConfigureAwait(false);
            return;
        }

        var email = _composer!.Compose(message.MessageId, template.Definition, rendered, contact, transactional, _time.GetUtcNow());
        if (!await store.MarkSendingAsync(message.MessageId, contact.Email, email.Subject, template.Version, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var attempts = message.Attempts + 1;
        try
        {
            await _transport!.SendAsync(message.MessageId, email, cancellationToken).ConfigureAwait(false);
            await store.RecordDeliveryAsync(message.MessageId, "sent", attempts, null, _time.GetUtcNow(), null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (EmailSendException exception)
        {
            var now = _time.GetUtcNow();
            if (exception.Permanent)
            {
                await store.RecordDeliveryAsync(message.MessageId, "bounced", attempts, null, null, exception.Message, CancellationToken.None).ConfigureAwait(false);
                await Suppressions.ApplyAsync(new DeliveryFeedback(FeedbackKind.HardBounce, contact.Email, message.MessageId, exception.Message, "smtp", now), CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                var retry = attempts < _options.MaxAttempts ? now + Backoff(attempts) : (DateTimeOffset?)null;
                await store.RecordDeliveryAsync(message.MessageId, retry is null ? "failed" : "queued", attempts, retry, null, exception.Message, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The delay before retry <paramref name="attempts"/>: the first delay doubled each time, ±20% jitter.</summary>
    private TimeSpan Backoff(int attempts) =>
        _options.RetryDelay * Math.Pow(2, attempts - 1) * (0.8 + (0.4 * Random.Shared.NextDouble()));

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (await DispatchAsync(stopping).ConfigureAwait(false) == 0)
                {
                    await Task.Delay(CairnEngine.TimerPollInterval, _time, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                LogPassFailed(_logger, exception);
                try
                {
                    await Task.Delay(CairnEngine.TimerPollInterval, _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_transport is not null)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        _pass.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} messages were being sent when the server stopped; they are queued again under the same Message-IDs")]
    private static partial void LogRequeued(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} was not sent: template {Template} v{Version} did not render")]
    private static partial void LogRenderFailed(ILogger logger, string messageId, string template, int version);

    [LoggerMessage(Level = LogLevel.Error, Message = "A delivery pass failed; retrying")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
