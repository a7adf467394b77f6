using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cairn.Runtime;

/// <summary>Configures Cairn's runtime; storage providers add <c>UseSqlite()</c> / <c>UsePostgreSql()</c>.</summary>
public sealed class CairnBuilder
{
    internal CairnBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Registers the storage provider (a factory, so it is created once, on first use).</summary>
    public CairnBuilder UseStore(Func<IServiceProvider, ICairnStore> factory)
    {
        Services.RemoveAll<ICairnStore>();
        Services.AddSingleton(factory);
        return this;
    }
}

/// <summary>Registration of Cairn's runtime.</summary>
public static class CairnServiceCollectionExtensions
{
    /// <summary>
    /// Adds the partitioned engine (a hosted service that migrates storage, then runs the partitions), its timer pump
    /// and rollout runner, and the services adapters use: <see cref="DocumentPublisher"/>, <see cref="SegmentPreviewer"/>,
    /// <see cref="ContactCommands"/> and the storage ports.
    /// Call <c>UseSqlite()</c> or <c>UsePostgreSql()</c> on the returned builder.
    /// </summary>
    public static CairnBuilder AddCairn(this IServiceCollection services, Action<EngineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<EngineOptions>().Configure(options => configure?.Invoke(options)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        AddStoragePorts(services);
        services.TryAddSingleton<JourneyRegistry>();
        services.TryAddSingleton<CairnEngine>();
        services.AddHostedService(provider => provider.GetRequiredService<CairnEngine>());

        // After the engine: hosted services start in registration order and stop in reverse, so the loops run only
        // while the engine accepts inputs.
        services.TryAddSingleton<TimerPump>();
        services.AddHostedService(provider => provider.GetRequiredService<TimerPump>());
        services.TryAddSingleton<RolloutRunner>();
        services.AddHostedService(provider => provider.GetRequiredService<RolloutRunner>());
        services.TryAddSingleton<DocumentPublisher>();
        services.TryAddSingleton<SegmentPreviewer>();
        services.TryAddSingleton<ContactCommands>();
        return new CairnBuilder(services);
    }

    /// <summary>
    /// Registers each storage port as the registered <see cref="ICairnStore"/> (one instance behind them all), so that a
    /// component asks for the one port it needs. The store disposes once however many registrations hand it out.
    /// </summary>
    private static void AddStoragePorts(IServiceCollection services)
    {
        services.TryAddSingleton<IPartitionWriter>(Store);
        services.TryAddSingleton<IEventLog>(Store);
        services.TryAddSingleton<IContactStore>(Store);
        services.TryAddSingleton<IDocumentStore>(Store);
        services.TryAddSingleton<ISettingsStore>(Store);
        services.TryAddSingleton<IJourneyIndex>(Store);
        services.TryAddSingleton<IOutbox>(Store);
        services.TryAddSingleton<ISuppressionList>(Store);
        services.TryAddSingleton<IRecipientStore>(Store);
        services.TryAddSingleton<IHandOffStore>(Store);
        services.TryAddSingleton<IErasureStore>(Store);

        static ICairnStore Store(IServiceProvider provider) => provider.GetRequiredService<ICairnStore>();
    }
}

/// <summary>Options of the partitioned engine.</summary>
public sealed class EngineOptions
{
    /// <summary>How many partitions (single writers) contacts are hashed to. Default 8.</summary>
    public int Partitions { get; set; } = 8;

    /// <summary>
    /// How many contact profiles the partitions keep in memory between inputs, together (each keeps its share; the
    /// others are read from the store when an input reaches them). Default 50,000: under 1 GB with five enrollments
    /// each, measured with 1,000,000 contacts in five enrollments each); raise it when memory allows and the active audience is larger.
    /// </summary>
    public int CachedContacts { get; set; } = 50_000;

    /// <summary>The most inputs one partition commits in one transaction. Default 4096.</summary>
    public int MaxBatchSize { get; set; } = 4096;

    /// <summary>Up to this many contacts a segment preview evaluates every one; above, a sample. Default 25,000.</summary>
    public int ExactPreviewLimit { get; set; } = 25_000;

    /// <summary>About how many contacts a sampled preview evaluates. Default 10,000 (a 95 % margin of about ±1 % of the population).</summary>
    public int PreviewSampleSize { get; set; } = 10_000;

    /// <summary>
    /// The most events of one name a contact's history holds in memory for a clause that reads every event of a span
    /// (an aggregate, a filtered <c>performed</c> or occurrence, a scoring replay). A contact with more is still decided
    /// exactly: those clauses are computed from a stream of the store one event at a time (slower, and not held between
    /// batches), so no contact's history can fill the memory. Default 10,000.
    /// </summary>
    public int MaxHistoryEventsPerName { get; set; } = 10_000;
}
