using System.Collections.Immutable;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>
/// Makes stored documents live: publishes a journey's draft or saves a segment, scoring model, template, sales team
/// or policy as a new version, reloads the published journeys the partitions run, and starts the rollout the change
/// needs.
/// </summary>
public sealed class DocumentPublisher(IDocumentStore documents, JourneyRegistry journeys, RolloutRunner rollouts, TimeProvider time)
{
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
        if (await documents.PublishAsync(kind, id, time.GetUtcNow(), plan, cancellationToken).ConfigureAwait(false) is not var (version, created))
        {
            return null;
        }

        await journeys.ReloadAsync(cancellationToken).ConfigureAwait(false);
        var rollout = (await documents.GetRolloutsAsync(kind, id, cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.Version == version);
        if (rollout is { Done: false })
        {
            rollouts.Wake();
        }

        return (version, created, rollout);
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
        if (await documents.GetDocumentAsync("journey", id, cancellationToken).ConfigureAwait(false) is not { } document
            || Core.Journeys.DocumentParser.Parse(document.Draft, id) is not Core.Journeys.ParsedJourney { Journey: var journey })
        {
            return null;
        }

        var dated = journey.Trigger is Core.Journeys.DateTrigger;
        var plan = stepMap.Count > 0 || dated ? new RolloutPlan(stepMap, dated ? RolloutScope.AllContacts : RolloutScope.Enrolled) : null;
        var (version, created) = (await documents.PublishAsync("journey", id, time.GetUtcNow(), plan, cancellationToken).ConfigureAwait(false))!.Value;
        await journeys.ReloadAsync(cancellationToken).ConfigureAwait(false);
        var rollout = (await documents.GetRolloutsAsync("journey", id, cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.Version == version && !r.Done);
        if (rollout is not null)
        {
            rollouts.Wake();
        }

        return (version, created, rollout);
    }
}
