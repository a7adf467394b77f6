using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cairn.Storage.Relational;

/// <summary>
/// The SQL both providers share: the schema, the queries and the order of a commit are the same on SQLite and
/// PostgreSQL. A provider supplies connections, how times are stored, and may replace the bulk writes
/// (PostgreSQL uses binary COPY for events).
/// </summary>
public abstract partial class RelationalCairnStore : ICairnStore
{
    // With one writer (SQLite), concurrent commits queue here and one loop writes everything queued in one
    // transaction: many partitions' batches share one fsync (group commit across partitions).
    private readonly Channel<(CommitBatch Batch, TaskCompletionSource Done)>? _commits;
    private readonly Task? _writerLoop;

    /// <summary>
    /// Creates the store; <paramref name="singleWriter"/> funnels every commit through one writer loop that
    /// groups concurrent commits into one transaction (SQLite has one writer).
    /// </summary>
    protected RelationalCairnStore(bool singleWriter, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        if (singleWriter)
        {
            _commits = Channel.CreateUnbounded<(CommitBatch, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
            _writerLoop = Task.Run(WriteLoopAsync);
        }
    }

    /// <inheritdoc />
    public abstract string ProviderName { get; }

    /// <summary>Opens a connection ready for use.</summary>
    protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>The parameter value of a time column.</summary>
    protected abstract object TimeValue(DateTimeOffset time);

    /// <summary>Reads a time column.</summary>
    protected abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>SQL run inside the migration transaction before anything else (PostgreSQL takes an advisory lock).</summary>
    protected virtual string? MigrationLockSql => null;

    /// <summary>The assembly whose embedded <c>Migrations/NNNN_name.sql</c> resources hold the schema.</summary>
    protected abstract Assembly MigrationsAssembly { get; }

    /// <inheritdoc />
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var migrations = MigrationsAssembly.GetManifestResourceNames()
            .Where(name => name.Contains(".Migrations.", StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => (Name: name, Version: MigrationVersion(name)))
            .OrderBy(migration => migration.Version)
            .ToList();

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (MigrationLockSql is { } lockSql)
        {
            await ExecuteAsync(connection, transaction, lockSql, cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(
            connection,
            transaction,
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            cancellationToken).ConfigureAwait(false);

        var applied = new HashSet<int>();
        await using (var command = Command(connection, transaction, "SELECT version FROM schema_migrations"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                applied.Add(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture));
            }
        }

        foreach (var (name, version) in migrations.Where(migration => !applied.Contains(migration.Version)))
        {
            await using var stream = MigrationsAssembly.GetManifestResourceStream(name)!;
            using var text = new StreamReader(stream);
            await ExecuteAsync(connection, transaction, await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            await using var record = Command(connection, transaction, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)");
            Add(record, "version", version);
            Add(record, "name", name);
            // Bookkeeping of the schema, not of any contact: when the migration ran on this machine's clock.
            Add(record, "at", Cursors.ToUnixMicroseconds(TimeProvider.System.GetUtcNow()));
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = Command(connection, null, "SELECT 1");
            return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 1;
        }
        catch (DbException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public Task CommitAsync(CommitBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty)
        {
            return Task.CompletedTask;
        }

        if (_commits is null)
        {
            return WriteRetryingAsync(batch, cancellationToken);
        }

        // Once queued, the batch is written whatever the caller does; cancellation only stops the waiting.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _commits.Writer.TryWrite((batch, done))
            ? done.Task.WaitAsync(cancellationToken)
            : throw new ObjectDisposedException(GetType().Name);
    }

    /// <summary>
    /// Writes one partition's batch in its own transaction; a transient failure (a deadlock or serialization failure
    /// between partitions committing at once on PostgreSQL) rolled all of it back, so it is written again, twice at most.
    /// </summary>
    private async Task WriteRetryingAsync(CommitBatch batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync([batch], cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (DbException exception) when (exception.IsTransient && attempt < 3)
            {
                LogCommitRetried(_logger, ProviderName, attempt, exception.SqlState);
                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var queued = new List<(CommitBatch Batch, TaskCompletionSource Done)>();
        while (await _commits!.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_commits.Reader.TryRead(out var commit))
            {
                queued.Add(commit);
            }

            try
            {
                await WriteAsync([.. queued.Select(commit => commit.Batch)], CancellationToken.None).ConfigureAwait(false);
                queued.ForEach(commit => commit.Done.TrySetResult());
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                queued.ForEach(commit => commit.Done.TrySetException(exception));
            }

            queued.Clear();
        }
    }

    /// <summary>Writes <paramref name="batches"/>, in order, in one transaction.</summary>
    private async Task WriteAsync(IReadOnlyList<CommitBatch> batches, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var batch in batches)
        {
            foreach (var handOver in batch.HandOvers)
            {
                foreach (var table in (string[])["events", "identities"])
                {
                    await using var move = Command(connection, transaction, $"UPDATE {table} SET contact_id = @into WHERE contact_id = @from");
                    Add(move, "into", handOver.Into.ToString());
                    Add(move, "from", handOver.From.ToString());
                    await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            if (batch.Events.Count > 0)
            {
                await WriteEventsAsync(connection, transaction, batch.Events, cancellationToken).ConfigureAwait(false);
            }

            await ExecuteManyAsync(
                connection,
                transaction,
                """
                INSERT INTO contacts (id, user_id, email, phone, search, merged_into, first_seen, last_seen, created_at, updated_at, state, bucket)
                VALUES (@id, @user_id, @email, @phone, @search, @merged_into, @first_seen, @last_seen, @created_at, @updated_at, @state, @bucket)
                ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, email = excluded.email, phone = excluded.phone,
                    search = excluded.search, merged_into = excluded.merged_into, first_seen = excluded.first_seen,
                    last_seen = excluded.last_seen, updated_at = excluded.updated_at, state = excluded.state
                """,
                batch.Contacts.Values,
                (parameters, state) =>
                {
                    parameters.Add("id", state.Id.ToString());
                    parameters.Add("user_id", state.UserId);
                    parameters.Add("email", state.Email?.ToLowerInvariant());
                    parameters.Add("phone", state.Phone);
                    parameters.Add("search", SearchText(state));
                    parameters.Add("merged_into", state.MergedInto?.ToString());
                    parameters.Add("first_seen", TimeValue(state.FirstSeen));
                    parameters.Add("last_seen", TimeValue(state.LastSeen));
                    parameters.Add("created_at", TimeValue(state.CreatedAt));
                    parameters.Add("updated_at", TimeValue(state.UpdatedAt));
                    parameters.Add("state", ContactStateJson.Serialize(state));
                    parameters.Add("bucket", SampleBucket(state.Id));
                },
                cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                "INSERT INTO identities (kind, value, contact_id) VALUES (@kind, @value, @contact_id) ON CONFLICT (kind, value) DO UPDATE SET contact_id = excluded.contact_id",
                batch.Identities,
                (parameters, mapping) =>
                {
                    parameters.Add("kind", mapping.Identity.KindName);
                    parameters.Add("value", mapping.Identity.Value);
                    parameters.Add("contact_id", mapping.ContactId.ToString());
                },
                cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                "INSERT INTO pending_merges (from_id, into_id) VALUES (@from_id, @into_id) ON CONFLICT (from_id) DO UPDATE SET into_id = excluded.into_id",
                batch.MergesRequested,
                BindMerge,
                cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                "DELETE FROM pending_merges WHERE from_id = @from_id AND into_id = @into_id",
                batch.MergesCompleted,
                BindMerge,
                cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                "INSERT INTO timers (contact_id, enrollment_id, step_id, due_at) VALUES (@contact_id, @enrollment_id, @step_id, @due_at) ON CONFLICT DO NOTHING",
                batch.Timers,
                BindTimer,
                cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                "DELETE FROM timers WHERE contact_id = @contact_id AND enrollment_id = @enrollment_id AND step_id = @step_id AND due_at = @due_at",
                batch.TimersDone,
                BindTimer,
                cancellationToken).ConfigureAwait(false);

            // Statistics are counted per distinct key within the batch, then added in one upsert each — in key order,
            // so that partitions committing at once (PostgreSQL) lock the shared counter rows in the same order.
            await ExecuteManyAsync(
                connection,
                transaction,
                """
                INSERT INTO journey_moves (journey_id, version, from_step, exit, to_step, count) VALUES (@journey_id, @version, @from_step, @exit, @to_step, @count)
                ON CONFLICT (journey_id, version, from_step, exit, to_step) DO UPDATE SET count = journey_moves.count + excluded.count
                """,
                batch.Moves.GroupBy(move => move).OrderBy(group => (group.Key.JourneyId, group.Key.Version, group.Key.FromStep, group.Key.Exit, group.Key.ToStep)),
                (parameters, group) =>
                {
                    parameters.Add("journey_id", group.Key.JourneyId);
                    parameters.Add("version", group.Key.Version);
                    parameters.Add("from_step", group.Key.FromStep);
                    parameters.Add("exit", group.Key.Exit);
                    parameters.Add("to_step", group.Key.ToStep);
                    parameters.Add("count", (long)group.Count());
                },
                cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                """
                INSERT INTO journey_conversions (journey_id, version, arm, control, count) VALUES (@journey_id, @version, @arm, @control, @count)
                ON CONFLICT (journey_id, version, arm, control) DO UPDATE SET count = journey_conversions.count + excluded.count
                """,
                batch.Conversions.GroupBy(conversion => conversion).OrderBy(group => (group.Key.JourneyId, group.Key.Version, group.Key.Arm, group.Key.Control)),
                (parameters, group) =>
                {
                    parameters.Add("journey_id", group.Key.JourneyId);
                    parameters.Add("version", group.Key.Version);
                    parameters.Add("arm", group.Key.Arm);
                    parameters.Add("control", group.Key.Control);
                    parameters.Add("count", (long)group.Count());
                },
                cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                """
                INSERT INTO journey_reviews (journey_id, enrollment_id, contact_id, version, reason, ended_at) VALUES (@journey_id, @enrollment_id, @contact_id, @version, @reason, @ended_at)
                ON CONFLICT (contact_id, enrollment_id) DO NOTHING
                """,
                batch.Reviews,
                (parameters, review) =>
                {
                    parameters.Add("journey_id", review.JourneyId);
                    parameters.Add("enrollment_id", review.EnrollmentId);
                    parameters.Add("contact_id", review.ContactId.ToString());
                    parameters.Add("version", review.Version);
                    parameters.Add("reason", review.Reason);
                    parameters.Add("ended_at", TimeValue(review.EndedAt));
                },
                cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                """
                INSERT INTO outbox (message_id, contact_id, journey_id, version, enrollment_id, step_id, channel, template, category, priority, status, created_at, payload, fallback, send_window)
                VALUES (@message_id, @contact_id, @journey_id, @version, @enrollment_id, @step_id, @channel, @template, @category, @priority, @status, @created_at, @payload, @fallback, @send_window)
                ON CONFLICT (message_id) DO NOTHING
                """,
                batch.Outbox,
                (parameters, message) =>
                {
                    parameters.Add("message_id", message.MessageId);
                    parameters.Add("contact_id", message.ContactId.ToString());
                    parameters.Add("journey_id", message.JourneyId);
                    parameters.Add("version", message.Version);
                    parameters.Add("enrollment_id", message.EnrollmentId);
                    parameters.Add("step_id", message.StepId);
                    parameters.Add("channel", message.Channel);
                    parameters.Add("template", message.Template);
                    parameters.Add("category", message.Category);
                    parameters.Add("priority", message.Priority);
                    parameters.Add("status", message.Status);
                    parameters.Add("created_at", TimeValue(message.CreatedAt));
                    parameters.Add("payload", message.Payload);
                    parameters.Add("fallback", message.Fallback);
                    parameters.Add("send_window", message.SendWindow is { } window ? (long)window.TotalSeconds : null);
                },
                cancellationToken).ConfigureAwait(false);

            await WriteHandOffsAsync(connection, transaction, batch, cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                """
                INSERT INTO segment_members (segment_id, contact_id, entered_at, reason) VALUES (@segment_id, @contact_id, @entered_at, @reason)
                ON CONFLICT (segment_id, contact_id) DO UPDATE SET entered_at = excluded.entered_at, reason = excluded.reason
                """,
                batch.SegmentMembers.Where(change => change.Membership is not null),
                (parameters, change) =>
                {
                    parameters.Add("segment_id", change.Segment);
                    parameters.Add("contact_id", change.ContactId.ToString());
                    parameters.Add("entered_at", TimeValue(change.Membership!.EnteredAt));
                    parameters.Add("reason", change.Membership.Reason);
                },
                cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                "DELETE FROM segment_members WHERE segment_id = @segment_id AND contact_id = @contact_id",
                batch.SegmentMembers.Where(change => change.Membership is null),
                (parameters, change) =>
                {
                    parameters.Add("segment_id", change.Segment);
                    parameters.Add("contact_id", change.ContactId.ToString());
                },
                cancellationToken).ConfigureAwait(false);

            await ExecuteManyAsync(
                connection,
                transaction,
                """
                INSERT INTO enrollments (contact_id, enrollment_id, journey_id, version, entered_at, ended_at, final)
                VALUES (@contact_id, @enrollment_id, @journey_id, @version, @entered_at, @ended_at, @final)
                ON CONFLICT (contact_id, enrollment_id) DO UPDATE SET version = excluded.version, ended_at = excluded.ended_at, final = excluded.final
                """,
                batch.Enrollments,
                (parameters, record) =>
                {
                    var enrollment = record.Enrollment;
                    parameters.Add("contact_id", record.ContactId.ToString());
                    parameters.Add("enrollment_id", enrollment.Id);
                    parameters.Add("journey_id", enrollment.JourneyId);
                    parameters.Add("version", enrollment.Version);
                    parameters.Add("entered_at", TimeValue(enrollment.EnteredAt));
                    parameters.Add("ended_at", enrollment.EndedAt is { } ended ? TimeValue(ended) : null);
                    parameters.Add("final", enrollment.EndedAt is null ? null : JourneyMembershipsJson.Serialize(enrollment));
                },
                cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends events, skipping message ids already in the log. Providers may replace it with a bulk path.</summary>
    protected virtual Task WriteEventsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken) =>
        ExecuteManyAsync(
            connection,
            transaction,
            """
            INSERT INTO events (message_id, contact_id, type, name, timestamp, received_at, json)
            VALUES (@message_id, @contact_id, @type, @name, @timestamp, @received_at, @json)
            ON CONFLICT (message_id) DO NOTHING
            """,
            events,
            (parameters, stored) =>
            {
                parameters.Add("message_id", stored.MessageId);
                parameters.Add("contact_id", stored.ContactId.ToString());
                parameters.Add("type", MessageTypes.ToWireName(stored.Type));
                parameters.Add("name", stored.Name);
                parameters.Add("timestamp", TimeValue(stored.Timestamp));
                parameters.Add("received_at", TimeValue(stored.ReceivedAt));
                parameters.Add("json", stored.Json);
            },
            cancellationToken);

    /// <summary>Runs one statement per row in the transaction, as one batch when the provider supports it.</summary>
    protected static async Task ExecuteManyAsync<T>(
        DbConnection connection,
        DbTransaction transaction,
        string sql,
        IEnumerable<T> rows,
        Action<Parameters, T> bind,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(bind);
        if (connection.CanCreateBatch)
        {
            await using var batch = connection.CreateBatch();
            batch.Transaction = transaction;
            foreach (var row in rows)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = sql;
                bind(new Parameters(command.Parameters, command.CreateParameter), row);
                batch.BatchCommands.Add(command);
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        DbCommand? single = null;
        try
        {
            foreach (var row in rows)
            {
                // One prepared statement; later rows only change the parameter values.
                var first = single is null;
                single ??= Command(connection, transaction, sql);
                bind(new Parameters(single.Parameters, single.CreateParameter), row);
                if (first)
                {
                    await single.PrepareAsync(cancellationToken).ConfigureAwait(false);
                }

                await single.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (single is not null)
            {
                await single.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

/// <inheritdoc />
    public async Task<IReadOnlySet<string>> FindExistingMessageIdsAsync(IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messageIds);
        var found = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var chunk in messageIds.Distinct(StringComparer.Ordinal).Chunk(500))
        {
            await using var command = InCommand(connection, "SELECT message_id FROM events WHERE message_id IN ({0})", chunk);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found.Add(reader.GetString(0));
            }
        }

        return found;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<ContactId, ContactState>> GetContactsAsync(IReadOnlyCollection<ContactId> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new Dictionary<ContactId, ContactState>();
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var chunk in ids.Distinct().Chunk(500))
        {
            await using var command = InCommand(connection, "SELECT state FROM contacts WHERE id IN ({0})", chunk.Select(id => id.ToString()));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var state = ContactStateJson.Deserialize(reader.GetString(0));
                found[state.Id] = state;
            }
        }

        return found;
    }

    /// <inheritdoc />
    public async Task<ContactState?> GetContactAsync(ContactId id, CancellationToken cancellationToken)
    {
        var found = await GetContactsAsync([id], cancellationToken).ConfigureAwait(false);
        return found.GetValueOrDefault(id);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<IdentityMapping> ReadIdentitiesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT kind, value, contact_id FROM identities");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new IdentityMapping(
                new IdentityKey(IdentityKey.ParseKind(reader.GetString(0)), reader.GetString(1)),
                ReadContactId(reader, 2));
        }
    }

    /// <inheritdoc />
    public async Task<ContactId?> FindContactAsync(IdentityKey identity, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT contact_id FROM identities WHERE kind = @kind AND value = @value");
        Add(command, "kind", identity.KindName);
        Add(command, "value", identity.Value);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string id ? ParseContactId(id) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactId>> FindContactsByEmailAsync(string email, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            "SELECT id FROM contacts WHERE email = @email AND merged_into IS NULL ORDER BY created_at, id");
        Add(command, "email", email.ToLowerInvariant());
        return await ReadContactIdsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PendingMerge>> GetPendingMergesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT from_id, into_id FROM pending_merges");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var merges = new List<PendingMerge>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            merges.Add(new PendingMerge(ReadContactId(reader, 0), ReadContactId(reader, 1)));
        }

        return merges;
    }

    /// <inheritdoc />
    public async Task<Page<StoredEvent>> GetEventsAsync(ContactId id, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var sql = $"SELECT {EventColumns} FROM events WHERE contact_id = @contact_id";
        long afterTime = 0;
        long afterSequence = 0;
        if (cursor is not null)
        {
            if (!Cursors.TryReadEvent(cursor, out afterTime, out afterSequence))
            {
                throw new InvalidCursorException();
            }

            sql += " AND (timestamp, seq) < (@after_time, @after_seq)";
        }

        await using var command = Command(connection, null, sql + " ORDER BY timestamp DESC, seq DESC LIMIT @limit");
        Add(command, "contact_id", id.ToString());
        Add(command, "limit", limit + 1);
        if (cursor is not null)
        {
            Add(command, "after_time", TimeValue(Cursors.FromUnixMicroseconds(afterTime)));
            Add(command, "after_seq", afterSequence);
        }

        var events = await ReadEventsAsync(command, cancellationToken).ConfigureAwait(false);
        return events.Count > limit
            ? new Page<StoredEvent>(events.GetRange(0, limit), Cursors.ForEvent(events[limit - 1]))
            : new Page<StoredEvent>(events, null);
    }

    /// <inheritdoc />
    public async Task<Page<ContactState>> SearchContactsAsync(string? query, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var sql = "SELECT state, created_at FROM contacts WHERE merged_into IS NULL";
        if (!string.IsNullOrWhiteSpace(query))
        {
            sql += " AND (search LIKE @pattern ESCAPE '\\' OR user_id = @query)";
        }

        (long Time, string Id) after = default;
        if (cursor is not null)
        {
            if (!Cursors.TryReadContact(cursor, out after.Time, out after.Id))
            {
                throw new InvalidCursorException();
            }

            // A row-value comparison is a range on the (created_at, id) index: a deep page does not rescan the ones before it.
            sql += " AND (created_at, id) > (@after_time, @after_id)";
        }

        await using var command = Command(connection, null, sql + " ORDER BY created_at, id LIMIT @limit");
        Add(command, "limit", limit + 1);
        if (!string.IsNullOrWhiteSpace(query))
        {
            var trimmed = query.Trim();
            Add(command, "query", trimmed);
            Add(command, "pattern", "%" + EscapeLike(trimmed.ToLowerInvariant()) + "%");
        }

        if (cursor is not null)
        {
            Add(command, "after_time", TimeValue(Cursors.FromUnixMicroseconds(after.Time)));
            Add(command, "after_id", after.Id);
        }

        var contacts = new List<ContactState>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                contacts.Add(ContactStateJson.Deserialize(reader.GetString(0)));
            }
        }

        return contacts.Count > limit
            ? new Page<ContactState>(contacts.GetRange(0, limit), Cursors.ForContact(contacts[limit - 1]))
            : new Page<ContactState>(contacts, null);
    }

    /// <inheritdoc />
    public async Task<StoredEvent?> GetEventAsync(string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {EventColumns} FROM events WHERE message_id = @message_id");
        Add(command, "message_id", messageId);
        var events = await ReadEventsAsync(command, cancellationToken).ConfigureAwait(false);
        return events.Count == 0 ? null : events[0];
    }

    /// <inheritdoc />
    public async Task<long> CountEventsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT COUNT(*) FROM events");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKeyRecord>> GetApiKeysAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT id, kind, hash, prefix, created_at FROM api_keys ORDER BY created_at, id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var keys = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(new ApiKeyRecord(
                reader.GetString(0),
                Enum.Parse<ApiKeyKind>(reader.GetString(1), ignoreCase: true),
                reader.GetString(2),
                reader.GetString(3),
                ReadTime(reader, 4)));
        }

        return keys;
    }

    /// <inheritdoc />
    public async Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "INSERT INTO api_keys (id, kind, hash, prefix, created_at) VALUES (@id, @kind, @hash, @prefix, @created_at)");
        Add(command, "id", key.Id);
        Add(command, "kind", key.Kind.ToString().ToLowerInvariant());
        Add(command, "hash", key.Hash);
        Add(command, "prefix", key.Prefix);
        Add(command, "created_at", TimeValue(key.CreatedAt));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<StoredDocument?> GetDocumentAsync(string kind, string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var found = await ReadDocumentsAsync(connection, null, kind, id, cancellationToken).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> ListDocumentsAsync(string kind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadDocumentsAsync(connection, null, kind, null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<bool> SaveDraftAsync(string kind, string id, string text, DateTimeOffset now, CancellationToken cancellationToken) =>
        InTransactionAsync(async (connection, transaction) =>
        {
            var hash = Hash(text);
            var existing = await ReadDocumentsAsync(connection, transaction, kind, id, cancellationToken).ConfigureAwait(false);
            if (existing.Count == 1 && Hash(existing[0].Draft) == hash)
            {
                return false;
            }

            await using var command = Command(
                connection,
                transaction,
                """
                INSERT INTO documents (kind, id, status, draft, draft_hash, published_version, updated_at)
                VALUES (@kind, @id, 'draft', @draft, @hash, NULL, @now)
                ON CONFLICT (kind, id) DO UPDATE SET draft = excluded.draft, draft_hash = excluded.draft_hash, updated_at = excluded.updated_at
                """);
            Add(command, "kind", kind);
            Add(command, "id", id);
            Add(command, "draft", text);
            Add(command, "hash", hash);
            Add(command, "now", TimeValue(now));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<(int Version, bool Created)?> PublishAsync(string kind, string id, DateTimeOffset now, RolloutPlan? rollout, CancellationToken cancellationToken) =>
        InTransactionAsync<(int, bool)?>(async (connection, transaction) =>
        {
            var existing = await ReadDocumentsAsync(connection, transaction, kind, id, cancellationToken).ConfigureAwait(false);
            if (existing.Count == 0)
            {
                return null;
            }

            var document = existing[0];
            var created = document.PublishedVersion is null || document.DraftDiffersFromPublished;
            var version = created ? (document.PublishedVersion ?? 0) + 1 : document.PublishedVersion!.Value;
            if (created)
            {
                await using var insert = Command(
                    connection,
                    transaction,
                    "INSERT INTO document_versions (kind, id, version, body, hash, published_at) VALUES (@kind, @id, @version, @body, @hash, @now)");
                Add(insert, "kind", kind);
                Add(insert, "id", id);
                Add(insert, "version", version);
                Add(insert, "body", document.Draft);
                Add(insert, "hash", Hash(document.Draft));
                Add(insert, "now", TimeValue(now));
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (created || document.Status != DocumentStatus.Published)
            {
                await using var update = Command(
                    connection,
                    transaction,
                    "UPDATE documents SET status = 'published', published_version = @version, updated_at = @now WHERE kind = @kind AND id = @id");
                Add(update, "kind", kind);
                Add(update, "id", id);
                Add(update, "version", version);
                Add(update, "now", TimeValue(now));
                await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (rollout is not null && (created || rollout.StepMap.Count > 0))
            {
                await using var start = Command(
                    connection,
                    transaction,
                    """
                    INSERT INTO rollouts (kind, journey_id, version, step_map, scope, after_id, processed, done, created_at, updated_at)
                    VALUES (@kind, @id, @version, @step_map, @scope, NULL, 0, @done, @now, @now)
                    ON CONFLICT (kind, journey_id, version) DO UPDATE SET step_map = excluded.step_map, scope = excluded.scope,
                        after_id = NULL, processed = 0, done = excluded.done, created_at = excluded.created_at, updated_at = excluded.updated_at
                    """);
                Add(start, "kind", kind);
                Add(start, "id", id);
                Add(start, "version", version);
                Add(start, "step_map", JsonSerializer.Serialize(rollout.StepMap.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToDictionary(pair => pair.Key, pair => pair.Value)));
                Add(start, "scope", rollout.Scope == RolloutScope.AllContacts ? "all_contacts" : "enrolled");
                Add(start, "done", false);
                Add(start, "now", TimeValue(now));
                await start.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return (version, created);
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<bool> SetStatusAsync(string kind, string id, DocumentStatus status, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "UPDATE documents SET status = @status, updated_at = @now WHERE kind = @kind AND id = @id");
        Add(command, "status", status.ToString().ToLowerInvariant());
        Add(command, "now", TimeValue(now));
        Add(command, "kind", kind);
        Add(command, "id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DocumentVersion>> GetVersionsAsync(string kind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT id, version, body, published_at FROM document_versions WHERE kind = @kind ORDER BY id, version");
        Add(command, "kind", kind);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var versions = new List<DocumentVersion>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(new DocumentVersion(kind, reader.GetString(0), Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture), reader.GetString(2), ReadTime(reader, 3)));
        }

        return versions;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredTimer>> GetDueTimersAsync(DateTimeOffset until, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT contact_id, enrollment_id, step_id, due_at FROM timers WHERE due_at <= @until ORDER BY due_at LIMIT @limit");
        Add(command, "until", TimeValue(until));
        Add(command, "limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var timers = new List<StoredTimer>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            timers.Add(new StoredTimer(ReadContactId(reader, 0), reader.GetString(1), reader.GetString(2), ReadTime(reader, 3)));
        }

        return timers;
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset?> GetNextTimerAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT due_at FROM timers ORDER BY due_at LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadTime(reader, 0) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> GetOutboxAsync(ContactId contactId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            $"""
            SELECT {OutboxColumns}
            FROM outbox WHERE contact_id = @contact_id ORDER BY created_at DESC, message_id LIMIT @limit
            """);
        Add(command, "contact_id", contactId.ToString());
        Add(command, "limit", limit);
        return await ReadOutboxAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private const string OutboxColumns =
        "message_id, journey_id, version, enrollment_id, step_id, channel, template, category, priority, status, created_at, payload, attempts, sent_at, last_error, contact_id, recipient, subject, template_version, opens, clicks, opened_at, clicked_at, unsubscribed_at, delivered_at, complained_at, decision, fallback, send_window";

    private async Task<List<OutboxMessage>> ReadOutboxAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var messages = new List<OutboxMessage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            messages.Add(new OutboxMessage(
                reader.GetString(0),
                ReadContactId(reader, 15),
                reader.GetString(1),
                Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.GetString(7),
                Convert.ToInt32(reader.GetValue(8), CultureInfo.InvariantCulture),
                reader.GetString(9),
                ReadTime(reader, 10),
                reader.IsDBNull(11) ? null : reader.GetString(11))
            {
                Attempts = Convert.ToInt32(reader.GetValue(12), CultureInfo.InvariantCulture),
                SentAt = reader.IsDBNull(13) ? null : ReadTime(reader, 13),
                LastError = reader.IsDBNull(14) ? null : reader.GetString(14),
                Recipient = reader.IsDBNull(16) ? null : reader.GetString(16),
                Subject = reader.IsDBNull(17) ? null : reader.GetString(17),
                TemplateVersion = reader.IsDBNull(18) ? null : Convert.ToInt32(reader.GetValue(18), CultureInfo.InvariantCulture),
                Opens = Convert.ToInt32(reader.GetValue(19), CultureInfo.InvariantCulture),
                Clicks = Convert.ToInt32(reader.GetValue(20), CultureInfo.InvariantCulture),
                OpenedAt = reader.IsDBNull(21) ? null : ReadTime(reader, 21),
                ClickedAt = reader.IsDBNull(22) ? null : ReadTime(reader, 22),
                UnsubscribedAt = reader.IsDBNull(23) ? null : ReadTime(reader, 23),
                DeliveredAt = reader.IsDBNull(24) ? null : ReadTime(reader, 24),
                ComplainedAt = reader.IsDBNull(25) ? null : ReadTime(reader, 25),
                Decision = reader.IsDBNull(26) ? null : reader.GetString(26),
                Fallback = reader.IsDBNull(27) ? null : reader.GetString(27),
                SendWindow = reader.IsDBNull(28) ? null : TimeSpan.FromSeconds(Convert.ToInt64(reader.GetValue(28), CultureInfo.InvariantCulture)),
            });
        }

        return messages;
    }

    /// <inheritdoc />
    public async Task<(IReadOnlyList<JourneyMoveCount> Moves, IReadOnlyList<JourneyConversionCount> Conversions)> GetJourneyStatsAsync(string journeyId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var moves = new List<JourneyMoveCount>();
        await using (var command = Command(connection, null, "SELECT version, from_step, exit, to_step, count FROM journey_moves WHERE journey_id = @journey_id ORDER BY version, from_step, exit, to_step"))
        {
            Add(command, "journey_id", journeyId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                moves.Add(new JourneyMoveCount(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetString(1), reader.GetString(2), reader.GetString(3), Convert.ToInt64(reader.GetValue(4), CultureInfo.InvariantCulture)));
            }
        }

        var conversions = new List<JourneyConversionCount>();
        await using (var command = Command(connection, null, "SELECT version, arm, control, count FROM journey_conversions WHERE journey_id = @journey_id ORDER BY version, arm, control"))
        {
            Add(command, "journey_id", journeyId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                conversions.Add(new JourneyConversionCount(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetString(1), Convert.ToBoolean(reader.GetValue(2), CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture)));
            }
        }

        return (moves, conversions);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JourneyReview>> GetJourneyReviewsAsync(string journeyId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT version, enrollment_id, contact_id, reason, ended_at FROM journey_reviews WHERE journey_id = @journey_id ORDER BY ended_at DESC LIMIT @limit");
        Add(command, "journey_id", journeyId);
        Add(command, "limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var reviews = new List<JourneyReview>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            reviews.Add(new JourneyReview(journeyId, Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetString(1), ReadContactId(reader, 2), reader.GetString(3), ReadTime(reader, 4)));
        }

        return reviews;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SegmentMember>> GetSegmentMembersAsync(string segmentId, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            "SELECT contact_id, entered_at, reason FROM segment_members WHERE segment_id = @segment_id AND contact_id > @after ORDER BY contact_id LIMIT @limit");
        Add(command, "segment_id", segmentId);
        Add(command, "after", after ?? string.Empty);
        Add(command, "limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var members = new List<SegmentMember>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            members.Add(new SegmentMember(ReadContactId(reader, 0), ReadTime(reader, 1), reader.GetString(2)));
        }

        return members;
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, long>> CountSegmentMembersAsync(CancellationToken cancellationToken) =>
        CountByKeyAsync("SELECT segment_id, COUNT(*) FROM segment_members GROUP BY segment_id", cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactId>> ListContactIdsAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT id FROM contacts WHERE merged_into IS NULL AND id > @after ORDER BY id LIMIT @limit");
        Add(command, "after", after ?? string.Empty);
        Add(command, "limit", limit);
        return await ReadContactIdsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactId>> ListEnrolledContactIdsAsync(string journeyId, int beforeVersion, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            "SELECT contact_id FROM enrollments WHERE journey_id = @journey_id AND ended_at IS NULL AND version < @version AND contact_id > @after ORDER BY contact_id LIMIT @limit");
        Add(command, "journey_id", journeyId);
        Add(command, "version", beforeVersion);
        Add(command, "after", after ?? string.Empty);
        Add(command, "limit", limit);
        return await ReadContactIdsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Core.Journeys.Engine.Enrollment>> GetEndedEnrollmentsAsync(ContactId contactId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            "SELECT final FROM enrollments WHERE contact_id = @contact_id AND ended_at IS NOT NULL ORDER BY ended_at DESC, enrollment_id LIMIT @limit");
        Add(command, "contact_id", contactId.ToString());
        Add(command, "limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var enrollments = new List<Core.Journeys.Engine.Enrollment>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            enrollments.Add(JourneyMembershipsJson.Deserialize(reader.GetString(0)));
        }

        return enrollments;
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, long>> CountActiveEnrollmentsAsync(CancellationToken cancellationToken) =>
        CountByKeyAsync("SELECT journey_id, COUNT(*) FROM enrollments WHERE ended_at IS NULL GROUP BY journey_id", cancellationToken);

    /// <summary>Reads <c>SELECT key, COUNT(*) … GROUP BY key</c> into a dictionary.</summary>
    private async Task WriteHandOffsAsync(DbConnection connection, DbTransaction transaction, CommitBatch batch, CancellationToken cancellationToken)
    {
        await ExecuteManyAsync(
            connection,
            transaction,
            """
            INSERT INTO handoffs (id, contact_id, team, owner_id, routed_by, domain, journey_id, created_at, due_at)
            VALUES (@id, @contact_id, @team, @owner_id, @routed_by, @domain, @journey_id, @created_at, @due_at)
            ON CONFLICT (id) DO NOTHING
            """,
            batch.HandOffs,
            (parameters, handOff) =>
            {
                parameters.Add("id", handOff.Id);
                parameters.Add("contact_id", handOff.ContactId.ToString());
                parameters.Add("team", handOff.Team);
                parameters.Add("owner_id", handOff.Owner);
                parameters.Add("routed_by", handOff.RoutedBy);
                parameters.Add("domain", handOff.Domain);
                parameters.Add("journey_id", handOff.JourneyId);
                parameters.Add("created_at", TimeValue(handOff.CreatedAt));
                parameters.Add("due_at", handOff.DueAt is { } due ? TimeValue(due) : null);
            },
            cancellationToken).ConfigureAwait(false);
        await ExecuteManyAsync(
            connection,
            transaction,
            "UPDATE handoffs SET acknowledged_at = @at, acknowledged_by = @by WHERE id = @id AND acknowledged_at IS NULL",
            batch.HandOffAcknowledgements,
            (parameters, ack) =>
            {
                parameters.Add("id", ack.Id);
                parameters.Add("at", TimeValue(ack.At));
                parameters.Add("by", ack.By);
            },
            cancellationToken).ConfigureAwait(false);
        await ExecuteManyAsync(
            connection,
            transaction,
            "UPDATE handoffs SET escalated_at = @at, escalated_to = @to, owner_id = @owner, due_at = @due WHERE id = @id",
            batch.HandOffEscalations,
            (parameters, escalation) =>
            {
                parameters.Add("id", escalation.Id);
                parameters.Add("at", TimeValue(escalation.At));
                parameters.Add("to", escalation.To);
                parameters.Add("owner", escalation.Owner);
                parameters.Add("due", escalation.DueAt is { } due ? TimeValue(due) : null);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<ContactId, List<StoredEvent>>> GetEventsOfAsync(IReadOnlyCollection<ContactId> contacts, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        ArgumentNullException.ThrowIfNull(names);
        var byContact = new Dictionary<ContactId, List<StoredEvent>>();
        if (contacts.Count == 0 || names.Count == 0)
        {
            return byContact;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, string.Empty);
        var ids = contacts.Select((id, index) =>
        {
            Add(command, $"c{index}", id.ToString());
            return $"@c{index}";
        }).ToList();
        command.CommandText = $"SELECT {EventColumns} FROM events WHERE contact_id IN ({string.Join(", ", ids)}) AND {NameFilter(command, names)} ORDER BY contact_id, timestamp DESC, seq DESC";
        foreach (var stored in await ReadEventsAsync(command, cancellationToken).ConfigureAwait(false))
        {
            if (!byContact.TryGetValue(stored.ContactId, out var list))
            {
                byContact[stored.ContactId] = list = [];
            }

            list.Add(stored);
        }

        return byContact;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredEvent>> GetHistoryAsync(ContactId id, IReadOnlyCollection<string>? names, IReadOnlyCollection<string>? withProperties, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (names is { Count: 0 })
        {
            return [];
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, string.Empty);
        Add(command, "contact_id", id.ToString());
        Add(command, "limit", limit);
        var json = withProperties switch
        {
            null => "json",
            { Count: 0 } => "NULL",
            _ => $"CASE WHEN {NameFilter(command, withProperties, "p")} THEN json END",
        };
        command.CommandText = $"SELECT seq, message_id, contact_id, type, name, timestamp, received_at, {json} FROM events WHERE contact_id = @contact_id{(names is null ? string.Empty : " AND " + NameFilter(command, names, "n"))} ORDER BY timestamp DESC, seq DESC LIMIT @limit";
        return await ReadEventsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<HistoryRead> GetHistoryAsync(ContactId id, IReadOnlyCollection<HistoryRequest> requests, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (requests.Count == 0)
        {
            return new HistoryRead([], new HashSet<string>(StringComparer.Ordinal));
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, string.Empty);
        Add(command, "contact_id", id.ToString());
        Add(command, "now", TimeValue(now));
        Add(command, "span_limit", limit + 1);

        // One sub-query per part of each name, each on the contact's (contact, timestamp) index and stopping at its own
        // count, joined into one statement. A part that reads a span is cut one past the limit, to tell that it was.
        var parts = new List<string>();
        var spans = new List<(int Part, string Name)>();
        var index = 0;
        foreach (var request in requests)
        {
            var name = NameFilter(command, [request.Name], $"r{index}n");
            var json = request.Properties ? "json" : "CASE WHEN 1 = 0 THEN json END";
            void Part(string where, string order, string count, bool span)
            {
                if (span)
                {
                    spans.Add((parts.Count, request.Name));
                }

                parts.Add($"SELECT * FROM (SELECT {parts.Count} AS part, seq, message_id, contact_id, type, name, timestamp, received_at, {json} AS json FROM events "
                    + $"WHERE contact_id = @contact_id AND {name}{where} ORDER BY {order} LIMIT {count}) AS p{parts.Count}");
            }

            const string newest = "timestamp DESC, seq DESC";
            if (request.Newest > 0)
            {
                Add(command, $"r{index}k", request.Newest);
                Part(string.Empty, newest, $"@r{index}k", span: false);
            }

            if (request.Since is { } since)
            {
                var from = since == DateTimeOffset.MinValue ? string.Empty : $" AND timestamp >= @r{index}s";
                if (from.Length > 0)
                {
                    Add(command, $"r{index}s", TimeValue(since));
                }

                Part(from, newest, "@span_limit", span: true);
            }

            if (request.LatestPast)
            {
                Part(" AND timestamp > @now", newest, "@span_limit", span: true);
                Part(" AND timestamp <= @now", newest, "1", span: false);
            }

            if (request.Oldest)
            {
                Part(string.Empty, "timestamp, seq", "1", span: false);
            }

            index++;
        }

        if (parts.Count == 0)
        {
            return new HistoryRead([], new HashSet<string>(StringComparer.Ordinal));
        }

        command.CommandText = string.Join(" UNION ALL ", parts);
        var counts = new int[parts.Count];
        var isSpan = new bool[parts.Count];
        spans.ForEach(span => isSpan[span.Part] = true);
        var read = new Dictionary<long, StoredEvent>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var part = reader.GetInt32(0);
                var stored = ReadEvent(reader, 1);
                if (++counts[part] > limit && isSpan[part])
                {
                    // One past the limit: the span had more events than are read. (Another part may read it too.)
                    continue;
                }

                read.TryAdd(stored.Sequence, stored);
            }
        }

        var exceeded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (part, name) in spans)
        {
            if (counts[part] > limit)
            {
                exceeded.Add(name);
            }
        }

        return new HistoryRead(
            [.. read.Values.OrderByDescending(stored => stored.Timestamp).ThenByDescending(stored => stored.Sequence)],
            exceeded);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredEvent> StreamHistoryAsync(
        ContactId id,
        IReadOnlyCollection<string> names,
        IReadOnlyCollection<string> withProperties,
        DateTimeOffset since,
        bool oldestFirst,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(withProperties);
        if (names.Count == 0)
        {
            yield break;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, string.Empty);
        Add(command, "contact_id", id.ToString());
        var json = withProperties.Count == 0 ? "CASE WHEN 1 = 0 THEN json END" : $"CASE WHEN {NameFilter(command, withProperties, "p")} THEN json END";
        var from = since == DateTimeOffset.MinValue ? string.Empty : " AND timestamp >= @since";
        if (from.Length > 0)
        {
            Add(command, "since", TimeValue(since));
        }

        command.CommandText = $"SELECT seq, message_id, contact_id, type, name, timestamp, received_at, {json} FROM events "
            + $"WHERE contact_id = @contact_id AND {NameFilter(command, names, "n")}{from} ORDER BY {(oldestFirst ? "timestamp, seq" : "timestamp DESC, seq DESC")}";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadEvent(reader, 0);
        }
    }

    /// <summary>
    /// The condition (with its parameters added to <paramref name="command"/>) that keeps the events conditions over
    /// <paramref name="names"/> read: track events by name, the other types (<c>$page</c>, <c>$identify</c> …) by type.
    /// </summary>
    private static string NameFilter(DbCommand command, IReadOnlyCollection<string> names, string prefix = "n")
    {
        var tracks = names.Where(name => !name.StartsWith('$')).Select((name, index) =>
        {
            Add(command, $"{prefix}{index}", name);
            return $"@{prefix}{index}";
        }).ToList();
        var types = names.Where(name => name.StartsWith('$')).Select((name, index) =>
        {
            Add(command, $"{prefix}t{index}", name[1..]);
            return $"@{prefix}t{index}";
        }).ToList();
        var filters = new List<string>();
        if (tracks.Count > 0)
        {
            // `name || ''` keeps the planner off the (name, timestamp) index: the contact is the selective part,
            // and SQLite without statistics would otherwise walk every event of the name.
            filters.Add($"(type = 'track' AND name || '' IN ({string.Join(", ", tracks)}))");
        }

        if (types.Count > 0)
        {
            filters.Add($"type IN ({string.Join(", ", types)})");
        }

        return $"({string.Join(" OR ", filters)})";
    }

    private const string HandOffColumns = "id, contact_id, team, owner_id, routed_by, domain, journey_id, created_at, due_at, acknowledged_at, acknowledged_by, escalated_at, escalated_to";

    /// <inheritdoc />
    public async Task<IReadOnlyList<HandOffRecord>> GetHandOffsAsync(string? owner, ContactId? contactId, DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            $"SELECT {HandOffColumns} FROM handoffs WHERE created_at >= @since"
            + (owner is null ? string.Empty : " AND owner_id = @owner")
            + (contactId is null ? string.Empty : " AND contact_id = @contact_id")
            + " ORDER BY created_at DESC, id LIMIT @limit");
        Add(command, "since", TimeValue(since));
        if (owner is not null)
        {
            Add(command, "owner", owner);
        }

        if (contactId is { } contact)
        {
            Add(command, "contact_id", contact.ToString());
        }

        Add(command, "limit", limit);
        return await ReadHandOffsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<HandOffRecord?> GetHandOffAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {HandOffColumns} FROM handoffs WHERE id = @id");
        Add(command, "id", id);
        return (await ReadHandOffsAsync(command, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    private async Task<List<HandOffRecord>> ReadHandOffsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var handOffs = new List<HandOffRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
            DateTimeOffset? Time(int ordinal) => reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal);
            handOffs.Add(new HandOffRecord(
                reader.GetString(0),
                ReadContactId(reader, 1),
                reader.GetString(2),
                Text(3),
                reader.GetString(4),
                Text(5),
                reader.GetString(6),
                ReadTime(reader, 7),
                Time(8),
                Time(9),
                Text(10),
                Time(11),
                Text(12)));
        }

        return handOffs;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> GetDueDeliveriesAsync(string channel, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            $"""
            SELECT {OutboxColumns}
            FROM outbox WHERE channel = @channel AND status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
            ORDER BY created_at, message_id LIMIT @limit
            """);
        Add(command, "channel", channel);
        Add(command, "now", TimeValue(now));
        Add(command, "limit", limit);
        return await ReadOutboxAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task RecordDeliveryAsync(string messageId, string status, int attempts, DateTimeOffset? nextAttemptAt, DateTimeOffset? sentAt, string? failure, CancellationToken cancellationToken) =>
        RecordDeliveriesAsync([new DeliveryRecord(messageId, status, attempts, nextAttemptAt, sentAt, failure)], cancellationToken);

    /// <inheritdoc />
    public async Task RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteManyAsync(
            connection,
            transaction,
            "UPDATE outbox SET status = @status, attempts = @attempts, next_attempt_at = @next, sent_at = @sent, last_error = @error, decision = COALESCE(@decision, decision) WHERE message_id = @id",
            records,
            (parameters, record) =>
            {
                parameters.Add("id", record.MessageId);
                parameters.Add("status", record.Status);
                parameters.Add("attempts", record.Attempts);
                parameters.Add("next", record.NextAttemptAt is { } next ? TimeValue(next) : null);
                parameters.Add("sent", record.SentAt is { } sent ? TimeValue(sent) : null);
                parameters.Add("error", record.Error);
                parameters.Add("decision", record.Decision);
            },
            cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DateTimeOffset>> GetEventTimesAsync(IReadOnlyCollection<string> names, DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var parameters = names.Select((_, index) => $"@n{index}").ToList();
        await using var command = Command(connection, null, $"SELECT timestamp FROM events WHERE name IN ({string.Join(", ", parameters)}) AND timestamp >= @since ORDER BY timestamp DESC LIMIT @limit");
        var at = 0;
        foreach (var name in names)
        {
            Add(command, $"n{at++}", name);
        }

        Add(command, "since", TimeValue(since));
        Add(command, "limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var times = new List<DateTimeOffset>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            times.Add(ReadTime(reader, 0));
        }

        return times;
    }

    /// <inheritdoc />
    public async Task FallBackAsync(string messageId, string channel, string templateId, string? fallback, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            "UPDATE outbox SET channel = @channel, template = @template, fallback = @fallback, status = 'queued', attempts = 0, next_attempt_at = NULL, last_error = @reason WHERE message_id = @id");
        Add(command, "id", messageId);
        Add(command, "channel", channel);
        Add(command, "template", templateId);
        Add(command, "fallback", fallback);
        Add(command, "reason", reason);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SentRecord>> GetSentAsync(ContactId contactId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT channel, category, sent_at FROM outbox WHERE contact_id = @contact AND sent_at >= @since ORDER BY sent_at");
        Add(command, "contact", contactId.ToString());
        Add(command, "since", TimeValue(since));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var sent = new List<SentRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            sent.Add(new SentRecord(reader.GetString(0), reader.GetString(1), ReadTime(reader, 2)));
        }

        return sent;
    }

    /// <inheritdoc />
    public async Task<IReadOnlySet<string>> ClaimAsync(IReadOnlyList<MessageClaim> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        if (claims.Count == 0)
        {
            return claimed;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            transaction,
            "UPDATE outbox SET status = 'sending', recipient = @recipient, subject = @subject, template_version = @version WHERE message_id = @id AND status = 'queued'");
        foreach (var claim in claims)
        {
            command.Parameters.Clear();
            Add(command, "id", claim.MessageId);
            Add(command, "recipient", claim.Recipient);
            Add(command, "subject", claim.Subject);
            Add(command, "version", claim.TemplateVersion);
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
            {
                claimed.Add(claim.MessageId);
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return claimed;
    }

    /// <inheritdoc />
    public async Task<int> RequeueSendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "UPDATE outbox SET status = 'queued' WHERE status = 'sending'");
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<OutboxMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            $"""
            SELECT {OutboxColumns}
            FROM outbox WHERE message_id = @id
            """);
        Add(command, "id", messageId);
        return (await ReadOutboxAsync(command, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
    }

    /// <inheritdoc />
    public async Task RecordEngagementAsync(string messageId, Engagement engagement, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, engagement switch
        {
            Engagement.Opened => "UPDATE outbox SET opens = opens + 1, opened_at = COALESCE(opened_at, @at) WHERE message_id = @id",
            Engagement.Clicked => "UPDATE outbox SET clicks = clicks + 1, clicked_at = COALESCE(clicked_at, @at) WHERE message_id = @id",
            Engagement.Delivered => "UPDATE outbox SET status = CASE WHEN status = 'sent' THEN 'delivered' ELSE status END, delivered_at = COALESCE(delivered_at, @at) WHERE message_id = @id",
            Engagement.Complained => "UPDATE outbox SET complained_at = COALESCE(complained_at, @at) WHERE message_id = @id",
            _ => "UPDATE outbox SET unsubscribed_at = COALESCE(unsubscribed_at, @at) WHERE message_id = @id",
        });
        Add(command, "id", messageId);
        Add(command, "at", TimeValue(at));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task AddToMailboxAsync(MailboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            "INSERT INTO mailbox (message_id, channel, recipient, subject, raw, created_at) VALUES (@id, @channel, @recipient, @subject, @raw, @at) ON CONFLICT (message_id) DO NOTHING");
        Add(command, "id", message.MessageId);
        Add(command, "channel", message.Channel);
        Add(command, "recipient", message.Recipient);
        Add(command, "subject", message.Subject);
        Add(command, "raw", message.Raw);
        Add(command, "at", TimeValue(message.CreatedAt));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<string> GetOrAddSettingAsync(string key, string initial, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = Command(connection, null, "INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO NOTHING"))
        {
            Add(insert, "key", key);
            Add(insert, "value", initial);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var select = Command(connection, null, "SELECT value FROM settings WHERE key = @key");
        Add(select, "key", key);
        return (string)(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private const string SuppressionColumns = "address_key, hint, soft_bounces, reason, source, suppressed_at, updated_at";

    /// <inheritdoc />
    public async Task<Suppression?> GetSuppressionAsync(string addressKey, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadSuppressionAsync(connection, null, addressKey, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Suppression> RecordBounceAsync(string addressKey, string hint, bool hard, string reason, string source, int softLimit, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var upsert = Command(
            connection,
            transaction,
            """
            INSERT INTO suppressions (address_key, hint, soft_bounces, reason, source, suppressed_at, updated_at)
            VALUES (@key, @hint, @soft, @reason, @source, @suppressed, @at)
            ON CONFLICT (address_key) DO UPDATE SET
                soft_bounces = suppressions.soft_bounces + @soft,
                reason = COALESCE(suppressions.reason, @reason),
                source = COALESCE(suppressions.source, @source),
                suppressed_at = COALESCE(suppressions.suppressed_at, @suppressed),
                updated_at = @at
            """))
        {
            Add(upsert, "key", addressKey);
            Add(upsert, "hint", hint);
            Add(upsert, "soft", hard ? 0 : 1);
            Add(upsert, "reason", hard ? reason : null);
            Add(upsert, "source", hard ? source : null);
            Add(upsert, "suppressed", hard ? TimeValue(at) : null);
            Add(upsert, "at", TimeValue(at));
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var escalate = Command(
            connection,
            transaction,
            "UPDATE suppressions SET reason = @reason, source = @source, suppressed_at = @at WHERE address_key = @key AND reason IS NULL AND soft_bounces >= @limit"))
        {
            Add(escalate, "key", addressKey);
            Add(escalate, "reason", $"{softLimit} soft bounces in a row (last: {reason})");
            Add(escalate, "source", source);
            Add(escalate, "at", TimeValue(at));
            Add(escalate, "limit", softLimit);
            await escalate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var stored = (await ReadSuppressionAsync(connection, transaction, addressKey, cancellationToken).ConfigureAwait(false))!;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <inheritdoc />
    public async Task ResetSoftBouncesAsync(string addressKey, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "UPDATE suppressions SET soft_bounces = 0 WHERE address_key = @key AND soft_bounces > 0 AND reason IS NULL");
        Add(command, "key", addressKey);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Suppression>> ListSuppressionsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {SuppressionColumns} FROM suppressions WHERE reason IS NOT NULL ORDER BY suppressed_at DESC, address_key LIMIT @limit");
        Add(command, "limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<Suppression>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ReadSuppression(reader));
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<bool> RemoveSuppressionAsync(string addressKey, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "DELETE FROM suppressions WHERE address_key = @key AND reason IS NOT NULL");
        Add(command, "key", addressKey);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    private async Task<Suppression?> ReadSuppressionAsync(DbConnection connection, DbTransaction? transaction, string addressKey, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {SuppressionColumns} FROM suppressions WHERE address_key = @key");
        Add(command, "key", addressKey);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadSuppression(reader) : null;
    }

    private Suppression ReadSuppression(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : ReadTime(reader, 5),
        ReadTime(reader, 6));

    /// <inheritdoc />
    public async Task<IReadOnlyList<MailboxMessage>> GetMailboxAsync(string? channel, string? recipient, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            $"""
            SELECT message_id, channel, recipient, subject, raw, created_at FROM mailbox
            WHERE 1 = 1{(channel is null ? string.Empty : " AND channel = @channel")}{(recipient is null ? string.Empty : " AND recipient = @recipient")}
            ORDER BY created_at DESC, message_id LIMIT @limit
            """);
        Add(command, "channel", channel);
        Add(command, "recipient", recipient);
        Add(command, "limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var messages = new List<MailboxMessage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            messages.Add(new MailboxMessage(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), ReadTime(reader, 5)));
        }

        return messages;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactId>> FindContactsByPhoneAsync(string phone, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT id FROM contacts WHERE phone = @phone AND merged_into IS NULL ORDER BY created_at, id");
        Add(command, "phone", phone);
        return await ReadContactIdsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<(int Version, string StepId, string Status, long Count)>> CountMessagesAsync(string journeyId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT version, step_id, status, COUNT(*) FROM outbox WHERE journey_id = @journey GROUP BY version, step_id, status");
        Add(command, "journey", journeyId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var counts = new List<(int, string, string, long)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts.Add((Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetString(1), reader.GetString(2), Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture)));
        }

        return counts;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> ListMessagesAsync(string status, string? channel, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            $"""
            SELECT {OutboxColumns} FROM outbox
            WHERE status = @status{(channel is null ? string.Empty : " AND channel = @channel")}
            ORDER BY created_at DESC, message_id LIMIT @limit
            """);
        Add(command, "status", status);
        Add(command, "channel", channel);
        Add(command, "limit", limit);
        return await ReadOutboxAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> RequeueMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            "UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = NULL WHERE message_id = @id AND status IN ('failed', 'dead_letter')");
        Add(command, "id", messageId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task AddDeviceAsync(Device device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            """
            INSERT INTO devices (token, contact_id, platform, created_at) VALUES (@token, @contact, @platform, @at)
            ON CONFLICT (token) DO UPDATE SET contact_id = @contact, platform = @platform
            """);
        Add(command, "token", device.Token);
        Add(command, "contact", device.ContactId.ToString());
        Add(command, "platform", device.Platform);
        Add(command, "at", TimeValue(device.CreatedAt));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Device>> GetDevicesAsync(ContactId contactId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT token, contact_id, platform, created_at FROM devices WHERE contact_id = @contact ORDER BY created_at, token");
        Add(command, "contact", contactId.ToString());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var devices = new List<Device>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            devices.Add(new Device(reader.GetString(0), ReadContactId(reader, 1), reader.GetString(2), ReadTime(reader, 3)));
        }

        return devices;
    }

    /// <inheritdoc />
    public async Task<bool> RemoveDeviceAsync(string token, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "DELETE FROM devices WHERE token = @token");
        Add(command, "token", token);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public async Task AddInboxItemAsync(InboxItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            """
            INSERT INTO inbox (message_id, contact_id, title, body, action_label, action_url, created_at)
            VALUES (@id, @contact, @title, @body, @label, @url, @at) ON CONFLICT (message_id) DO NOTHING
            """);
        Add(command, "id", item.MessageId);
        Add(command, "contact", item.ContactId.ToString());
        Add(command, "title", item.Title);
        Add(command, "body", item.Body);
        Add(command, "label", item.ActionLabel);
        Add(command, "url", item.ActionUrl);
        Add(command, "at", TimeValue(item.CreatedAt));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<InboxItem>> GetInboxAsync(ContactId contactId, bool dismissed, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            $"""
            SELECT message_id, contact_id, title, body, action_label, action_url, created_at, read_at, dismissed_at FROM inbox
            WHERE contact_id = @contact {(dismissed ? string.Empty : "AND dismissed_at IS NULL")}
            ORDER BY created_at DESC, message_id LIMIT @limit
            """);
        Add(command, "contact", contactId.ToString());
        Add(command, "limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<InboxItem>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(new InboxItem(
                reader.GetString(0),
                ReadContactId(reader, 1),
                reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                ReadTime(reader, 6),
                reader.IsDBNull(7) ? null : ReadTime(reader, 7),
                reader.IsDBNull(8) ? null : ReadTime(reader, 8)));
        }

        return items;
    }

    /// <inheritdoc />
    public async Task<bool> MarkInboxItemAsync(ContactId contactId, string messageId, bool dismiss, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            dismiss
                ? "UPDATE inbox SET dismissed_at = COALESCE(dismissed_at, @at), read_at = COALESCE(read_at, @at) WHERE message_id = @id AND contact_id = @contact"
                : "UPDATE inbox SET read_at = COALESCE(read_at, @at) WHERE message_id = @id AND contact_id = @contact");
        Add(command, "id", messageId);
        Add(command, "contact", contactId.ToString());
        Add(command, "at", TimeValue(at));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<(IReadOnlyList<(string Team, string Domain, string Owner)> Accounts, IReadOnlyList<(string Team, string Owner, DateTimeOffset At)> LastAssigned)> GetRoutingMemoryAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var accounts = new List<(string, string, string)>();
        await using (var command = Command(connection, null, "SELECT team, domain, owner_id FROM handoffs WHERE domain IS NOT NULL AND owner_id IS NOT NULL ORDER BY created_at, id"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                accounts.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        var last = new List<(string, string, DateTimeOffset)>();
        await using (var command = Command(connection, null, "SELECT team, owner_id, MAX(created_at) FROM handoffs WHERE owner_id IS NOT NULL GROUP BY team, owner_id"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                last.Add((reader.GetString(0), reader.GetString(1), ReadTime(reader, 2)));
            }
        }

        return (accounts, last);
    }

    private async Task<IReadOnlyDictionary<string, long>> CountByKeyAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
        }

        return counts;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Rollout>> GetRolloutsAsync(string kind, string? journeyId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            "SELECT journey_id, version, step_map, scope, after_id, processed, done, created_at, updated_at, kind FROM rollouts WHERE "
                + (journeyId is null ? "done = @done" : "kind = @kind AND journey_id = @journey_id") + " ORDER BY created_at, kind, journey_id, version");
        if (journeyId is null)
        {
            Add(command, "done", false);
        }
        else
        {
            Add(command, "kind", kind);
            Add(command, "journey_id", journeyId);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rollouts = new List<Rollout>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var map = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(2)) ?? [];
            rollouts.Add(new Rollout(
                reader.GetString(9),
                reader.GetString(0),
                Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture),
                new RolloutPlan(map.ToImmutableDictionary(StringComparer.Ordinal), reader.GetString(3) == "all_contacts" ? RolloutScope.AllContacts : RolloutScope.Enrolled),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                Convert.ToInt64(reader.GetValue(5), CultureInfo.InvariantCulture),
                Convert.ToBoolean(reader.GetValue(6), CultureInfo.InvariantCulture),
                ReadTime(reader, 7),
                ReadTime(reader, 8)));
        }

        return rollouts;
    }

    /// <inheritdoc />
    public async Task SaveRolloutProgressAsync(string kind, string journeyId, int version, string? after, long processed, bool done, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            "UPDATE rollouts SET after_id = @after, processed = @processed, done = @done, updated_at = @now WHERE kind = @kind AND journey_id = @journey_id AND version = @version");
        Add(command, "kind", kind);
        Add(command, "after", after);
        Add(command, "processed", processed);
        Add(command, "done", done);
        Add(command, "now", TimeValue(now));
        Add(command, "journey_id", journeyId);
        Add(command, "version", version);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        if (_commits is not null)
        {
            _commits.Writer.TryComplete();
            await _writerLoop!.ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A command on <paramref name="connection"/>.</summary>
    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    /// <summary>Adds a named parameter (null becomes DBNull).</summary>
    protected static void Add(DbCommand command, string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = Parameters.Prefixed(name);
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private async Task<List<StoredDocument>> ReadDocumentsAsync(DbConnection connection, DbTransaction? transaction, string kind, string? id, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            transaction,
            """
            SELECT d.id, d.status, d.draft, d.published_version, d.updated_at, d.draft_hash, v.hash
            FROM documents d LEFT JOIN document_versions v ON v.kind = d.kind AND v.id = d.id AND v.version = d.published_version
            WHERE d.kind = @kind
            """ + (id is null ? " ORDER BY d.id" : " AND d.id = @id"));
        Add(command, "kind", kind);
        if (id is not null)
        {
            Add(command, "id", id);
        }

        var documents = new List<StoredDocument>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            documents.Add(new StoredDocument(
                kind,
                reader.GetString(0),
                Enum.Parse<DocumentStatus>(reader.GetString(1), ignoreCase: true),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : Convert.ToInt32(reader.GetValue(3), CultureInfo.InvariantCulture),
                reader.IsDBNull(6) || reader.GetString(5) != reader.GetString(6),
                ReadTime(reader, 4)));
        }

        return documents;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactState>> GetContactGroupAsync(ContactId id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var group = new List<ContactState>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { id.ToString() };
        List<string> frontier = [id.ToString()];
        await using (var command = Command(connection, null, "SELECT state FROM contacts WHERE id = @id"))
        {
            Add(command, "id", id.ToString());
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string json)
            {
                return group;
            }

            group.Add(ContactStateJson.Deserialize(json));
        }

        // Merges chain (a contact merged into one that was merged in turn): follow them to the end.
        while (frontier.Count > 0)
        {
            var next = new List<string>();
            foreach (var chunk in frontier.Chunk(500))
            {
                await using var command = InCommand(connection, "SELECT id, state FROM contacts WHERE merged_into IN ({0})", chunk);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (seen.Add(reader.GetString(0)))
                    {
                        next.Add(reader.GetString(0));
                        group.Add(ContactStateJson.Deserialize(reader.GetString(1)));
                    }
                }
            }

            frontier = next;
        }

        return group;
    }

    /// <summary>
    /// Runs after an erasure has committed, outside its transaction: what the provider must do so that the deleted rows
    /// are gone from its files too (SQLite truncates its write-ahead log). Nothing by default. An override must not
    /// throw: the erasure has committed, and its caller must learn so.
    /// </summary>
    /// <param name="erasure">The committed erasure.</param>
    /// <param name="cancellationToken">The erasure's cancellation token.</param>
    protected virtual Task AfterErasureAsync(ErasureRecord erasure, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task<ErasureRecord> EraseContactsAsync(ContactId subject, IReadOnlyCollection<ContactId> contacts, IReadOnlyCollection<string> segments, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var record = await DeleteContactsAsync(subject, contacts, segments, reason, at, cancellationToken).ConfigureAwait(false);
        await AfterErasureAsync(record, cancellationToken).ConfigureAwait(false);
        return record;
    }

    private Task<ErasureRecord> DeleteContactsAsync(ContactId subject, IReadOnlyCollection<ContactId> contacts, IReadOnlyCollection<string> segments, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        ArgumentNullException.ThrowIfNull(segments);
        return InTransactionAsync(
            async (connection, transaction) =>
            {
                var ids = contacts.Select(id => id.ToString()).Distinct(StringComparer.Ordinal).ToList();
                var deleted = new SortedDictionary<string, long>(StringComparer.Ordinal);
                async Task DeleteAsync(string kind, string sqlFormat, IEnumerable<(string Name, string Value)>? extra = null)
                {
                    foreach (var chunk in ids.Chunk(200))
                    {
                        await using var command = InCommand(connection, sqlFormat, chunk);
                        command.Transaction = transaction;
                        foreach (var (name, value) in extra ?? [])
                        {
                            Add(command, name, value);
                        }

                        deleted[kind] = deleted.GetValueOrDefault(kind) + await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                await DeleteAsync("mailbox", "DELETE FROM mailbox WHERE message_id IN (SELECT message_id FROM outbox WHERE contact_id IN ({0}))").ConfigureAwait(false);
                await DeleteAsync("messages", "DELETE FROM outbox WHERE contact_id IN ({0})").ConfigureAwait(false);
                await DeleteAsync("events", "DELETE FROM events WHERE contact_id IN ({0})").ConfigureAwait(false);
                await DeleteAsync("identities", "DELETE FROM identities WHERE contact_id IN ({0})").ConfigureAwait(false);
                await DeleteAsync("timers", "DELETE FROM timers WHERE contact_id IN ({0})").ConfigureAwait(false);
                await DeleteAsync("enrollments", "DELETE FROM enrollments WHERE contact_id IN ({0})").ConfigureAwait(false);
                await DeleteAsync("journey_reviews", "DELETE FROM journey_reviews WHERE contact_id IN ({0})").ConfigureAwait(false);
                foreach (var segment in segments.Distinct(StringComparer.Ordinal))
                {
                    await DeleteAsync("segment_members", "DELETE FROM segment_members WHERE segment_id = @segment AND contact_id IN ({0})", [("segment", segment)]).ConfigureAwait(false);
                }

                await DeleteAsync("handoffs", "DELETE FROM handoffs WHERE contact_id IN ({0})").ConfigureAwait(false);
                await DeleteAsync("devices", "DELETE FROM devices WHERE contact_id IN ({0})").ConfigureAwait(false);
                await DeleteAsync("inbox", "DELETE FROM inbox WHERE contact_id IN ({0})").ConfigureAwait(false);
                await DeleteAsync("pending_merges", "DELETE FROM pending_merges WHERE from_id IN ({0}) OR into_id IN ({0})").ConfigureAwait(false);
                await DeleteAsync("contacts", "DELETE FROM contacts WHERE id IN ({0})").ConfigureAwait(false);

                var record = new ErasureRecord(Guid.CreateVersion7(at).ToString("N"), subject, reason, at, deleted);
                await using var insert = Command(connection, transaction, "INSERT INTO erasures (id, contact_id, reason, erased_at, deleted) VALUES (@id, @contact_id, @reason, @erased_at, @deleted)");
                Add(insert, "id", record.Id);
                Add(insert, "contact_id", subject.ToString());
                Add(insert, "reason", reason);
                Add(insert, "erased_at", TimeValue(at));
                Add(insert, "deleted", System.Text.Json.JsonSerializer.Serialize(deleted));
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return record;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ErasureRecord>> ListErasuresAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT id, contact_id, reason, erased_at, deleted FROM erasures ORDER BY erased_at DESC, id DESC LIMIT @limit");
        Add(command, "limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<ErasureRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var deleted = System.Text.Json.JsonSerializer.Deserialize<SortedDictionary<string, long>>(reader.GetString(4)) ?? [];
            list.Add(new ErasureRecord(reader.GetString(0), ReadContactId(reader, 1), reader.GetString(2), ReadTime(reader, 3), deleted));
        }

        return list;
    }

    /// <summary>A contact's sample bucket: a hash of its id, uniform over <see cref="IContactStore.SampleBuckets"/>.</summary>
    public static int SampleBucket(ContactId id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.Value.TryWriteBytes(bytes);
        var mixed = (BitConverter.ToUInt64(bytes[..8]) ^ BitConverter.ToUInt64(bytes[8..])) * 0x9E3779B97F4A7C15UL;
        return (int)((mixed >> 32) % IContactStore.SampleBuckets);
    }

    /// <inheritdoc />
    public async Task<long> CountContactsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT COUNT(*) FROM contacts WHERE merged_into IS NULL");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactState>> GetSampleAsync(int buckets, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT state FROM contacts WHERE merged_into IS NULL AND bucket < @buckets");
        Add(command, "buckets", buckets);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var sample = new List<ContactState>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            sample.Add(ContactStateJson.Deserialize(reader.GetString(0)));
        }

        return sample;
    }

    /// <summary>Runs <paramref name="work"/> in one transaction (SQLite serialises it with the writer loop through its lock and busy timeout).</summary>
    private async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var result = await work(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static string Hash(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private const string EventColumns = "seq, message_id, contact_id, type, name, timestamp, received_at, json";

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static DbCommand InCommand(DbConnection connection, string sqlFormat, IEnumerable<string> values)
    {
        var command = Command(connection, null, string.Empty);
        var names = new List<string>();
        foreach (var value in values)
        {
            var name = "p" + names.Count.ToString(CultureInfo.InvariantCulture);
            names.Add("@" + name);
            Add(command, name, value);
        }

        command.CommandText = string.Format(CultureInfo.InvariantCulture, sqlFormat, string.Join(", ", names));
        return command;
    }

    private async Task<List<StoredEvent>> ReadEventsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var events = new List<StoredEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            events.Add(ReadEvent(reader, 0));
        }

        return events;
    }

    /// <summary>An event from the <see cref="EventColumns"/> starting at <paramref name="first"/> (a null JSON reads as empty).</summary>
    private StoredEvent ReadEvent(DbDataReader reader, int first) => new(
        reader.GetInt64(first),
        reader.GetString(first + 1),
        ReadContactId(reader, first + 2),
        MessageTypes.TryParse(reader.GetString(first + 3), out var type) ? type : throw new InvalidDataException($"Unknown stored message type '{reader.GetString(first + 3)}'."),
        reader.GetString(first + 4),
        ReadTime(reader, first + 5),
        ReadTime(reader, first + 6),
        reader.IsDBNull(first + 7) ? string.Empty : reader.GetString(first + 7));

    private static async Task<IReadOnlyList<ContactId>> ReadContactIdsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var ids = new List<ContactId>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(ReadContactId(reader, 0));
        }

        return ids;
    }

    private static ContactId ReadContactId(DbDataReader reader, int ordinal) => ParseContactId(reader.GetString(ordinal));

    private static ContactId ParseContactId(string text) =>
        ContactId.TryParse(text, out var id) ? id : throw new InvalidDataException($"Stored contact id '{text}' is not valid.");

    private void BindTimer(Parameters parameters, StoredTimer timer)
    {
        parameters.Add("contact_id", timer.ContactId.ToString());
        parameters.Add("enrollment_id", timer.EnrollmentId);
        parameters.Add("step_id", timer.StepId);
        parameters.Add("due_at", TimeValue(timer.DueAt));
    }

    private static void BindMerge(Parameters parameters, PendingMerge merge)
    {
        parameters.Add("from_id", merge.From.ToString());
        parameters.Add("into_id", merge.Into.ToString());
    }

    /// <summary>What search matches against: lower-cased email and display name.</summary>
    private static string SearchText(ContactState state) =>
        string.Join(' ', new[] { state.Email, state.DisplayName }.Where(part => !string.IsNullOrEmpty(part))).ToLowerInvariant();

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static int MigrationVersion(string resourceName)
    {
        var file = resourceName[(resourceName.LastIndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
        var digits = file.TakeWhile(char.IsAsciiDigit).ToArray();
        return digits.Length > 0
            ? int.Parse(digits, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"Migration '{resourceName}' does not start with its number.");
    }
}

/// <summary>Sets named parameters of a command or a batch command (null becomes DBNull).</summary>
public readonly struct Parameters(DbParameterCollection collection, Func<DbParameter> create)
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> PrefixedNames = new(StringComparer.Ordinal);

    /// <summary>Sets the parameter's value, adding the parameter the first time.</summary>
    public void Add(string name, object? value)
    {
        var prefixed = Prefixed(name);
        if (collection.Contains(prefixed))
        {
            collection[prefixed].Value = value ?? DBNull.Value;
            return;
        }

        var parameter = create();
        parameter.ParameterName = prefixed;
        parameter.Value = value ?? DBNull.Value;
        collection.Add(parameter);
    }

    /// <summary>
    /// The parameter's name as the SQL writes it (<c>@name</c>): Microsoft.Data.Sqlite then finds it at the first
    /// lookup instead of trying each prefix on every execution (a quarter of the write path's CPU); Npgsql takes both.
    /// </summary>
    internal static string Prefixed(string name) => name.StartsWith('@') ? name : PrefixedNames.GetOrAdd(name, static bare => "@" + bare);
}
