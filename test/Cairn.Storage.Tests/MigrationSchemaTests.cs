using Cairn.Storage.Sqlite;
using Cairn.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Cairn.Storage.Tests;

/// <summary>
/// The SQLite and PostgreSQL migrations define the same schema: after migrating a fresh database of each, both hold the
/// same tables with the same columns, the same nullability and the same primary keys (types differ by dialect).
/// </summary>
public sealed class MigrationSchemaTests(PostgresFixture postgres)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migrations_OnSqliteAndPostgreSql_DefineTheSameTablesAndColumns()
    {
        await using var sqliteProvider = new SqliteProvider();
        await using var postgresProvider = new PostgreSqlProvider(postgres);
        await using var sqlite = (SqliteCairnStore)await sqliteProvider.CreateStoreAsync(Cancel);
        await using var postgreSql = await postgresProvider.CreateStoreAsync(Cancel);
        await sqlite.MigrateAsync(Cancel);
        await postgreSql.MigrateAsync(Cancel);

        var sqliteSchema = await ReadSqliteSchemaAsync(sqlite.DatabasePath);
        var postgresSchema = await ReadPostgreSqlSchemaAsync(postgresProvider.ConnectionString);

        Assert.True(sqliteSchema.Count > 20, $"only {sqliteSchema.Count} tables were read from SQLite");
        Assert.Equal(sqliteSchema.Keys.Order(StringComparer.Ordinal), postgresSchema.Keys.Order(StringComparer.Ordinal));
        foreach (var (table, columns) in sqliteSchema)
        {
            Assert.Equal(Describe(table, columns), Describe(table, postgresSchema[table]));
        }
    }

    private static async Task<Dictionary<string, List<Column>>> ReadSqliteSchemaAsync(string path)
    {
        var schema = new Dictionary<string, List<Column>>(StringComparer.Ordinal);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await connection.OpenAsync(Cancel);
        await using var command = connection.CreateCommand();

        // A column of an INTEGER PRIMARY KEY is never null in SQLite whatever pragma_table_info says of it. The full-text
        // table of contacts' search text (and its shadow tables) is SQLite's own index: PostgreSQL's is pg_trgm's.
        command.CommandText = """
            SELECT m.name, c.name, c."notnull" OR c.pk > 0, c.pk > 0
            FROM sqlite_master m JOIN pragma_table_info(m.name) c
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
              AND m.name NOT IN (SELECT name FROM pragma_table_list WHERE type IN ('virtual', 'shadow'))
            ORDER BY m.name, c.cid
            """;
        await using var reader = await command.ExecuteReaderAsync(Cancel);
        while (await reader.ReadAsync(Cancel))
        {
            Add(schema, reader.GetString(0), new Column(reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3)));
        }

        return schema;
    }

    private static async Task<Dictionary<string, List<Column>>> ReadPostgreSqlSchemaAsync(string connectionString)
    {
        var schema = new Dictionary<string, List<Column>>(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT c.table_name, c.column_name, c.is_nullable = 'NO',
                   EXISTS (SELECT 1 FROM information_schema.table_constraints t
                           JOIN information_schema.key_column_usage k
                             ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema AND k.table_name = t.table_name
                           WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema
                             AND t.table_name = c.table_name AND k.column_name = c.column_name)
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
            WHERE c.table_schema = current_schema()
            ORDER BY c.table_name, c.ordinal_position
            """;
        await using var reader = await command.ExecuteReaderAsync(Cancel);
        while (await reader.ReadAsync(Cancel))
        {
            Add(schema, reader.GetString(0), new Column(reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3)));
        }

        return schema;
    }

    private static void Add(Dictionary<string, List<Column>> schema, string table, Column column)
    {
        if (!schema.TryGetValue(table, out var columns))
        {
            schema[table] = columns = [];
        }

        columns.Add(column);
    }

    /// <summary>A table's columns by name (column order may differ where a migration added a column), one per line, for a readable diff.</summary>
    private static string Describe(string table, List<Column> columns) =>
        string.Join('\n', columns.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => $"{table}.{c.Name}{(c.NotNull ? " not null" : string.Empty)}{(c.PrimaryKey ? " primary key" : string.Empty)}"));

    private sealed record Column(string Name, bool NotNull, bool PrimaryKey);
}
