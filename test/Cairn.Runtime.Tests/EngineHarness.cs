using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;
using Cairn.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Runtime.Tests;

/// <summary>A real engine over a real SQLite store in a temporary directory, with a fake clock.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private static int _nextMessage;
    private readonly string _directory;
    private readonly int _partitions;

    private readonly Action<EngineOptions>? _configure;

    private EngineHarness(string directory, int partitions, Action<EngineOptions>? configure)
    {
        _directory = directory;
        _partitions = partitions;
        _configure = configure;
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    public CairnEngine Engine { get; private set; } = null!;

    public ICairnStore Store { get; private set; } = null!;

    public TimerPump Timers { get; private set; } = null!;

    public RolloutRunner Rollouts { get; private set; } = null!;

    public DocumentPublisher Publisher { get; private set; } = null!;

    public SegmentPreviewer Previewer { get; private set; } = null!;

    public ContactCommands Contacts { get; private set; } = null!;

    public static async Task<EngineHarness> StartAsync(int partitions = 4, Action<EngineOptions>? configure = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-runtime-" + Guid.NewGuid().ToString("N"));
        var harness = new EngineHarness(directory, partitions, configure);
        await harness.RestartAsync(stopFirst: false);
        return harness;
    }

    /// <summary>Stops the engine (draining it) and starts a new one on the same data, as a process restart does.</summary>
    public async Task RestartAsync(bool stopFirst = true)
    {
        if (Engine is not null)
        {
            await StopLoopsAsync();
        }

        if (stopFirst)
        {
            await Engine!.DisposeAsync();
        }

        var options = new EngineOptions { Partitions = _partitions };
        _configure?.Invoke(options);
        Store = new SqliteCairnStore(_directory);
        var wrapped = Options.Create(options);
        Engine = new CairnEngine(Store, Time, wrapped, NullLogger<CairnEngine>.Instance);
        Timers = new TimerPump(Engine, Store, Time, NullLogger<TimerPump>.Instance);
        Rollouts = new RolloutRunner(Engine, Store, Store, Store, Time, NullLogger<RolloutRunner>.Instance);
        Publisher = new DocumentPublisher(Store, Engine.Journeys, Rollouts, Time);
        Previewer = new SegmentPreviewer(Store, Store, Time, wrapped);
        Contacts = new ContactCommands(Engine, Store, Store, Store, Time);
        var cancel = TestContext.Current.CancellationToken;
        await Engine.StartAsync(cancel);
        await Timers.StartAsync(cancel);
        await Rollouts.StartAsync(cancel);
    }

    /// <summary>Stops the timer and rollout loops, as the host does before it stops the engine.</summary>
    private async Task StopLoopsAsync()
    {
        await Rollouts.DisposeAsync();
        await Timers.DisposeAsync();
    }

    /// <summary>A store on the same data directory, without an engine (to prepare or inspect state).</summary>
    public SqliteCairnStore OpenStore() => new(_directory);

    public async Task<IReadOnlyList<InputOutcome>> IngestAsync(params string[] messages)
    {
        var parsed = messages.Select(Message).ToArray();
        var outcomes = await Engine.IngestAsync(parsed, TestContext.Current.CancellationToken);
        await Engine.WhenIdleAsync(TestContext.Current.CancellationToken);
        return outcomes;
    }

    public SegmentMessage Message(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (!SegmentMessageReader.TryRead(document.RootElement, null, Time.GetUtcNow(), null, () => "m-" + Interlocked.Increment(ref _nextMessage), out var message, out var error))
        {
            throw new InvalidOperationException(error);
        }

        return message;
    }

    public async Task<ContactState> ContactOfAsync(IdentityKey identity)
    {
        var id = await Store.FindContactAsync(identity, TestContext.Current.CancellationToken);
        Assert.NotNull(id);
        var contact = await Contacts.GetContactAsync(id.Value, TestContext.Current.CancellationToken);
        Assert.NotNull(contact);
        return contact;
    }

    public async Task<IReadOnlyList<StoredEvent>> EventsOfAsync(ContactId id)
    {
        var events = new List<StoredEvent>();
        string? cursor = null;
        do
        {
            var page = await Store.GetEventsAsync(id, cursor, 100, TestContext.Current.CancellationToken);
            events.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        await StopLoopsAsync();
        await Engine.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
