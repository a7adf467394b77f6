using Cairn.Storage.Relational;
using Cairn.Storage.Sqlite;
using Cairn.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;
using SQLitePCL;

namespace Cairn.Storage.Tests;

/// <summary>
/// Every retention batch is a bounded range of one index, never a scan of its table (docs/retention.md): the plans of
/// SQLite (EXPLAIN QUERY PLAN) and PostgreSQL (EXPLAIN, with sequential scans priced out so an empty table shows the
/// index the statement can use).
/// </summary>
public sealed class RetentionPlanTests(PostgresFixture postgres)
{
    private const string Statuses = "'sent', 'delivered'";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Each statement, and the index it must walk.</summary>
    private static readonly (string Sql, string Table, string Index)[] Cases =
    [
        (RelationalCairnStore.RetentionEventsNamedSql, "events", "events_name_time"),
        (RelationalCairnStore.RetentionEventWindowSql(after: false), "events", "events_time"),
        (RelationalCairnStore.RetentionEventWindowSql(after: true), "events", "events_time"),
        (RelationalCairnStore.RetentionEventDeleteSql(after: true, bounded: true, "'a', 'b'"), "events", "events_time"),
        (RelationalCairnStore.RetentionEventDeleteSql(after: false, bounded: true, null), "events", "events_time"),
        (RelationalCairnStore.RetentionEventDeleteSql(after: true, bounded: false, null), "events", "events_time"),
        (RelationalCairnStore.RetentionBodiesSql(Statuses), "outbox", "outbox_bodies"),
        (RelationalCairnStore.RetentionMessagesSql(Statuses), "outbox", "outbox_created"),
        (RelationalCairnStore.RetentionMailboxSql, "mailbox", "mailbox_created"),
    ];

    [Fact]
    public async Task OnSqlite_EachBatch_SearchesItsIndex_AndScansNoTable()
    {
        await using var provider = new SqliteProvider();
        await using var store = (SqliteCairnStore)await provider.CreateStoreAsync(Cancel);
        await store.MigrateAsync(Cancel);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.DatabasePath }.ToString());
        await connection.OpenAsync(Cancel);
        foreach (var (sql, table, index) in Cases)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + sql;
            foreach (var name in new[] { "name", "before", "limit", "offset", "from_time", "from_seq", "to_time", "to_seq", "now" })
            {
                if (sql.Contains("@" + name, StringComparison.Ordinal))
                {
                    command.Parameters.AddWithValue("@" + name, 1);
                }
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
            Assert.True((text + " ").Contains($"USING INDEX {index} ", StringComparison.Ordinal) || (text + " ").Contains($"USING COVERING INDEX {index} ", StringComparison.Ordinal), $"{sql}: {text}");
            Assert.DoesNotContain($"SCAN {table}", text, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A plan names its index, not which bounds walk it: with two upper bounds SQLite once walked events_time to the policy's
    /// edge and filtered, so every batch read every old event. Counting the virtual machine's steps shows what a batch reads.
    /// </summary>
    [Fact]
    public async Task OnSqlite_AnEventsBatch_ReadsItsWindow_NotEveryOldEvent()
    {
        const int Old = 20_000;
        const int Window = 10;
        await using var provider = new SqliteProvider();
        await using var store = (SqliteCairnStore)await provider.CreateStoreAsync(Cancel);
        await store.MigrateAsync(Cancel);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.DatabasePath }.ToString());
        await connection.OpenAsync(Cancel);
        await using (var seed = connection.CreateCommand())
        {
            seed.CommandText = "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < " + Old + ") "
                + "INSERT INTO events (seq, message_id, contact_id, type, name, timestamp, received_at, json) "
                + "SELECT i, 'm' || i, 'c' || (i % 100), 'track', 'Page Viewed', i * 1000, i * 1000, '{}' FROM k";
            await seed.ExecuteNonQueryAsync(Cancel);
        }

        var steps = 0L;
        raw.sqlite3_progress_handler(connection.Handle, 1, _ => { steps++; return 0; }, null);
        var before = (Old + 1) * 1000L;
        var walked = 0L;
        foreach (var (after, bounded) in new[] { (false, true), (true, true), (true, false) })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = RelationalCairnStore.RetentionEventDeleteSql(after, bounded, except: null);
            var (from, to) = bounded ? (walked, walked + Window) : (walked, (long)Old);
            Bind(command, "before", before);
            Bind(command, "from_time", from * 1000);
            Bind(command, "from_seq", from);
            Bind(command, "to_time", to * 1000);
            Bind(command, "to_seq", to);
            steps = 0;
            var deleted = await command.ExecuteNonQueryAsync(Cancel);
            walked = to;
            if (bounded)
            {
                Assert.Equal(Window, deleted);
                Assert.True(steps < 100 * Window, $"{command.CommandText}: {steps} steps for {deleted} rows of {Old}");
            }
            else
            {
                Assert.Equal(Old - 2 * Window, deleted);
            }
        }

        raw.sqlite3_progress_handler(connection.Handle, 0, null, null);

        static void Bind(SqliteCommand command, string name, long value)
        {
            if (command.CommandText.Contains("@" + name, StringComparison.Ordinal))
            {
                command.Parameters.AddWithValue("@" + name, value);
            }
        }
    }

    [Fact]
    public async Task OnPostgreSql_EachBatch_UsesItsIndex()
    {
        await using var provider = new PostgreSqlProvider(postgres);
        await using var store = await provider.CreateStoreAsync(Cancel);
        await store.MigrateAsync(Cancel);
        await using var connection = new NpgsqlConnection(provider.ConnectionString);
        await connection.OpenAsync(Cancel);
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off; SET enable_sort = off; SET enable_bitmapscan = off", connection))
        {
            await off.ExecuteNonQueryAsync(Cancel);
        }

        foreach (var (sql, _, index) in Cases)
        {
            await using var command = new NpgsqlCommand("EXPLAIN " + sql, connection);
            var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            foreach (var (name, value) in new (string, object)[] { ("name", "x"), ("before", now), ("limit", 10), ("offset", 9), ("from_time", now), ("from_seq", 1L), ("to_time", now), ("to_seq", 2L), ("now", now) })
            {
                if (sql.Contains("@" + name, StringComparison.Ordinal))
                {
                    command.Parameters.AddWithValue(name, value);
                }
            }

            var plan = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(Cancel))
            {
                while (await reader.ReadAsync(Cancel))
                {
                    plan.Add(reader.GetString(0));
                }
            }

            var text = string.Join(" | ", plan);
            Assert.True(text.Contains($" {index} ", StringComparison.Ordinal) || text.Contains($" {index}\n", StringComparison.Ordinal) || text.EndsWith(" " + index, StringComparison.Ordinal) || text.Contains($"{index} on", StringComparison.Ordinal) || text.Contains($"using {index}", StringComparison.Ordinal), $"{sql}: {text}");
            Assert.DoesNotContain("Seq Scan", text, StringComparison.Ordinal);
        }
    }
}
