using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cairn.Runtime;

/// <summary>
/// Carries rollouts to their end: a published journey that moves running enrollments or has a date trigger, a saved
/// segment or scoring model. A background loop runs every rollout not yet done at start-up and whenever
/// <see cref="Wake"/> says a publish recorded one. Registered after the engine, so it starts once the engine accepts
/// inputs and stops before the engine drains.
/// </summary>
public sealed partial class RolloutRunner : IHostedService, IAsyncDisposable
{
    /// <summary>How many contacts a rollout submits before it records its progress.</summary>
    public const int RolloutPage = 500;

    private readonly CairnEngine _engine;
    private readonly IDocumentStore _documents;
    private readonly IContactStore _contacts;
    private readonly IJourneyIndex _index;
    private readonly TimeProvider _time;
    private readonly ILogger<RolloutRunner> _logger;
    private readonly BackgroundLoop _loop;

    // One rollout pass at a time.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates the runner (not running until started).</summary>
    public RolloutRunner(CairnEngine engine, IDocumentStore documents, IContactStore contacts, IJourneyIndex index, TimeProvider time, ILogger<RolloutRunner> logger)
    {
        (_engine, _documents, _contacts, _index, _time, _logger) = (engine, documents, contacts, index, time, logger);
        _loop = new BackgroundLoop("rollout", PassAsync, time, logger);
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => _loop.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // A rollout in progress uses the gate until the loop has ended.
        await _loop.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <summary>Asks the loop to run the rollouts not yet done (a publish recorded one).</summary>
    public void Wake() => _loop.Wake();

    /// <summary>
    /// Carries every rollout not yet done to its end: each contact in its scope gets a <see cref="RolloutReached"/>
    /// input, a page at a time, and the progress is recorded after each committed page (a restart resumes from
    /// there; a contact visited twice is unaffected). The rollout loop calls it; tests call it to wait for rollouts.
    /// </summary>
    public async Task RunRolloutsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var rollout in await _documents.GetRolloutsAsync("journey", null, cancellationToken).ConfigureAwait(false))
            {
                var (after, processed) = (rollout.After, rollout.Processed);
                while (true)
                {
                    var ids = rollout.Plan.Scope == RolloutScope.AllContacts
                        ? await _contacts.ListContactIdsAsync(after, RolloutPage, cancellationToken).ConfigureAwait(false)
                        : await _index.ListEnrolledContactIdsAsync(rollout.JourneyId, rollout.Version, after, RolloutPage, cancellationToken).ConfigureAwait(false);
                    if (ids.Count > 0)
                    {
                        await Task.WhenAll(ids.Select(id => _engine.Submit(
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
                    await _documents.SaveRolloutProgressAsync(rollout.Kind, rollout.JourneyId, rollout.Version, after, processed, done, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
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
            _gate.Release();
        }
    }

    private async Task<TimeSpan> PassAsync(CancellationToken stopping)
    {
        await RunRolloutsAsync(stopping).ConfigureAwait(false);
        return BackgroundLoop.UntilWoken;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollout of {Kind} {Document} version {Version} done: {Contacts} contacts visited")]
    private static partial void LogRolloutDone(ILogger logger, string kind, string document, int version, long contacts);
}
