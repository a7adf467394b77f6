using Cairn.Runtime.Retention;

namespace Cairn.Http;

/// <summary>One kind's rule: days kept (null: everything), and for events the days by event name (null: that name's events are kept).</summary>
internal sealed record RetentionRuleView(int? Days, IReadOnlyDictionary<string, int?>? ByName);

/// <summary>One kind of data: what it is, its rule, and what the retention pass deleted of it.</summary>
/// <param name="Kind">events, message_bodies, messages, mailbox (and audit where the audit log is registered).</param>
/// <param name="Description">What the kind deletes.</param>
/// <param name="ByName">True when its rule may name events.</param>
/// <param name="Days">Days kept; null keeps everything.</param>
/// <param name="DaysByName">Days kept by event name (events only).</param>
/// <param name="LastDeleted">Rows deleted by the last pass (bodies removed, for message_bodies).</param>
/// <param name="TotalDeleted">Rows deleted by every pass.</param>
/// <param name="LastRunAt">When its last batch ran.</param>
/// <param name="Interrupted">True when its last pass stopped before the end; the next one resumes.</param>
internal sealed record RetentionKindView(string Kind, string Description, bool ByName, int? Days, IReadOnlyDictionary<string, int?> DaysByName, long LastDeleted, long TotalDeleted, DateTimeOffset? LastRunAt, bool Interrupted);

/// <summary>The retention policy and its pass.</summary>
/// <param name="Policy">The stored policy document: a rule per kind (a kind not named keeps everything).</param>
/// <param name="Kinds">Every kind, with its rule and counts.</param>
/// <param name="LastPassAt">When the last whole pass ended (since the server started).</param>
/// <param name="NextPassAt">When the next pass is due.</param>
/// <param name="Running">True while a pass runs.</param>
/// <param name="Warnings">What the policy changes in the live segments, journeys and scoring models (docs/retention.md).</param>
internal sealed record RetentionView(
    IReadOnlyDictionary<string, RetentionRuleView> Policy,
    IReadOnlyList<RetentionKindView> Kinds,
    DateTimeOffset? LastPassAt,
    DateTimeOffset? NextPassAt,
    bool Running,
    IReadOnlyList<string> Warnings)
{
    public static RetentionView Of(RetentionPolicy policy, RetentionStatus status, IReadOnlyList<string> warnings) => new(
        policy.Rules.ToDictionary(pair => pair.Key, pair => new RetentionRuleView(pair.Value.Days, pair.Value.ByName.Count == 0 ? null : pair.Value.ByName), StringComparer.Ordinal),
        [.. status.Kinds.Select(kind => new RetentionKindView(
            kind.Kind, kind.Description, kind.ByName, kind.Rule?.Days,
            kind.Rule?.ByName ?? (IReadOnlyDictionary<string, int?>)new Dictionary<string, int?>(),
            kind.LastDeleted, kind.TotalDeleted, kind.LastRunAt, kind.Interrupted))],
        status.LastPassAt,
        status.NextPassAt,
        status.Running,
        warnings);
}

/// <summary>
/// The retention policy (<c>/api/retention</c>, docs/retention.md): how long each kind of data is kept, the background
/// pass's counts, <c>PUT</c> to change the policy and <c>POST /run</c> to run a pass now (admins only).
/// </summary>
internal static class RetentionEndpoints
{
    /// <summary>The largest policy document accepted.</summary>
    private const int MaxBody = 64 * 1024;

    /// <summary>Maps <c>/retention</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapRetention(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var retention = api.MapGroup("/retention").WithTags("Retention");
        retention.MapGet("/", async (RetentionRunner runner, JourneyRegistry journeyRegistry, CancellationToken cancellationToken) =>
                TypedResults.Ok(await ViewAsync(runner, journeyRegistry, null, cancellationToken).ConfigureAwait(false)))
            .WithSummary("The retention policy (days kept per kind; none stored: everything is kept), each kind's counts (deleted by the last pass and in all, last run), the next pass, and the policy's warnings about live segments, journeys and scoring models.");
        retention.MapPut("/", PutAsync)
            .RequireAdmin()
            .Audited("settings.changed", "settings", targetId: "retention")
            .Accepts<Dictionary<string, RetentionRuleView>>("application/json")
            .WithSummary("Stores the retention policy: {\"events\": {\"days\": 365, \"byName\": {\"Page Viewed\": 90}}, \"message_bodies\": {\"days\": 30}, \"messages\": {\"days\": 730}, \"mailbox\": {\"days\": 7}}. A kind not named keeps everything; days run from 1 to 36,500 (messages at least 30). 400 with field errors; warnings name what the policy changes. The next pass applies it.")
            .ProducesValidationProblem();
        retention.MapPost("/run", async (RetentionRunner runner, JourneyRegistry journeyRegistry, CancellationToken cancellationToken) =>
            {
                var status = await runner.RunPassAsync(cancellationToken).ConfigureAwait(false);
                return TypedResults.Ok(await ViewAsync(runner, journeyRegistry, status, cancellationToken).ConfigureAwait(false));
            })
            .RequireAdmin()
            .Audited("retention.run", "settings", targetId: "retention")
            .WithSummary("Runs one retention pass now (after the one under way, if any) and answers with the counts it left.");
        return api;
    }

    private static async Task<Results<Ok<RetentionView>, ValidationProblem>> PutAsync(HttpContext context, RetentionRunner runner, JourneyRegistry journeyRegistry)
    {
        var cancellationToken = context.RequestAborted;
        var body = await RequestBody.ParseAsync(context.Request, MaxBody, "64 KB", cancellationToken).ConfigureAwait(false);
        if (!RetentionPolicy.TryParse(body, runner.Kinds, out var policy, out var errors))
        {
            return TypedResults.ValidationProblem(errors, "The retention policy is not valid; nothing was changed.", title: "Invalid retention policy");
        }

        await runner.SavePolicyAsync(policy, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(await ViewAsync(runner, journeyRegistry, null, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<RetentionView> ViewAsync(RetentionRunner runner, JourneyRegistry journeyRegistry, RetentionStatus? status, CancellationToken cancellationToken)
    {
        var policy = await runner.GetPolicyAsync(cancellationToken).ConfigureAwait(false);
        status ??= await runner.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        return RetentionView.Of(policy, status, RetentionWarnings.Of(policy, journeyRegistry.Documents));
    }
}
