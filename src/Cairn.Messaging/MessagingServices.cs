using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cairn.Messaging;

/// <summary>Registers the message dispatcher (after the engine: hosted services start in registration order).</summary>
public static class MessagingServices
{
    /// <summary>Adds the dispatcher and its options (once).</summary>
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

        services.AddOptions<MessagingOptions>();
        services.TryAddSingleton<MessageDispatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<MessageDispatcher>());
        return services;
    }
}
