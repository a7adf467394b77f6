using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Cairn.Messaging.Channels;

/// <summary>
/// Webhooks: a template's (rendered URL, method, headers and body), a journey's <c>webhook</c> step (a JSON event
/// with the contact, the journey and the payload), and hand-off alerts to owners (channel <c>owner</c>: the alert
/// with the lead's timeline, to the owner's or team's address). Every call is signed per Standard Webhooks. 408, 429,
/// 5xx and timeouts are retried with exponential backoff and jitter for a bounded period, then dead-lettered
/// (<c>GET /api/dead-letters</c>, replayable); other 4xx answers fail at once.
/// </summary>
internal sealed partial class WebhookChannel(string name, IHttpClientFactory http, StandardWebhooks signer, MessagingOptions options, TimeProvider time, ILogger<WebhookChannel> logger) : IMessageChannel
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.WebhookConcurrency));

    /// <summary>The channel of hand-off alerts.</summary>
    public const string OwnerChannel = "owner";

    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public bool Templated => name != OwnerChannel;

    /// <inheritdoc />
    public int Concurrency => Math.Max(1, options.WebhookConcurrency);

    /// <inheritdoc />
    public RetryPolicy Retry { get; } = new(options.WebhookMaxAttempts, options.WebhookRetryDelay, DeadLetter: true);

    /// <inheritdoc />
    public Task<Preparation> PrepareAsync(DeliveryJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var (url, method, headers, body) = job.Rendered is { } rendered ? FromTemplate(rendered) : FromPayload(job, time.GetUtcNow());
        if (url is null)
        {
            return Task.FromResult(Preparation.End(OutcomeKind.Undeliverable, "the webhook has no address"));
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            return Task.FromResult(Preparation.End(DeliveryOutcome.Failed($"'{url}' is not an absolute http(s) address")));
        }

        return Task.FromResult(Preparation.Ready(address.GetLeftPart(UriPartial.Path), null, token => SendAsync(job, address, method, headers, body, token)));
    }

    private async Task<DeliveryOutcome> SendAsync(DeliveryJob job, Uri address, HttpMethod method, IEnumerable<(string, string)> headers, string body, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        using var request = new HttpRequestMessage(method, address)
        {
            Content = new StringContent(body, Encoding.UTF8, body.TrimStart().StartsWith('{') || body.TrimStart().StartsWith('[') ? "application/json" : "text/plain"),
        };
        foreach (var (header, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        if (name == OwnerChannel)
        {
            request.Headers.Add("Cairn-Alert-Id", job.Message.MessageId);
        }

        signer.AddHeaders(request, job.Message.MessageId, now, body);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outcome = await HttpOutcome.SendAsync(http.CreateClient(MessagingServices.WebhookClient), request, "webhook", time, cancellationToken).ConfigureAwait(false);
            if (outcome.Kind != OutcomeKind.Sent)
            {
                LogNotSent(logger, name, job.Message.MessageId, address.Host, outcome.Kind);
            }

            return outcome;
        }
        finally
        {
            _slots.Release();
        }
    }

    private static (string? Url, HttpMethod Method, IEnumerable<(string, string)> Headers, string Body) FromTemplate(Core.Templates.RenderResult rendered) => (
        rendered["url"].Trim(),
        rendered.Parts.TryGetValue("method", out var method) ? new HttpMethod(method) : HttpMethod.Post,
        rendered.Parts.Where(part => part.Key.StartsWith("headers.", StringComparison.Ordinal)).Select(part => (part.Key["headers.".Length..], part.Value.Trim())),
        rendered["body"]);

    /// <summary>A journey step's call (<c>{url, payload}</c>) or an owner alert (the payload, sent to <c>deliverTo</c>).</summary>
    private (string? Url, HttpMethod Method, IEnumerable<(string, string)> Headers, string Body) FromPayload(DeliveryJob job, DateTimeOffset now)
    {
        using var payload = JsonDocument.Parse(job.Message.Payload ?? "{}");
        var root = payload.RootElement;
        if (name == OwnerChannel)
        {
            var to = root.TryGetProperty("deliverTo", out var deliverTo) && deliverTo.ValueKind == JsonValueKind.String ? deliverTo.GetString() : null;
            return (to, HttpMethod.Post, [], job.Message.Payload ?? "{}");
        }

        var contact = job.Contact;
        var traits = new JsonObject();
        foreach (var (trait, value) in contact.Traits)
        {
            traits[trait] = JsonNode.Parse(value.Value.GetRawText());
        }

        var body = new JsonObject
        {
            ["type"] = "journey.webhook",
            ["timestamp"] = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["data"] = new JsonObject
            {
                ["contact"] = new JsonObject { ["id"] = contact.Id.ToString(), ["user_id"] = contact.UserId, ["email"] = contact.Email, ["phone"] = contact.Phone, ["traits"] = traits },
                ["journey"] = new JsonObject { ["id"] = job.Message.JourneyId, ["version"] = job.Message.Version, ["step"] = job.Message.StepId },
                ["payload"] = root.TryGetProperty("payload", out var inner) ? JsonNode.Parse(inner.GetRawText()) : null,
            },
        };
        var url = root.TryGetProperty("url", out var target) && target.ValueKind == JsonValueKind.String ? target.GetString() : null;
        return (url, HttpMethod.Post, [], body.ToJsonString());
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _slots.Dispose();
        return ValueTask.CompletedTask;
    }

    // Only the host: a webhook's path or query may carry a token.
    [LoggerMessage(Level = LogLevel.Warning, Message = "{Channel} call {MessageId} to {Host} did not succeed: {Outcome}")]
    private static partial void LogNotSent(ILogger logger, string channel, string messageId, string host, OutcomeKind outcome);
}
