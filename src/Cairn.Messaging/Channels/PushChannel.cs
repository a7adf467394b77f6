using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cairn.Core.Orchestration;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Cairn.Messaging.Channels;

/// <summary>
/// Push through an FCM HTTP v1-compatible API (<c>POST {base}/v1/projects/{project}/messages:send</c>, bearer token),
/// to every device token registered for the contact: title, body and image as the notification, the template's
/// <c>data</c> (and <c>deep_link</c>) as data. A token the provider calls unregistered or invalid is removed; the
/// message counts as sent when any device took it, and is retried when only transient errors came back. With no
/// provider configured, push goes to the development mailbox.
/// </summary>
internal sealed partial class PushChannel(MessagingOptions options, IHttpClientFactory http, IRecipientStore store, TimeProvider time, ILogger<PushChannel> logger) : IMessageChannel
{
    private readonly RateGate _gate = new(options.Push.RatePerSecond, options.Push.MaxConnections);

    /// <inheritdoc />
    public string Name => "push";

    /// <inheritdoc />
    public bool Templated => true;

    /// <inheritdoc />
    public int Concurrency => Math.Max(1, options.Push.MaxConnections);

    /// <inheritdoc />
    public RetryPolicy Retry { get; } = new(options.MaxAttempts, options.RetryDelay);

    /// <inheritdoc />
    public async Task<Preparation> PrepareAsync(DeliveryJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var devices = await store.GetDevicesAsync(job.Contact.Id, cancellationToken).ConfigureAwait(false);
        return Preparation.Unreachable(Reachability.Check(Name, job.Contact, new AddressFacts(null, devices.Count)))
            ?? Preparation.Ready(string.Join(", ", devices.Select(device => device.Platform)), job.Rendered!["title"], token => SendAsync(job, devices, token));
    }

    private async Task<DeliveryOutcome> SendAsync(DeliveryJob job, IReadOnlyList<Device> devices, CancellationToken cancellationToken)
    {
        var rendered = job.Rendered!;
        var sent = 0;
        var removed = 0;
        DeliveryOutcome? transient = null;
        DeliveryOutcome? permanent = null;
        foreach (var device in devices)
        {
            var body = Message(job, device);
            if (!options.Push.Enabled)
            {
                await store.AddToMailboxAsync(new MailboxMessage($"{job.Message.MessageId}#{device.Token}", Name, device.Token, rendered["title"], body.ToJsonString(), time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
                sent++;
                continue;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Push.BaseUrl, $"v1/projects/{Uri.EscapeDataString(options.Push.ProjectId!)}/messages:send"))
            {
                Content = JsonContent.Create(body),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Push.AccessToken);
            using var slot = await _gate.EnterAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var response = await http.CreateClient(MessagingServices.PushClient).SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    sent++;
                    continue;
                }

                var detail = await HttpOutcome.DetailAsync(response, cancellationToken).ConfigureAwait(false) ?? string.Empty;
                if (response.StatusCode == HttpStatusCode.NotFound || detail.Contains("UNREGISTERED", StringComparison.Ordinal)
                    || (response.StatusCode == HttpStatusCode.BadRequest && detail.Contains("registration token", StringComparison.OrdinalIgnoreCase)))
                {
                    await store.RemoveDeviceAsync(device.Token, cancellationToken).ConfigureAwait(false);
                    LogDeviceRemoved(logger, job.Message.MessageId, job.Contact.Id, device.Platform);
                    removed++;
                    continue;
                }

                var outcome = await HttpOutcome.OfAsync(response, "push provider", time, cancellationToken).ConfigureAwait(false);
                if (outcome.Kind == OutcomeKind.Retry)
                {
                    transient = outcome;
                }
                else
                {
                    permanent = outcome;
                }
            }
            catch (HttpRequestException exception)
            {
                transient = DeliveryOutcome.Retry($"push provider: {exception.Message}");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                transient = DeliveryOutcome.Retry("push provider: timed out");
            }
        }

        if (sent == 0)
        {
            LogNotSent(logger, job.Message.MessageId, devices.Count, removed);
        }

        return sent > 0 ? (options.Push.Enabled ? DeliveryOutcome.Sent : new DeliveryOutcome(OutcomeKind.Delivered))
            : transient ?? permanent ?? new DeliveryOutcome(OutcomeKind.Undeliverable, $"every device token was rejected as invalid ({removed} removed)");
    }

    /// <summary>The FCM v1 message for one device.</summary>
    private static JsonObject Message(DeliveryJob job, Device device)
    {
        var rendered = job.Rendered!;
        var notification = new JsonObject { ["title"] = rendered["title"], ["body"] = rendered["body"] };
        if (rendered.Parts.TryGetValue("image", out var image) && image.Length > 0)
        {
            notification["image"] = image;
        }

        var data = new JsonObject { ["cairn_message_id"] = job.Message.MessageId };
        foreach (var (part, value) in rendered.Parts.Where(part => part.Key.StartsWith("data.", StringComparison.Ordinal)))
        {
            data[part["data.".Length..]] = value;
        }

        if (rendered.Parts.TryGetValue("deep_link", out var link) && link.Length > 0)
        {
            data["deep_link"] = link;
        }

        return new JsonObject
        {
            ["message"] = new JsonObject
            {
                ["token"] = device.Token,
                ["notification"] = notification,
                ["data"] = data,
            },
            ["validate_only"] = false,
        };
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    // Device tokens are not logged: they identify a person's device.
    [LoggerMessage(Level = LogLevel.Information, Message = "Push {MessageId}: the provider rejected a {Platform} device token of contact {ContactId} as unregistered; the device was removed")]
    private static partial void LogDeviceRemoved(ILogger logger, string messageId, Core.ContactId contactId, string platform);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push {MessageId} reached none of the contact's {Devices} devices ({Removed} removed as invalid)")]
    private static partial void LogNotSent(ILogger logger, string messageId, int devices, int removed);
}
