using System.Globalization;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// The message performance counters (<c>message_stats</c>, migration 0020): one row per UTC day a message was sent,
/// journey, template and channel, moved in the transaction of every outbox change by the difference between the
/// messages' outcomes before and after it (<see cref="MessageCountState.Deltas"/>). The changed rows are read first
/// with a row lock (PostgreSQL's <c>FOR UPDATE</c>; SQLite's write transaction holds the database), so concurrent
/// changes to one message are counted one after the other, exactly once each.
/// </summary>
public abstract partial class RelationalCairnStore
{
    private const string CountStateColumns =
        "message_id, stats_day, journey_id, template, channel, status, opened_at, machine_opened_at, clicked_at, machine_clicked_at, unsubscribed_at, complained_at";

    private const string StatsUpsert = """
        INSERT INTO message_stats (day, journey_id, template, channel, sent, delivered, bounced, opened, machine_opened, any_opened, clicked, machine_clicked, any_clicked, unsubscribed, complained)
        VALUES (@day, @journey_id, @template, @channel, @sent, @delivered, @bounced, @opened, @machine_opened, @any_opened, @clicked, @machine_clicked, @any_clicked, @unsubscribed, @complained)
        ON CONFLICT (day, journey_id, template, channel) DO UPDATE SET
            sent = message_stats.sent + excluded.sent,
            delivered = message_stats.delivered + excluded.delivered,
            bounced = message_stats.bounced + excluded.bounced,
            opened = message_stats.opened + excluded.opened,
            machine_opened = message_stats.machine_opened + excluded.machine_opened,
            any_opened = message_stats.any_opened + excluded.any_opened,
            clicked = message_stats.clicked + excluded.clicked,
            machine_clicked = message_stats.machine_clicked + excluded.machine_clicked,
            any_clicked = message_stats.any_clicked + excluded.any_clicked,
            unsubscribed = message_stats.unsubscribed + excluded.unsubscribed,
            complained = message_stats.complained + excluded.complained
        """;

    private static readonly string[] StatsColumns = ["sent", "delivered", "bounced", "opened", "machine_opened", "any_opened", "clicked", "machine_clicked", "any_clicked", "unsubscribed", "complained"];

    // Enough ids per read to keep the statement small on both providers.
    private const int CountStateChunk = 500;

    /// <inheritdoc />
    /// <remarks>
    /// One range read of the primary key (day, journey_id, template, channel): at most one row per day, journey,
    /// template and channel of the period, however many messages they count.
    /// </remarks>
    public async Task<IReadOnlyList<MessageStatsRow>> GetMessageStatsAsync(MessageStatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return await QueryAsync(
            MessageStatsSql(query),
            parameters =>
            {
                parameters.Add("from", query.FromDay);
                parameters.Add("to", query.ToDay);
                parameters.Add("journey", query.JourneyId);
                parameters.Add("template", query.Template);
                parameters.Add("channel", query.Channel);
            },
            row => new MessageStatsRow(
                query.By == MessageStatsGrouping.Day
                    ? DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(row.GetLong(0))).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
                    : row.GetText(0),
                new MessageCounts(row.GetLong(1), row.GetLong(2), row.GetLong(3), row.GetLong(4), row.GetLong(5), row.GetLong(6), row.GetLong(7), row.GetLong(8), row.GetLong(9), row.GetLong(10), row.GetLong(11))),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The SQL of <see cref="GetMessageStatsAsync"/> (parameters <c>@from</c>, <c>@to</c>, <c>@journey</c>, <c>@template</c>, <c>@channel</c>): the storage tests read its plan.</summary>
    public static string MessageStatsSql(MessageStatsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var group = query.By switch
        {
            MessageStatsGrouping.Template => "template",
            MessageStatsGrouping.Journey => "journey_id",
            MessageStatsGrouping.Channel => "channel",
            _ => "day",
        };
        var where = "day >= @from AND day < @to"
            + (query.JourneyId is null ? string.Empty : " AND journey_id = @journey")
            + (query.Template is null ? string.Empty : " AND template = @template")
            + (query.Channel is null ? string.Empty : " AND channel = @channel");
        var sums = string.Join(", ", StatsColumns.Select(column => $"CAST(SUM({column}) AS BIGINT)"));
        return $"SELECT {group}, {sums} FROM message_stats WHERE {where} GROUP BY {group} ORDER BY {group}";
    }

    /// <summary>
    /// Runs <paramref name="change"/> on the outbox rows of <paramref name="messageIds"/> within <paramref name="session"/>'s
    /// transaction, and moves the counters by what it changed in those messages' outcomes.
    /// </summary>
    private async Task CountChangeAsync(SqlSession session, IReadOnlyCollection<string> messageIds, Func<Task> change, CancellationToken cancellationToken)
    {
        var ids = messageIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var before = await ReadCountStatesAsync(session, ids, Dialect.LockRows, cancellationToken).ConfigureAwait(false);
        await change().ConfigureAwait(false);
        var after = await ReadCountStatesAsync(session, ids, string.Empty, cancellationToken).ConfigureAwait(false);
        var deltas = MessageCountState.Deltas(ids.Select(id => (before.GetValueOrDefault(id), after.GetValueOrDefault(id))));
        await session.ExecuteManyAsync(
            StatsUpsert,
            deltas,
            static (parameters, delta) =>
            {
                var (key, counts) = delta;
                parameters.Add("day", key.Day);
                parameters.Add("journey_id", key.JourneyId);
                parameters.Add("template", key.Template);
                parameters.Add("channel", key.Channel);
                parameters.Add("sent", counts.Sent);
                parameters.Add("delivered", counts.Delivered);
                parameters.Add("bounced", counts.Bounced);
                parameters.Add("opened", counts.Opened);
                parameters.Add("machine_opened", counts.MachineOpened);
                parameters.Add("any_opened", counts.AnyOpened);
                parameters.Add("clicked", counts.Clicked);
                parameters.Add("machine_clicked", counts.MachineClicked);
                parameters.Add("any_clicked", counts.AnyClicked);
                parameters.Add("unsubscribed", counts.Unsubscribed);
                parameters.Add("complained", counts.Complained);
            },
            cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Dictionary<string, MessageCountState>> ReadCountStatesAsync(SqlSession session, List<string> ids, string lockRows, CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, MessageCountState>(ids.Count, StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(CountStateChunk))
        {
            var rows = await session.QueryAsync(
                parameters => $"SELECT {CountStateColumns} FROM outbox WHERE message_id IN ({parameters.List("id", chunk)}) ORDER BY message_id{lockRows}",
                static row => (Id: row.GetText(0), State: new MessageCountState(
                    row.IsNull(1) ? null : row.GetLong(1),
                    row.GetText(2),
                    row.GetText(3),
                    row.GetText(4),
                    row.GetText(5),
                    !row.IsNull(6),
                    !row.IsNull(7),
                    !row.IsNull(8),
                    !row.IsNull(9),
                    !row.IsNull(10),
                    !row.IsNull(11))),
                cancellationToken).ConfigureAwait(false);
            foreach (var (id, state) in rows)
            {
                states[id] = state;
            }
        }

        return states;
    }
}
