using Cairn.Messaging.Channels;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cairn.Messaging;

/// <summary>
/// Registers the message dispatcher (after the engine: hosted services start in registration order) and its channels:
/// <c>services.AddCairn().UseSqlite(dir).AddMessaging().AddEmailChannel().AddSmsChannel()…</c>.
/// </summary>
public static class MessagingServices
{
    /// <summary>The named HTTP client of the SMS provider.</summary>
    public const string SmsClient = "cairn-sms";

    /// <summary>The named HTTP client of the push provider.</summary>
    public const string PushClient = "cairn-push";

    /// <summary>The named HTTP client of webhooks and owner alerts.</summary>
    public const string WebhookClient = "cairn-webhooks";

    /// <summary>Adds the dispatcher, its options (validated at start-up) and the providers' HTTP clients, once; no channel yet.</summary>
    public static IServiceCollection AddCairnMessaging(this IServiceCollection services, Action<MessagingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (services.Any(service => service.ServiceType == typeof(MessageDispatcher)))
        {
            return services;
        }

        services.AddOptions<MessagingOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<MessagingOptions>, DkimKeyFileLoader>());
        services.AddMetrics();
        services.TryAddSingleton<DeliveryMetrics>();
        foreach (var client in new[] { SmsClient, PushClient, WebhookClient })
        {
            // One pool per provider; the factory recycles handlers (DNS changes are seen) and the pooled connections are
            // recycled too, so a long-running server never pins a provider's old address. The factory's own request
            // logging is removed: it writes URLs, and a webhook's URL may carry a token; the channels log ids.
            services.AddHttpClient(client)
                .ConfigureHttpClient((provider, http) => http.Timeout = provider.GetRequiredService<IOptions<MessagingOptions>>().Value.HttpTimeout)
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
                .RemoveAllLoggers();
        }

        services.TryAddSingleton<MessageDispatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<MessageDispatcher>());

        // The anomaly watcher starts after the dispatcher, whose email transport and options it uses.
        services.AddOptions<Alerts.AlertOptions>();
        services.TryAddSingleton<Alerts.AlertWatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<Alerts.AlertWatcher>());

        // Simulations hold back what the channels would: the same suppression list, through the dispatcher's key.
        services.TryAddSingleton<ISuppressionCheck>(provider => provider.GetRequiredService<MessageDispatcher>());
        return services;
    }

    /// <summary>Adds the dispatcher and its options (see <see cref="AddCairnMessaging"/>).</summary>
    public static CairnBuilder AddMessaging(this CairnBuilder cairn, Action<MessagingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(cairn);
        cairn.Services.AddCairnMessaging(configure);
        return cairn;
    }

    /// <summary>Every channel: email, SMS, push, webhooks, in-app and owner alerts.</summary>
    public static CairnBuilder AddAllChannels(this CairnBuilder cairn) =>
        cairn.AddEmailChannel().AddSmsChannel().AddPushChannel().AddWebhookChannel().AddInAppChannel().AddOwnerAlerts();

    /// <summary>Email over SMTP (<see cref="SmtpOptions.Host"/>) or, without a relay, to the development mailbox.</summary>
    public static CairnBuilder AddEmailChannel(this CairnBuilder cairn) =>
        cairn.AddChannel(MessageDispatcher.EmailChannel, context => new EmailChannel(
            new EmailComposer(context.Options, context.Links), context.EmailTransport, context.Suppressions, context.Options, context.Time, context.Loggers.CreateLogger<EmailChannel>()));

    /// <summary>SMS through a Twilio-compatible provider (<see cref="SmsOptions"/>) or the development mailbox.</summary>
    public static CairnBuilder AddSmsChannel(this CairnBuilder cairn) =>
        cairn.AddChannel("sms", context => new SmsChannel(context.Options, context.Http, context.Links, context.Recipients, context.Suppressions, context.Time, context.Loggers.CreateLogger<SmsChannel>()));

    /// <summary>Push through an FCM v1-compatible provider (<see cref="PushOptions"/>) or the development mailbox.</summary>
    public static CairnBuilder AddPushChannel(this CairnBuilder cairn) =>
        cairn.AddChannel("push", context => new PushChannel(context.Options, context.Http, context.Recipients, context.Time, context.Loggers.CreateLogger<PushChannel>()));

    /// <summary>Webhooks (templates and journey steps), signed per Standard Webhooks.</summary>
    public static CairnBuilder AddWebhookChannel(this CairnBuilder cairn) =>
        cairn.AddChannel("webhook", context => new WebhookChannel("webhook", context.Http, context.Webhooks, context.Options, context.Time, context.Loggers.CreateLogger<WebhookChannel>()));

    /// <summary>In-app messages, into the contact's inbox.</summary>
    public static CairnBuilder AddInAppChannel(this CairnBuilder cairn) =>
        cairn.AddChannel("in_app", context => new InAppChannel(context.Recipients, context.Time, context.Options));

    /// <summary>Hand-off alerts to owners: their webhook, else their email.</summary>
    public static CairnBuilder AddOwnerAlerts(this CairnBuilder cairn) =>
        cairn.AddChannel(WebhookChannel.OwnerChannel, context => new OwnerAlertChannel(
            new WebhookChannel(WebhookChannel.OwnerChannel, context.Http, context.Webhooks, context.Options, context.Time, context.Loggers.CreateLogger<WebhookChannel>()), context.EmailTransport, context.Options));

    /// <summary>
    /// Adds a channel the dispatcher delivers <paramref name="name"/>'s outbox messages through (replacing an earlier
    /// registration of that name), built by <paramref name="create"/> when the dispatcher starts; adds the dispatcher too.
    /// </summary>
    public static CairnBuilder AddChannel(this CairnBuilder cairn, string name, Func<ChannelContext, IMessageChannel> create)
    {
        ArgumentNullException.ThrowIfNull(cairn);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(create);
        cairn.Services.AddCairnMessaging();
        cairn.Services.AddSingleton(new ChannelRegistration(name, create));
        return cairn;
    }
}
