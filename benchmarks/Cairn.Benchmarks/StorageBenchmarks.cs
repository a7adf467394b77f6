using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;
using Cairn.Storage.Sqlite;

namespace Cairn.Benchmarks;

/// <summary>One partition commit of 1,000 events and 100 contact states on SQLite (WAL, synchronous=FULL).</summary>
[MemoryDiagnoser]
public class StorageBenchmarks : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cairn-bench-" + Guid.NewGuid().ToString("N"));
    private SqliteCairnStore _store = null!;
    private List<SegmentMessage> _messages = null!;
    private ContactState[] _contacts = null!;
    private int _round;

    [GlobalSetup]
    public void Setup()
    {
        _store = new SqliteCairnStore(_directory);
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
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Benchmark(Description = "SQLite commit: 1,000 events + 100 contacts")]
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
