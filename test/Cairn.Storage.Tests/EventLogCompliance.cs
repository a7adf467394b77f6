using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IEventLog"/>: the append-only log, read by timelines, history conditions and engagement.</summary>
public abstract class EventLogCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IEventLog Log => Store;

    [Fact]
    public async Task FindExistingMessageIds_NamesTheOnesInTheLog()
    {
        var id = NewContactId();
        await CommitAsync(batch => batch.Events.AddRange([Event(id, T0, "a-1"), Event(id, T0, "b-1")]));

        var existing = await Log.FindExistingMessageIdsAsync(["a-1", "b-1", "missing", "a-1"], Cancel);
        Assert.Equal(["a-1", "b-1"], existing.Order(StringComparer.Ordinal));
        Assert.Empty(await Log.FindExistingMessageIdsAsync([], Cancel));

        // More ids than one query takes (they are asked in chunks).
        var many = Enumerable.Range(0, 1200).Select(i => $"x-{i}").Append("a-1").ToList();
        Assert.Equal(["a-1"], (await Log.FindExistingMessageIdsAsync(many, Cancel)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task GetEvent_ByMessageId_OrNull_AndCountEvents()
    {
        var id = NewContactId();
        await CommitAsync(batch => batch.Events.Add(Event(id, T0, "one")));

        var stored = await Log.GetEventAsync("one", Cancel);
        Assert.Equal(("one", id, T0, T0.AddMilliseconds(5)), (stored!.MessageId, stored.ContactId, stored.Timestamp, stored.ReceivedAt));
        Assert.Contains("/pricing", stored.Json, StringComparison.Ordinal);
        Assert.Null(await Log.GetEventAsync("two", Cancel));
        Assert.Equal(1, await Log.CountEventsAsync(Cancel));
    }

    [Fact]
    public async Task GetEventsBetween_ReadsAPeriodOldestFirst_WithoutWhatCairnRecordedItself()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        await CommitAsync(batch => batch.Events.AddRange(
        [
            Event(ann, T0.AddHours(-1), "before"), Event(bob, T0.AddMinutes(2), "b-1"), Event(ann, T0, "a-1"), Event(ann, T0.AddMinutes(1), $"{ann}:email_sent:m1:1"),
            Event(ann, T0.AddHours(1), "a-2"), Event(bob, T0.AddHours(2), "after"),
        ]));

        var period = await Log.GetEventsBetweenAsync(T0, T0.AddHours(1), null, 10, Cancel);
        Assert.Equal(["a-1", "b-1", "a-2"], period.Items.Select(e => e.MessageId));
        Assert.Null(period.NextCursor);
        var first = await Log.GetEventsBetweenAsync(T0, T0.AddHours(1), null, 2, Cancel);
        Assert.Equal(["a-1", "b-1"], first.Items.Select(e => e.MessageId));
        var second = await Log.GetEventsBetweenAsync(T0, T0.AddHours(1), first.NextCursor, 2, Cancel);
        Assert.Equal(["a-2"], second.Items.Select(e => e.MessageId));
        Assert.Null(second.NextCursor);
    }

    [Fact]
    public async Task GetEventsBetween_PagesAPeriodInTimeOrder_WithoutLosingOrRepeatingTies()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        await CommitAsync(batch =>
        {
            // Ties at the same instant (read in the order recorded), a derived event to leave out and events either side.
            for (var i = 0; i < 23; i++)
            {
                batch.Events.Add(Event(i % 2 == 0 ? ann : bob, T0.AddMinutes(i / 4), $"tie-{i:D2}"));
            }

            batch.Events.Add(Event(ann, T0.AddMinutes(1), $"{ann}:segment_entered:s:1"));
            batch.Events.Add(Event(ann, T0.AddSeconds(-1), "before"));
            batch.Events.Add(Event(bob, T0.AddHours(1).AddSeconds(1), "after"));
        });

        var read = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Log.GetEventsBetweenAsync(T0, T0.AddHours(1), cursor, 5, Cancel);
            Assert.True(page.Items.Count <= 5);
            read.AddRange(page.Items.Select(e => e.MessageId));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Range(0, 23).Select(i => $"tie-{i:D2}"), read);
        Assert.Equal(5, pages);
        await Assert.ThrowsAsync<InvalidCursorException>(() => Log.GetEventsBetweenAsync(T0, T0.AddHours(1), "not-a-cursor", 5, Cancel));
    }

    [Fact]
    public async Task GetEvents_PagesNewestFirst_WithoutLosingOrRepeatingTies()
    {
        var id = NewContactId();
        await CommitAsync(batch =>
        {
            for (var i = 0; i < 25; i++)
            {
                // Pairs of equal timestamps: paging must still be exact.
                batch.Events.Add(Event(id, T0.AddSeconds(i / 2), $"e-{i:D2}"));
            }

            batch.Events.Add(Event(NewContactId(), T0, "other-contact"));
        });

        var seen = new List<StoredEvent>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Log.GetEventsAsync(id, cursor, 4, Cancel);
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(7, pages);
        Assert.Equal(25, seen.Select(e => e.MessageId).Distinct().Count());
        Assert.Equal(
            seen.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Sequence).Select(e => e.MessageId),
            seen.Select(e => e.MessageId));
        Assert.Equal("e-24", seen[0].MessageId);
    }

    [Fact]
    public async Task GetEvents_ForeignCursorOrBadLimit_Throws()
    {
        await Assert.ThrowsAsync<InvalidCursorException>(() => Log.GetEventsAsync(NewContactId(), "not-a-cursor", 10, Cancel));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Log.GetEventsAsync(NewContactId(), null, 0, Cancel));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Log.GetEventsAsync(NewContactId(), null, 1001, Cancel));
    }

    [Fact]
    public async Task GetEventTimes_OfTheNames_SinceATime_NewestFirst_UpToTheLimit()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        await CommitAsync(batch =>
        {
            batch.Events.Add(Event(ann, T0, name: "email_opened"));
            batch.Events.Add(Event(ann, T0.AddHours(1), name: "email_clicked"));
            batch.Events.Add(Event(bob, T0.AddHours(2), name: "email_opened"));
            batch.Events.Add(Event(bob, T0.AddHours(3), name: "Viewed"));
            batch.Events.Add(Event(bob, T0.AddHours(-1), name: "email_opened"));
        });

        Assert.Equal(
            [T0.AddHours(2), T0.AddHours(1), T0],
            await Log.GetEventTimesAsync(["email_opened", "email_clicked"], T0, 10, Cancel));
        Assert.Equal([T0.AddHours(2)], await Log.GetEventTimesAsync(["email_opened", "email_clicked"], T0, 1, Cancel));
    }

    [Fact]
    public async Task GetEventsOf_ReadsTheNamedEventsOfEachContact_NewestFirst()
    {
        var (ann, bob, carl) = (NewContactId(), NewContactId(), NewContactId());
        await CommitAsync(batch =>
        {
            batch.Events.Add(History(ann, MessageType.Track, "order_completed", T0));
            batch.Events.Add(History(ann, MessageType.Track, "order_completed", T0.AddDays(1)));
            batch.Events.Add(History(ann, MessageType.Track, "feature_used", T0.AddDays(2)));
            batch.Events.Add(History(bob, MessageType.Page, "Pricing", T0.AddDays(3)));
            batch.Events.Add(History(carl, MessageType.Track, "order_completed", T0));
        });

        var events = await Log.GetEventsOfAsync([ann, bob], ["order_completed", "$page"], Cancel);
        Assert.Equal([T0.AddDays(1), T0], events[ann].Select(e => e.Timestamp));
        Assert.Equal(MessageType.Page, Assert.Single(events[bob]).Type);
        Assert.False(events.ContainsKey(carl));
        Assert.Empty(await Log.GetEventsOfAsync([], ["order_completed"], Cancel));
        Assert.Empty(await Log.GetEventsOfAsync([ann], [], Cancel));
    }

    [Fact]
    public async Task GetHistory_ByNames_ReadsTheLatestEvents_WithTheJsonAskedFor()
    {
        var id = NewContactId();
        await CommitAsync(batch =>
        {
            batch.Events.Add(History(id, MessageType.Track, "signed_up", T0));
            batch.Events.Add(History(id, MessageType.Track, "order_completed", T0.AddDays(1), """{"revenue":10}"""));
            batch.Events.Add(History(id, MessageType.Page, "Pricing", T0.AddDays(2)));
            batch.Events.Add(History(id, MessageType.Identify, "identify", T0.AddDays(3)));
            batch.Events.Add(History(NewContactId(), MessageType.Track, "order_completed", T0.AddDays(4)));
        });

        var all = await Log.GetHistoryAsync(id, null, null, 10, Cancel);
        Assert.Equal(4, all.Count);
        Assert.Equal(T0.AddDays(3), all[0].Timestamp);
        Assert.All(all, e => Assert.NotEmpty(e.Json));

        var named = await Log.GetHistoryAsync(id, ["order_completed", "$page"], ["order_completed"], 10, Cancel);
        Assert.Equal([MessageType.Page, MessageType.Track], named.Select(e => e.Type));
        Assert.Empty(named[0].Json);
        Assert.Contains("revenue", named[1].Json, StringComparison.Ordinal);

        Assert.All(await Log.GetHistoryAsync(id, null, [], 10, Cancel), e => Assert.Empty(e.Json));
        Assert.Single(await Log.GetHistoryAsync(id, null, null, 1, Cancel));
        Assert.Empty(await Log.GetHistoryAsync(id, [], null, 10, Cancel));
    }

    [Fact]
    public async Task GetHistory_ByRequests_ReadsWhatEachNameNeeds_WhateverOtherNamesCrowdTheHistory()
    {
        // An old sign-up, three orders, then many page views, two tickets (one dated after now) and another contact's order.
        var id = NewContactId();
        var now = T0.AddDays(400);
        await CommitAsync(batch =>
        {
            batch.Events.Add(History(id, MessageType.Track, "signed_up", T0));
            for (var i = 1; i <= 3; i++)
            {
                batch.Events.Add(History(id, MessageType.Track, "order_completed", T0.AddDays(10 * i), $$"""{"revenue":{{100 * i}}}"""));
            }

            for (var i = 0; i < 40; i++)
            {
                batch.Events.Add(History(id, MessageType.Page, "Pricing", T0.AddDays(100).AddHours(i), """{"path":"/pricing"}"""));
            }

            batch.Events.Add(History(id, MessageType.Track, "ticket_opened", now.AddDays(-1)));
            batch.Events.Add(History(id, MessageType.Track, "ticket_opened", now.AddDays(2)));
            batch.Events.Add(History(NewContactId(), MessageType.Track, "order_completed", T0.AddDays(5)));
        });

        var read = await Log.GetHistoryAsync(
            id,
            [
                new HistoryRequest("order_completed", 2, null, false, true, true),
                new HistoryRequest("$page", 0, T0.AddDays(100).AddHours(35), false, false, false),
                new HistoryRequest("signed_up", 0, null, false, true, false),
                new HistoryRequest("ticket_opened", 0, null, true, false, false),
            ],
            now,
            10,
            Cancel);

        // The two newest orders and the oldest, each once, with their JSON; every page view since the time, without.
        Assert.Equal(
            [
                ("ticket_opened", now.AddDays(2)), ("ticket_opened", now.AddDays(-1)),
                .. Enumerable.Range(35, 5).Reverse().Select(i => ("Pricing", T0.AddDays(100).AddHours(i))),
                ("order_completed", T0.AddDays(30)), ("order_completed", T0.AddDays(20)), ("order_completed", T0.AddDays(10)),
                ("signed_up", T0),
            ],
            read.Events.Select(e => (e.Name, e.Timestamp)));
        Assert.All(read.Events.Where(e => e.Name == "order_completed"), e => Assert.Contains("revenue", e.Json, StringComparison.Ordinal));
        Assert.All(read.Events.Where(e => e.Name != "order_completed"), e => Assert.Empty(e.Json));
        Assert.Empty(read.Exceeded);
        Assert.Equal(read.Events.Count, read.Events.Select(e => e.Sequence).Distinct().Count());

        // A span holding more events than the limit reads the newest of them and says so; counts of their own do not.
        var crowded = await Log.GetHistoryAsync(
            id,
            [new HistoryRequest("$page", 25, DateTimeOffset.MinValue, false, false, true), new HistoryRequest("ticket_opened", 0, null, true, false, false)],
            now.AddDays(-3),
            10,
            Cancel);
        Assert.Equal(["$page"], crowded.Exceeded);
        Assert.Equal(25, crowded.Events.Count(e => e.Type == MessageType.Page));
        Assert.Equal(T0.AddDays(100).AddHours(39), crowded.Events.First(e => e.Type == MessageType.Page).Timestamp);
        Assert.All(crowded.Events.Where(e => e.Type == MessageType.Page), e => Assert.Contains("/pricing", e.Json, StringComparison.Ordinal));

        // No event of the name at or before the time: every later one, and nothing more.
        Assert.Equal([now.AddDays(2), now.AddDays(-1)], crowded.Events.Where(e => e.Name == "ticket_opened").Select(e => e.Timestamp));
        Assert.Empty((await Log.GetHistoryAsync(id, [new HistoryRequest("never", 3, DateTimeOffset.MinValue, true, true, true)], now, 10, Cancel)).Events);
        Assert.Empty((await Log.GetHistoryAsync(id, [new HistoryRequest("signed_up", 0, null, false, false, true)], now, 10, Cancel)).Events);
    }

    [Fact]
    public async Task StreamHistory_ReadsEveryEventOfTheNamesSinceATime_InEitherOrder()
    {
        var id = NewContactId();
        await CommitAsync(batch =>
        {
            for (var i = 0; i < 300; i++)
            {
                batch.Events.Add(History(id, i % 3 == 0 ? MessageType.Page : MessageType.Track, i % 3 == 1 ? "order_completed" : "feature_used", T0.AddMinutes(i), $$"""{"n":{{i}}}"""));
            }

            batch.Events.Add(History(NewContactId(), MessageType.Track, "order_completed", T0.AddMinutes(500)));
        });

        var newest = new List<StoredEvent>();
        await foreach (var stored in Log.StreamHistoryAsync(id, ["order_completed", "$page"], ["order_completed"], T0.AddMinutes(150), oldestFirst: false, Cancel))
        {
            newest.Add(stored);
        }

        var expected = Enumerable.Range(150, 150).Where(i => i % 3 != 2).Reverse().Select(i => T0.AddMinutes(i)).ToList();
        Assert.Equal(expected, newest.Select(e => e.Timestamp));
        Assert.All(newest, e => Assert.Equal(e.Name == "order_completed", e.Json.Length > 0));

        var oldest = new List<DateTimeOffset>();
        await foreach (var stored in Log.StreamHistoryAsync(id, ["order_completed"], [], DateTimeOffset.MinValue, oldestFirst: true, Cancel))
        {
            oldest.Add(stored.Timestamp);
        }

        Assert.Equal(Enumerable.Range(0, 300).Where(i => i % 3 == 1).Select(i => T0.AddMinutes(i)), oldest);
        await foreach (var _ in Log.StreamHistoryAsync(id, [], [], DateTimeOffset.MinValue, oldestFirst: true, Cancel))
        {
            Assert.Fail("no names, no events");
        }
    }
}
