using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary>
/// What every port's compliance class shares: a fresh store over an empty, migrated database (of the provider the
/// concrete class names), and the builders of test data. Each port's class reaches the store through that port only.
/// </summary>
public abstract class StoreCompliance(StoreProvider provider) : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private int _nextMessage;

    /// <summary>The store under test, as a whole (its lifecycle, and the commit that writes what the ports read).</summary>
    protected ICairnStore Store { get; private set; } = null!;

    protected StoreProvider Provider => provider;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Store = await provider.CreateStoreAsync(Cancel);
        await Store.MigrateAsync(Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await provider.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Commits one batch that <paramref name="fill"/> fills.</summary>
    protected Task CommitAsync(Action<CommitBatch> fill)
    {
        var batch = new CommitBatch();
        fill(batch);
        return Store.CommitAsync(batch, Cancel);
    }

    protected static ContactId NewContactId() => new(Guid.CreateVersion7());

    protected static ContactState Contact(string email, string name, string? userId, DateTimeOffset? createdAt = null)
    {
        var at = createdAt ?? T0;
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(new { name, email }));
        var traits = document.RootElement.EnumerateObject()
            .ToImmutableSortedDictionary(p => p.Name, p => new TraitValue(p.Value.Clone(), at), StringComparer.Ordinal);
        return ContactState.New(NewContactId(), at) with { UserId = userId, Email = email, Traits = traits };
    }

    protected StoredEvent Event(ContactId id, DateTimeOffset timestamp, string? messageId = null, string name = "Viewed") => new(
        0,
        messageId ?? NextMessageId(),
        id,
        MessageType.Track,
        name,
        timestamp,
        timestamp.AddMilliseconds(5),
        $$$"""{"type":"track","event":"{{{name}}}","properties":{"path":"/pricing"}}""");

    protected StoredEvent History(ContactId id, MessageType type, string name, DateTimeOffset timestamp, string properties = "{}") => new(
        0,
        NextMessageId(),
        id,
        type,
        name,
        timestamp,
        timestamp,
        $$"""{"type":"{{type.ToWireName()}}","{{(type == MessageType.Track ? "event" : "name")}}":"{{name}}","properties":{{properties}}}""");

    /// <summary>A message a journey decided: queued on <paramref name="channel"/>, created at <paramref name="createdAt"/>.</summary>
    protected static OutboxMessage Message(ContactId id, string step, DateTimeOffset createdAt, string channel = "email", string journey = "welcome", int version = 1, string status = MessageStatus.Queued) =>
        new($"{id}:{journey}:1:{step}", id, journey, version, $"{journey}:1", step, channel, "hello", "promotional", 50, status, createdAt, """{"plan":"pro"}""");

    protected static Core.Journeys.Engine.Enrollment Enrollment(string id, string journey, int version) => new(
        id,
        journey,
        version,
        "wait_1h",
        T0,
        T0.AddHours(1),
        null,
        false,
        null,
        ImmutableDictionary<string, string>.Empty,
        [new Core.Journeys.Engine.PathEntry(T0, null, "entry", "wait_1h", "triggered by cart_abandoned")],
        null,
        null,
        null);

    private string NextMessageId() => $"m-{Interlocked.Increment(ref _nextMessage)}";
}
