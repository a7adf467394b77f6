using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;
using Cairn.Storage.Sqlite;

namespace Cairn.Benchmarks;

/// <summary>
/// One partition commit of 1,000 events and 100 contact states, on SQLite (WAL, synchronous=FULL) and on PostgreSQL
/// (a throwaway cluster started from the installed binaries, default durability).
/// </summary>
[MemoryDiagnoser]
public class StorageBenchmarks : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cairn-bench-" + Guid.NewGuid().ToString("N"));
    private ICairnStore _store = null!;
    private Cairn.Testing.PostgresFixture? _postgres;
    private List<SegmentMessage> _messages = null!;
    private ContactState[] _contacts = null!;
    private int _round;

    /// <summary>The store written to.</summary>
    [Params("SQLite", "PostgreSQL")]
    public string Store { get; set; } = "SQLite";

    [GlobalSetup]
    public void Setup()
    {
        _postgres = Store == "PostgreSQL" ? new Cairn.Testing.PostgresFixture() : null;
        _store = _postgres is null
            ? new SqliteCairnStore(_directory)
            : new Cairn.Storage.PostgreSql.PostgreSqlCairnStore(_postgres.CreateDatabaseAsync(CancellationToken.None).GetAwaiter().GetResult());
        _store.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        _messages = [.. Enumerable.Range(0, 1000).Select(i =>
        {
            using var document = JsonDocument.Parse(CoreBenchmarks.TrackJson(i));
            return SegmentMessageReader.TryRead(document.RootElement, null, Now, null, () => "x", out var message, out _) ? message : throw new InvalidOperationException();
        })];
        _contacts = [.. Enumerable.Range(0, 100).Select(_ => ContactState.New(new ContactId(Guid.CreateVersion7()), Now))];
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _postgres?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Benchmark(Description = "Commit: 1,000 events + 100 contacts")]
    public async Task CommitAsync()
    {
        var round = Interlocked.Increment(ref _round);
        var batch = new CommitBatch();
        for (var i = 0; i < _messages.Count; i++)
        {
            var contact = _contacts[i % _contacts.Length];
            batch.Events.Add(StoredEvent.From(contact.Id, _messages[i] with { MessageId = $"r{round}-{i}" }));
            batch.Contacts[contact.Id] = contact;
        }

        await _store.CommitAsync(batch, CancellationToken.None);
    }
}
