using Cairn.Core.Messages;
using Cairn.Messaging;

namespace Cairn.Http.Reports;

/// <summary>
/// One rate of the message performance report with the counts behind it: <c>Numerator / Denominator</c>, null when
/// the denominator is zero (no message to measure it on).
/// </summary>
/// <param name="Value">The rate, between 0 and 1; null when <paramref name="Denominator"/> is zero.</param>
/// <param name="Numerator">The messages counted (e.g. opened).</param>
/// <param name="Denominator">The messages it is measured on (e.g. delivered).</param>
internal sealed record RateView(double? Value, long Numerator, long Denominator)
{
    /// <summary>The rate of <paramref name="numerator"/> in <paramref name="denominator"/>.</summary>
    public static RateView Of(long numerator, long denominator) => new(denominator == 0 ? null : (double)numerator / denominator, numerator, denominator);
}

/// <summary>The rates of one group of messages, each with its counts.</summary>
/// <param name="Delivery">Delivered / sent.</param>
/// <param name="Open">Opened / delivered.</param>
/// <param name="Click">Clicked / delivered.</param>
/// <param name="ClickToOpen">Clicked / opened.</param>
/// <param name="Unsubscribe">Unsubscribed / delivered.</param>
/// <param name="Complaint">Complained / delivered.</param>
/// <param name="Bounce">Bounced / sent.</param>
internal sealed record MessageRatesView(RateView Delivery, RateView Open, RateView Click, RateView ClickToOpen, RateView Unsubscribe, RateView Complaint, RateView Bounce);

/// <summary>
/// One group of the message performance report (a template, journey, channel or day): how many messages were sent,
/// delivered, bounced, opened, clicked, unsubscribed from, complained about, each message counted once per figure.
/// </summary>
/// <param name="Group">The template, journey or channel id, or the day (<c>yyyy-MM-dd</c>, UTC) the messages were sent.</param>
/// <param name="Sent">Messages handed to the provider in the period.</param>
/// <param name="Delivered">Of those, delivered (by the channel or the provider's report) and not bounced since.</param>
/// <param name="Bounced">Of those, bounced hard.</param>
/// <param name="Opened">Opened at least once by the recipient (with machine=include, by the recipient or a machine); a click counts as an open.</param>
/// <param name="Clicked">Clicked at least once by the recipient (with machine=include, by either).</param>
/// <param name="Unsubscribed">Unsubscribed through.</param>
/// <param name="Complained">Reported as spam.</param>
/// <param name="MachineOpened">With at least one likely machine open (Apple Mail Privacy Protection, a scanner, within seconds of sending).</param>
/// <param name="MachineClicked">With at least one likely machine click (a link scanner).</param>
/// <param name="Rates">The rates, each with its counts.</param>
internal sealed record MessagePerformanceRowView(
    string Group,
    long Sent,
    long Delivered,
    long Bounced,
    long Opened,
    long Clicked,
    long Unsubscribed,
    long Complained,
    long MachineOpened,
    long MachineClicked,
    MessageRatesView Rates)
{
    /// <summary>The row of <paramref name="counts"/>, with or without the machines' opens and clicks.</summary>
    public static MessagePerformanceRowView Of(string group, MessageCounts counts, bool includeMachine)
    {
        var opened = includeMachine ? counts.AnyOpened : counts.Opened;
        var clicked = includeMachine ? counts.AnyClicked : counts.Clicked;
        return new(
            group,
            counts.Sent,
            counts.Delivered,
            counts.Bounced,
            opened,
            clicked,
            counts.Unsubscribed,
            counts.Complained,
            counts.MachineOpened,
            counts.MachineClicked,
            new MessageRatesView(
                RateView.Of(counts.Delivered, counts.Sent),
                RateView.Of(opened, counts.Delivered),
                RateView.Of(clicked, counts.Delivered),
                RateView.Of(clicked, opened),
                RateView.Of(counts.Unsubscribed, counts.Delivered),
                RateView.Of(counts.Complained, counts.Delivered),
                RateView.Of(counts.Bounced, counts.Sent)));
    }
}

/// <summary>
/// The message performance report: the messages sent in the period (whole UTC days, <c>[From, To)</c>), grouped by
/// template, journey, channel or day, with their outcomes and rates; the total of all groups.
/// </summary>
/// <param name="From">The first day's start (UTC), inclusive.</param>
/// <param name="To">The end of the last day (UTC), exclusive.</param>
/// <param name="By">template, journey, channel or day.</param>
/// <param name="Machine">exclude (the default: opens and clicks are the recipients') or include (the machines' added).</param>
/// <param name="Journey">The journey filter, when given.</param>
/// <param name="Template">The template filter, when given.</param>
/// <param name="Channel">The channel filter, when given.</param>
/// <param name="Rows">The groups, in order (for by=day every day of the period, zero when nothing was sent).</param>
/// <param name="Total">All the period's messages that match the filters.</param>
internal sealed record MessagePerformanceView(
    DateTimeOffset From,
    DateTimeOffset To,
    string By,
    string Machine,
    string? Journey,
    string? Template,
    string? Channel,
    IReadOnlyList<MessagePerformanceRowView> Rows,
    MessagePerformanceRowView Total);

/// <summary><c>GET /api/reports/messages</c>: message performance from the counters kept per day, journey, template and channel.</summary>
internal static class MessagePerformanceEndpoints
{
    private const int MaxFilterLength = 200;

    private static readonly string[] Columns =
    [
        "from", "to", "group", "sent", "delivered", "bounced", "opened", "clicked", "unsubscribed", "complained", "machine_opened", "machine_clicked",
        "delivery_rate", "open_rate", "click_rate", "click_to_open_rate", "unsubscribe_rate", "complaint_rate", "bounce_rate",
    ];

    /// <summary>Maps <c>GET /reports/messages</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapMessagePerformance(this RouteGroupBuilder api)
    {
        api.MapGet("/reports/messages", ReportAsync)
            .WithTags("Reports")
            .WithSummary("Message performance of the messages sent in a period (from, to: dates or ISO 8601 times, rounded out to whole UTC days; default the last 30 days), by=template|journey|channel|day (default template), filtered by journey, template and channel: sent, delivered, bounced, opened and clicked (unique: messages with at least one), unsubscribed, complained, likely machine opens and clicks (Apple Mail Privacy Protection, link scanners, within seconds of sending) in their own columns and left out of opened and clicked unless machine=include; the rates (delivered/sent, opened/delivered, clicked/delivered, clicked/opened, unsubscribed/delivered, complained/delivered, bounced/sent), each with its numerator and denominator; and the total. format=csv answers the rows as CSV.")
            .Produces<MessagePerformanceView>(StatusCodes.Status200OK, "application/json", ReportFormat.CsvMediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    private static async Task<Results<Ok<MessagePerformanceView>, FileContentHttpResult, ProblemHttpResult>> ReportAsync(
        string? from,
        string? to,
        string? by,
        string? journey,
        string? template,
        string? channel,
        string? machine,
        string? format,
        IOutbox outboxStore,
        MessageDispatcher dispatcher,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var csv = ReportFormat.WantsCsv(format);
        var period = ReportPeriod.Parse(Given(from), Given(to), time);
        var grouping = Given(by)?.ToLowerInvariant() switch
        {
            null or "template" => MessageStatsGrouping.Template,
            "journey" => MessageStatsGrouping.Journey,
            "channel" => MessageStatsGrouping.Channel,
            "day" => MessageStatsGrouping.Day,
            _ => throw new ProblemException($"by must be template, journey, channel or day, not '{Shorten(by!)}'."),
        };
        var includeMachine = Given(machine)?.ToLowerInvariant() switch
        {
            null or "exclude" => false,
            "include" => true,
            _ => throw new ProblemException($"machine must be exclude or include, not '{Shorten(machine!)}'."),
        };
        (journey, template, channel) = (Filter("journey", journey), Filter("template", template), Filter("channel", channel));
        if (channel is not null && !dispatcher.ChannelNames.Contains(channel))
        {
            return Problems.BadRequest($"channel must be one of {string.Join(", ", dispatcher.ChannelNames.Order(StringComparer.Ordinal))}.");
        }

        // The counters are per UTC day: the period is rounded out to the whole days it touches, and says so.
        var fromDay = MessageCountState.DayOf(period.From);
        var toDay = MessageCountState.DayOf(period.To - TimeSpan.FromTicks(1)) + 1;
        var query = new MessageStatsQuery(fromDay, toDay, grouping, journey, template, channel);
        var groups = await outboxStore.GetMessageStatsAsync(query, cancellationToken).ConfigureAwait(false);
        if (grouping == MessageStatsGrouping.Day)
        {
            var sent = groups.ToDictionary(row => row.Group, row => row.Counts, StringComparer.Ordinal);
            groups = [.. Enumerable.Range(0, (int)(toDay - fromDay)).Select(offset => DayName(fromDay + offset)).Select(day => new MessageStatsRow(day, sent.GetValueOrDefault(day) ?? MessageCounts.Zero))];
        }

        var total = groups.Aggregate(MessageCounts.Zero, (sum, row) => sum + row.Counts);
        var view = new MessagePerformanceView(
            DateTimeOffset.UnixEpoch.AddDays(fromDay),
            DateTimeOffset.UnixEpoch.AddDays(toDay),
            grouping.ToString().ToLowerInvariant(),
            includeMachine ? "include" : "exclude",
            journey,
            template,
            channel,
            [.. groups.Select(row => MessagePerformanceRowView.Of(row.Group, row.Counts, includeMachine))],
            MessagePerformanceRowView.Of("total", total, includeMachine));
        return csv ? ReportFormat.Csv(Table(view), "message-performance") : TypedResults.Ok(view);
    }

    /// <summary>The report's rows (and its total) as a table.</summary>
    private static ReportTable Table(MessagePerformanceView view)
    {
        IReadOnlyList<string?> Row(MessagePerformanceRowView row) =>
        [
            ReportTable.Cell(view.From), ReportTable.Cell(view.To), row.Group,
            ReportTable.Cell(row.Sent), ReportTable.Cell(row.Delivered), ReportTable.Cell(row.Bounced), ReportTable.Cell(row.Opened), ReportTable.Cell(row.Clicked),
            ReportTable.Cell(row.Unsubscribed), ReportTable.Cell(row.Complained), ReportTable.Cell(row.MachineOpened), ReportTable.Cell(row.MachineClicked),
            Rate(row.Rates.Delivery), Rate(row.Rates.Open), Rate(row.Rates.Click), Rate(row.Rates.ClickToOpen), Rate(row.Rates.Unsubscribe), Rate(row.Rates.Complaint), Rate(row.Rates.Bounce),
        ];

        return new ReportTable(Columns, [.. view.Rows.Select(Row), Row(view.Total)]);
    }

    private static string? Rate(RateView rate) => rate.Value is { } value ? ReportTable.Cell(value) : null;

    private static string DayName(long day) => DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(day)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string? Filter(string name, string? value)
    {
        var given = Given(value);
        if (given is null)
        {
            return null;
        }

        if (given.Length > MaxFilterLength || given.Any(char.IsControl))
        {
            throw new ProblemException($"{name} is an id of at most {MaxFilterLength} characters, without control characters.");
        }

        return given;
    }

    private static string Shorten(string value) => value.Length <= 20 ? value : value[..20] + "…";
}
