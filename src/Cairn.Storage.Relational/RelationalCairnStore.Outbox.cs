using System.Text;
using Cairn.Core;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// <see cref="IOutbox"/>: the messages the commit's <see cref="OutboxRows"/> put in the outbox, and their delivery.
/// </summary>
/// <remarks>
/// The statuses the dispatcher's queries filter on are written into the SQL, not bound: the partial indexes
/// (<c>WHERE status = 'queued'</c>, <c>'sending'</c>) serve only a query that names the same literal.
/// </remarks>
public abstract partial class RelationalCairnStore
{
    private const string OutboxColumns =
        "message_id, journey_id, version, enrollment_id, step_id, channel, template, category, priority, status, created_at, payload, attempts, sent_at, last_error, contact_id, recipient, subject, template_version, opens, clicks, opened_at, clicked_at, unsubscribed_at, delivered_at, complained_at, decision, fallback, send_window, machine_opened_at, machine_clicked_at, last_click_at, last_click_link";

    private const string IsQueued = $"status = '{MessageStatus.Queued}'";

    private const string IsSending = $"status = '{MessageStatus.Sending}'";

    /// <inheritdoc />
    public async Task<OutboxMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken) =>
        (await QueryAsync(
            $"SELECT {OutboxColumns} FROM outbox WHERE message_id = @id",
            parameters => parameters.Add("id", messageId),
            ReadOutboxMessage,
            cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> GetOutboxAsync(ContactId contactId, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {OutboxColumns} FROM outbox WHERE contact_id = @contact_id ORDER BY created_at DESC, message_id DESC LIMIT @limit",
            parameters =>
            {
                parameters.Add("contact_id", contactId.ToString());
                parameters.Add("limit", limit);
            },
            ReadOutboxMessage,
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> ListMessagesAsync(string status, string? channel, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {OutboxColumns} FROM outbox WHERE status = @status{(channel is null ? string.Empty : " AND channel = @channel")} ORDER BY created_at DESC, message_id DESC LIMIT @limit",
            parameters =>
            {
                parameters.Add("status", status);
                parameters.Add("channel", channel);
                parameters.Add("limit", limit);
            },
            ReadOutboxMessage,
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>
    /// Each page is one walk down an index in (created_at, message_id) order, from the cursor on: the index of the
    /// most selective equality filter given (contact, template, journey, status, in that order; migration 0014), or the
    /// (created_at, message_id) index when there is none. The other equality filters are written so that no index
    /// serves them (<c>column || '' = @value</c>): the planner then never walks the index of a less selective one.
    /// </remarks>
    public async Task<Page<OutboxMessage>> QueryMessagesAsync(MessageQuery query, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var scope = query.Scope();
        (DateTimeOffset Time, string Id) after = default;
        if (cursor is not null && !Cursors.TryReadKey(cursor, 'm', scope, out after.Time, out after.Id))
        {
            throw new InvalidCursorException();
        }

        var equalities = Equalities(query);
        var messages = await QueryAsync(
            MessagePageSql(query, cursor is not null),
            parameters =>
            {
                parameters.Add("limit", limit + 1);
                foreach (var (_, parameter, value) in equalities)
                {
                    parameters.Add(parameter, value);
                }

                if (query.From is { } from)
                {
                    parameters.AddTime("from", from);
                }

                if (query.To is { } to)
                {
                    parameters.AddTime("to", to);
                }

                if (cursor is not null)
                {
                    parameters.AddTime("after_time", after.Time);
                    parameters.Add("after_id", after.Id);
                }
            },
            ReadOutboxMessage,
            cancellationToken).ConfigureAwait(false);
        return Page.Of(messages, limit, last => Cursors.ForKey('m', scope, last.CreatedAt, last.MessageId));
    }

    /// <summary>
    /// The SQL of a page of <see cref="QueryMessagesAsync"/> (parameters <c>@contact</c>, <c>@template</c>,
    /// <c>@journey</c>, <c>@status</c>, <c>@channel</c>, <c>@from</c>, <c>@to</c>, <c>@after_time</c>, <c>@after_id</c>
    /// and <c>@limit</c> as the query uses them): the storage tests read its plan.
    /// </summary>
    public static string MessagePageSql(MessageQuery query, bool afterCursor)
    {
        ArgumentNullException.ThrowIfNull(query);
        var equalities = Equalities(query);
        var where = new StringBuilder("1 = 1");
        for (var i = 0; i < equalities.Count; i++)
        {
            var (column, parameter, _) = equalities[i];
            where.Append(i == 0 && column != "channel" ? $" AND {column} = @{parameter}" : $" AND {column} || '' = @{parameter}");
        }

        where.Append(query.From is null ? string.Empty : " AND created_at >= @from")
            .Append(query.To is null ? string.Empty : " AND created_at < @to")
            .Append(afterCursor ? " AND (created_at, message_id) < (@after_time, @after_id)" : string.Empty);
        return $"SELECT {OutboxColumns} FROM outbox WHERE {where} ORDER BY created_at DESC, message_id DESC LIMIT @limit";
    }

    // The query's equality filters, the most selective first: the first one (unless it is the channel) drives the index walk.
    private static List<(string Column, string Parameter, string Value)> Equalities(MessageQuery query)
    {
        var equalities = new List<(string Column, string Parameter, string Value)>();
        if (query.ContactId is { } contact)
        {
            equalities.Add(("contact_id", "contact", contact.ToString()));
        }

        if (query.TemplateId is { } template)
        {
            equalities.Add(("template", "template", template));
        }

        if (query.JourneyId is { } journey)
        {
            equalities.Add(("journey_id", "journey", journey));
        }

        if (query.Status is { } status)
        {
            equalities.Add(("status", "status", status));
        }

        if (query.Channel is { } channel)
        {
            equalities.Add(("channel", "channel", channel));
        }

        return equalities;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<(int Version, string StepId, string Status, long Count)>> CountMessagesAsync(string journeyId, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT version, step_id, status, COUNT(*) FROM outbox WHERE journey_id = @journey GROUP BY version, step_id, status",
            parameters => parameters.Add("journey", journeyId),
            static row => (row.GetInt(0), row.GetText(1), row.GetText(2), row.GetLong(3)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<SentRecord>> GetSentAsync(ContactId contactId, DateTimeOffset since, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT channel, category, sent_at FROM outbox WHERE contact_id = @contact AND sent_at >= @since ORDER BY sent_at",
            parameters =>
            {
                parameters.Add("contact", contactId.ToString());
                parameters.AddTime("since", since);
            },
            static row => new SentRecord(row.GetText(0), row.GetText(1), row.GetTime(2)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> GetDueDeliveriesAsync(string channel, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"""
            SELECT {OutboxColumns}
            FROM outbox WHERE channel = @channel AND {IsQueued} AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
            ORDER BY created_at, message_id LIMIT @limit
            """,
            parameters =>
            {
                parameters.Add("channel", channel);
                parameters.AddTime("now", now);
                parameters.Add("limit", limit);
            },
            ReadOutboxMessage,
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task<IReadOnlySet<string>> ClaimAsync(IReadOnlyList<MessageClaim> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (claims.Count == 0)
        {
            return Task.FromResult<IReadOnlySet<string>>(new HashSet<string>(StringComparer.Ordinal));
        }

        return InTransactionAsync<IReadOnlySet<string>>(
            async session =>
            {
                // One claim at a time: each one's row count tells whether the message was still queued.
                var claimed = new HashSet<string>(StringComparer.Ordinal);
                foreach (var claim in claims)
                {
                    var updated = await session.ExecuteAsync(
                        $"UPDATE outbox SET status = '{MessageStatus.Sending}', recipient = @recipient, subject = @subject, template_version = @version WHERE message_id = @id AND {IsQueued}",
                        parameters =>
                        {
                            parameters.Add("id", claim.MessageId);
                            parameters.Add("recipient", claim.Recipient);
                            parameters.Add("subject", claim.Subject);
                            parameters.Add("version", claim.TemplateVersion);
                        },
                        cancellationToken).ConfigureAwait(false);
                    if (updated == 1)
                    {
                        claimed.Add(claim.MessageId);
                    }
                }

                return claimed;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task RecordDeliveryAsync(string messageId, string status, int attempts, DateTimeOffset? nextAttemptAt, DateTimeOffset? sentAt, string? failure, CancellationToken cancellationToken) =>
        RecordDeliveriesAsync([new DeliveryRecord(messageId, status, attempts, nextAttemptAt, sentAt, failure)], cancellationToken);

    /// <inheritdoc />
    public Task RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        // A message is counted (stats_day) from its first record as sent, delivered or bounced: on the day it was sent,
        // or, bounced at once, on the day of the record.
        return InTransactionAsync(
            session => CountChangeAsync(
                session,
                [.. records.Select(record => record.MessageId)],
                () => session.ExecuteManyAsync(
                    "UPDATE outbox SET status = @status, attempts = @attempts, next_attempt_at = @next, sent_at = @sent, last_error = @error, decision = COALESCE(@decision, decision), stats_day = COALESCE(stats_day, @day) WHERE message_id = @id",
                    records,
                    static (parameters, record) =>
                    {
                        parameters.Add("id", record.MessageId);
                        parameters.Add("status", record.Status);
                        parameters.Add("attempts", record.Attempts);
                        parameters.AddTime("next", record.NextAttemptAt);
                        parameters.AddTime("sent", record.SentAt);
                        parameters.Add("error", record.Error);
                        parameters.Add("decision", record.Decision);
                        parameters.Add("day", CountedDay(record));
                    },
                    cancellationToken),
                cancellationToken),
            cancellationToken);
    }

    // The day a delivery record counts its message in, when it is the record of a send.
    private static long? CountedDay(DeliveryRecord record) => record.Status switch
    {
        MessageStatus.Sent or MessageStatus.Delivered or MessageStatus.Bounced when (record.SentAt ?? record.At) is { } at => MessageCountState.DayOf(at),
        _ => null,
    };

    /// <inheritdoc />
    public Task FallBackAsync(string messageId, string channel, string templateId, string? fallback, string reason, CancellationToken cancellationToken) =>
        InTransactionAsync(
            session => CountChangeAsync(
                session,
                [messageId],
                () => session.ExecuteAsync(
                    $"UPDATE outbox SET channel = @channel, template = @template, fallback = @fallback, status = '{MessageStatus.Queued}', attempts = 0, next_attempt_at = NULL, last_error = @reason WHERE message_id = @id",
                    parameters =>
                    {
                        parameters.Add("id", messageId);
                        parameters.Add("channel", channel);
                        parameters.Add("template", templateId);
                        parameters.Add("fallback", fallback);
                        parameters.Add("reason", reason);
                    },
                    cancellationToken),
                cancellationToken),
            cancellationToken);

    /// <inheritdoc />
    public Task<int> RequeueSendingAsync(CancellationToken cancellationToken) =>
        ExecuteAsync($"UPDATE outbox SET status = '{MessageStatus.Queued}' WHERE {IsSending}", null, cancellationToken);

    /// <inheritdoc />
    public async Task<bool> RequeueMessageAsync(string messageId, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            $"UPDATE outbox SET status = '{MessageStatus.Queued}', attempts = 0, next_attempt_at = NULL WHERE message_id = @id AND status IN ('{MessageStatus.Failed}', '{MessageStatus.DeadLetter}')",
            parameters => parameters.Add("id", messageId),
            cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public Task RecordEngagementAsync(string messageId, Engagement engagement, DateTimeOffset at, CancellationToken cancellationToken) =>
        RecordEngagementAsync(messageId, engagement, at, null, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// <c>opens</c> and <c>clicks</c> count every open and click, the recipient's and the machines'; the first of each
    /// kind keeps its time, and the counters move only when one of those first times (or the status) changes.
    /// </remarks>
    public Task RecordEngagementAsync(string messageId, Engagement engagement, DateTimeOffset at, string? link, CancellationToken cancellationToken) =>
        InTransactionAsync(
            session => CountChangeAsync(
                session,
                [messageId],
                () => session.ExecuteAsync(
                    engagement switch
                    {
                        Engagement.Opened => "UPDATE outbox SET opens = opens + 1, opened_at = COALESCE(opened_at, @at) WHERE message_id = @id",
                        Engagement.MachineOpened => "UPDATE outbox SET opens = opens + 1, machine_opened_at = COALESCE(machine_opened_at, @at) WHERE message_id = @id",
                        Engagement.Clicked => "UPDATE outbox SET clicks = clicks + 1, clicked_at = COALESCE(clicked_at, @at), last_click_at = @at, last_click_link = @link WHERE message_id = @id",
                        Engagement.MachineClicked => "UPDATE outbox SET clicks = clicks + 1, machine_clicked_at = COALESCE(machine_clicked_at, @at), last_click_at = @at, last_click_link = @link WHERE message_id = @id",
                        Engagement.Delivered => $"UPDATE outbox SET status = CASE WHEN status = '{MessageStatus.Sent}' THEN '{MessageStatus.Delivered}' ELSE status END, delivered_at = COALESCE(delivered_at, @at) WHERE message_id = @id",
                        Engagement.Complained => "UPDATE outbox SET complained_at = COALESCE(complained_at, @at) WHERE message_id = @id",
                        _ => "UPDATE outbox SET unsubscribed_at = COALESCE(unsubscribed_at, @at) WHERE message_id = @id",
                    },
                    parameters =>
                    {
                        parameters.Add("id", messageId);
                        parameters.AddTime("at", at);
                        parameters.Add("link", link);
                    },
                    cancellationToken),
                cancellationToken),
            cancellationToken);

    /// <summary>A message from the <see cref="OutboxColumns"/>.</summary>
    private static OutboxMessage ReadOutboxMessage(Row row) => new(
        row.GetText(0),
        row.GetContactId(15),
        row.GetText(1),
        row.GetInt(2),
        row.GetText(3),
        row.GetText(4),
        row.GetText(5),
        row.GetText(6),
        row.GetText(7),
        row.GetInt(8),
        row.GetText(9),
        row.GetTime(10),
        row.GetTextOrNull(11))
    {
        Attempts = row.GetInt(12),
        SentAt = row.GetTimeOrNull(13),
        LastError = row.GetTextOrNull(14),
        Recipient = row.GetTextOrNull(16),
        Subject = row.GetTextOrNull(17),
        TemplateVersion = row.GetIntOrNull(18),
        Opens = row.GetInt(19),
        Clicks = row.GetInt(20),
        OpenedAt = row.GetTimeOrNull(21),
        ClickedAt = row.GetTimeOrNull(22),
        UnsubscribedAt = row.GetTimeOrNull(23),
        DeliveredAt = row.GetTimeOrNull(24),
        ComplainedAt = row.GetTimeOrNull(25),
        Decision = row.GetTextOrNull(26),
        Fallback = row.GetTextOrNull(27),
        SendWindow = row.IsNull(28) ? null : TimeSpan.FromSeconds(row.GetLong(28)),
        MachineOpenedAt = row.GetTimeOrNull(29),
        MachineClickedAt = row.GetTimeOrNull(30),
        LastClickAt = row.GetTimeOrNull(31),
        LastClickLink = row.GetTextOrNull(32),
    };
}
