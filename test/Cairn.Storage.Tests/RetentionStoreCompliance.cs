using Cairn.Core;
using Cairn.Runtime;
using Cairn.Runtime.Retention;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Storage.Tests;

/// <summary>
/// <see cref="IRetentionStore"/> and the pass over it (<see cref="RetentionRunner"/>), on a fake clock: what is older
/// than its rule goes a bounded batch at a time, what is newer (or named by a longer rule) stays, message bodies go while
/// their rows stay, and a pass stopped half-way resumes.
/// </summary>
public abstract class RetentionStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private static readonly DateTimeOffset Now = T0.AddDays(400);

    private IRetentionStore Retention => Store;

    [Fact]
    public async Task Policy_IsNullUntilStored_AndStoringReplacesIt()
    {
        Assert.Null(await Retention.GetRetentionPolicyAsync(Cancel));
        await Retention.SaveRetentionPolicyAsync("""{"events":{"days":30}}""", Cancel);
        await Retention.SaveRetentionPolicyAsync("""{"events":{"days":90}}""", Cancel);
        Assert.Equal("""{"events":{"days":90}}""", await Retention.GetRetentionPolicyAsync(Cancel));
    }

    [Fact]
    public async Task Runs_RoundTrip_AndANewPolicyForgetsWhereAWalkStopped()
    {
        var run = new RetentionRun("events", 5, 12, T0, "walk:1:2");
        await Retention.SaveRetentionRunAsync(run, Cancel);
        await Retention.SaveRetentionRunAsync(run with { Kind = "mailbox", Resume = null }, Cancel);
        Assert.Equal([run, run with { Kind = "mailbox", Resume = null }], await Retention.GetRetentionRunsAsync(Cancel));

        await Retention.SaveRetentionPolicyAsync("{}", Cancel);
        Assert.All(await Retention.GetRetentionRunsAsync(Cancel), stored => Assert.Null(stored.Resume));
    }

    [Fact]
    public async Task DeleteEventsNamed_DeletesABoundedBatchOfThatNameOnly_OldestFirst()
    {
        var ann = Contact("ann@example.com", "Ann", null);
        await SeedEventsAsync(ann.Id, ("Page Viewed", 5, 300), ("Order Completed", 5, 300), ("Page Viewed", 2, 10));

        Assert.Equal(3, await Retention.DeleteEventsNamedAsync("Page Viewed", Now.AddDays(-90), 3, Cancel));
        Assert.Equal(2, await Retention.DeleteEventsNamedAsync("Page Viewed", Now.AddDays(-90), 3, Cancel));
        Assert.Equal(0, await Retention.DeleteEventsNamedAsync("Page Viewed", Now.AddDays(-90), 3, Cancel));
        Assert.Equal(new Dictionary<string, int> { ["Order Completed"] = 5, ["Page Viewed"] = 2 }, await NamesAsync(ann.Id));
    }

    [Fact]
    public async Task DeleteEvents_WalksBoundedWindows_SkippingNamesWithRules_AndEndsAtTheCutoff()
    {
        var ann = Contact("ann@example.com", "Ann", null);
        await SeedEventsAsync(ann.Id, ("Viewed", 4, 300), ("Order Completed", 3, 299), ("Viewed", 2, 10));

        string? position = null;
        var batches = new List<int>();
        do
        {
            (var deleted, position) = await Retention.DeleteEventsAsync(Now.AddDays(-365 + 100), ["Order Completed"], position, 3, Cancel);
            batches.Add(deleted);
            Assert.True(batches.Count < 10, "the walk does not end");
        }
        while (position is not null);

        Assert.All(batches, deleted => Assert.InRange(deleted, 0, 3));
        Assert.Equal(4, batches.Sum());
        Assert.Equal(new Dictionary<string, int> { ["Order Completed"] = 3, ["Viewed"] = 2 }, await NamesAsync(ann.Id));
    }

    [Fact]
    public async Task RemoveMessageBodies_StripsFinishedOldMessages_KeepingRowsAndStatus()
    {
        var ann = Contact("ann@example.com", "Ann", null);
        var old = Message(ann.Id, "old", Now.AddDays(-60), status: MessageStatus.Delivered);
        var queued = Message(ann.Id, "queued", Now.AddDays(-60));
        var recent = Message(ann.Id, "recent", Now.AddDays(-5), status: MessageStatus.Sent);
        await CommitAsync(batch =>
        {
            batch.Contacts[ann.Id] = ann;
            batch.Outbox.AddRange([old, queued, recent]);
        });

        Assert.Equal(1, await Retention.RemoveMessageBodiesAsync(Now.AddDays(-30), Now, 10, Cancel));
        Assert.Equal(0, await Retention.RemoveMessageBodiesAsync(Now.AddDays(-30), Now, 10, Cancel));

        var stripped = await Store.GetMessageAsync(old.MessageId, Cancel);
        Assert.NotNull(stripped);
        Assert.Equal((MessageStatus.Delivered, null, null), (stripped.Status, stripped.Payload, stripped.Subject));
        Assert.Equal(queued.Payload, (await Store.GetMessageAsync(queued.MessageId, Cancel))!.Payload);
        Assert.Equal(recent.Payload, (await Store.GetMessageAsync(recent.MessageId, Cancel))!.Payload);
        Assert.Equal(1L, await Provider.RunSqlAsync("SELECT COUNT(*) FROM outbox WHERE body_removed_at IS NOT NULL", Cancel) is { } count ? Convert.ToInt64(count, System.Globalization.CultureInfo.InvariantCulture) : -1);
    }

    [Fact]
    public async Task DeleteFinishedMessages_DeletesOldFinishedRows_InBoundedBatches()
    {
        var ann = Contact("ann@example.com", "Ann", null);
        var messages = Enumerable.Range(0, 5).Select(i => Message(ann.Id, $"old{i}", Now.AddDays(-100 - i), status: MessageStatus.Sent)).ToList();
        var deadLetter = Message(ann.Id, "dead", Now.AddDays(-100), status: MessageStatus.DeadLetter);
        var recent = Message(ann.Id, "recent", Now.AddDays(-1), status: MessageStatus.Sent);
        await CommitAsync(batch =>
        {
            batch.Contacts[ann.Id] = ann;
            batch.Outbox.AddRange([.. messages, deadLetter, recent]);
        });

        Assert.Equal(3, await Retention.DeleteFinishedMessagesAsync(Now.AddDays(-30), 3, Cancel));
        Assert.Equal(2, await Retention.DeleteFinishedMessagesAsync(Now.AddDays(-30), 3, Cancel));
        Assert.Equal(0, await Retention.DeleteFinishedMessagesAsync(Now.AddDays(-30), 3, Cancel));
        Assert.Equal([recent.MessageId, deadLetter.MessageId], (await Store.GetOutboxAsync(ann.Id, 10, Cancel)).Select(message => message.MessageId));
    }

    [Fact]
    public async Task DeleteMailboxMessages_DeletesOldCopies()
    {
        await Store.AddToMailboxAsync(new MailboxMessage("m1", "email", "ann@example.com", "Hi", "raw", Now.AddDays(-10)), Cancel);
        await Store.AddToMailboxAsync(new MailboxMessage("m2", "email", "ann@example.com", "Hi", "raw", Now.AddDays(-1)), Cancel);

        Assert.Equal(1, await Retention.DeleteMailboxMessagesAsync(Now.AddDays(-7), 10, Cancel));
        Assert.Equal(["m2"], (await Store.GetMailboxAsync(null, null, null, 10, Cancel)).Items.Select(message => message.MessageId));
    }

    [Fact]
    public async Task Pass_DeletesOldEvents_KeepsRecentOnes_AppliesByNameRules_AndCounts()
    {
        var ann = Contact("ann@example.com", "Ann", null);
        await SeedEventsAsync(ann.Id, ("Page Viewed", 7, 120), ("Page Viewed", 2, 30), ("Order Completed", 3, 1000), ("Order Completed", 1, 300), ("Signed Up", 4, 399), ("Viewed", 6, 200), ("Viewed", 2, 10));
        await using var runner = Runner(new FakeTimeProvider(Now), batchSize: 4);
        await runner.SavePolicyAsync(Policy("""{"events":{"days":180,"byName":{"Page Viewed":90,"Order Completed":365,"Signed Up":null}}}"""), Cancel);

        var status = await runner.RunPassAsync(Cancel);

        Assert.Equal(new Dictionary<string, int> { ["Order Completed"] = 1, ["Page Viewed"] = 2, ["Signed Up"] = 4, ["Viewed"] = 2 }, await NamesAsync(ann.Id));
        var events = Assert.Single(status.Kinds, kind => kind.Kind == RetentionPolicy.Events);
        Assert.Equal((16L, 16L, false), (events.LastDeleted, events.TotalDeleted, events.Interrupted));
        Assert.Equal(Now, events.LastRunAt);

        var again = await runner.RunPassAsync(Cancel);
        Assert.Equal((0L, 16L), (again.Kinds[0].LastDeleted, again.Kinds[0].TotalDeleted));
    }

    [Fact]
    public async Task Pass_StoppedHalfWay_ResumesWhereItStopped_AndCountsEveryRowOnce()
    {
        var ann = Contact("ann@example.com", "Ann", null);
        await SeedEventsAsync(ann.Id, ("Viewed", 20, 200), ("Kept", 5, 200), ("Viewed", 3, 1));
        var time = new FakeTimeProvider(Now);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var counting = new CountingKind(RetentionKind.Events(Store), afterBatches: 2, stop);
        await using (var first = Runner(time, batchSize: 4, counting))
        {
            await first.SavePolicyAsync(Policy("""{"events":{"days":30,"byName":{"Kept":null}}}"""), Cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.RunPassAsync(stop.Token));
            var stopped = Assert.Single((await first.GetStatusAsync(Cancel)).Kinds);
            Assert.True(stopped.Interrupted);
            Assert.InRange(stopped.LastDeleted, 1, 8);
        }

        Assert.Equal(2, counting.Batches);
        await using var second = Runner(time, batchSize: 4);
        var status = await second.RunPassAsync(Cancel);

        var events = status.Kinds.Single(kind => kind.Kind == RetentionPolicy.Events);
        Assert.Equal((20L, 20L, false), (events.LastDeleted, events.TotalDeleted, events.Interrupted));
        Assert.Equal(new Dictionary<string, int> { ["Kept"] = 5, ["Viewed"] = 3 }, await NamesAsync(ann.Id));
    }

    [Fact]
    public async Task Pass_WithNoPolicy_DeletesNothing()
    {
        var ann = Contact("ann@example.com", "Ann", null);
        await SeedEventsAsync(ann.Id, ("Viewed", 3, 5000));
        await using var runner = Runner(new FakeTimeProvider(Now), batchSize: 4);

        var status = await runner.RunPassAsync(Cancel);

        Assert.All(status.Kinds, kind => Assert.Equal((null, 0L), (kind.Rule, kind.TotalDeleted)));
        Assert.Equal(3, (await NamesAsync(ann.Id))["Viewed"]);
    }

    private RetentionRunner Runner(TimeProvider time, int batchSize, params IRetentionKind[] kinds)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = Options.Create(new EngineOptions { RetentionBatchSize = batchSize, RetentionPause = TimeSpan.Zero });
        IRetentionKind[] all = kinds.Length > 0 ? kinds : [RetentionKind.Events(Store), RetentionKind.MessageBodies(Store, time), RetentionKind.Messages(Store), RetentionKind.Mailbox(Store)];
        return new RetentionRunner(Store, all, new JourneyRegistry(Store, NullLogger<JourneyRegistry>.Instance, time), options, time, services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), NullLogger<RetentionRunner>.Instance);
    }

    private static RetentionPolicy Policy(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.True(RetentionPolicy.TryParse(document.RootElement, [RetentionPolicy.Events, RetentionPolicy.MessageBodies, RetentionPolicy.Messages, RetentionPolicy.Mailbox], out var policy, out var errors), string.Join("; ", errors.Select(error => $"{error.Key}: {error.Value[0]}")));
        return policy;
    }

    /// <summary>Stores, for each (name, count, days ago), that many events of the name that many days before <see cref="Now"/> (a minute apart).</summary>
    private async Task SeedEventsAsync(ContactId id, params (string Name, int Count, int DaysAgo)[] groups)
    {
        await CommitAsync(batch =>
        {
            foreach (var (name, count, daysAgo) in groups)
            {
                for (var i = 0; i < count; i++)
                {
                    batch.Events.Add(Event(id, Now.AddDays(-daysAgo).AddMinutes(i), name: name));
                }
            }
        });
    }

    private async Task<Dictionary<string, int>> NamesAsync(ContactId id) =>
        (await Store.GetEventsAsync(id, null, 1000, Cancel)).Items.GroupBy(stored => stored.Name, StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal).ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);

    /// <summary>A kind that cancels the pass after <paramref name="afterBatches"/> batches (a restart half-way).</summary>
    private sealed class CountingKind(IRetentionKind inner, int afterBatches, CancellationTokenSource stop) : IRetentionKind
    {
        public int Batches { get; private set; }

        public string Name => inner.Name;

        public string Description => inner.Description;

        public bool ByName => inner.ByName;

        public async Task<RetentionStep> RunBatchAsync(RetentionRule rule, DateTimeOffset now, string? position, int limit, CancellationToken cancellationToken)
        {
            var step = await inner.RunBatchAsync(rule, now, position, limit, cancellationToken);
            if (++Batches == afterBatches)
            {
                await stop.CancelAsync();
            }

            return step;
        }
    }
}
