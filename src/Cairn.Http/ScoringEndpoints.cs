using Cairn.Core.Scoring;

namespace Cairn.Http;

/// <summary>
/// Lead scoring: scoring models as documents (<c>/api/scoring-models</c>, rescored over every contact when saved) and
/// each contact's explained scores (<c>/api/contacts/{id}/scores</c>).
/// </summary>
internal static class ScoringEndpoints
{
    /// <summary>Maps <c>/scoring-models</c> and <c>/contacts/{id}/scores</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapScoring(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var models = api.MapGroup("/scoring-models").WithTags("Scoring");
        models.MapGet("/", ListAsync).WithSummary("Every scoring model with its rules, thresholds and rescore status.");
        models.MapGet("/{id}", ModelAsync).WithSummary("One scoring model.").ProducesProblem(StatusCodes.Status404NotFound);
        models.MapPut("/{id}", PutAsync).Audited("scoring_model.saved", DocumentParser.ScoringKind, document: AuditedDocument.Draft)
            .WithSummary("Stores the scoring model document (YAML or JSON) and makes it live: a changed model rescores every contact from its history, then scores each input.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        models.MapArchive(DocumentParser.ScoringKind, "Retires the model: it stops scoring, and its scores leave each contact at its next input. Refused (409) while a segment or journey reads it.");
        models.MapGet("/{id}/status", StatusAsync).WithSummary("The rescore of the model's current version: status and contacts processed.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/contacts/{id}/scores", ScoresAsync)
            .WithTags("Contacts", "Scoring")
            .WithSummary("The contact's score in each model, explained: fit rules that hold, and every behavioural contribution with its points then and now (after decay).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <summary>One stored scoring model as the API shows it; 404 when there is none.</summary>
    private static Task<Results<Ok<ScoringModelView>, ProblemHttpResult>> ModelAsync(string id, IDocumentStore documentStore, CancellationToken cancellationToken) =>
        DocumentFlow.GetAsync(DocumentParser.ScoringKind, id, "scoring model", document => ViewAsync(document, documentStore, cancellationToken), documentStore, cancellationToken);

    private static Task<Results<Ok<ScoringModelView>, ProblemHttpResult>> PutAsync(string id, HttpContext context, DocumentPublisher publisher, IDocumentStore documentStore, TimeProvider time) =>
        DocumentFlow.PutAsync(DocumentParser.ScoringKind, id, (document, _) => ViewAsync(document, documentStore, context.RequestAborted), context, publisher, documentStore, time);

    private static async Task<Ok<List<ScoringModelView>>> ListAsync(IDocumentStore documentStore, CancellationToken cancellationToken)
    {
        var views = new List<ScoringModelView>();
        foreach (var document in (await documentStore.ListDocumentsAsync(DocumentParser.ScoringKind, cancellationToken).ConfigureAwait(false)).Where(d => d.Status != DocumentStatus.Archived))
        {
            views.Add(await ViewAsync(document, documentStore, cancellationToken).ConfigureAwait(false));
        }

        return TypedResults.Ok(views);
    }

    private static async Task<ScoringModelView> ViewAsync(StoredDocument document, IDocumentStore documentStore, CancellationToken cancellationToken)
    {
        var rollout = (await documentStore.GetRolloutsAsync(DocumentParser.ScoringKind, document.Id, cancellationToken).ConfigureAwait(false)).MaxBy(r => r.Version);
        var model = (DocumentParser.Parse(document.Draft, document.Id) as ParsedScoringModel)?.ScoringModel;
        return new ScoringModelView(
            document.Id,
            model?.Name,
            model?.Description,
            document.PublishedVersion,
            model?.HalfLife is { } half ? Duration.Format(half) : null,
            model?.Rules.Length ?? 0,
            model?.Fit.Length ?? 0,
            [.. model?.Thresholds.Select(t => new ThresholdView(t.At, t.Stage)) ?? []],
            rollout is null || rollout.Done ? "done" : "running",
            rollout?.Processed ?? 0,
            document.UpdatedAt,
            document.Draft);
    }

    private static async Task<Results<Ok<RescoreView>, ProblemHttpResult>> StatusAsync(string id, IDocumentStore documentStore, CancellationToken cancellationToken)
    {
        if (await documentStore.GetDocumentAsync(DocumentParser.ScoringKind, id, cancellationToken).ConfigureAwait(false) is not { } document)
        {
            return Problems.NotFound($"There is no scoring model '{id}'.");
        }

        var rollout = (await documentStore.GetRolloutsAsync(DocumentParser.ScoringKind, id, cancellationToken).ConfigureAwait(false)).MaxBy(r => r.Version);
        return TypedResults.Ok(new RescoreView(id, document.PublishedVersion, rollout is null || rollout.Done ? "done" : "running", rollout?.Processed ?? 0, rollout?.CreatedAt, rollout?.UpdatedAt));
    }

    private static async Task<Results<Ok<IEnumerable<ContactScoreView>>, ProblemHttpResult>> ScoresAsync(string id, ContactCommands contactCommands, JourneyRegistry journeyRegistry, TimeProvider time, CancellationToken cancellationToken)
    {
        var (contact, missing) = await ContactEndpoints.FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return missing!;
        }

        var now = time.GetUtcNow();
        return TypedResults.Ok(journeyRegistry.Scoring.Models.Select(model =>
        {
            var standing = contact.Scores.GetValueOrDefault(model.Id) ?? ContactScore.Empty(model, now);
            var behaviour = standing.BehaviourAt(now);
            var score = standing.Fit + behaviour;
            return new ContactScoreView(
                model.Id,
                model.Name,
                Math.Round(score, 2),
                Math.Round(standing.Fit, 2),
                Math.Round(behaviour, 2),
                contact.TraitString(Core.Journeys.Engine.ConditionEvaluator.StageTrait),
                standing.ScoredAt,
                [.. model.Thresholds.Select(t => new ThresholdView(t.At, t.Stage, score >= t.At))],
                [.. ScoreDecider.FitRulesHolding(model, contact, now).Select(rule => new FitContributionView(rule.Id, rule.Points))],
                [.. standing.Contributions.Reverse().Select(c => new ContributionView(c.Rule, c.Event, c.At, Math.Round(c.Points, 2), Math.Round(c.ValueAt(now, standing.HalfLife), 2), c.Count))]);
        }));
    }
}

/// <summary>The rescore of a scoring model's current version.</summary>
internal sealed record RescoreView(string Id, int? Version, string Rescore, long Processed, DateTimeOffset? StartedAt, DateTimeOffset? UpdatedAt);

/// <summary>A scoring model as the API shows it.</summary>
internal sealed record ScoringModelView(
    string Id,
    string? Name,
    string? Description,
    int? Version,
    string? HalfLife,
    int Rules,
    int FitRules,
    IReadOnlyList<ThresholdView> Thresholds,
    string Rescore,
    long RescoreProcessed,
    DateTimeOffset UpdatedAt,
    string Document);

/// <summary>A threshold; <see cref="Reached"/> says whether the contact's score is at or above it.</summary>
internal sealed record ThresholdView(double At, string? Stage, bool? Reached = null);

/// <summary>A contact's score in one model, with the contributions that explain it.</summary>
internal sealed record ContactScoreView(
    string Model,
    string Name,
    double Score,
    double Fit,
    double Behaviour,
    string? Stage,
    DateTimeOffset ScoredAt,
    IReadOnlyList<ThresholdView> Thresholds,
    IReadOnlyList<FitContributionView> FitRules,
    IReadOnlyList<ContributionView> Contributions);

/// <summary>A fit rule that holds for the contact.</summary>
internal sealed record FitContributionView(string Rule, double Points);

/// <summary>
/// A behavioural contribution, newest first: the points the rule awarded (<see cref="Points"/>, as of
/// <see cref="At"/>) and what is left of them now after decay (<see cref="Now"/>). <see cref="Count"/> &gt; 1 is earlier
/// events of the rule folded into one entry.
/// </summary>
internal sealed record ContributionView(string Rule, string Event, DateTimeOffset At, double Points, double Now, int Count);
