using System.Globalization;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cairn.Runtime;

/// <summary>What became of one accepted input.</summary>
public enum InputOutcome
{
    /// <summary>Committed durably.</summary>
    Stored,

    /// <summary>Its message id was already in the event log; nothing changed.</summary>
    Duplicate,

    /// <summary>Its contact was erased meanwhile; it was dropped.</summary>
    Erased,
}

/// <summary>
/// The single-node host of the partitions: resolves each message to its contact, routes inputs to the
/// contact's partition, and completes a caller's task only when its inputs are durable. Starting it migrates
/// storage, loads the identity map and resumes interrupted merges; stopping it drains every queued input.
/// What else submits inputs is its own service: <see cref="TimerPump"/>, <see cref="RolloutRunner"/>,
/// <see cref="ContactCommands"/>; <see cref="DocumentPublisher"/> and <see cref="SegmentPreviewer"/> work beside it.
/// </summary>
public sealed partial class CairnEngine : IHostedService, IAsyncDisposable
{
    private readonly ICairnStore _store;
    private readonly TimeProvider _time;
    private readonly EngineOptions _options;
    private readonly ILogger<CairnEngine> _logger;
    private readonly IdentityResolver _resolver;
    private readonly OwnerRouter _router = new();
    private readonly Diagnostics.EngineMetrics _metrics;

    // Inputs queued in (or being processed by) each partition, for the queue depth gauge.
    private long[] _depths = [];

    // Contacts erased since start-up: an input still on its way to one (a delivery report, a timer read before the
    // erasure) is dropped rather than recreating the profile. Ids are never reused, so the set is only ever a guard.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ContactId, bool> _erased = new();
    private Partition[] _partitions = [];
    private Task[] _loops = [];
    private readonly Lock _idleGate = new();
    private volatile bool _accepting;
    private long _queued;
    private int _disposed;
    private TaskCompletionSource? _idle;

    /// <summary>Creates the engine; <paramref name="meters"/> (the host's) feeds its <c>Cairn.Partitions</c>, <c>Cairn.Timers</c> and <c>Cairn.Segments</c> meters.</summary>
    public CairnEngine(ICairnStore store, TimeProvider time, IOptions<EngineOptions> options, ILogger<CairnEngine> logger, JourneyRegistry? journeys = null, System.Diagnostics.Metrics.IMeterFactory? meters = null)
    {
        _metrics = new Diagnostics.EngineMetrics(meters, time, () => _depths.Select((_, index) => (index, (int)Interlocked.Read(ref _depths[index]))));
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        Journeys = journeys ?? new JourneyRegistry(store, Microsoft.Extensions.Logging.Abstractions.NullLogger<JourneyRegistry>.Instance);
        _time = time;
        _options = options.Value;
        _logger = logger;
        _resolver = new IdentityResolver(time);
        _stop = new Lazy<Task>(StopCoreAsync);
    }

    // Started by the first StopAsync or DisposeAsync; awaited by every later one.
    private readonly Lazy<Task> _stop;

    /// <summary>The published journeys the partitions run.</summary>
    public JourneyRegistry Journeys { get; }

    /// <summary>True once started and until stopping begins (or another server takes a partition over): the engine accepts inputs.</summary>
    public bool IsReady => _accepting;

    /// <summary>
    /// Who this engine is to the other servers on the same database: host, process and start. Its partitions' leases
    /// name it (<see cref="PartitionLease.Owner"/>).
    /// </summary>
    public string NodeId { get; } = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}");

    /// <summary>
    /// Set when a commit was refused because another server took a partition over: this engine then accepts no input
    /// (it would write contacts another server writes) until it is restarted.
    /// </summary>
    public PartitionFencedException? FencedBy => _fencedBy;

    private volatile PartitionFencedException? _fencedBy;

    /// <summary>This engine's partitions: the epoch each was taken at and the inputs queued or in process (none before it starts).</summary>
    public IReadOnlyList<PartitionStatus> Partitions =>
        [.. _partitions.Select(partition => new PartitionStatus(partition.Index, partition.Lease?.Epoch ?? 0, (int)Interlocked.Read(ref _depths[partition.Index])))];

    /// <summary>The engine's instruments (the timer pump counts due timers on them).</summary>
    internal Diagnostics.EngineMetrics Metrics => _metrics;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _store.MigrateAsync(cancellationToken).ConfigureAwait(false);
        await Journeys.ReloadAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var mapping in _store.ReadIdentitiesAsync(cancellationToken).ConfigureAwait(false))
        {
            _resolver.Load(mapping);
        }

        await _router.LoadAsync(_store, cancellationToken).ConfigureAwait(false);

        // Every partition is taken over: a server that wrote them until now has its next commit refused, including one
        // that ran more partitions (their rows are removed, which fences them as well).
        await _store.ForgetPartitionsAsync(_options.Partitions, cancellationToken).ConfigureAwait(false);
        var leases = new PartitionLease[_options.Partitions];
        for (var index = 0; index < leases.Length; index++)
        {
            leases[index] = await _store.TakePartitionAsync(index, NodeId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        _depths = new long[_options.Partitions];
        _partitions = Enumerable.Range(0, _options.Partitions)
            .Select(index => new Partition(index, _store, _time, Journeys, _options.MaxBatchSize, Math.Max(1, _options.CachedContacts / _options.Partitions), Route, count => OnProcessed(index, count), _logger, _router, _erased, Math.Max(1, _options.MaxHistoryEventsPerName), _metrics)
            {
                Lease = leases[index],
                Fenced = OnFenced,
            })
            .ToArray();
        _loops = _partitions.Select(partition => Task.Run(partition.RunAsync, CancellationToken.None)).ToArray();

        var merges = await _store.GetPendingMergesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var merge in merges)
        {
            await ResumeMergeAsync(merge, cancellationToken).ConfigureAwait(false);
        }

        _accepting = true;
        LogStarted(_logger, _store.ProviderName, _partitions.Length, _resolver.Count, merges.Count);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The stop runs once and to its end, whoever asks: a caller whose token is cancelled (the host's shutdown timeout)
    /// stops waiting, not the stop, and <see cref="DisposeAsync"/> waits for it before disposing what it uses.
    /// </remarks>
    public Task StopAsync(CancellationToken cancellationToken) => _stop.Value.WaitAsync(cancellationToken);

    private async Task StopCoreAsync()
    {
        _accepting = false;

        // Inputs still queued may send inputs on to other partitions (merges); wait until none is left.
        await WhenIdleAsync(CancellationToken.None).ConfigureAwait(false);

        foreach (var partition in _partitions)
        {
            partition.Complete();
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
        if (_loops.Length > 0)
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

        // The partitions use the store until the stop has ended.
        await _stop.Value.ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Ingests messages: each is resolved to a contact and committed by that contact's partition. The task
    /// completes when every message is durable; the outcomes are in the order of <paramref name="messages"/>.
    /// </summary>
    /// <exception cref="EngineStoppedException">The engine is not accepting inputs (starting or stopping).</exception>
    public async Task<IReadOnlyList<InputOutcome>> IngestAsync(IReadOnlyList<SegmentMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var completions = new Task<InputOutcome>[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var resolution = _resolver.Resolve(messages[i]);
            completions[i] = Submit(new MessageReceived(resolution.ContactId, messages[i], resolution.Absorb), resolution.Mapped);
        }

        // Once submitted, inputs are committed whatever the caller does; cancellation only stops the waiting.
        return await Task.WhenAll(completions).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes when no input is queued or being processed in any partition, including the inputs that
    /// accepted ones cause later (merges). Used by imports and tests to know the profiles are settled.
    /// </summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        lock (_idleGate)
        {
            if (Interlocked.Read(ref _queued) == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The contact an identity resolves to now (including identities not yet committed).</summary>
    public ContactId? FindContact(IdentityKey identity) => _resolver.Find(identity);

    /// <summary>
    /// Routes an input to its contact's partition; the task completes when it is committed (the contact services and
    /// the loops submit their inputs through it).
    /// </summary>
    /// <exception cref="EngineStoppedException">The engine is not accepting inputs (starting or stopping).</exception>
    internal Task<InputOutcome> Submit(ContactInput input, IReadOnlyList<IdentityKey> identities)
    {
        if (!_accepting)
        {
            throw _fencedBy is { } fenced ? new EngineStoppedException(fenced.Message) : new EngineStoppedException();
        }

        var completion = new TaskCompletionSource<InputOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        Route(new PartitionWork(input, identities, completion));
        return completion.Task;
    }

    /// <summary>Forgets a contact's identities at once (an erasure); returns them, to restore if the erasure fails.</summary>
    internal IReadOnlyList<IdentityKey> ForgetIdentities(ContactId contact) => _resolver.Forget(contact);

    /// <summary>Leads forgotten identities to the contact again (an erasure failed; nothing was deleted).</summary>
    internal void RestoreIdentities(ContactId contact, IEnumerable<IdentityKey> identities)
    {
        foreach (var identity in identities)
        {
            _resolver.Load(new IdentityMapping(identity, contact));
        }
    }

    private async Task ResumeMergeAsync(PendingMerge merge, CancellationToken cancellationToken)
    {
        // The merge was recorded, but the crash came before it finished: either the absorbed profile has not
        // handed over yet (ask it again), or it has and the survivor has not absorbed it (deliver it again).
        _resolver.Redirect(merge.From, merge.Into);
        var absorbed = await _store.GetContactAsync(merge.From, cancellationToken).ConfigureAwait(false);
        ContactInput input = absorbed?.MergedInto == merge.Into
            ? new ContactAbsorbed(merge.Into, absorbed)
            : new MergeRequested(merge.From, merge.Into);
        Route(new PartitionWork(input, [], null));
    }

    private void Route(PartitionWork work)
    {
        Interlocked.Increment(ref _queued);
        var index = PartitionOf(work.Input.ContactId, _partitions.Length);
        Interlocked.Increment(ref _depths[index]);
        if (!_partitions[index].TryEnqueue(work))
        {
            OnProcessed(index, 1);
            work.Completion?.TrySetException(new EngineStoppedException());
        }
    }

    private void OnProcessed(int partition, int count)
    {
        Interlocked.Add(ref _depths[partition], -count);
        if (Interlocked.Add(ref _queued, -count) != 0)
        {
            return;
        }

        lock (_idleGate)
        {
            if (Interlocked.Read(ref _queued) == 0 && _idle is { } idle)
            {
                _idle = null;
                idle.TrySetResult();
            }
        }
    }

    /// <summary>The partition a contact belongs to: a stable hash of its id.</summary>
    internal static int PartitionOf(ContactId id, int partitions) => (int)((uint)id.Value.GetHashCode() % (uint)partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cairn engine started on {Provider} with {Partitions} partitions, {Identities} identities loaded, {Merges} merges resumed")]
    private static partial void LogStarted(ILogger logger, string provider, int partitions, int identities, int merges);

    /// <summary>A partition's commit was refused: another server took it over. From now on this engine accepts nothing.</summary>
    private void OnFenced(PartitionFencedException fenced)
    {
        if (Interlocked.CompareExchange(ref _fencedBy, fenced, null) is null)
        {
            _accepting = false;
            LogFenced(_logger, fenced.Stale.Partition, fenced.Owner, fenced.Epoch, fenced.Stale.Epoch);
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Partition {Partition} was taken over by {Owner} (epoch {Epoch}, this server's {Stale}): another Cairn server writes to this database. This server accepts no more inputs; stop it, or restart it to take the partitions back")]
    private static partial void LogFenced(ILogger logger, int partition, string owner, long epoch, long stale);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cairn engine stopped; every queued input was committed")]
    private static partial void LogStopped(ILogger logger);
}

/// <summary>One of an engine's partitions: the epoch it took the partition at, and the inputs queued or in process.</summary>
public sealed record PartitionStatus(int Partition, long Epoch, int Queued);

/// <summary>The engine is not accepting inputs: it is starting or shutting down, or was fenced out (HTTP 503).</summary>
public sealed class EngineStoppedException : Exception
{
    public EngineStoppedException()
        : base("Cairn is not accepting inputs right now (starting or shutting down); retry shortly.")
    {
    }

    public EngineStoppedException(string message)
        : base(message)
    {
    }

    public EngineStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
