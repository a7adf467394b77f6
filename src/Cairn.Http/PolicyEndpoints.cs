namespace Cairn.Http;

/// <summary>
/// The orchestrator's policy (<c>/api/policy</c>): the rules in force, and <c>PUT</c> to store the policy document, live at once.
/// </summary>
internal static class PolicyEndpoints
{
    /// <summary>Maps <c>/policy</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapPolicy(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var policy = api.MapGroup("/policy").WithTags("Orchestrator");
        policy.MapGet("/", async (JourneyRegistry journeyRegistry, IDocumentStore documentStore, CancellationToken cancellationToken) =>
            {
                var document = await documentStore.GetDocumentAsync(DocumentParser.PolicyKind, Core.Orchestration.Policy.DefaultId, cancellationToken).ConfigureAwait(false);
                var rules = journeyRegistry.Policy;
                return TypedResults.Ok(new
                {
                    document = document is null ? null : DocumentView.From(document),
                    timeZone = rules.TimeZone,
                    validFor = rules.ValidFor,
                    requireOptIn = rules.RequireOptIn,
                    quietHours = rules.QuietHours.Select(quiet => new { quiet.Channel, from = quiet.From.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), to = quiet.To.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture) }),
                    caps = rules.Caps.Select(cap => new { cap.Id, cap.Channel, cap.Max, per = cap.Per.ToString().ToLowerInvariant(), cap.Rolling, categories = cap.Categories.Select(category => category.ToString().ToLowerInvariant()) }),
                    suppressionRules = rules.Rules.Select(rule => new { rule.Id, action = rule.Hold ? "hold" : "drop", categories = rule.Categories.Select(category => category.ToString().ToLowerInvariant()) }),
                });
            })
            .WithSummary("The orchestrator's rules in force (the stored policy document, or the defaults: SMS only 08:00-21:00 local, no caps).");
        policy.MapPut("/", (HttpContext context, DocumentPublisher publisher, IDocumentStore documentStore, TimeProvider time) => DocumentFlow.PutAsync(
                DocumentParser.PolicyKind, Core.Orchestration.Policy.DefaultId, (document, warnings) => Task.FromResult(DocumentView.From(document) with { Warnings = warnings }), context, publisher, documentStore, time))
            .RequireAdmin()
            .WithSummary("Stores the orchestrator policy (kind: policy, id: default): time zone, quiet hours, frequency caps, suppression rules, opt-in requirements, validity of deferred messages. Live at once.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }
}
