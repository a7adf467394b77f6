using System.Threading.Channels;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Turns;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Cairn.Runtime;

/// <summary>A request to erase a contact (with its merged contacts), processed on its own in its partition.</summary>
/// <param name="ContactId">The contact (a survivor of merges).</param>
/// <param name="Reason">Why, for the audit log.</param>
/// <param name="BeforeDelete">Sees the profiles before they are deleted.</param>
/// <param name="Erased">Completed with the erasure's record.</param>
internal sealed record ErasureRequested(
    ContactId ContactId,
    string Reason,
    Func<IReadOnlyList<ContactState>, CancellationToken, Task>? BeforeDelete,
    TaskCompletionSource<ErasureRecord> Erased) : ContactInput(ContactId);

/// <summary>One input for a partition, with what must be persisted beside it and whom to tell when it is durable.</summary>
/// <param name="Input">The input.</param>
/// <param name="Identities">Identities identity resolution mapped to the input's contact.</param>
/// <param name="Completion">Completed once the input is durable (or failed); null for internal inputs.</param>
internal sealed record PartitionWork(
    ContactInput Input,
    IReadOnlyList<IdentityKey> Identities,
    TaskCompletionSource<InputOutcome>? Completion);

/// <summary>
/// The single writer of a set of contacts, and the I/O shell around <see cref="ContactTurn"/>: it takes inputs strictly
/// in order on one loop, loads the batch's contacts, decides each input with the contact's turn (reading what the turn
/// asks for: a history, a replay, a routing answer), writes every turn's effects into one transaction (group commit),
/// and acknowledges once it is durable. Effects that reach other contacts are sent only after the commit.
/// </summary>
internal sealed partial class Partition
{
    // History events kept in memory between batches (the most active contacts' histories), per partition.
    private const int MaxCachedHistoryEvents = 50_000;

    private readonly Channel<PartitionWork> _inbox = Channel.CreateUnbounded<PartitionWork>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    // Contact states kept in memory between batches, at most the partition's share of Engine:CachedContacts.
    private readonly ContactCache _cache;
    private readonly HistoryCache _histories;
    private readonly int _maxHistoryEventsPerName;
    private readonly ICairnStore _store;
    private readonly TimeProvider _time;
    private readonly JourneyRegistry _journeys;
    private readonly int _maxBatch;
    private readonly Action<PartitionWork> _route;
    private readonly Action<int> _processed;
    private readonly ILogger _logger;
    private readonly OwnerRouter _router;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ContactId, bool> _erased;
    private readonly Diagnostics.EngineMetrics _metrics;

    public Partition(
        int index,
        ICairnStore store,
        TimeProvider time,
        JourneyRegistry journeys,
        int maxBatch,
        int maxCachedContacts,
        Action<PartitionWork> route,
        Action<int> processed,
        ILogger logger,
        OwnerRouter router,
        System.Collections.Concurrent.ConcurrentDictionary<ContactId, bool> erased,
        int maxHistoryEventsPerName,
        Diagnostics.EngineMetrics metrics)
    {
        _metrics = metrics;
        _maxHistoryEventsPerName = maxHistoryEventsPerName;
        _histories = new HistoryCache(MaxCachedHistoryEvents, maxHistoryEventsPerName);
        _erased = erased;
        _router = router;
        _processed = processed;
        Index = index;
        _store = store;
        _time = time;
        _journeys = journeys;
        _maxBatch = maxBatch;
        _cache = new ContactCache(maxCachedContacts);
        _route = route;
        _logger = logger;
    }

    public int Index { get; }

    /// <summary>The partition's ownership, carried by each of its commits (none: not fenced).</summary>
    public PartitionLease? Lease { get; init; }

    /// <summary>Told when a commit was refused because another server took the partition over.</summary>
    public Action<PartitionFencedException>? Fenced { get; init; }

    public bool TryEnqueue(PartitionWork work) => _inbox.Writer.TryWrite(work);

    /// <summary>No more external inputs; <see cref="RunAsync"/> ends once the inbox is drained.</summary>
    public void Complete() => _inbox.Writer.TryComplete();

    public async Task RunAsync()
    {
        var batch = new List<PartitionWork>(_maxBatch);
        PartitionWork? held = null;
        while (held is not null || await _inbox.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (held is not null)
            {
                batch.Add(held);
                held = null;
            }

            // An erasure runs on its own, after the inputs before it are committed.
            while (batch.Count < _maxBatch && batch is not [{ Input: ErasureRequested }] && _inbox.Reader.TryRead(out var work))
            {
                if (work.Input is ErasureRequested && batch.Count > 0)
                {
                    held = work;
                    break;
                }

                batch.Add(work);
            }

            try
            {
                if (batch is [{ Input: ErasureRequested erasure } alone])
                {
                    await EraseAsync(erasure).ConfigureAwait(false);
                    Acknowledge(alone, InputOutcome.Stored);
                }
                else
                {
                    await ProcessAsync(batch).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                if (exception is PartitionFencedException fenced)
                {
                    // The engine logs it once, whatever the number of batches refused.
                    Fenced?.Invoke(fenced);
                }
                else
                {
                    LogBatchFailed(_logger, exception, Index, batch.Count);
                }

                _metrics.Failed(Index);
                _cache.Clear();
                foreach (var work in batch)
                {
                    work.Completion?.TrySetException(exception);
                }
            }

            _processed(batch.Count);
            batch.Clear();
        }
    }

    /// <summary>
    /// One batch: loads its contacts, decides each input's turn in order (each sees the state the one before left),
    /// writes every turn's effects into one transaction, commits it, then acknowledges and routes what reaches others.
    /// </summary>
    private async Task ProcessAsync(List<PartitionWork> batch)
    {
        var now = _time.GetUtcNow();
        await LoadMissingAsync(batch).ConfigureAwait(false);
        var existing = await FindDuplicatesAsync(batch).ConfigureAwait(false);

        // One consistent set of documents for the whole batch.
        var documents = _journeys.Documents;
        var write = new BatchWrite(_router, documents.Policy.Measurement);
        write.Commit.Lease = Lease;

        // Stored events do not change before this batch commits: each contact's stored history is read once.
        var histories = new BatchHistories(write.Commit);
        foreach (var work in batch)
        {
            var id = work.Input.ContactId;
            var erased = _erased.ContainsKey(id);
            if (!erased && work.Input is MessageReceived received && !existing.Add(received.Message.MessageId))
            {
                Acknowledge(work, InputOutcome.Duplicate);
                continue;
            }

            if (work.Input is ContactAbsorbed)
            {
                // The merged contact's events were handed over to this one (in its partition's commit): read them anew.
                _histories.Forget(id);
            }

            var state = new TurnState(write.States.TryGetValue(id, out var pending) ? pending : _cache.Get(id), erased);
            var decided = await DecideAsync(state, work.Input, documents, histories, now).ConfigureAwait(false);
            if (decided.State.Erased)
            {
                Acknowledge(work, InputOutcome.Erased);
                continue;
            }

            write.Add(work, state.Contact, decided, now);
        }

        // Alerts carry the contact as the batch leaves it, and its timeline (which needs the stored events).
        foreach (var (index, id, alert) in write.Alerts)
        {
            var contact = write.States.TryGetValue(id, out var final) ? final : _cache.Get(id)!;
            var stored = await _store.GetEventsAsync(id, null, OwnerAlertPayload.Timeline, CancellationToken.None).ConfigureAwait(false);
            var timeline = write.Commit.Events.Where(e => e.ContactId == id).Concat(stored.Items);
            write.Commit.Outbox[index] = write.Commit.Outbox[index] with { Payload = OwnerAlertPayload.Render(contact, alert, timeline, now) };
        }

        await CommitAsync(batch, write.Commit, now).ConfigureAwait(false);
        _cache.Trim(write.States.Count);
        foreach (var (id, state) in write.States)
        {
            _cache.Set(id, state);
        }

        foreach (var (completion, outcome) in write.Acknowledgements)
        {
            completion.TrySetResult(outcome);
        }

        foreach (var work in write.After)
        {
            _route(work);
        }
    }

    /// <summary>
    /// Commits a batch's writes in one transaction (nothing when there are none), then lets the history cache learn
    /// the events it stored.
    /// </summary>
    private async Task CommitAsync(List<PartitionWork> batch, CommitBatch commit, DateTimeOffset now)
    {
        if (commit.IsEmpty)
        {
            return;
        }

        using var activity = Diagnostics.EngineMetrics.PartitionSource.StartActivity("partition commit")?.SetTag("cairn.partition", Index).SetTag("cairn.inputs", batch.Count);
        var started = _metrics.Start();
        await _store.CommitAsync(commit, CancellationToken.None).ConfigureAwait(false);
        _metrics.Committed(batch, commit, started);
        _histories.Committed(commit.Events, now);
        commit.HandOvers.ForEach(handOver => _histories.Forget(handOver.From));
    }

    /// <summary>
    /// Erases a contact and the contacts merged into it: the caller's hook sees the profiles, then one transaction
    /// deletes what is stored about them; later inputs for any of them are dropped.
    /// </summary>
    private async Task EraseAsync(ErasureRequested erasure)
    {
        try
        {
            var group = await _store.GetContactGroupAsync(erasure.ContactId, CancellationToken.None).ConfigureAwait(false);
            if (erasure.BeforeDelete is { } hook)
            {
                await hook(group, CancellationToken.None).ConfigureAwait(false);
            }

            var ids = group.Select(contact => contact.Id).Append(erasure.ContactId).ToHashSet();
            var segments = group.SelectMany(contact => contact.Segments.Keys).Concat(_journeys.Segments.Segments.Select(segment => segment.Id)).ToHashSet(StringComparer.Ordinal);
            var record = await _store.EraseContactsAsync(erasure.ContactId, ids, segments, erasure.Reason, _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            foreach (var id in ids)
            {
                _erased[id] = true;
                _cache.Remove(id);
                _histories.Forget(id);
            }

            erasure.Erased.TrySetResult(record);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            erasure.Erased.TrySetException(exception);
        }
    }

    private static void Acknowledge(PartitionWork work, InputOutcome outcome) => work.Completion?.TrySetResult(outcome);

    private async Task LoadMissingAsync(List<PartitionWork> batch)
    {
        HashSet<ContactId>? missing = null;
        foreach (var work in batch)
        {
            if (!_cache.Contains(work.Input.ContactId))
            {
                (missing ??= []).Add(work.Input.ContactId);
            }
        }

        if (missing is null)
        {
            return;
        }

        var loaded = await _store.GetContactsAsync(missing, CancellationToken.None).ConfigureAwait(false);
        foreach (var (id, state) in loaded)
        {
            _cache.Set(id, state);
        }
    }

    private async Task<HashSet<string>> FindDuplicatesAsync(List<PartitionWork> batch)
    {
        var ids = new List<string>();
        foreach (var work in batch)
        {
            if (work.Input is MessageReceived received)
            {
                ids.Add(received.Message.MessageId);
            }
        }

        if (ids.Count == 0)
        {
            return [];
        }

        var existing = await _store.FindExistingMessageIdsAsync(ids, CancellationToken.None).ConfigureAwait(false);
        return new HashSet<string>(existing, StringComparer.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} failed to commit a batch of {Count} inputs; they were not acknowledged")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int partition, int count);
}
