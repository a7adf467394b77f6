using Cairn.Core;
using Cairn.Runtime.Storage;
using Cairn.Storage.Relational;
using Cairn.Storage.Sqlite;
using Cairn.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Cairn.Storage.Tests;

/// <summary>
/// Every filter combination of the outbox listing is one walk down an index in page order (migration 0014), never a
/// sort of the outbox: the plans of SQLite (EXPLAIN QUERY PLAN) and PostgreSQL (EXPLAIN, with sorts and sequential
/// scans priced out so an empty table shows the index the query can use).
/// </summary>
public sealed class OutboxPlanTests(PostgresFixture postgres)
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly ContactId Ann = new(Guid.CreateVersion7());

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Each combination the console sends, whether it has a cursor, and the index its pages walk.</summary>
    private static readonly (MessageQuery Query, bool Cursor, string Index)[] Cases =
    [
        (new MessageQuery(), false, "outbox_created"),
        (new MessageQuery(), true, "outbox_created"),
        (new MessageQuery(From: T0, To: T0.AddDays(1)), true, "outbox_created"),
        (new MessageQuery(Channel: "sms"), true, "outbox_created"),
        (new MessageQuery(Status: MessageStatus.Failed), true, "outbox_status"),
        (new MessageQuery(Status: MessageStatus.Failed, Channel: "email", From: T0), true, "outbox_status"),
        (new MessageQuery(JourneyId: "welcome"), false, "outbox_journey"),
        (new MessageQuery(MessageStatus.Failed, "email", "welcome", From: T0, To: T0.AddDays(1)), true, "outbox_journey"),
        (new MessageQuery(TemplateId: "promo"), true, "outbox_template"),
        (new MessageQuery(Status: MessageStatus.Sent, JourneyId: "welcome", TemplateId: "promo"), true, "outbox_template"),
        (new MessageQuery(ContactId: Ann), true, "outbox_contact"),
        (new MessageQuery(MessageStatus.Sent, "email", "welcome", "promo", Ann, T0, T0.AddDays(1)), true, "outbox_contact"),
    ];

    [Fact]
    public async Task OnSqlite_EachCombination_WalksItsIndex_WithNoSort()
    {
        await using var provider = new SqliteProvider();
        await using var store = (SqliteCairnStore)await provider.CreateStoreAsync(Cancel);
        await store.MigrateAsync(Cancel);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.DatabasePath, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await connection.OpenAsync(Cancel);
        foreach (var (query, cursor, index) in Cases)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + RelationalCairnStore.MessagePageSql(query, cursor);
            foreach (var (name, value) in Parameters(query, cursor))
            {
                command.Parameters.AddWithValue("@" + name, value is DateTimeOffset time ? Cursors.ToUnixMicroseconds(time) : value);
            }

            var plan = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(Cancel))
            {
                while (await reader.ReadAsync(Cancel))
                {
                    plan.Add(reader.GetString(3));
                }
            }

            var text = string.Join(" | ", plan);
            Assert.True((text + " ").Contains($"USING INDEX {index} ", StringComparison.Ordinal) && !text.Contains("TEMP B-TREE", StringComparison.Ordinal), $"{query} (cursor: {cursor}): {text}");
        }
    }

    [Fact]
    public async Task OnPostgreSql_EachCombination_WalksItsIndex_WithNoSort()
    {
        await using var provider = new PostgreSqlProvider(postgres);
        await using var store = await provider.CreateStoreAsync(Cancel);
        await store.MigrateAsync(Cancel);
        await using var connection = new NpgsqlConnection(provider.ConnectionString);
        await connection.OpenAsync(Cancel);
        await using (var settings = connection.CreateCommand())
        {
            settings.CommandText = "SET enable_seqscan = off; SET enable_sort = off; SET enable_bitmapscan = off; SET enable_incremental_sort = off";
            await settings.ExecuteNonQueryAsync(Cancel);
        }

        foreach (var (query, cursor, index) in Cases)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "EXPLAIN (COSTS OFF) " + RelationalCairnStore.MessagePageSql(query, cursor);
            foreach (var (name, value) in Parameters(query, cursor))
            {
                command.Parameters.Add(value switch
                {
                    DateTimeOffset time => new NpgsqlParameter(name, NpgsqlDbType.TimestampTz) { Value = time.UtcDateTime },
                    int number => new NpgsqlParameter(name, NpgsqlDbType.Integer) { Value = number },
                    _ => new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = value },
                });
            }

            var plan = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(Cancel))
            {
                while (await reader.ReadAsync(Cancel))
                {
                    plan.Add(reader.GetString(0).Trim());
                }
            }

            // An empty table has no statistics: with a time range the planner may walk the time index instead (with
            // statistics it takes the filter's, as measured on a million messages), but it never sorts.
            var text = string.Join(" | ", plan);
            var walked = text.Contains($"Index Scan Backward using {index} on outbox", StringComparison.Ordinal)
                || (query.From is not null && text.Contains("Index Scan Backward using outbox_created on outbox", StringComparison.Ordinal));
            Assert.True(walked && !text.Contains("Sort", StringComparison.Ordinal), $"{query} (cursor: {cursor}): {text}");
        }
    }

    private static IEnumerable<(string Name, object Value)> Parameters(MessageQuery query, bool cursor)
    {
        yield return ("limit", 51);
        foreach (var (name, value) in new (string, string?)[] { ("contact", query.ContactId?.ToString()), ("template", query.TemplateId), ("journey", query.JourneyId), ("status", query.Status), ("channel", query.Channel) })
        {
            if (value is not null)
            {
                yield return (name, value);
            }
        }

        if (query.From is { } from)
        {
            yield return ("from", from);
        }

        if (query.To is { } to)
        {
            yield return ("to", to);
        }

        if (cursor)
        {
            yield return ("after_time", T0.AddHours(12));
            yield return ("after_id", "m-1");
        }
    }
}
