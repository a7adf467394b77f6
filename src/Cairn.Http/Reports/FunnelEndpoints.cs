using System.Globalization;
using System.Text.RegularExpressions;

namespace Cairn.Http.Reports;

/// <summary>
/// <c>GET /api/journeys/{id}/funnel</c>: a journey version's funnel over a period, from the daily counters the partitions
/// keep in their transactions (<c>journey_funnel_*</c>): a few hundred rows per period, read by primary key.
/// </summary>
internal static partial class FunnelEndpoints
{
    /// <summary>How the report reads its timings, stated in every answer.</summary>
    public const string Resolution =
        "Times are counted in fixed log-spaced buckets (below 1 s, then each 2^(1/8) ≈ 9.05 % wider than the last). "
        + "The median and p90 are nearest-rank (the ⌈p·n⌉-th smallest) and reported as the bounds of the bucket that holds them: "
        + "the exact value is at least lowSeconds and below highSeconds. Counts are exact; the period is whole UTC days.";

    /// <summary>Maps the funnel under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapFunnel(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/journeys/{id}/funnel", FunnelAsync).WithTags("Reports")
            .WithSummary("A journey version's funnel over a period (whole UTC days; default the last 30): per step in graph order, entered, passed by exit, dropped by why (exit criterion, goal, maximum run time, error; a send step's suppressed messages alongside), waiting now, median and p90 time in step; goal conversions and rate by entry day, time to convert. version defaults to the live one; format=csv answers one row per step and exit.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<JourneyFunnelView>, FileContentHttpResult, ProblemHttpResult>> FunnelAsync(
        string id,
        string? version,
        string? from,
        string? to,
        string? format,
        IDocumentStore documentStore,
        IJourneyIndex journeyIndex,
        JourneyRegistry journeyRegistry,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var csv = ReportFormat.WantsCsv(format);
        var period = ReportPeriod.Parse(from, to, time);
        int? asked = version is null ? null : ParseVersion(version);
        if (!JourneyId().IsMatch(id) || await documentStore.GetDocumentAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false) is not { } document)
        {
            return Problems.NotFound($"There is no journey '{(id.Length <= 100 ? id : id[..100] + "…")}'.");
        }

        var versions = journeyRegistry.Library.Versions.Keys.Where(key => key.Journey == id).Select(key => key.Version).OrderDescending().ToList();
        var chosen = asked ?? document.PublishedVersion;
        if (chosen is not { } number)
        {
            return Problems.NotFound($"The journey '{id}' has no published version.");
        }

        if (!journeyRegistry.Library.Versions.TryGetValue((id, number), out var definition))
        {
            return Problems.NotFound($"The journey '{id}' has no version {number}.");
        }

        var (fromDay, toDay) = period.DaySpan();
        var counts = await journeyIndex.GetJourneyFunnelAsync(id, number, fromDay, toDay, cancellationToken).ConfigureAwait(false);
        var view = FunnelReport.Build(definition, number, document.PublishedVersion, versions, fromDay, toDay, counts);
        return csv ? ReportFormat.Csv(FunnelReport.Table(view), $"funnel-{id}-v{number}") : TypedResults.Ok(view);
    }

    private static int ParseVersion(string value) =>
        value.Length <= 10 && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= 1
            ? number
            : throw new ProblemException($"version must be a whole number from 1, not '{(value.Length <= 20 ? value : value[..20] + "…")}'.");

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,99}$")]
    private static partial Regex JourneyId();
}
