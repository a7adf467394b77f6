using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cairn.Core.Messages;
using Cairn.Storage.PostgreSql;
using Cairn.Storage.Sqlite;
using Cairn.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Cairn.Benchmarks;

/// <summary>
/// The limits of this machine, measured with the workload's own messages so Cairn's throughput can be read as a ratio
/// to them: (a) an HTTP endpoint on the same host that parses the same JSON the same way and does nothing else, and
/// (b) raw batched inserts of the same events into the same database (a fresh Cairn SQLite file, its schema and
/// indexes, WAL with <c>synchronous=FULL</c>) one transaction per batch.
/// </summary>
internal static class MachineLimits
{
    private static readonly string[] ColumnParameters = ["@m", "@c", "@t", "@n", "@ts", "@r", "@j"];

    /// <summary>
    /// <c>null-server URL</c>: <c>POST /v1/batch</c> reads the body, parses it as JSON with the ingestion's depth limit,
    /// reads every message with <see cref="SegmentMessageReader"/> (Cairn's validation and parsing) and answers with
    /// the count, storing nothing. The benchmark spawns it as its own process, as it does Cairn.
    /// </summary>
    public static async Task<int> ServeNullAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(url);
        await using var app = builder.Build();
        app.MapGet("/readyz", () => Results.Ok());
        app.MapPost("/v1/batch", async (HttpRequest request) =>
        {
            using var document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = MessageLimits.MaxDepth + 3 }, request.HttpContext.RequestAborted).ConfigureAwait(false);
            var receivedAt = TimeProvider.System.GetUtcNow();
            var accepted = 0;
            foreach (var element in document.RootElement.GetProperty("batch").EnumerateArray())
            {
                if (SegmentMessageReader.TryRead(element, null, receivedAt, null, static () => Guid.NewGuid().ToString(), out _, out _))
                {
                    accepted++;
                }
            }

            return Results.Ok(new { success = true, accepted, duplicates = 0, rejected = Array.Empty<object>() });
        });
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>Starts <see cref="ServeNullAsync"/> in a child process and waits until it answers.</summary>
    public static async Task<(Process Server, string Url)> SpawnNullServerAsync()
    {
        var url = $"http://127.0.0.1:{LoadGenerator.FreePort()}";
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        foreach (var argument in (string[])[typeof(MachineLimits).Assembly.Location, "null-server", url])
        {
            start.ArgumentList.Add(argument);
        }

        var server = Process.Start(start)!;
        try
        {
            await LoadGenerator.WaitReadyAsync(url, "the null endpoint").ConfigureAwait(false);
            return (server, url);
        }
        catch (TimeoutException)
        {
            server.Kill();
            throw;
        }
    }

    /// <summary>
    /// Inserts <paramref name="total"/> workload events into a fresh Cairn SQLite database, <paramref name="batchSize"/>
    /// per transaction from one writer (SQLite has one), each row what Cairn stores for the event; the rows are built
    /// before the clock starts, so only the database is timed. Returns events per second.
    /// </summary>
    public static async Task<double> RawInsertsAsync(int total, int batchSize, int contacts, Action<StringBuilder, Random, int, string> appendMessage)
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-raw-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var store = new SqliteCairnStore(directory))
            {
                await store.MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            }

            var rows = RawRows(total, contacts, appendMessage);
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "cairn.db"), Pooling = false }.ToString());
            await connection.OpenAsync().ConfigureAwait(false);
            await using (var pragmas = connection.CreateCommand())
            {
                pragmas.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;";
                await pragmas.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO events (message_id, contact_id, type, name, timestamp, received_at, json) VALUES (@m, @c, @t, @n, @ts, @r, @j) ON CONFLICT (message_id) DO NOTHING";
            var parameters = ColumnParameters.Select(name => insert.Parameters.AddWithValue(name, DBNull.Value)).ToArray();
            var clock = Stopwatch.StartNew();
            for (var start = 0; start < total; start += batchSize)
            {
                await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
                insert.Transaction = (SqliteTransaction)transaction;
                foreach (var row in rows.Skip(start).Take(batchSize))
                {
                    (parameters[0].Value, parameters[1].Value, parameters[2].Value, parameters[3].Value) = (row.MessageId, row.Contact, row.Type, row.Name);
                    (parameters[4].Value, parameters[5].Value, parameters[6].Value) = (row.Time.ToUnixTimeMilliseconds() * 1000, row.Time.ToUnixTimeMilliseconds() * 1000, row.Json);
                    await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
                }

                await transaction.CommitAsync().ConfigureAwait(false);
            }

            return total / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// The same rows into a fresh Cairn database on <paramref name="postgres"/>'s cluster (its default durability:
    /// <c>synchronous_commit</c> on), <paramref name="batchSize"/> per transaction, each transaction one batch of
    /// inserts in one round trip. Returns events per second.
    /// </summary>
    public static async Task<double> RawPostgresInsertsAsync(PostgresFixture postgres, int total, int batchSize, int contacts, Action<StringBuilder, Random, int, string> appendMessage)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var connectionString = await postgres.CreateDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
        await using (var store = new PostgreSqlCairnStore(connectionString))
        {
            await store.MigrateAsync(CancellationToken.None).ConfigureAwait(false);
        }

        var rows = RawRows(total, contacts, appendMessage);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < total; start += batchSize)
        {
            await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var row in rows.Skip(start).Take(batchSize))
            {
                var command = new NpgsqlBatchCommand("INSERT INTO events (message_id, contact_id, type, name, timestamp, received_at, json) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO NOTHING");
                command.Parameters.Add(new NpgsqlParameter { Value = row.MessageId });
                command.Parameters.Add(new NpgsqlParameter { Value = row.Contact });
                command.Parameters.Add(new NpgsqlParameter { Value = row.Type });
                command.Parameters.Add(new NpgsqlParameter { Value = row.Name });
                command.Parameters.Add(new NpgsqlParameter { Value = row.Time });
                command.Parameters.Add(new NpgsqlParameter { Value = row.Time });
                command.Parameters.Add(new NpgsqlParameter { Value = row.Json, NpgsqlDbType = NpgsqlDbType.Jsonb });
                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
            await transaction.CommitAsync().ConfigureAwait(false);
        }

        return total / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The workload's events as the rows Cairn stores for them, built before any clock starts.</summary>
    private static List<(string MessageId, string Contact, string Type, string Name, DateTimeOffset Time, string Json)> RawRows(int total, int contacts, Action<StringBuilder, Random, int, string> appendMessage)
    {
        var random = new Random(4242);
        var zipf = new Zipf(contacts, 1.05);
        var now = TimeProvider.System.GetUtcNow();
        var rows = new List<(string MessageId, string Contact, string Type, string Name, DateTimeOffset Time, string Json)>(total);
        var message = new StringBuilder(512);
        for (var i = 0; i < total; i++)
        {
            appendMessage(message.Clear(), random, zipf.Next(random), $"raw-{i}");
            using var document = JsonDocument.Parse(message.ToString());
            if (!SegmentMessageReader.TryRead(document.RootElement, null, now, null, static () => "unused", out var read, out var error))
            {
                throw new InvalidOperationException(error);
            }

            rows.Add((read.MessageId, read.UserId ?? read.AnonymousId!, read.Type.ToWireName(), read.DisplayName, now, read.Json));
        }

        return rows;
    }

    /// <summary>The line that puts Cairn beside a limit.</summary>
    public static string Ratio(string what, double limit, double cairn) =>
        string.Create(CultureInfo.InvariantCulture, $"{what}: {limit:N0} events/s; Cairn reaches {cairn / limit:P1} of it ({limit / cairn:N1}× headroom)");
}
