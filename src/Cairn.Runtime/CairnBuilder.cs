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
    /// and rollout runner, and the services adapters use: <see cref="DocumentPublisher"/>, <see cref="SegmentPreviewer"/>, <see cref="DraftSimulator"/>,
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
        services.TryAddSingleton(CreateEngine);
        services.AddHostedService(provider => provider.GetRequiredService<CairnEngine>());

        // After the engine: hosted services start in registration order and stop in reverse, so the loops run only
        // while the engine accepts inputs.
        services.TryAddSingleton<TimerPump>();
        services.AddHostedService(provider => provider.GetRequiredService<TimerPump>());
        services.TryAddSingleton<RolloutRunner>();
        services.AddHostedService(provider => provider.GetRequiredService<RolloutRunner>());
        services.TryAddSingleton<SplitRunner>();
        services.AddHostedService(provider => provider.GetRequiredService<SplitRunner>());
        Retention.RetentionRunner.AddBuiltInKinds(services);
        services.TryAddSingleton<Retention.RetentionRunner>();
        services.AddHostedService(provider => provider.GetRequiredService<Retention.RetentionRunner>());
        services.TryAddSingleton<DocumentPublisher>();
        services.TryAddSingleton<SegmentPreviewer>();
        services.TryAddSingleton<DraftSimulator>();
        services.TryAddSingleton<WorkspaceLinter>();
        services.TryAddSingleton<ContactCommands>();
        return new CairnBuilder(services);
    }

    // The storage ports, each registered as the one store.
    private static readonly Type[] StoragePorts =
    [
        typeof(IPartitionWriter), typeof(IEventLog), typeof(IContactStore), typeof(IDocumentStore), typeof(ISettingsStore),
        typeof(IJourneyIndex), typeof(IOutbox), typeof(ISuppressionList), typeof(IRecipientStore), typeof(IHandOffStore),
        typeof(IErasureStore), typeof(IExportStore), typeof(IUserStore), typeof(ISplitStore), typeof(IAttributionStore),
        typeof(IAuditStore), typeof(IAlertStore), typeof(IRetentionStore),
    ];

    /// <summary>
    /// Registers each storage port as the registered <see cref="ICairnStore"/> (one instance behind them all), so that a
    /// component asks for the one port it needs. The store's dispose is idempotent, so the container may dispose it once
    /// per registration; see <see cref="CreateEngine"/> for when.
    /// </summary>
    private static void AddStoragePorts(IServiceCollection services)
    {
        foreach (var port in StoragePorts)
        {
            services.TryAdd(ServiceDescriptor.Singleton(port, provider => provider.GetRequiredService<ICairnStore>()));
        }
    }

    /// <summary>
    /// Creates the engine after every storage port. The container disposes what it created in reverse order, and it
    /// counts a port as created when a factory first hands out the store: a port first asked for after the engine (by
    /// an endpoint, a loop) would dispose the store before the engine had drained its queued inputs into it. Resolving
    /// them all first makes the store outlive the engine, whoever asks for a port later.
    /// </summary>
    private static CairnEngine CreateEngine(IServiceProvider provider)
    {
        foreach (var port in StoragePorts)
        {
            provider.GetRequiredService(port);
        }

        return ActivatorUtilities.CreateInstance<CairnEngine>(provider);
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

    /// <summary>
    /// The most events one draft simulation replays (its events are held in memory while it runs); a period with more
    /// is refused, naming the limit. Default 100,000.
    /// </summary>
    public int MaxSimulationEvents { get; set; } = 100_000;

    /// <summary>The most contacts one draft simulation follows; a period whose events are for more is refused, naming the limit. Default 20,000.</summary>
    public int MaxSimulationContacts { get; set; } = 20_000;

    /// <summary>How often the retention pass runs (docs/retention.md). Default 1 hour.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The most rows one retention batch (one transaction) deletes. Default 2,000; below that, the batch is sized so it
    /// takes about <see cref="RetentionBatchTime"/>.
    /// </summary>
    public int RetentionBatchSize { get; set; } = 2_000;

    /// <summary>
    /// How long one retention batch should hold the writer: the pass sizes each batch from the time per row the last
    /// one took, so a commit arriving behind a batch waits at most about this long. Default 10 ms.
    /// </summary>
    public TimeSpan RetentionBatchTime { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The least pause between two retention batches, so ingestion's commits get the writer between them; the pause is
    /// also at least three times what the batch took. Default 20 ms.
    /// </summary>
    public TimeSpan RetentionPause { get; set; } = TimeSpan.FromMilliseconds(20);
}
