using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IPartitionWriter"/>: a batch commits in one transaction, whole or not at all, from many writers at once.</summary>
public abstract class PartitionWriterCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IPartitionWriter Writer => Store;

    [Fact]
    public async Task Commit_ThenRead_ReturnsEventsContactsAndIdentities()
    {
        var contact = Contact("ann@example.com", "Ann Lee", userId: "u-1");
        var batch = new CommitBatch();
        batch.Contacts[contact.Id] = contact;
        batch.Identities.Add(new IdentityMapping(IdentityKey.User("u-1"), contact.Id));
        batch.Identities.Add(new IdentityMapping(IdentityKey.Anonymous("a-1"), contact.Id));
        batch.Events.Add(Event(contact.Id, T0.AddTicks(1234567)));
        await Writer.CommitAsync(batch, Cancel);

        var read = await Store.GetContactAsync(contact.Id, Cancel);
        Assert.NotNull(read);
        Assert.Equal(ContactStateJson.Serialize(contact), ContactStateJson.Serialize(read));
        Assert.Equal(contact.Id, await Store.FindContactAsync(IdentityKey.User("u-1"), Cancel));
        var stored = await Store.GetEventAsync(batch.Events[0].MessageId, Cancel);
        Assert.NotNull(stored);
        Assert.Equal((contact.Id, MessageType.Track, "Viewed"), (stored.ContactId, stored.Type, stored.Name));

        // Times keep microseconds, no finer.
        Assert.Equal(T0.AddTicks(1234560), stored.Timestamp);
        Assert.True(stored.Sequence > 0);
        using var json = JsonDocument.Parse(stored.Json);
        Assert.Equal("Viewed", json.RootElement.GetProperty("event").GetString());
    }

    [Fact]
    public async Task ATakeover_FencesTheOlderLease_WhoseCommitWritesNothing_WhileTheNewOwnerCommits()
    {
        var contact = Contact("ann@example.com", "Ann Lee", userId: "u-1");
        var first = await Writer.TakePartitionAsync(3, "node-a", T0, Cancel);
        Assert.Equal(new PartitionLease(3, 1, "node-a"), first);
        await Writer.CommitAsync(Batch(first, contact, "m-1"), Cancel);

        var second = await Writer.TakePartitionAsync(3, "node-b", T0.AddSeconds(1), Cancel);
        Assert.Equal(new PartitionLease(3, 2, "node-b"), second);
        var stale = Batch(first, contact with { EventCount = 99 }, "m-2");
        var refused = await Assert.ThrowsAsync<PartitionFencedException>(() => Writer.CommitAsync(stale, Cancel));
        Assert.Equal((first, "node-b", 2L), (refused.Stale, refused.Owner, refused.Epoch));
        Assert.Contains("Partition 3 was taken over by node-b (epoch 2; this server holds epoch 1)", refused.Message, StringComparison.Ordinal);
        Assert.Null(await Store.GetEventAsync("m-2", Cancel));
        Assert.Equal(0, (await Store.GetContactAsync(contact.Id, Cancel))!.EventCount);

        // The new owner writes; other partitions and writes without a lease are not concerned.
        await Writer.CommitAsync(Batch(second, contact with { EventCount = 1 }, "m-2"), Cancel);
        Assert.NotNull(await Store.GetEventAsync("m-2", Cancel));
        Assert.Equal(1, (await Store.GetContactAsync(contact.Id, Cancel))!.EventCount);
        Assert.Equal(1, (await Writer.TakePartitionAsync(4, "node-a", T0, Cancel)).Epoch);
        await Writer.CommitAsync(Batch(null, contact with { EventCount = 2 }, "m-3"), Cancel);
        Assert.NotNull(await Store.GetEventAsync("m-3", Cancel));

        // The first owner taking it back fences the second in turn.
        var third = await Writer.TakePartitionAsync(3, "node-a", T0.AddSeconds(2), Cancel);
        Assert.Equal(3, third.Epoch);
        await Assert.ThrowsAsync<PartitionFencedException>(() => Writer.CommitAsync(Batch(second, contact, "m-4"), Cancel));
        Assert.Null(await Store.GetEventAsync("m-4", Cancel));
        Assert.Equal(
            [new PartitionOwner(3, 3, "node-a", T0.AddSeconds(2)), new PartitionOwner(4, 1, "node-a", T0)],
            await Writer.GetPartitionOwnersAsync(Cancel));

        // A server with fewer partitions starts: the rows beyond its count go, and their holders are fenced too.
        var fourth = await Writer.TakePartitionAsync(4, "node-c", T0.AddSeconds(3), Cancel);
        Assert.Equal(1, await Writer.ForgetPartitionsAsync(4, Cancel));
        var gone = await Assert.ThrowsAsync<PartitionFencedException>(() => Writer.CommitAsync(Batch(fourth, contact, "m-5"), Cancel));
        Assert.Contains("nobody", gone.Message, StringComparison.Ordinal);
        Assert.Null(await Store.GetEventAsync("m-5", Cancel));
        Assert.Equal([3], (await Writer.GetPartitionOwnersAsync(Cancel)).Select(owner => owner.Partition));

        CommitBatch Batch(PartitionLease? lease, ContactState state, string messageId)
        {
            var batch = new CommitBatch { Lease = lease };
            batch.Contacts[state.Id] = state;
            batch.Events.Add(Event(state.Id, T0, messageId));
            return batch;
        }
    }

    [Fact]
    public async Task Commit_EmptyBatch_WritesNothing()
    {
        var batch = new CommitBatch();
        Assert.True(batch.IsEmpty);
        await Writer.CommitAsync(batch, Cancel);
        Assert.Equal(0, await Store.CountEventsAsync(Cancel));
    }

    [Fact]
    public async Task Commit_ABatchThatFails_WritesNothingOfIt()
    {
        // A commit first, so that the writer's statements are prepared (SQLite keeps them on its held connection).
        var earlier = Contact("bo@example.com", "Bo", "bo");
        var first = new CommitBatch();
        first.Contacts[earlier.Id] = earlier;
        first.Events.Add(Event(earlier.Id, T0, "kept-1"));
        first.Outbox.Add(Message(earlier.Id, "hello-bo", T0));
        await Writer.CommitAsync(first, Cancel);

        var contact = Contact("ann@example.com", "Ann", "ann");
        var batch = new CommitBatch();
        batch.Contacts[contact.Id] = contact;
        batch.Events.Add(Event(contact.Id, T0, "doomed-1"));
        batch.Timers.Add(new StoredTimer(contact.Id, "welcome:1", "wait", T0.AddHours(1)));

        // A message without its template breaks a NOT NULL column after the events, contact and timer are written.
        batch.Outbox.Add(Message(contact.Id, "hello", T0) with { Template = null! });
        await Assert.ThrowsAnyAsync<Exception>(() => Writer.CommitAsync(batch, Cancel));

        Assert.Null(await Store.GetEventAsync("doomed-1", Cancel));
        Assert.Null(await Store.GetContactAsync(contact.Id, Cancel));
        Assert.Null(await Store.GetNextTimerAsync(Cancel));

        // The store goes on: the next batch commits.
        batch.Outbox.Clear();
        await Writer.CommitAsync(batch, Cancel);
        Assert.NotNull(await Store.GetEventAsync("doomed-1", Cancel));
        Assert.NotNull(await Store.GetEventAsync("kept-1", Cancel));
        Assert.Equal(2, await Store.CountEventsAsync(Cancel));
    }

    [Fact]
    public async Task Commit_DuplicateMessageIds_AreStoredOnce()
    {
        var id = NewContactId();
        var first = Event(id, T0, "dup-1");
        var batch = new CommitBatch();
        batch.Events.Add(first);
        batch.Events.Add(first with { Name = "Again" });
        await Writer.CommitAsync(batch, Cancel);
        var again = new CommitBatch();
        again.Events.Add(first with { Name = "Later" });
        again.Events.Add(Event(id, T0, "new-1"));
        await Writer.CommitAsync(again, Cancel);

        Assert.Equal(2, await Store.CountEventsAsync(Cancel));
        Assert.Equal("Viewed", (await Store.GetEventAsync("dup-1", Cancel))!.Name);
    }

    [Fact]
    public async Task HandOver_MovesEventsAndIdentities_AndMergesAreTracked()
    {
        var from = NewContactId();
        var into = NewContactId();
        await CommitAsync(batch =>
        {
            batch.Events.Add(Event(from, T0, "from-1"));
            batch.Identities.Add(new IdentityMapping(IdentityKey.Anonymous("anon-x"), from));
            batch.MergesRequested.Add(new PendingMerge(from, into));
        });
        Assert.Equal([new PendingMerge(from, into)], await Store.GetPendingMergesAsync(Cancel));

        await CommitAsync(batch =>
        {
            batch.HandOvers.Add(new PendingMerge(from, into));
            batch.Events.Add(Event(into, T0.AddSeconds(1), "into-1"));
        });
        Assert.Equal(into, await Store.FindContactAsync(IdentityKey.Anonymous("anon-x"), Cancel));
        Assert.Equal(2, (await Store.GetEventsAsync(into, null, 10, Cancel)).Items.Count);
        Assert.Empty((await Store.GetEventsAsync(from, null, 10, Cancel)).Items);

        await CommitAsync(batch => batch.MergesCompleted.Add(new PendingMerge(from, into)));
        Assert.Empty(await Store.GetPendingMergesAsync(Cancel));
    }

    [Fact]
    public async Task ConcurrentCommits_FromManyWriters_AreAllStored()
    {
        var writers = Enumerable.Range(0, 8).Select(writer => Task.Run(
            async () =>
            {
                var id = NewContactId();
                for (var round = 0; round < 10; round++)
                {
                    var batch = new CommitBatch();
                    batch.Contacts[id] = ContactState.New(id, T0) with { EventCount = (round + 1) * 50 };
                    for (var i = 0; i < 50; i++)
                    {
                        batch.Events.Add(Event(id, T0.AddSeconds(round), $"w{writer}-r{round}-{i}"));
                    }

                    await Writer.CommitAsync(batch, Cancel);
                }

                return id;
            },
            Cancel)).ToList();

        var ids = await Task.WhenAll(writers);
        Assert.Equal(8 * 10 * 50, await Store.CountEventsAsync(Cancel));
        var contacts = await Store.GetContactsAsync(ids, Cancel);
        Assert.All(ids, id => Assert.Equal(500, contacts[id].EventCount));
    }

    [Fact]
    public async Task Commit_FiveThousandEvents_InOneBatch_WhileReadersRead()
    {
        var id = NewContactId();
        var batch = new CommitBatch();
        for (var i = 0; i < 5000; i++)
        {
            batch.Events.Add(Event(id, T0.AddMilliseconds(i)));
        }

        var reads = Enumerable.Range(0, 4).Select(_ => Store.CountEventsAsync(Cancel)).ToList();
        await Writer.CommitAsync(batch, Cancel);
        foreach (var count in await Task.WhenAll(reads))
        {
            Assert.True(count is 0 or 5000, $"a reader saw a partial commit: {count}");
        }

        Assert.Equal(5000, await Store.CountEventsAsync(Cancel));
        Assert.Equal(T0.AddMilliseconds(4999), (await Store.GetEventsAsync(id, null, 1, Cancel)).Items[0].Timestamp);
    }

    [Fact]
    public async Task JourneyStatistics_FromConcurrentWriters_ListingTheSameStepsInOppositeOrders_AllAddUp()
    {
        // Partitions commit at once on PostgreSQL: each batch names the shared counter rows in its own order, which
        // deadlocked before the rows were written in key order.
        string[] steps = ["a", "b", "c", "d", "e", "f"];
        var writers = Enumerable.Range(0, 8).Select(writer => Task.Run(
            async () =>
            {
                for (var round = 0; round < 20; round++)
                {
                    var batch = new CommitBatch();
                    var order = writer % 2 == 0 ? steps : [.. steps.Reverse()];
                    batch.Moves.AddRange(order.Select(step => new JourneyMove("shared", 1, step, "next", "z")));
                    batch.Conversions.AddRange(order.Select(arm => new JourneyConversion("shared", 1, arm, Control: false)));
                    await Writer.CommitAsync(batch, Cancel);
                }
            },
            Cancel)).ToList();
        await Task.WhenAll(writers);

        var (moves, conversions) = await Store.GetJourneyStatsAsync("shared", Cancel);
        Assert.All(steps, step => Assert.Equal(8 * 20, moves.Single(move => move.FromStep == step).Count));
        Assert.All(steps, arm => Assert.Equal(8 * 20, conversions.Single(conversion => conversion.Arm == arm).Count));
    }
}
