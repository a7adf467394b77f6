using System.Globalization;
using Cairn.Core;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// <see cref="IRetentionStore"/>: the policy (a setting), the kinds' counts (<c>retention_runs</c>, migration 0026) and
/// the batched deletions. Each deletion is one statement over a bounded range of one index, in its own transaction.
/// </summary>
public abstract partial class RelationalCairnStore
{
    private const string RetentionPolicyKey = "retention_policy";

    /// <inheritdoc />
    public async Task<string?> GetRetentionPolicyAsync(CancellationToken cancellationToken) =>
        (string?)await ScalarAsync("SELECT value FROM settings WHERE key = @key", parameters => parameters.Add("key", RetentionPolicyKey), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task SaveRetentionPolicyAsync(string json, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(json);
        return InTransactionAsync(
            async session =>
            {
                await session.ExecuteAsync(
                    "INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    parameters =>
                    {
                        parameters.Add("key", RetentionPolicyKey);
                        parameters.Add("value", json);
                    },
                    cancellationToken).ConfigureAwait(false);

                // A walk's position is only valid for the rules it walked under.
                await session.ExecuteAsync("UPDATE retention_runs SET resume = NULL", null, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RetentionRun>> GetRetentionRunsAsync(CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT kind, last_deleted, total_deleted, last_run_at, resume FROM retention_runs ORDER BY kind",
            null,
            static row => new RetentionRun(row.GetText(0), row.GetLong(1), row.GetLong(2), row.GetTimeOrNull(3), row.GetTextOrNull(4)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task SaveRetentionRunAsync(RetentionRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        return ExecuteAsync(
            "INSERT INTO retention_runs (kind, last_deleted, total_deleted, last_run_at, resume) VALUES (@kind, @last, @total, @at, @resume) "
                + "ON CONFLICT (kind) DO UPDATE SET last_deleted = excluded.last_deleted, total_deleted = excluded.total_deleted, last_run_at = excluded.last_run_at, resume = excluded.resume",
            parameters =>
            {
                parameters.Add("kind", run.Kind);
                parameters.Add("last", run.LastDeleted);
                parameters.Add("total", run.TotalDeleted);
                parameters.AddTime("at", run.LastRunAt);
                parameters.Add("resume", run.Resume);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task AfterRetentionBatchAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task<int> DeleteEventsNamedAsync(string name, DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        // A range of events_name_time (migration 0008) from the name's oldest event: deleted rows are gone, so the next
        // batch starts where this one ended without reading it again.
        return ExecuteAsync(
            RetentionEventsNamedSql,
            parameters =>
            {
                parameters.Add("name", name);
                parameters.AddTime("before", before);
                parameters.Add("limit", limit);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<(int Deleted, string? Next)> DeleteEventsAsync(DateTimeOffset before, IReadOnlyCollection<string> except, string? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(except);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        (long Time, long Seq)? from = null;
        if (after is not null)
        {
            from = ReadRetentionPosition(after);
        }

        return InTransactionAsync(
            async session =>
            {
                // The window's last event: the walk's next position. Rows a name rule keeps stay behind it and are not
                // read again by this pass.
                var end = await session.QueryAsync(
                    RetentionEventWindowSql(from is not null),
                    parameters =>
                    {
                        parameters.AddTime("before", before);
                        parameters.Add("offset", limit - 1);
                        BindFrom(parameters);
                    },
                    row => (Time: row.GetTime(0), Seq: row.GetLong(1)),
                    cancellationToken).ConfigureAwait(false);
                var last = end.Count == 0 ? ((DateTimeOffset Time, long Seq)?)null : end[0];
                var deleted = await session.ExecuteAsync(
                    parameters =>
                    {
                        BindFrom(parameters);
                        if (last is { } window)
                        {
                            parameters.AddTime("to_time", window.Time);
                            parameters.Add("to_seq", window.Seq);
                        }
                        else
                        {
                            parameters.AddTime("before", before);
                        }

                        return RetentionEventDeleteSql(from is not null, last is not null, except.Count == 0 ? null : parameters.List("x", except));
                    },
                    cancellationToken).ConfigureAwait(false);
                return (deleted, last is { } next ? string.Create(CultureInfo.InvariantCulture, $"{Cursors.ToUnixMicroseconds(next.Time)}:{next.Seq}") : null);
            },
            cancellationToken);

        void BindFrom(Parameters parameters)
        {
            if (from is { } position)
            {
                parameters.AddTime("from_time", Cursors.FromUnixMicroseconds(position.Time));
                parameters.Add("from_seq", position.Seq);
            }
        }
    }

    /// <inheritdoc />
    public Task<int> RemoveMessageBodiesAsync(DateTimeOffset before, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        // A range of outbox_bodies (migration 0026): a stripped row leaves the index.
        return ExecuteAsync(
            parameters =>
            {
                parameters.AddTime("before", before);
                parameters.AddTime("now", now);
                parameters.Add("limit", limit);
                return RetentionBodiesSql(parameters.List("s", MessageStatus.Finished));
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> DeleteFinishedMessagesAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        // A range of outbox_created (migration 0014) from the oldest message.
        return ExecuteAsync(
            parameters =>
            {
                parameters.AddTime("before", before);
                parameters.Add("limit", limit);
                return RetentionMessagesSql(parameters.List("s", MessageStatus.Finished));
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> DeleteMailboxMessagesAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ExecuteAsync(
            RetentionMailboxSql,
            parameters =>
            {
                parameters.AddTime("before", before);
                parameters.Add("limit", limit);
            },
            cancellationToken);
    }

    /// <summary>A batch of one event name's events before @before: a range of events_name_time (migration 0008).</summary>
    public const string RetentionEventsNamedSql =
        "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE name = @name AND timestamp < @before ORDER BY name, timestamp LIMIT @limit)";

    /// <summary>A batch of the development mailbox before @before: a range of mailbox_created (migration 0007).</summary>
    public const string RetentionMailboxSql =
        "DELETE FROM mailbox WHERE message_id IN (SELECT message_id FROM mailbox WHERE created_at < @before ORDER BY created_at LIMIT @limit)";

    // SQLite does not seek an index by a row value: a position's time bounds the range of events_time (migration 0016) and
    // the sequence skips the ties already walked (as GetEventsBetweenAsync pages).
    private const string AfterFrom = " AND timestamp >= @from_time AND (timestamp > @from_time OR seq > @from_seq)";

    /// <summary>The last event of the walk's next window (@offset + 1 events before @before, after the position when <paramref name="after"/>).</summary>
    public static string RetentionEventWindowSql(bool after) =>
        "SELECT timestamp, seq FROM events WHERE timestamp < @before" + (after ? AfterFrom : string.Empty) + " ORDER BY timestamp, seq LIMIT 1 OFFSET @offset";

    /// <summary>
    /// Deletes the window's events (up to @to_time, @to_seq when <paramref name="bounded"/>, else everything before @before)
    /// but those named in <paramref name="except"/> (a parameter list). A bounded window has only its own end as upper
    /// bound: given both <c>timestamp &lt; @before</c> and <c>timestamp &lt;= @to_time</c>, SQLite walked events_time up to
    /// @before and filtered, so every batch read everything older than the policy (1 ms of a batch of 50 became 90 ms).
    /// </summary>
    public static string RetentionEventDeleteSql(bool after, bool bounded, string? except) =>
        "DELETE FROM events WHERE "
        + (bounded ? "timestamp <= @to_time AND (timestamp < @to_time OR seq <= @to_seq)" : "timestamp < @before")
        + (after ? AfterFrom : string.Empty)
        + (except is null ? string.Empty : $" AND name NOT IN ({except})");

    // The status test is an expression (status || ''), so neither planner walks outbox_status for it: the range of the
    // time index stops after a batch, where a walk of the statuses reads every old message of each and sorts them.

    /// <summary>Strips a batch of finished messages' bodies (statuses in <paramref name="statuses"/>): a range of outbox_bodies (migration 0026).</summary>
    public static string RetentionBodiesSql(string statuses) =>
        "UPDATE outbox SET payload = NULL, subject = NULL, body_removed_at = @now WHERE message_id IN ("
        + $"SELECT message_id FROM outbox WHERE body_removed_at IS NULL AND created_at < @before AND status || '' IN ({statuses}) ORDER BY created_at, message_id LIMIT @limit)";

    /// <summary>Deletes a batch of finished messages (statuses in <paramref name="statuses"/>): a range of outbox_created (migration 0014).</summary>
    public static string RetentionMessagesSql(string statuses) =>
        $"DELETE FROM outbox WHERE message_id IN (SELECT message_id FROM outbox WHERE created_at < @before AND status || '' IN ({statuses}) ORDER BY created_at, message_id LIMIT @limit)";

    private static (long Time, long Seq) ReadRetentionPosition(string position)
    {
        var parts = position.Split(':');
        return parts.Length == 2
            && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var time)
            && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seq)
            ? (time, seq)
            : throw new InvalidCursorException();
    }
}
