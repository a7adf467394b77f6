using Cairn.Core.Contacts;
using Cairn.Core.Measurement;
using Cairn.Core.Orchestration;
using Cairn.Core.Turns;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// The workspace's conversions and their attribution, in the converting contact's commit. Each conversion is inserted
/// once (its event's message id is the key; a conversion already recorded is skipped whole); its touches are the
/// messages the contact was sent that were sent, delivered, opened or clicked within the lookback before it (read from
/// the outbox through <c>outbox_sent</c>), each at its latest such moment. Every model's credits (<see cref="Attribution"/>)
/// are added to the day's counters per journey, template and channel, and the day's totals; a conversion without a
/// touch counts as unattributed. Counters are added in key order, like <see cref="JourneyMoveRows"/>.
/// </summary>
internal sealed class AttributionRows : CommitWriter
{
    private const string Touches = """
        SELECT message_id, journey_id, template, channel, sent_at, delivered_at, opened_at, clicked_at FROM outbox
        WHERE contact_id = @contact_id AND sent_at IS NOT NULL AND sent_at >= @since AND sent_at <= @at
            AND category <> 'internal' AND channel <> 'webhook' AND channel <> @owner
        """;

    private const string Insert = """
        INSERT INTO conversions (message_id, contact_id, at, revenue, bucket, touches) VALUES (@message_id, @contact_id, @at, @revenue, @bucket, @touches)
        ON CONFLICT (message_id) DO NOTHING
        """;

    private const string Credits = """
        INSERT INTO attribution_credits (day, model, journey_id, template, channel, conversions, revenue)
        VALUES (@day, @model, @journey_id, @template, @channel, @conversions, @revenue)
        ON CONFLICT (day, model, journey_id, template, channel) DO UPDATE SET
            conversions = attribution_credits.conversions + excluded.conversions, revenue = attribution_credits.revenue + excluded.revenue
        """;

    private const string Days = """
        INSERT INTO attribution_days (day, conversions, revenue, unattributed, unattributed_revenue)
        VALUES (@day, @conversions, @revenue, @unattributed, @unattributed_revenue)
        ON CONFLICT (day) DO UPDATE SET conversions = attribution_days.conversions + excluded.conversions,
            revenue = attribution_days.revenue + excluded.revenue, unattributed = attribution_days.unattributed + excluded.unattributed,
            unattributed_revenue = attribution_days.unattributed_revenue + excluded.unattributed_revenue
        """;

    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        if (batch.WorkspaceConversions.Count == 0)
        {
            return;
        }

        var credits = new SortedDictionary<(long Day, string Model, string Journey, string Template, string Channel), (double Conversions, long Cents)>();
        var days = new SortedDictionary<long, (long Conversions, long Cents, long Unattributed, long UnattributedCents)>();
        foreach (var conversion in batch.WorkspaceConversions)
        {
            var touches = await TouchesAsync(session, conversion, cancellationToken).ConfigureAwait(false);
            var cents = Cents(conversion.Revenue);
            var inserted = await session.ExecuteAsync(
                Insert,
                parameters =>
                {
                    parameters.Add("message_id", conversion.MessageId);
                    parameters.Add("contact_id", conversion.ContactId.ToString());
                    parameters.AddTime("at", conversion.At);
                    parameters.Add("revenue", cents);
                    parameters.Add("bucket", ContactBucket.Of(conversion.ContactId));
                    parameters.Add("touches", touches.Count);
                },
                cancellationToken).ConfigureAwait(false);
            if (inserted == 0)
            {
                continue;
            }

            var day = conversion.At.UtcDateTime.Date.Ticks;
            var total = days.GetValueOrDefault(day);
            days[day] = touches.Count == 0
                ? (total.Conversions + 1, total.Cents + cents, total.Unattributed + 1, total.UnattributedCents + cents)
                : (total.Conversions + 1, total.Cents + cents, total.Unattributed, total.UnattributedCents);

            var times = touches.Select(touch => touch.At).ToList();
            foreach (var model in touches.Count == 0 ? [] : Attribution.Models)
            {
                var shares = Attribution.Credit(model, conversion.At, cents / 100m, times, conversion.HalfLife);
                for (var i = 0; i < touches.Count; i++)
                {
                    var touch = touches[i];
                    var key = (day, Attribution.NameOf(model), touch.Journey, touch.Template, touch.Channel);
                    var sum = credits.GetValueOrDefault(key);
                    credits[key] = (sum.Conversions + shares[i].Share, sum.Cents + (long)(shares[i].Revenue * 100));
                }
            }
        }

        await session.ExecuteManyAsync(
            Credits,
            credits,
            static (parameters, credit) =>
            {
                parameters.AddTime("day", new DateTimeOffset(credit.Key.Day, TimeSpan.Zero));
                parameters.Add("model", credit.Key.Model);
                parameters.Add("journey_id", credit.Key.Journey);
                parameters.Add("template", credit.Key.Template);
                parameters.Add("channel", credit.Key.Channel);
                parameters.Add("conversions", credit.Value.Conversions);
                parameters.Add("revenue", credit.Value.Cents);
            },
            cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(
            Days,
            days,
            static (parameters, day) =>
            {
                parameters.AddTime("day", new DateTimeOffset(day.Key, TimeSpan.Zero));
                parameters.Add("conversions", day.Value.Conversions);
                parameters.Add("revenue", day.Value.Cents);
                parameters.Add("unattributed", day.Value.Unattributed);
                parameters.Add("unattributed_revenue", day.Value.UnattributedCents);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revenue as whole cents, half away from zero.</summary>
    public static long Cents(decimal revenue) => (long)decimal.Round(revenue * 100, MidpointRounding.AwayFromZero);

    /// <summary>The contact's messages touching the conversion's lookback, each at its latest moment before the conversion, oldest first.</summary>
    private static async Task<List<Touch>> TouchesAsync(SqlSession session, WorkspaceConversion conversion, CancellationToken cancellationToken)
    {
        var rows = await session.QueryAsync(
            Touches,
            parameters =>
            {
                parameters.Add("contact_id", conversion.ContactId.ToString());
                parameters.AddTime("since", conversion.At - MeasurementSettings.MaxWindow);
                parameters.AddTime("at", conversion.At);
                parameters.Add("owner", ContactTurn.OwnerChannel);
            },
            row => (Id: row.GetText(0), Journey: row.GetTextOrNull(1) ?? string.Empty, Template: row.GetTextOrNull(2) ?? string.Empty, Channel: row.GetText(3),
                Moments: new[] { row.GetTimeOrNull(4), row.GetTimeOrNull(5), row.GetTimeOrNull(6), row.GetTimeOrNull(7) }),
            cancellationToken).ConfigureAwait(false);
        var since = conversion.At - conversion.Lookback;
        return
        [
            .. rows
                .Select(row => (row, At: row.Moments.Where(moment => moment <= conversion.At).Max()))
                .Where(touch => touch.At is { } at && at >= since)
                .OrderBy(touch => touch.At).ThenBy(touch => touch.row.Id, StringComparer.Ordinal)
                .Select(touch => new Touch(touch.At!.Value, touch.row.Journey, touch.row.Template, touch.row.Channel)),
        ];
    }

    private sealed record Touch(DateTimeOffset At, string Journey, string Template, string Channel);
}
