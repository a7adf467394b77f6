using Cairn.Core.Measurement;
using Cairn.Core.Orchestration;

namespace Cairn.Http.Reports;

/// <summary>
/// <c>/api/reports/attribution</c> (revenue credited to journeys, templates and channels under each model, from the daily
/// counters the partitions keep) and <c>/api/reports/control-group</c> (the global control group against everyone else).
/// </summary>
internal static class AttributionEndpoints
{
    /// <summary>Maps both reports under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapAttribution(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var reports = api.MapGroup("/reports").WithTags("Reports");
        reports.MapGet("/attribution", AttributionAsync)
            .WithSummary("Revenue and conversions of the workspace's conversion event (the policy's measurement section) credited to the messages the contact was sent, or opened or clicked, within the lookback before converting. `model`: first_touch, last_touch, linear, time_decay, position_based or all (default, side by side); `by`: journey (default), template or channel; `from`/`to`: the period (default the last 30 days), widened to whole UTC days; `format`: json or csv. Each model's credits for a conversion sum exactly to its revenue; conversions without a touch are counted as unattributed.")
            .Produces<AttributionReportView>(StatusCodes.Status200OK, "application/json", ReportFormat.CsvMediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        reports.MapGet("/control-group", ControlGroupAsync)
            .WithSummary("The global control group (the policy's measurement.global_control_group percent of contacts, chosen by a hash of their id, sent no promotional message) against everyone else over the period (`from`/`to`, default the last 30 days): contacts, converters, conversion rate with its Wilson interval, revenue per contact with its t interval, the differences with Newcombe's and Welch's intervals and p-values, and a verdict in plain words. `format`: json or csv.")
            .Produces<ControlGroupReportView>(StatusCodes.Status200OK, "application/json", ReportFormat.CsvMediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    private static async Task<Results<Ok<AttributionReportView>, FileContentHttpResult, ProblemHttpResult>> AttributionAsync(
        string? model, string? by, string? from, string? to, string? format, IAttributionStore attributionStore, JourneyRegistry journeyRegistry, TimeProvider time, CancellationToken cancellationToken)
    {
        var models = ModelsOf(model);
        var grouping = GroupingOf(by);
        var csv = ReportFormat.WantsCsv(format);
        var period = ReportPeriod.Parse(from, to, time);

        // The counters are per UTC day: the period widens to the days it touches, and the report says so.
        var firstDay = new DateTimeOffset(period.From.UtcDateTime.Date, TimeSpan.Zero);
        var lastDay = new DateTimeOffset((period.To - TimeSpan.FromTicks(1)).UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        var counts = await attributionStore.GetAttributionAsync(firstDay, lastDay, grouping, cancellationToken).ConfigureAwait(false);
        var measurement = journeyRegistry.Policy.Measurement;
        var names = grouping == AttributionGrouping.Journey
            ? journeyRegistry.Library.Versions.OrderBy(version => version.Key.Version).GroupBy(version => version.Key.Journey, StringComparer.Ordinal).ToDictionary(group => group.Key, group => group.Last().Value.Name, StringComparer.Ordinal)
            : [];
        var attributedRevenue = counts.Revenue - counts.UnattributedRevenue;
        var modelNames = models.Select(Attribution.NameOf).ToList();
        var rows = counts.Credits
            .Where(credit => modelNames.Contains(credit.Model))
            .GroupBy(credit => credit.Key, StringComparer.Ordinal)
            .Select(group => new AttributionRowView(
                group.Key,
                names.GetValueOrDefault(group.Key) ?? (group.Key.Length == 0 ? "(outside a journey)" : group.Key),
                [
                    .. modelNames.Select(name => group.FirstOrDefault(credit => credit.Model == name) is { } credit
                        ? new AttributionCreditView(name, credit.Conversions, credit.Revenue, attributedRevenue == 0 ? 0 : (double)(credit.Revenue / attributedRevenue))
                        : new AttributionCreditView(name, 0, 0, 0)),
                ]))
            .OrderByDescending(row => row.Credits[0].Revenue).ThenBy(row => row.Key, StringComparer.Ordinal)
            .ToList();
        var view = new AttributionReportView(
            firstDay,
            lastDay,
            GroupingName(grouping),
            modelNames,
            measurement.ConversionEvent,
            measurement.RevenueProperty,
            Duration.Format(measurement.Lookback),
            Duration.Format(measurement.HalfLife),
            counts.Conversions,
            counts.Revenue,
            counts.Conversions - counts.Unattributed,
            attributedRevenue,
            counts.Unattributed,
            counts.UnattributedRevenue,
            rows);
        return csv ? ReportFormat.Csv(AttributionTable(view), "attribution") : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<ControlGroupReportView>, FileContentHttpResult, ProblemHttpResult>> ControlGroupAsync(
        string? from, string? to, string? format, IAttributionStore attributionStore, JourneyRegistry journeyRegistry, TimeProvider time, CancellationToken cancellationToken)
    {
        var csv = ReportFormat.WantsCsv(format);
        var period = ReportPeriod.Parse(from, to, time);
        var measurement = journeyRegistry.Policy.Measurement;
        var firstBucket = GlobalControlGroup.FirstBucket(measurement.GlobalControlPercent);
        var counts = await attributionStore.GetControlGroupAsync(period.From, period.To, firstBucket, cancellationToken).ConfigureAwait(false);
        var view = ControlGroupReport.Build(period, measurement, firstBucket, counts);
        return csv ? ReportFormat.Csv(ControlGroupReport.Table(view), "control-group") : TypedResults.Ok(view);
    }

    /// <summary>The models <paramref name="model"/> names: one, or every one for <c>all</c> (the default).</summary>
    private static List<AttributionModel> ModelsOf(string? model)
    {
        if (string.IsNullOrEmpty(model) || model == "all")
        {
            return [.. Attribution.Models];
        }

        return Attribution.TryParse(model, out var parsed)
            ? [parsed]
            : throw new ProblemException($"model must be one of {string.Join(", ", Attribution.Models.Select(Attribution.NameOf))} or all, not '{Truncate(model)}'.");
    }

    private static AttributionGrouping GroupingOf(string? by) => by switch
    {
        null or "" or "journey" => AttributionGrouping.Journey,
        "template" => AttributionGrouping.Template,
        "channel" => AttributionGrouping.Channel,
        _ => throw new ProblemException($"by must be journey, template or channel, not '{Truncate(by)}'."),
    };

    private static string GroupingName(AttributionGrouping grouping) => grouping.ToString().ToLowerInvariant();

    /// <summary>The report flattened: one row per group and model, then each model's unattributed conversions and the totals.</summary>
    private static ReportTable AttributionTable(AttributionReportView view)
    {
        var rows = new List<IReadOnlyList<string?>>();
        string?[] Row(string model, string key, string name, string conversions, decimal revenue, string share) =>
            [ReportTable.Cell(view.From), ReportTable.Cell(view.To), model, key, name, conversions, ReportTable.Cell(revenue), share];
        foreach (var row in view.Rows)
        {
            rows.AddRange(row.Credits.Select(credit => Row(credit.Model, row.Key, row.Name, ReportTable.Cell(Math.Round(credit.Conversions, 4)), credit.Revenue, ReportTable.Cell(Math.Round(credit.Share, 4)))));
        }

        rows.AddRange(view.Models.Select(model => Row(model, string.Empty, "(unattributed)", ReportTable.Cell(view.Unattributed), view.UnattributedRevenue, string.Empty)));
        rows.Add(Row("all", string.Empty, "(total)", ReportTable.Cell(view.Conversions), view.Revenue, string.Empty));
        return new ReportTable(["from", "to", "model", view.By, "name", "conversions", "revenue", "share_of_attributed_revenue"], rows);
    }

    private static string Truncate(string value) => value.Length <= 30 ? value : value[..30] + "…";
}
