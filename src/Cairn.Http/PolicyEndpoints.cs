using System.Globalization;
using Cairn.Core.Orchestration;

namespace Cairn.Http;

/// <summary>Quiet hours of one channel, as <c>HH:mm</c> local times.</summary>
internal sealed record QuietHoursView(string Channel, string From, string To);

/// <summary>A frequency cap: at most <c>Max</c> messages per day or week on a channel (<c>any</c>: all), of the categories (none: all but transactional).</summary>
internal sealed record CapView(string Id, string Channel, int Max, string Per, bool Rolling, IReadOnlyList<string> Categories);

/// <summary>A suppression rule: its id, <c>hold</c> or <c>drop</c>, and the categories it covers.</summary>
internal sealed record SuppressionRuleView(string Id, string Action, IReadOnlyList<string> Categories);

/// <summary>The policy in force: the stored document (null while the defaults apply) and the rules it gives.</summary>
internal sealed record PolicyView(
    DocumentView? Document,
    string TimeZone,
    TimeSpan ValidFor,
    IReadOnlyList<string> RequireOptIn,
    IReadOnlyList<QuietHoursView> QuietHours,
    IReadOnlyList<CapView> Caps,
    IReadOnlyList<SuppressionRuleView> SuppressionRules)
{
    /// <summary>The view of <paramref name="rules"/>, stored as <paramref name="document"/>.</summary>
    public static PolicyView Of(DocumentView? document, Policy rules) => new(
        document,
        rules.TimeZone,
        rules.ValidFor,
        [.. rules.RequireOptIn],
        [.. rules.QuietHours.Select(quiet => new QuietHoursView(quiet.Channel, quiet.From.ToString("HH:mm", CultureInfo.InvariantCulture), quiet.To.ToString("HH:mm", CultureInfo.InvariantCulture)))],
        [.. rules.Caps.Select(cap => new CapView(cap.Id, cap.Channel, cap.Max, cap.Per.ToString().ToLowerInvariant(), cap.Rolling, [.. cap.Categories.Select(Name)]))],
        [.. rules.Rules.Select(rule => new SuppressionRuleView(rule.Id, rule.Hold ? "hold" : "drop", [.. rule.Categories.Select(Name)]))]);

    private static string Name(Core.Journeys.JourneyCategory category) => category.ToString().ToLowerInvariant();
}

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
                return TypedResults.Ok(PolicyView.Of(document is null ? null : DocumentView.From(document), journeyRegistry.Policy));
            })
            .WithSummary("The orchestrator's rules in force (the stored policy document, or the defaults: SMS only 08:00-21:00 local, no caps).");
        policy.MapPut("/", (HttpContext context, DocumentPublisher publisher, IDocumentStore documentStore, TimeProvider time) => DocumentFlow.PutAsync(
                DocumentParser.PolicyKind, Core.Orchestration.Policy.DefaultId, (document, warnings) => Task.FromResult(DocumentView.From(document) with { Warnings = warnings }), context, publisher, documentStore, time))
            .RequireAdmin()
            .Audited("policy.published", DocumentParser.PolicyKind, document: AuditedDocument.Draft, targetId: Core.Orchestration.Policy.DefaultId)
            .WithSummary("Stores the orchestrator policy (kind: policy, id: default): time zone, quiet hours, frequency caps, suppression rules, opt-in requirements, validity of deferred messages. Live at once.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }
}
