using System.Globalization;

namespace Cairn.Http.Reports;

/// <summary>
/// A journey's measured outcomes: <c>GET /api/journeys/{id}/lift</c> (treated against the holdout) and
/// <c>GET /api/journeys/{id}/experiments</c> (experiment splits' arms against each other), each over a period and a
/// version, as JSON or CSV. Both read the journey's daily outcome counters (<see cref="IJourneyIndex.GetEnrollmentGroupsAsync"/>).
/// </summary>
internal static class JourneyMeasurementEndpoints
{
    /// <summary>How the reports count, stated in every answer.</summary>
    public const string CountedAs =
        "Each contact counts once, by their first enrollment in the journey, when it entered in the period (whole UTC days; on the version, when one is given); "
        + "a conversion is the journey's goal reached by that enrollment at any time up to now, and revenue is what its conversion event carried.";

    /// <summary>Maps the two reports under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapJourneyMeasurement(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var journeys = api.MapGroup("/journeys").WithTags("Reports");
        journeys.MapGet("/{id}/lift", LiftAsync)
            .WithSummary("Holdout lift over a period (from, to) and version: treated against holdout entries, conversions and rates with Wilson intervals, the absolute lift with Newcombe's interval, the relative lift (MOVER-R), the z-test p-value, revenue per contact with Welch's interval, and a verdict in words. format=csv for the table.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        journeys.MapGet("/{id}/experiments", ExperimentsAsync)
            .WithSummary("Experiment splits over a period (from, to) and version: per arm entries, goal conversions, rate with its Wilson interval, revenue per entry, the probability to be best (Beta posteriors), the chi-square test across arms and each arm against the first (z-test, Newcombe interval). format=csv for the table.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<LiftView>, FileContentHttpResult, ProblemHttpResult>> LiftAsync(
        string id, string? from, string? to, string? version, string? format, IDocumentStore documentStore, IJourneyIndex journeyIndex, JourneyRegistry journeyRegistry, TimeProvider time, CancellationToken cancellationToken)
    {
        var scope = await ScopeAsync(id, from, to, version, format, documentStore, journeyIndex, journeyRegistry, time, cancellationToken).ConfigureAwait(false);
        var report = LiftReport.Build(id, scope.Period, scope.Version, [.. scope.Definitions.Select(entry => entry.Definition)], scope.Groups);
        return scope.Csv ? ReportFormat.Csv(LiftReport.Table(report), $"{id}-lift") : TypedResults.Ok(report);
    }

    private static async Task<Results<Ok<ExperimentsView>, FileContentHttpResult, ProblemHttpResult>> ExperimentsAsync(
        string id, string? from, string? to, string? version, string? format, IDocumentStore documentStore, IJourneyIndex journeyIndex, JourneyRegistry journeyRegistry, ISplitStore splitStore, TimeProvider time, CancellationToken cancellationToken)
    {
        var scope = await ScopeAsync(id, from, to, version, format, documentStore, journeyIndex, journeyRegistry, time, cancellationToken).ConfigureAwait(false);
        var decisions = await splitStore.GetSplitDecisionsAsync(id, cancellationToken).ConfigureAwait(false);
        var report = ExperimentReport.Build(id, scope.Period, scope.Version, scope.Definitions, scope.Groups, decisions);
        return scope.Csv ? ReportFormat.Csv(ExperimentReport.Table(report), $"{id}-experiments") : TypedResults.Ok(report);
    }

    /// <summary>
    /// What both reports read: the parameters validated (400 problems), the journey found (404), its published definitions
    /// in scope (the version, or every version, newest first) and the enrollment groups.
    /// </summary>
    private static async Task<Scope> ScopeAsync(
        string id, string? from, string? to, string? version, string? format, IDocumentStore documentStore, IJourneyIndex journeyIndex, JourneyRegistry journeyRegistry, TimeProvider time, CancellationToken cancellationToken)
    {
        var csv = ReportFormat.WantsCsv(format);
        var period = ReportPeriod.Parse(from, to, time);
        int? number = null;
        if (version is not null)
        {
            if (version.Length > 9 || !int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
            {
                throw new ProblemException($"version must be a published version number (1, 2, …), not '{(version.Length <= 20 ? version : version[..20] + "…")}'.");
            }

            number = parsed;
        }

        if (await documentStore.GetDocumentAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false) is null)
        {
            throw ProblemException.NotFound($"There is no journey '{id}'.");
        }

        var definitions = journeyRegistry.Library.Versions
            .Where(entry => entry.Key.Journey == id && (number is null || entry.Key.Version == number))
            .OrderByDescending(entry => entry.Key.Version)
            .Select(entry => (entry.Key.Version, entry.Value))
            .ToList();
        if (number is not null && definitions.Count == 0)
        {
            throw ProblemException.NotFound($"Journey '{id}' has no published version {number}.");
        }

        // The counters are per UTC day: the period is rounded out to the whole days it touches, and the report says so.
        var (fromDay, toDay) = period.DaySpan();
        var groups = await journeyIndex.GetEnrollmentGroupsAsync(id, fromDay, toDay, number, cancellationToken).ConfigureAwait(false);
        return new Scope(csv, period.WholeDays(), number, definitions, groups);
    }

    private sealed record Scope(bool Csv, ReportPeriod Period, int? Version, IReadOnlyList<(int Version, JourneyDefinition Definition)> Definitions, IReadOnlyList<EnrollmentGroup> Groups);
}

/// <summary>A confidence interval (95 %).</summary>
/// <param name="Lower">The lower bound.</param>
/// <param name="Upper">The upper bound; null when it is unbounded (a relative lift over a holdout with no conversions).</param>
internal sealed record IntervalView(double Lower, double? Upper)
{
    /// <summary>The view of <paramref name="interval"/>.</summary>
    public static IntervalView Of(Core.Measurement.Interval interval) =>
        new(interval.Lower, double.IsPositiveInfinity(interval.Upper) ? null : interval.Upper);
}
