using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cairn.Runtime;

/// <summary>A segment preview: the count (exact, or estimated from a sample with its 95 % margin) and some members.</summary>
/// <param name="Count">Matching contacts (an estimate when <paramref name="Exact"/> is false).</param>
/// <param name="Exact">True when every contact was evaluated.</param>
/// <param name="Evaluated">Contacts evaluated.</param>
/// <param name="Population">Contacts in the workspace.</param>
/// <param name="Margin">The 95 % margin of error of <paramref name="Count"/>, in contacts (0 when exact).</param>
/// <param name="Sample">Some matching contacts.</param>
public sealed record SegmentPreview(long Count, bool Exact, long Evaluated, long Population, long Margin, IReadOnlyList<ContactState> Sample);

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

    // Timers whose input is submitted but not yet committed (their rows still exist): not submitted twice.
    private readonly Dictionary<StoredTimer, Task> _timersInFlight = [];

    // Timers committed while a pass was reading: it may have read their rows before the commit deleted them, and come
    // to them after they left the in-flight set. Kept until no pass is reading (a later read no longer sees them).
    private readonly HashSet<StoredTimer> _timersFired = [];
    private int _timerPassesReading;
    private readonly CancellationTokenSource _stopping = new();
    private Task _timerLoop = Task.CompletedTask;

    // One rollout pass at a time; the signal wakes the rollout loop when a publish starts one.
    private readonly SemaphoreSlim _rolloutGate = new(1, 1);
    private readonly SemaphoreSlim _rolloutSignal = new(0);
    private Task _rolloutLoop = Task.CompletedTask;

    // Started by the first StopAsync or DisposeAsync; awaited by every later one.
    private readonly Lazy<Task> _stop;

    /// <summary>How many contacts a rollout submits before it records its progress.</summary>
    public const int RolloutPage = 500;

    /// <summary>How often the timer loop looks for due timers at most (a timer fires within this of its due time).</summary>
    public static TimeSpan TimerPollInterval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>The most timers submitted in one pass (a restart after downtime fires overdue timers at this rate per pass).</summary>
    public const int TimerBatch = 10_000;

    /// <summary>The published journeys the partitions run.</summary>
    public JourneyRegistry Journeys { get; }

    /// <summary>True once started and until stopping begins: the engine accepts inputs.</summary>
    public bool IsReady => _accepting;

    /// <summary>The storage provider in use.</summary>
    public ICairnStore Store => _store;

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

        _depths = new long[_options.Partitions];
        _partitions = Enumerable.Range(0, _options.Partitions)
            .Select(index => new Partition(index, _store, _time, Journeys, _options.MaxBatchSize, Math.Max(1, _options.CachedContacts / _options.Partitions), Route, count => OnProcessed(index, count), _logger, _router, _erased, Math.Max(1, _options.MaxHistoryEventsPerName), _metrics))
            .ToArray();
        _loops = _partitions.Select(partition => Task.Run(partition.RunAsync, CancellationToken.None)).ToArray();

        var merges = await _store.GetPendingMergesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var merge in merges)
        {
            await ResumeMergeAsync(merge, cancellationToken).ConfigureAwait(false);
        }

        _accepting = true;
        _timerLoop = Task.Run(() => RunTimersAsync(_stopping.Token), CancellationToken.None);
        _rolloutLoop = Task.Run(() => RunRolloutLoopAsync(_stopping.Token), CancellationToken.None);
        _rolloutSignal.Release();
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
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _timerLoop.ConfigureAwait(false);
        await _rolloutLoop.ConfigureAwait(false);

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

        // The loops, the partitions and a rollout in progress use the store and the semaphores until the stop has ended.
        await _stop.Value.ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _rolloutGate.Dispose();
        _rolloutSignal.Dispose();
    }

    /// <summary>
    /// Submits every timer due now (earliest first, at most <see cref="TimerBatch"/>) to its contact's partition and
    /// waits until they are committed, including those the timer loop submitted already. Returns how many this
    /// call submitted. The timer loop calls it; tests call it after moving a fake clock.
    /// </summary>
    public async Task<int> FireDueTimersAsync(CancellationToken cancellationToken)
    {
        lock (_timersInFlight)
        {
            _timerPassesReading++;
        }

        var handling = new List<Task>();
        var submitted = 0;
        using var activity = Diagnostics.EngineMetrics.TimerSource.StartActivity("timers fire");
        try
        {
            var due = await _store.GetDueTimersAsync(_time.GetUtcNow(), TimerBatch, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("cairn.timers", due.Count);
            lock (_timersInFlight)
            {
                foreach (var timer in due)
                {
                    // Already submitted (by the timer loop or another caller): wait for that one instead.
                    if (_timersInFlight.TryGetValue(timer, out var inFlight))
                    {
                        handling.Add(inFlight);
                        continue;
                    }

                    if (_timersFired.Contains(timer))
                    {
                        continue;
                    }

                    var task = Submit(new TimerDue(timer.ContactId, timer.EnrollmentId, timer.StepId, timer.DueAt), []).ContinueWith(
                        handled =>
                        {
                            lock (_timersInFlight)
                            {
                                _timersInFlight.Remove(timer);

                                // A failed batch left the row: a later pass fires it.
                                if (handled.IsCompletedSuccessfully && _timerPassesReading > 0)
                                {
                                    _timersFired.Add(timer);
                                }
                            }
                        },
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                    if (!task.IsCompleted)
                    {
                        _timersInFlight[timer] = task;
                    }

                    handling.Add(task);
                    submitted++;
                }
            }
        }
        finally
        {
            lock (_timersInFlight)
            {
                if (--_timerPassesReading == 0)
                {
                    _timersFired.Clear();
                }
            }
        }

        _metrics.TimersDue(submitted);
        await Task.WhenAll(handling).WaitAsync(cancellationToken).ConfigureAwait(false);
        return submitted;
    }

    /// <summary>
    /// Makes a stored segment, scoring model or sales team document live: a new version when it changed, then (for
    /// segments and scoring models) a backfill, a rollout over every contact that brings every membership or score up
    /// to date; from then on they change with each input. Null when there is no such document.
    /// </summary>
    /// <param name="kind">The document kind.</param>
    /// <param name="id">The document id.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="backfill">False for documents existing contacts need not be visited for (sales teams).</param>
    public async Task<(int Version, bool Created, Rollout? Rollout)?> SaveLiveDocumentAsync(string kind, string id, CancellationToken cancellationToken, bool backfill = true)
    {
        var plan = backfill ? new RolloutPlan(ImmutableDictionary<string, string>.Empty, RolloutScope.AllContacts) : null;
        if (await _store.PublishAsync(kind, id, _time.GetUtcNow(), plan, cancellationToken).ConfigureAwait(false) is not var (version, created))
        {
            return null;
        }

        await Journeys.ReloadAsync(cancellationToken).ConfigureAwait(false);
        var rollout = (await _store.GetRolloutsAsync(kind, id, cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.Version == version);
        if (rollout is { Done: false })
        {
            _rolloutSignal.Release();
        }

        return (version, created, rollout);
    }

    /// <summary>
    /// Evaluates a draft segment condition as of now, saving nothing: how many contacts match, and up to
    /// <paramref name="sample"/> of them. Up to <see cref="EngineOptions.ExactPreviewLimit"/> contacts (or with
    /// <paramref name="exact"/>) every contact is evaluated; above, a uniform random sample of about
    /// <see cref="EngineOptions.PreviewSampleSize"/> (the contacts in the first sample buckets) is, and the count is estimated
    /// with its 95 % margin of error — in well under a second on a million contacts, as Braze and others estimate.
    /// </summary>
    public async Task<SegmentPreview> PreviewSegmentAsync(Core.Journeys.Condition draft, int sample, CancellationToken cancellationToken, bool exact = false)
    {
        ArgumentNullException.ThrowIfNull(draft);
        using var activity = Diagnostics.EngineMetrics.SegmentSource.StartActivity("segment preview");
        var population = await _store.CountContactsAsync(cancellationToken).ConfigureAwait(false);
        var matches = new List<ContactState>();
        if (exact || population <= _options.ExactPreviewLimit)
        {
            var (count, cursor) = (0L, (string?)null);
            do
            {
                var page = await _store.SearchContactsAsync(null, cursor, 1000, cancellationToken).ConfigureAwait(false);
                count += await EvaluateAsync(draft, page.Items, matches, sample, cancellationToken).ConfigureAwait(false);
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            return new SegmentPreview(count, true, population, population, 0, matches);
        }

        var buckets = (int)Math.Clamp(Math.Ceiling((double)_options.PreviewSampleSize * ICairnStore.SampleBuckets / population), 1, ICairnStore.SampleBuckets);
        var sampled = await _store.GetSampleAsync(buckets, cancellationToken).ConfigureAwait(false);
        var hits = 0L;
        foreach (var chunk in sampled.Chunk(1000))
        {
            hits += await EvaluateAsync(draft, chunk, matches, sample, cancellationToken).ConfigureAwait(false);
        }

        var (n, size) = ((double)Math.Max(1, sampled.Count), (double)population);
        var share = hits / n;

        // The 95 % interval of a proportion from a sample without replacement; with no match, the rule of three.
        var margin = hits == 0
            ? 3.0 / n * size
            : 1.96 * size * Math.Sqrt(share * (1 - share) / n * Math.Max(0, (size - n) / Math.Max(1, size - 1)));
        return new SegmentPreview((long)Math.Round(share * size), false, sampled.Count, population, (long)Math.Ceiling(margin), matches);
    }

    /// <summary>Evaluates a condition over contacts (reading the history it needs in one query); returns how many hold, keeping up to <paramref name="keep"/>.</summary>
    private async Task<long> EvaluateAsync(Core.Journeys.Condition draft, IReadOnlyList<ContactState> contacts, List<ContactState> matches, int keep, CancellationToken cancellationToken)
    {
        // Only the events the condition's history clauses name are read.
        var names = Core.Journeys.Engine.HistoryPlan.Of([draft]).Names;
        var now = _time.GetUtcNow();
        var events = names.Count == 0
            ? new Dictionary<ContactId, List<StoredEvent>>()
            : await _store.GetEventsOfAsync([.. contacts.Select(contact => contact.Id)], names, cancellationToken).ConfigureAwait(false);
        var holds = new bool[contacts.Count];
        Parallel.For(0, contacts.Count, index =>
        {
            var contact = contacts[index];
            IReadOnlyList<Core.Journeys.Engine.PastEvent> history = events.TryGetValue(contact.Id, out var stored) ? [.. stored.Select(Partition.PastEventOf)] : [];
            holds[index] = Core.Journeys.Engine.ConditionEvaluator.Holds(draft, new Core.Journeys.Engine.EvaluationContext(contact, null, null, history, now));
        });
        var count = 0L;
        for (var index = 0; index < holds.Length; index++)
        {
            if (holds[index])
            {
                count++;
                if (matches.Count < keep)
                {
                    matches.Add(contacts[index]);
                }
            }
        }

        return count;
    }

    /// <summary>
    /// Publishes a stored journey's draft (a new version only when it changed) and makes the partitions run it.
    /// When the publish must reach existing contacts — a step map moving running enrollments, or a date trigger for
    /// contacts who already have the date — a rollout is recorded with the version and started. Null when there is
    /// no such journey; the draft is assumed valid (the caller validated it).
    /// </summary>
    public async Task<(int Version, bool Created, Rollout? Rollout)?> PublishJourneyAsync(string id, ImmutableDictionary<string, string> stepMap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stepMap);
        if (await _store.GetDocumentAsync("journey", id, cancellationToken).ConfigureAwait(false) is not { } document
            || Core.Journeys.DocumentParser.Parse(document.Draft, id) is not Core.Journeys.ParsedJourney { Journey: var journey })
        {
            return null;
        }

        var dated = journey.Trigger is Core.Journeys.DateTrigger;
        var plan = stepMap.Count > 0 || dated ? new RolloutPlan(stepMap, dated ? RolloutScope.AllContacts : RolloutScope.Enrolled) : null;
        var (version, created) = (await _store.PublishAsync("journey", id, _time.GetUtcNow(), plan, cancellationToken).ConfigureAwait(false))!.Value;
        await Journeys.ReloadAsync(cancellationToken).ConfigureAwait(false);
        var rollout = (await _store.GetRolloutsAsync("journey", id, cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.Version == version && !r.Done);
        if (rollout is not null)
        {
            _rolloutSignal.Release();
        }

        return (version, created, rollout);
    }

    /// <summary>
    /// Carries every rollout not yet done to its end: each contact in its scope gets a <see cref="RolloutReached"/>
    /// input, a page at a time, and the progress is recorded after each committed page (a restart resumes from
    /// there; a contact visited twice is unaffected). The rollout loop calls it; tests call it to wait for rollouts.
    /// </summary>
    public async Task RunRolloutsAsync(CancellationToken cancellationToken)
    {
        await _rolloutGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var rollout in await _store.GetRolloutsAsync("journey", null, cancellationToken).ConfigureAwait(false))
            {
                var (after, processed) = (rollout.After, rollout.Processed);
                while (true)
                {
                    var ids = rollout.Plan.Scope == RolloutScope.AllContacts
                        ? await _store.ListContactIdsAsync(after, RolloutPage, cancellationToken).ConfigureAwait(false)
                        : await _store.ListEnrolledContactIdsAsync(rollout.JourneyId, rollout.Version, after, RolloutPage, cancellationToken).ConfigureAwait(false);
                    if (ids.Count > 0)
                    {
                        await Task.WhenAll(ids.Select(id => Submit(
                                rollout.Kind switch
                                {
                                    "segment" => new SegmentsChanged(id, $"segment {rollout.JourneyId} saved (version {rollout.Version})"),
                                    Core.Journeys.DocumentParser.ScoringKind => new ScoresChanged(id, rollout.JourneyId, $"scoring model {rollout.JourneyId} saved (version {rollout.Version})"),
                                    _ => new RolloutReached(id, rollout.JourneyId, rollout.Version, rollout.Plan.StepMap),
                                },
                                [])))
                            .WaitAsync(cancellationToken).ConfigureAwait(false);
                        (after, processed) = (ids[^1].ToString(), processed + ids.Count);
                    }

                    var done = ids.Count < RolloutPage;
                    await _store.SaveRolloutProgressAsync(rollout.Kind, rollout.JourneyId, rollout.Version, after, processed, done, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                    if (done)
                    {
                        var kind = rollout.Kind == Core.Journeys.DocumentParser.ScoringKind ? "scoring model" : rollout.Kind;
                        LogRolloutDone(_logger, kind, rollout.JourneyId, rollout.Version, processed);

                        break;
                    }
                }
            }
        }
        finally
        {
            _rolloutGate.Release();
        }
    }

    /// <summary>
    /// Adds <paramref name="contacts"/> to the static list <paramref name="segment"/> (or removes them), each in its
    /// partition: an entry or exit with <paramref name="reason"/>, a <c>segment_entered</c> / <c>segment_exited</c>
    /// event, and the segments that refer to the list re-evaluated. Returns how many changed membership.
    /// </summary>
    public async Task<int> ChangeListAsync(string segment, IReadOnlyCollection<ContactId> contacts, bool add, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var before = await _store.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(contacts.Distinct().Select(id => Submit(new ListMembershipChanged(id, segment, add, reason), []))).WaitAsync(cancellationToken).ConfigureAwait(false);
        var after = await _store.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false);
        return (int)Math.Abs(after.GetValueOrDefault(segment) - before.GetValueOrDefault(segment));
    }

    /// <summary>
    /// After a segment was archived: every member is re-evaluated in its partition, which takes it out of the segment
    /// (a <c>segment_exited</c> event, the member row deleted). Returns how many members there were.
    /// </summary>
    public async Task<int> EvictSegmentAsync(string segment, CancellationToken cancellationToken)
    {
        var (total, after) = (0, (string?)null);
        while (await _store.GetSegmentMembersAsync(segment, after, RolloutPage, cancellationToken).ConfigureAwait(false) is { Count: > 0 } page)
        {
            await Task.WhenAll(page.Select(member => Submit(new SegmentsChanged(member.ContactId, $"segment {segment} archived"), []))).WaitAsync(cancellationToken).ConfigureAwait(false);
            (total, after) = (total + page.Count, page[^1].ContactId.ToString());
        }

        return total;
    }

    /// <summary>
    /// Records a consent answer for the contact (a later answer for the same channel or group replaces an earlier one)
    /// in its partition: a <c>consent_changed</c> event on its timeline, consent conditions re-evaluated.
    /// </summary>
    public Task ChangeConsentAsync(ContactId contact, string channel, string? group, Core.Consent.ConsentRecord record, CancellationToken cancellationToken) =>
        Submit(new ConsentChanged(contact, channel, group, record), []).WaitAsync(cancellationToken);

    /// <summary>
    /// Records an event Cairn observed about a contact itself (an email opened, a link clicked) as a track event on
    /// its timeline, in its partition: journeys waiting for it move on. False when there is no such contact.
    /// </summary>
    public async Task<bool> RecordEventAsync(ContactId id, string name, System.Text.Json.JsonElement properties, CancellationToken cancellationToken)
    {
        if (await GetContactAsync(id, cancellationToken).ConfigureAwait(false) is not { } contact)
        {
            return false;
        }

        await RecordEventsAsync([(contact, name, properties)], cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Records events Cairn observed about contacts it has just read (messages sent or delivered), each in its
    /// contact's partition, committed together by group commit; completes when all are durable.
    /// </summary>
    public Task RecordEventsAsync(IEnumerable<(ContactState Contact, string Name, System.Text.Json.JsonElement Properties)> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var now = _time.GetUtcNow();
        return Task.WhenAll(events.Select(item =>
            Submit(new MessageReceived(item.Contact.Id, Core.Segments.AudienceDecider.Announcement(item.Contact, item.Name, Guid.CreateVersion7().ToString("N"), item.Properties, now)), [])))
            .WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Erases a contact (a GDPR / CCPA deletion request) with every contact merged into it, in its partition after the
    /// inputs already queued for it: <paramref name="beforeDelete"/> sees the profiles first (to put their addresses on
    /// the suppression list), then everything stored about them is deleted in one transaction and the erasure recorded.
    /// The person's identities are forgotten at once, so a later event from them starts a new, empty profile.
    /// Null when there is no such contact.
    /// </summary>
    public async Task<ErasureRecord?> EraseContactAsync(
        ContactId id,
        string reason,
        Func<IReadOnlyList<ContactState>, CancellationToken, Task>? beforeDelete,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (await GetContactAsync(id, cancellationToken).ConfigureAwait(false) is not { } contact)
        {
            return null;
        }

        var erased = new TaskCompletionSource<ErasureRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        var forgotten = _resolver.Forget(contact.Id);
        try
        {
            await Submit(new ErasureRequested(contact.Id, reason, beforeDelete, erased), []).ConfigureAwait(false);
            return await erased.Task.ConfigureAwait(false);
        }
        catch
        {
            // Nothing was deleted: the person's identities lead to the profile again.
            foreach (var identity in forgotten)
            {
                _resolver.Load(new IdentityMapping(identity, contact.Id));
            }

            throw;
        }
    }

    /// <summary>
    /// Records that the owner acknowledged hand-off <paramref name="id"/>, in the lead's partition (which stops its SLA).
    /// Null when there is no such hand-off; otherwise the hand-off as stored afterwards.
    /// </summary>
    public async Task<HandOffRecord?> AcknowledgeHandOffAsync(string id, string by, CancellationToken cancellationToken)
    {
        if (await _store.GetHandOffAsync(id, cancellationToken).ConfigureAwait(false) is not { } handOff)
        {
            return null;
        }

        await Submit(new HandOffAcknowledged(handOff.ContactId, id, by), []).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await _store.GetHandOffAsync(id, cancellationToken).ConfigureAwait(false);
    }

    private Task RunRolloutLoopAsync(CancellationToken stopping) => RunLoopAsync(
        async () =>
        {
            await _rolloutSignal.WaitAsync(stopping).ConfigureAwait(false);
            await RunRolloutsAsync(stopping).ConfigureAwait(false);
        },
        exception =>
        {
            LogRolloutFailed(_logger, exception);
            _rolloutSignal.Release();
        },
        stopping);

    private Task RunTimersAsync(CancellationToken stopping) => RunLoopAsync(
        async () =>
        {
            if (await FireDueTimersAsync(stopping).ConfigureAwait(false) == TimerBatch)
            {
                return;
            }

            var next = await _store.GetNextTimerAsync(stopping).ConfigureAwait(false);
            var wait = next is { } due ? due - _time.GetUtcNow() : TimerPollInterval;
            await DelayAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : wait > TimerPollInterval ? TimerPollInterval : wait, stopping).ConfigureAwait(false);
        },
        exception => LogTimersFailed(_logger, exception),
        stopping);

    /// <summary>
    /// Runs <paramref name="pass"/> until stopping; a failed pass is reported, then retried after
    /// <see cref="TimerPollInterval"/>.
    /// </summary>
    private async Task RunLoopAsync(Func<Task> pass, Action<Exception> failed, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await pass().ConfigureAwait(false);
            }
            catch (Exception exception) when (stopping.IsCancellationRequested || exception is EngineStoppedException)
            {
                return;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                failed(exception);
                try
                {
                    await DelayAsync(TimerPollInterval, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Waits on the engine's clock, then yields: a clock that jumps ahead (a fake one in tests, or a resumed VM)
    /// completes the delay inside its own call, and the next pass must not run there, second by second.
    /// </summary>
    private async Task DelayAsync(TimeSpan delay, CancellationToken stopping) =>
        await Task.Delay(delay, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

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

    /// <summary>Sets traits on a contact (as of now). Null when the contact does not exist.</summary>
    public async Task<ContactState?> PatchTraitsAsync(
        ContactId id,
        ImmutableSortedDictionary<string, JsonElement> traits,
        CancellationToken cancellationToken)
    {
        var contact = await GetContactAsync(id, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return null;
        }

        await Submit(new TraitsPatched(contact.Id, traits), []).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await GetContactAsync(contact.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks the journey engine to enroll an existing contact in a live journey (the API trigger); entry rules apply.
    /// Returns the contact's state once the request is committed, or null when the contact does not exist.
    /// </summary>
    public async Task<ContactState?> EnrollAsync(ContactId id, string journeyId, JsonElement? payload, CancellationToken cancellationToken)
    {
        var contact = await GetContactAsync(id, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return null;
        }

        await Submit(new EnrollmentRequested(contact.Id, journeyId, payload), []).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await GetContactAsync(contact.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A contact's profile; a merged contact's id leads to the profile it was merged into.</summary>
    public async Task<ContactState?> GetContactAsync(ContactId id, CancellationToken cancellationToken)
    {
        var state = await _store.GetContactAsync(id, cancellationToken).ConfigureAwait(false);
        for (var hops = 0; state?.MergedInto is { } into && hops < 16; hops++)
        {
            state = await _store.GetContactAsync(into, cancellationToken).ConfigureAwait(false);
        }

        return state;
    }

    /// <summary>The contact an identity resolves to now (including identities not yet committed).</summary>
    public ContactId? FindContact(IdentityKey identity) => _resolver.Find(identity);

    private Task<InputOutcome> Submit(ContactInput input, IReadOnlyList<IdentityKey> identities)
    {
        if (!_accepting)
        {
            throw new EngineStoppedException();
        }

        var completion = new TaskCompletionSource<InputOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        Route(new PartitionWork(input, identities, completion));
        return completion.Task;
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

    [LoggerMessage(Level = LogLevel.Error, Message = "The timer loop failed; it retries")]
    private static partial void LogTimersFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollout of {Kind} {Document} version {Version} done: {Contacts} contacts visited")]
    private static partial void LogRolloutDone(ILogger logger, string kind, string document, int version, long contacts);

    [LoggerMessage(Level = LogLevel.Error, Message = "A journey rollout failed; it retries")]
    private static partial void LogRolloutFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cairn engine stopped; every queued input was committed")]
    private static partial void LogStopped(ILogger logger);
}

/// <summary>The engine is not accepting inputs: it is starting or shutting down (HTTP 503).</summary>
public sealed class EngineStoppedException : Exception
{
    public EngineStoppedException()
        : base("Cairn is not accepting inputs right now (starting or shutting down).")
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
