using System.Collections.Frozen;
using System.Text.Json;
using Cairn.Core.Orchestration;
using Cairn.Messaging.Channels;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cairn.Messaging;

/// <summary>
/// Delivers the outbox, every channel through one pipeline: the contact as it is now; for templated channels the
/// template's live version, the contact's consent for the channel and the template's subscription group (a marketing
/// send to an opted-out contact is suppressed; transactional sends are exempt), and the render — an error ends the
/// message with the reason instead of sending something broken; then the channel, which claims the message
/// (<c>sending</c>) just before calling its provider. Outcomes are recorded on the message: sent, delivered, bounced,
/// undeliverable, suppressed, failed; transient failures are retried with exponential backoff and jitter until the
/// channel's attempts run out (then failed, or dead-lettered for webhooks). A crash between the claim and the
/// provider's answer leaves <c>sending</c>: at the next start the message is queued again with the same idempotency
/// key (the Message-ID of an email), so it is delivered at least once and a provider that deduplicates sees it once.
/// </summary>
public sealed partial class MessageDispatcher : IHostedService, IAsyncDisposable, ISuppressionCheck
{
    /// <summary>The email channel's name.</summary>
    public const string EmailChannel = "email";

    private readonly ContactCommands _contacts;
    private readonly JourneyRegistry _journeys;
    private readonly IOutbox _outbox;
    private readonly IEventLog _events;
    private readonly IContactStore _profiles;
    private readonly ISettingsStore _settings;
    private readonly ISuppressionList _suppressionList;
    private readonly IRecipientStore _recipients;
    private readonly MessagingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MessageDispatcher> _logger;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly BackgroundLoop _loop;
    private readonly IReadOnlyList<ChannelRegistration> _registrations;
    private readonly IHttpClientFactory _http;
    private readonly ILoggerFactory _loggers;
    private readonly DeliveryMetrics _metrics;
    private ChannelContext? _context;
    private FrozenDictionary<string, IMessageChannel> _channels = FrozenDictionary<string, IMessageChannel>.Empty;
    private MessageLinks? _links;
    private Suppressions? _suppressions;
    private StandardWebhooks? _webhooks;
    private byte[]? _inboxKey;
    private int _looping;
    private int _disposed;

    /// <summary>Creates the dispatcher; it delivers through the <paramref name="channels"/> registered with <c>AddEmailChannel()</c> and the like.</summary>
    public MessageDispatcher(
        ContactCommands contacts,
        JourneyRegistry journeys,
        IOutbox outbox,
        IEventLog events,
        IContactStore profiles,
        ISettingsStore settings,
        ISuppressionList suppressionList,
        IRecipientStore recipients,
        IOptions<MessagingOptions> options,
        TimeProvider time,
        IEnumerable<ChannelRegistration> channels,
        IHttpClientFactory http,
        ILoggerFactory loggers,
        DeliveryMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        (_contacts, _journeys, _outbox, _events, _profiles) = (contacts, journeys, outbox, events, profiles);
        (_settings, _suppressionList, _recipients) = (settings, suppressionList, recipients);
        _options = options.Value;
        _time = time;
        _logger = loggers.CreateLogger<MessageDispatcher>();
        _registrations = [.. channels];
        ChannelNames = _registrations.Select(registration => registration.Name).ToFrozenSet(StringComparer.Ordinal);
        _http = http;
        _loggers = loggers;
        _metrics = metrics;
        _loop = new BackgroundLoop("delivery", PassAsync, time, _logger);
        Workspace = JsonSerializer.SerializeToElement(new { name = _options.WorkspaceName, address = _options.WorkspaceAddress, url = _options.WorkspaceUrl });
    }

    /// <summary>The names of the channels registered (email, sms, push, webhook, in_app, owner and any a host added).</summary>
    public IReadOnlySet<string> ChannelNames { get; }

    /// <summary>The signed links of this workspace (tracking, unsubscribe and status endpoints verify with it); set once started.</summary>
    public MessageLinks Links => _links ?? throw new InvalidOperationException("The dispatcher has not started.");

    /// <summary>The suppression list and the bounce and complaint reports that feed it; set once started.</summary>
    public Suppressions Suppressions => _suppressions ?? throw new InvalidOperationException("The dispatcher has not started.");

    /// <summary>The Standard Webhooks signer of outgoing webhooks (its secret is what receivers verify with); set once started.</summary>
    public StandardWebhooks Webhooks => _webhooks ?? throw new InvalidOperationException("The dispatcher has not started.");

    /// <summary>
    /// The secret the customer's backend signs inbox tokens with: the token of user <c>u</c> is the lower-case hex of
    /// HMAC-SHA256(secret, u); set once started.
    /// </summary>
    public string InboxSecret => _inboxKey is null ? throw new InvalidOperationException("The dispatcher has not started.") : Convert.ToBase64String(_inboxKey);

    /// <summary>True when <paramref name="token"/> is the inbox token of <paramref name="userId"/>.</summary>
    public bool IsInboxToken(string userId, string? token)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return token is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(InboxToken(userId)),
            System.Text.Encoding.ASCII.GetBytes(token.ToLowerInvariant()));
    }

    /// <summary>The inbox token of a user (what the customer's backend computes).</summary>
    public string InboxToken(string userId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(_inboxKey!, System.Text.Encoding.UTF8.GetBytes(userId)));

    /// <inheritdoc />
    public async Task<string?> SuppressedBecauseAsync(string channel, string address, CancellationToken cancellationToken) =>
        (await Suppressions.SuppressedAsync(channel, address, cancellationToken).ConfigureAwait(false))?.Reason;

    /// <summary>The email transport the channels send through (SMTP, or the development mailbox); set once started.</summary>
    public IEmailTransport EmailTransport => _context?.EmailTransport ?? throw new InvalidOperationException("The dispatcher has not started.");

    /// <summary>Where email goes: <c>smtp</c> or <c>mailbox</c>.</summary>
    public string Transport => _options.Smtp.Host is null ? "mailbox" : "smtp";

    /// <summary>The messaging settings in force.</summary>
    public MessagingOptions Options => _options;

    /// <summary>The workspace settings templates see.</summary>
    public JsonElement Workspace { get; }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var store = _settings;
        var linkKey = await store.GetOrAddSettingAsync(LinkSigner.SettingKey, LinkSigner.NewKey(), cancellationToken).ConfigureAwait(false);
        var addressKey = await store.GetOrAddSettingAsync(Suppressions.SettingKey, LinkSigner.NewKey(), cancellationToken).ConfigureAwait(false);
        var webhookSecret = await store.GetOrAddSettingAsync(StandardWebhooks.SettingKey, StandardWebhooks.NewSecret(), cancellationToken).ConfigureAwait(false);
        _links = new MessageLinks(new LinkSigner(Convert.FromBase64String(linkKey)), _options.PublicUrl);
        _suppressions = new Suppressions(_contacts, _suppressionList, _outbox, Convert.FromBase64String(addressKey), _time, _loggers.CreateLogger<Suppressions>()) { SoftBounceLimit = _options.SoftBounceLimit };
        _webhooks = new StandardWebhooks(webhookSecret);
        _inboxKey = Convert.FromBase64String(await store.GetOrAddSettingAsync("inbox_secret", LinkSigner.NewKey(), cancellationToken).ConfigureAwait(false));

        // The channels registered by the builder (a later registration of a name replaces an earlier one).
        _context = new ChannelContext(_options, _time, _recipients, _links, _suppressions, _webhooks, _http, _loggers, _metrics);
        _channels = _registrations
            .GroupBy(registration => registration.Name, StringComparer.Ordinal)
            .Select(named => named.Last().Create(_context))
            .ToFrozenDictionary(channel => channel.Name, StringComparer.Ordinal);

        var requeued = await _outbox.RequeueSendingAsync(cancellationToken).ConfigureAwait(false);
        if (requeued > 0)
        {
            LogRequeued(_logger, requeued);
        }

        if (_options.DispatchInBackground)
        {
            _looping = 1;
            _loop.Start();
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _loop.StopAsync(cancellationToken).ConfigureAwait(false);
        LogLoopEnded();
    }

    /// <summary>
    /// One pass: the due messages of every channel (up to a batch each). Each channel's batch is prepared (contact,
    /// consent, render, address) concurrently, claimed in one transaction, sent within the channel's concurrency, and
    /// its outcomes recorded in one transaction; sent and delivered messages then go on the contacts' timelines.
    /// Returns how many were attempted. The loop calls it; tests call it after moving a fake clock.
    /// </summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            var work = new List<Task>();
            var count = 0;
            foreach (var channel in _channels.Values)
            {
                var due = await _outbox.GetDueDeliveriesAsync(channel.Name, now, _options.BatchSize, cancellationToken).ConfigureAwait(false);
                count += due.Count;
                if (due.Count > 0)
                {
                    work.Add(DeliverAsync(channel, due, cancellationToken));
                }
            }

            await Task.WhenAll(work).ConfigureAwait(false);
            return count;
        }
        finally
        {
            _pass.Release();
        }
    }

    private async Task DeliverAsync(IMessageChannel channel, IReadOnlyList<OutboxMessage> batch, CancellationToken cancellationToken)
    {
        using var activity = DeliveryMetrics.ActivitySource.StartActivity($"deliver {channel.Name}");
        activity?.SetTag("cairn.channel", channel.Name);
        activity?.SetTag("cairn.messages", batch.Count);
        // A contact's messages are decided one after another, highest priority first: a cap's last slot goes to the
        // message that matters most, and each decision counts the sends approved before it.
        var due = batch.OrderBy(message => message.ContactId.ToString(), StringComparer.Ordinal).ThenByDescending(message => message.Priority).ThenBy(message => message.CreatedAt).ToList();
        var prepared = new (DeliveryJob? Job, Preparation Preparation, string? Decision)[due.Count];
        var contacts = due.Select((message, index) => (message, index)).GroupBy(item => item.message.ContactId).ToList();

        // The batch's contacts in one read; a merged one is followed to its survivor.
        var profiles = await _profiles.GetContactsAsync([.. contacts.Select(group => group.Key)], cancellationToken).ConfigureAwait(false);
        await Parallel.ForEachAsync(contacts, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, channel.Concurrency), CancellationToken = cancellationToken }, async (group, token) =>
        {
            var approved = new List<SentMessage>();
            (IReadOnlyList<SentMessage>, IReadOnlyList<Core.Journeys.Engine.PastEvent>)? ledger = null;
            foreach (var (message, index) in group)
            {
                var profile = profiles.TryGetValue(message.ContactId, out var read) && read.MergedInto is null ? read : await _contacts.GetContactAsync(message.ContactId, token).ConfigureAwait(false);
                prepared[index] = await PrepareAsync(channel, message, profile, approved, async () => ledger ??= await LedgerAsync(message.ContactId, token).ConfigureAwait(false), token).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        // Claimed before any provider is called: a crash from here on resends under the same idempotency key.
        var claims = prepared.Select((item, index) => (item, index))
            .Where(pair => pair.item.Preparation.Send is not null)
            .Select(pair => new MessageClaim(due[pair.index].MessageId, pair.item.Preparation.Send!.Recipient, pair.item.Preparation.Send.Subject, pair.item.Job!.Template?.Version))
            .ToList();
        var claimed = await _outbox.ClaimAsync(claims, cancellationToken).ConfigureAwait(false);

        var outcomes = new DeliveryOutcome?[due.Count];
        await Parallel.ForAsync(0, due.Count, new ParallelOptions { MaxDegreeOfParallelism = channel.Concurrency, CancellationToken = cancellationToken }, async (index, token) =>
            outcomes[index] = prepared[index].Preparation switch
            {
                { Ended: { } ended } => ended,
                { Send: { } send } when claimed.Contains(due[index].MessageId) => await SendAsync(channel, due[index], send, token).ConfigureAwait(false),
                _ => null,
            }).ConfigureAwait(false);

        var now = _time.GetUtcNow();
        var records = new List<DeliveryRecord>(due.Count);
        var timeline = new List<(Core.Contacts.ContactState, string, JsonElement)>();
        var fallbacks = new List<(OutboxMessage Message, FallbackOption Next, string? Remaining, string Reason)>();
        for (var index = 0; index < due.Count; index++)
        {
            if (outcomes[index] is not { } outcome)
            {
                continue;
            }

            var message = due[index];

            // Not reachable here (no address, no consent, a suppressed address): the step's next channel, if it has one.
            if (outcome.Kind is OutcomeKind.Undeliverable or OutcomeKind.Suppressed && NextChannel(message) is var (next, rest) && next is not null)
            {
                fallbacks.Add((message, next, rest, $"{channel.Name}: {outcome.Reason}; falling back to {next.Channel}"));
                _metrics.Recorded(channel.Name, "fell_back");
                continue;
            }

            var record = Record(channel, message, outcome, claimed.Contains(message.MessageId), now) with { Decision = prepared[index].Decision, At = now };
            records.Add(record);
            _metrics.Recorded(channel.Name, record.Status != "queued" ? record.Status : outcome.Kind == OutcomeKind.Deferred ? "deferred" : "retried");
            if (outcome.Kind is OutcomeKind.Deferred or OutcomeKind.Suppressed or OutcomeKind.Expired && prepared[index].Decision is not null && (outcome.Kind != OutcomeKind.Deferred || message.Decision is null))
            {
                // The marketer's answer to "why did this contact not get it (yet)?", on the contact's timeline.
                var name = outcome.Kind switch { OutcomeKind.Deferred => "message_deferred", OutcomeKind.Expired => "message_expired", _ => "message_suppressed" };
                var properties = JsonSerializer.SerializeToElement(new { message_id = message.MessageId, channel = channel.Name, template = message.Template, journey_id = message.JourneyId, step_id = message.StepId, reason = outcome.Reason, until = outcome.RetryAfter is { } after ? now + after : (DateTimeOffset?)null });
                timeline.Add((prepared[index].Job?.Contact ?? (await _contacts.GetContactAsync(message.ContactId, cancellationToken).ConfigureAwait(false))!, name, properties));
            }
            if (outcome.Kind is OutcomeKind.Sent or OutcomeKind.Delivered && channel.Templated)
            {
                // On the contact's timeline, where journeys and segments (engaged: received) can see it.
                // A message the orchestrator had deferred says so: a journey waiting on it starts its window now.
                var deferred = message.Decision is { } earlier && earlier.Contains("\"decision\":\"defer\"", StringComparison.Ordinal);
                var properties = JsonSerializer.SerializeToElement(new { message_id = message.MessageId, channel = channel.Name, template = message.Template, journey_id = message.JourneyId, step_id = message.StepId, deferred });
                timeline.Add((prepared[index].Job!.Contact, $"{channel.Name}_{(outcome.Kind == OutcomeKind.Delivered ? "delivered" : "sent")}", properties));
            }
        }

        await _outbox.RecordDeliveriesAsync(records, CancellationToken.None).ConfigureAwait(false);
        foreach (var (message, next, rest, reason) in fallbacks)
        {
            await _outbox.FallBackAsync(message.MessageId, next.Channel, next.Template, rest, reason, CancellationToken.None).ConfigureAwait(false);
        }

        await _contacts.RecordEventsAsync(timeline, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>One provider call, timed on the server's clock and traced.</summary>
    private async Task<DeliveryOutcome> SendAsync(IMessageChannel channel, OutboxMessage message, PreparedSend send, CancellationToken cancellationToken)
    {
        using var activity = DeliveryMetrics.ActivitySource.StartActivity($"send {channel.Name}");
        activity?.SetTag("cairn.channel", channel.Name);
        activity?.SetTag("cairn.message_id", message.MessageId);
        var started = _time.GetTimestamp();
        var outcome = await send.SendAsync(cancellationToken).ConfigureAwait(false);
        _metrics.Sent(channel.Name, _time.GetElapsedTime(started));
        activity?.SetTag("cairn.outcome", outcome.Kind.ToString());
        return outcome;
    }

    /// <summary>The first channel of a message's fallback and what is left after it.</summary>
    private static (FallbackOption? Next, string? Remaining) NextChannel(OutboxMessage message)
    {
        if (message.Fallback is not { } json || JsonSerializer.Deserialize<List<FallbackOption>>(json, FallbackJson) is not [var next, .. var rest])
        {
            return (null, null);
        }

        return (next, rest.Count == 0 ? null : JsonSerializer.Serialize(rest, FallbackJson));
    }

    private static readonly JsonSerializerOptions FallbackJson = new(JsonSerializerDefaults.Web);

    /// <summary>A channel to fall back to and its template.</summary>
    private sealed record FallbackOption(string Channel, string Template);

    /// <summary>How an outcome is recorded: its status, the attempts (a claimed message used one), and when to retry.</summary>
    private static DeliveryRecord Record(IMessageChannel channel, OutboxMessage message, DeliveryOutcome outcome, bool claimed, DateTimeOffset now)
    {
        var attempts = message.Attempts + (claimed ? 1 : 0);
        var reason = outcome.Reason;
        switch (outcome.Kind)
        {
            case OutcomeKind.Sent or OutcomeKind.Delivered:
                return new DeliveryRecord(message.MessageId, outcome.Kind == OutcomeKind.Delivered ? "delivered" : "sent", attempts, null, now, null);
            case OutcomeKind.Retry when attempts < channel.Retry.MaxAttempts:
                var delay = channel.Retry.FirstDelay * Math.Pow(2, attempts - 1) * (0.8 + (0.4 * Random.Shared.NextDouble()));
                var after = outcome.RetryAfter is { } asked && asked > delay ? asked : delay;
                return new DeliveryRecord(message.MessageId, "queued", attempts, now + after, null, reason);
            case OutcomeKind.Retry:
                return new DeliveryRecord(message.MessageId, channel.Retry.DeadLetter ? "dead_letter" : "failed", attempts, null, null, $"gave up after {attempts} attempts: {reason}");
            case OutcomeKind.Deferred:
                return new DeliveryRecord(message.MessageId, "queued", attempts, now + (outcome.RetryAfter ?? TimeSpan.Zero), null, reason);
            default:
                var status = outcome.Kind switch
                {
                    OutcomeKind.Bounced => "bounced",
                    OutcomeKind.Undeliverable => "undeliverable",
                    OutcomeKind.Suppressed => "suppressed",
                    OutcomeKind.Expired => "expired",
                    _ => "failed",
                };
                return new DeliveryRecord(message.MessageId, status, attempts, null, null, reason);
        }
    }

    /// <summary>One pass of the background loop; an idle one waits a second before the next.</summary>
    private async Task<TimeSpan> PassAsync(CancellationToken stopping) =>
        await DispatchAsync(stopping).ConfigureAwait(false) == 0 ? BackgroundLoop.RetryDelay : TimeSpan.Zero;

    private void LogLoopEnded()
    {
        if (Interlocked.Exchange(ref _looping, 0) == 1)
        {
            LogStopped(_logger);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as a hosted service, it is disposed twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // A host whose start fails (Kestrel cannot bind, a stop is requested while a later service starts) disposes its
        // services without stopping them: the loop may be in a pass, which uses the channels, the HTTP client, the pass
        // gate and the engine (disposed after this). The pass is cancelled and ends before any of them goes; what it had
        // claimed stays `sending` and is sent again at the next start.
        await _loop.DisposeAsync().ConfigureAwait(false);
        LogLoopEnded();
        foreach (var channel in _channels.Values)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }

        if (_context is not null)
        {
            await _context.DisposeAsync().ConfigureAwait(false);
        }

        _pass.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} messages were being sent when the server stopped; they are queued again under the same idempotency keys")]
    private static partial void LogRequeued(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} was not sent: template {Template} v{Version} did not render")]
    private static partial void LogRenderFailed(ILogger logger, string messageId, string template, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Message dispatcher stopped; no delivery pass is running")]
    private static partial void LogStopped(ILogger logger);
}
