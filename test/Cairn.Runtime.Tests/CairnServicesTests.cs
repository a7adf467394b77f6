using System.Text.Json;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;
using Cairn.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Runtime.Tests;

/// <summary>The engine as a host composes it: <c>AddCairn().UseSqlite()</c> in a service container.</summary>
public sealed class CairnServicesTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DisposingTheContainer_DrainsTheEngineIntoTheStore_EvenWhenAPortWasFirstAskedForAfterTheEngine()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-services-" + Guid.NewGuid().ToString("N"));
        try
        {
            const int Count = 200;
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddCairn(options => options.Partitions = 4).UseSqlite(directory);
            var provider = services.BuildServiceProvider();
            var engine = provider.GetRequiredService<CairnEngine>();
            await engine.StartAsync(Cancel);

            // Asked for after the engine, as an endpoint or a loop does: a port must not take the store down first.
            Assert.Same(provider.GetRequiredService<ICairnStore>(), provider.GetRequiredService<IOutbox>());
            _ = provider.GetRequiredService<IJourneyIndex>();

            // Queued, not awaited: disposing the container must commit them before the store closes.
            var ingest = engine.IngestAsync([.. Enumerable.Range(0, Count).Select(Message)], Cancel);
            await provider.DisposeAsync();
            Assert.All(await ingest, outcome => Assert.Equal(InputOutcome.Stored, outcome));

            await using var store = new SqliteCairnStore(directory);
            Assert.Equal(Count, await store.CountEventsAsync(Cancel));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static SegmentMessage Message(int index)
    {
        using var document = JsonDocument.Parse($$"""{"type":"track","userId":"u-{{index}}","event":"Signed Up","messageId":"m-{{index}}"}""");
        return SegmentMessageReader.TryRead(document.RootElement, null, DateTimeOffset.UnixEpoch, null, () => "unused", out var message, out var error)
            ? message
            : throw new InvalidOperationException(error);
    }
}
