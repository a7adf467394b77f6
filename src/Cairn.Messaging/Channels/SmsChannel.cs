using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cairn.Core.Templates;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Cairn.Messaging.Channels;

/// <summary>
/// SMS through a Twilio-compatible API (<c>POST {base}/2010-04-01/Accounts/{sid}/Messages.json</c>, form fields To,
/// From or MessagingServiceSid, Body, StatusCallback; basic auth SID:token; <c>I-Twilio-Idempotency-Token</c>), to
/// E.164 numbers only. The status callback address carries a signed token naming the message, so delivery reports
/// map back without trusting the caller. A 4xx answer is permanent (an invalid number), 429 and 5xx are retried.
/// With no provider configured, SMS goes to the development mailbox.
/// </summary>
internal sealed partial class SmsChannel(MessagingOptions options, IHttpClientFactory http, MessageLinks links, IRecipientStore store, Suppressions suppressions, TimeProvider time, ILogger<SmsChannel> logger) : IMessageChannel
{
    private readonly RateGate _gate = new(options.Sms.RatePerSecond, options.Sms.MaxConnections);

    /// <inheritdoc />
    public string Name => "sms";

    /// <inheritdoc />
    public bool Templated => true;

    /// <inheritdoc />
    public int Concurrency => Math.Max(1, options.Sms.MaxConnections);

    /// <inheritdoc />
    public RetryPolicy Retry { get; } = new(options.MaxAttempts, options.RetryDelay);

    /// <inheritdoc />
    public async Task<Preparation> PrepareAsync(DeliveryJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var reach = await suppressions.ReachAsync(Name, job.Contact, cancellationToken).ConfigureAwait(false);
        if (Preparation.Unreachable(reach) is { } unreachable)
        {
            return unreachable;
        }

        var phone = reach.Address!;

        var text = job.Rendered!["text"].Trim();
        var info = SmsInfo.Of(text);
        return Preparation.Ready(phone, $"{info.EncodingName}, {info.Segments} segment(s)", async token =>
        {
            if (!options.Sms.Enabled)
            {
                await store.AddToMailboxAsync(new MailboxMessage(job.Message.MessageId, Name, phone, string.Empty, text, time.GetUtcNow()), token).ConfigureAwait(false);
                return new DeliveryOutcome(OutcomeKind.Delivered);
            }

            var sms = options.Sms;
            var fields = new List<KeyValuePair<string, string>>
            {
                new("To", phone),
                new("Body", text),
                new("StatusCallback", links.Status(job.Message.MessageId)),
                sms.MessagingServiceSid is { } service ? new("MessagingServiceSid", service) : new("From", sms.From ?? string.Empty),
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(sms.BaseUrl, $"2010-04-01/Accounts/{Uri.EscapeDataString(sms.AccountSid!)}/Messages.json"))
            {
                Content = new FormUrlEncodedContent(fields),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{sms.AccountSid}:{sms.AuthToken}")));
            request.Headers.Add("I-Twilio-Idempotency-Token", job.IdempotencyKey);
            using var slot = await _gate.EnterAsync(token).ConfigureAwait(false);
            var outcome = await HttpOutcome.SendAsync(http.CreateClient(MessagingServices.SmsClient), request, "SMS provider", time, token).ConfigureAwait(false);
            if (outcome.Kind != OutcomeKind.Sent)
            {
                LogNotSent(logger, job.Message.MessageId, outcome.Kind);
            }

            return outcome;
        });
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    // The provider's answer is not logged: it may quote the number. The message keeps it (last_error).
    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS {MessageId} was not accepted by the provider: {Outcome}")]
    private static partial void LogNotSent(ILogger logger, string messageId, OutcomeKind outcome);
}

/// <summary>How a provider's HTTP answer maps to an outcome: 2xx sent; 408, 429 and 5xx (and timeouts, refused connections) retried, honouring Retry-After; other 4xx failed with the provider's message.</summary>
internal static class HttpOutcome
{
    public static async Task<DeliveryOutcome> SendAsync(HttpClient http, HttpRequestMessage request, string who, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            return await OfAsync(response, who, time, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            return DeliveryOutcome.Retry($"{who}: {exception.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryOutcome.Retry($"{who}: timed out");
        }
    }

    public static async Task<DeliveryOutcome> OfAsync(HttpResponseMessage response, string who, TimeProvider time, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return DeliveryOutcome.Sent;
        }

        var code = (int)response.StatusCode;
        var detail = await DetailAsync(response, cancellationToken).ConfigureAwait(false);
        var reason = $"{who}: HTTP {code} {response.ReasonPhrase}".TrimEnd() + (detail is null ? string.Empty : ": " + detail);
        if (code is 408 or 429 || code >= 500)
        {
            var after = response.Headers.RetryAfter?.Delta ?? (response.Headers.RetryAfter?.Date is { } date ? date - time.GetUtcNow() : null);
            return DeliveryOutcome.Retry(reason, after);
        }

        return DeliveryOutcome.Failed(reason);
    }

    /// <summary>The provider's own error message (Twilio's <c>message</c>, FCM's <c>error.message</c>), shortened.</summary>
    public static async Task<string?> DetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (text.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                {
                    return message.GetString();
                }

                if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var inner))
                {
                    return inner.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the text itself, below.
        }

        return text.Length > 200 ? text[..200] : text;
    }
}
