using Cairn.Storage.Relational;
using Cairn.Storage.Sqlite;
using Cairn.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

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
