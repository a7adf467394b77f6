using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary>The behaviour every <see cref="ICairnStore"/> provider must have; run once per provider.</summary>
public abstract class CairnStoreCompliance : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private int _nextMessage;

    protected ICairnStore Store { get; private set; } = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>A store over a fresh, empty database.</summary>
    protected abstract Task<ICairnStore> CreateStoreAsync();

    public async ValueTask InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.MigrateAsync(Cancel);
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Migrate_Twice_IsANoOp()
    {
        await Store.MigrateAsync(Cancel);
        Assert.True(await Store.PingAsync(Cancel));
        Assert.Equal(0, await Store.CountEventsAsync(Cancel));
    }

    [Fact]
    public async Task Commit_ThenRead_ReturnsEventsContactsAndIdentities()
    {
        var contact = Contact("ann@example.com", "Ann Lee", userId: "u-1");
        var batch = new CommitBatch();
        batch.Contacts[contact.Id] = contact;
        batch.Identities.Add(new IdentityMapping(IdentityKey.User("u-1"), contact.Id));
        batch.Identities.Add(new IdentityMapping(IdentityKey.Anonymous("a-1"), contact.Id));
        batch.Events.Add(Event(contact.Id, T0.AddTicks(1234567)));
        await Store.CommitAsync(batch, Cancel);

        var read = await Store.GetContactAsync(contact.Id, Cancel);
        Assert.NotNull(read);
        Assert.Equal(ContactStateJson.Serialize(contact), ContactStateJson.Serialize(read));
        Assert.Equal(contact.Id, await Store.FindContactAsync(IdentityKey.User("u-1"), Cancel));
        Assert.Equal(contact.Id, await Store.FindContactAsync(IdentityKey.Anonymous("a-1"), Cancel));
        Assert.Null(await Store.FindContactAsync(IdentityKey.User("a-1"), Cancel));

        var identities = new List<IdentityMapping>();
        await foreach (var mapping in Store.ReadIdentitiesAsync(Cancel))
        {
            identities.Add(mapping);
        }

        Assert.Equal(2, identities.Count);
        var stored = await Store.GetEventAsync(batch.Events[0].MessageId, Cancel);
        Assert.NotNull(stored);
        Assert.Equal(contact.Id, stored.ContactId);
        Assert.Equal(MessageType.Track, stored.Type);
        Assert.Equal("Viewed", stored.Name);
        Assert.Equal(T0.AddTicks(1234560), stored.Timestamp);
        Assert.True(stored.Sequence > 0);
        using var json = JsonDocument.Parse(stored.Json);
        Assert.Equal("Viewed", json.RootElement.GetProperty("event").GetString());
    }

    [Fact]
    public async Task Commit_DuplicateMessageIds_AreStoredOnce()
    {
        var id = NewContactId();
        var first = Event(id, T0, "dup-1");
        var batch = new CommitBatch();
        batch.Events.Add(first);
        batch.Events.Add(first with { Name = "Again" });
        await Store.CommitAsync(batch, Cancel);
        var again = new CommitBatch();
        again.Events.Add(first with { Name = "Later" });
        again.Events.Add(Event(id, T0, "new-1"));
        await Store.CommitAsync(again, Cancel);

        Assert.Equal(2, await Store.CountEventsAsync(Cancel));
        Assert.Equal("Viewed", (await Store.GetEventAsync("dup-1", Cancel))!.Name);
        var existing = await Store.FindExistingMessageIdsAsync(["dup-1", "new-1", "missing"], Cancel);
        Assert.Equal(["dup-1", "new-1"], existing.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task GetEvents_PagesNewestFirst_WithoutLosingOrRepeatingTies()
    {
        var id = NewContactId();
        var batch = new CommitBatch();
        for (var i = 0; i < 25; i++)
        {
            // Pairs of equal timestamps: paging must still be exact.
            batch.Events.Add(Event(id, T0.AddSeconds(i / 2), $"e-{i:D2}"));
        }

        batch.Events.Add(Event(NewContactId(), T0, "other-contact"));
        await Store.CommitAsync(batch, Cancel);

        var seen = new List<StoredEvent>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Store.GetEventsAsync(id, cursor, 4, Cancel);
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
    public async Task GetEvents_ForeignCursor_Throws()
    {
        await Assert.ThrowsAsync<InvalidCursorException>(() => Store.GetEventsAsync(NewContactId(), "not-a-cursor", 10, Cancel));
        await Assert.ThrowsAsync<InvalidCursorException>(() => Store.SearchContactsAsync(null, "bm90LWEtY3Vyc29y", 10, Cancel));
    }

    [Fact]
    public async Task SearchContacts_MatchesEmailNameOrUserId_SkipsMerged_AndPages()
    {
        var batch = new CommitBatch();
        var ann = Contact("ann@example.com", "Ann Lee", "u-ann", T0);
        var bob = Contact("bob@example.org", "Bob Stone", "u-bob", T0.AddSeconds(1));
        var merged = Contact("ann.old@example.com", "Ann Old", null, T0.AddSeconds(2)) with { MergedInto = ann.Id };
        batch.Contacts[ann.Id] = ann;
        batch.Contacts[bob.Id] = bob;
        batch.Contacts[merged.Id] = merged;
        for (var i = 0; i < 5; i++)
        {
            var extra = Contact($"p{i}@percent_100.test", $"Person {i}", null, T0.AddSeconds(3 + i));
            batch.Contacts[extra.Id] = extra;
        }

        await Store.CommitAsync(batch, Cancel);

        Assert.Equal([ann.Id], (await Store.SearchContactsAsync("ANN", null, 10, Cancel)).Items.Select(c => c.Id));
        Assert.Equal([bob.Id], (await Store.SearchContactsAsync("stone", null, 10, Cancel)).Items.Select(c => c.Id));
        Assert.Equal([bob.Id], (await Store.SearchContactsAsync("u-bob", null, 10, Cancel)).Items.Select(c => c.Id));
        Assert.Empty((await Store.SearchContactsAsync("u-bo", null, 10, Cancel)).Items);
        Assert.Equal(5, (await Store.SearchContactsAsync("percent_1", null, 10, Cancel)).Items.Count);
        Assert.Empty((await Store.SearchContactsAsync("percent%1", null, 10, Cancel)).Items);

        var all = new List<ContactId>();
        string? cursor = null;
        do
        {
            var page = await Store.SearchContactsAsync(null, cursor, 3, Cancel);
            all.AddRange(page.Items.Select(c => c.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(7, all.Count);
        Assert.Equal(ann.Id, all[0]);
        Assert.DoesNotContain(merged.Id, all);
        Assert.Equal([ann.Id], await Store.FindContactsByEmailAsync("ANN@example.com", Cancel));
    }

    [Fact]
    public async Task HandOver_MovesEventsAndIdentities_AndMergesAreTracked()
    {
        var from = NewContactId();
        var into = NewContactId();
        var first = new CommitBatch();
        first.Events.Add(Event(from, T0, "from-1"));
        first.Identities.Add(new IdentityMapping(IdentityKey.Anonymous("anon-x"), from));
        first.MergesRequested.Add(new PendingMerge(from, into));
        await Store.CommitAsync(first, Cancel);
        Assert.Equal([new PendingMerge(from, into)], await Store.GetPendingMergesAsync(Cancel));

        var handOver = new CommitBatch();
        handOver.HandOvers.Add(new PendingMerge(from, into));
        handOver.Events.Add(Event(into, T0.AddSeconds(1), "into-1"));
        await Store.CommitAsync(handOver, Cancel);
        Assert.Equal(into, await Store.FindContactAsync(IdentityKey.Anonymous("anon-x"), Cancel));
        Assert.Equal(2, (await Store.GetEventsAsync(into, null, 10, Cancel)).Items.Count);
        Assert.Empty((await Store.GetEventsAsync(from, null, 10, Cancel)).Items);

        var complete = new CommitBatch();
        complete.MergesCompleted.Add(new PendingMerge(from, into));
        await Store.CommitAsync(complete, Cancel);
        Assert.Empty(await Store.GetPendingMergesAsync(Cancel));
    }

    [Fact]
    public async Task Documents_DraftPublishVersionsAndStatus()
    {
        Assert.Null(await Store.GetDocumentAsync("journey", "welcome", Cancel));
        Assert.Null(await Store.PublishAsync("journey", "welcome", T0, null, Cancel));
        Assert.True(await Store.SaveDraftAsync("journey", "welcome", "id: welcome # v1", T0, Cancel));
        Assert.False(await Store.SaveDraftAsync("journey", "welcome", "id: welcome # v1", T0.AddMinutes(1), Cancel));
        var draft = await Store.GetDocumentAsync("journey", "welcome", Cancel);
        Assert.Equal(DocumentStatus.Draft, draft!.Status);
        Assert.Null(draft.PublishedVersion);
        Assert.True(draft.DraftDiffersFromPublished);

        Assert.Equal((1, true), await Store.PublishAsync("journey", "welcome", T0.AddMinutes(2), null, Cancel));
        Assert.Equal((1, false), await Store.PublishAsync("journey", "welcome", T0.AddMinutes(3), null, Cancel));
        Assert.True(await Store.SaveDraftAsync("journey", "welcome", "id: welcome # v2", T0.AddMinutes(4), Cancel));
        Assert.True((await Store.GetDocumentAsync("journey", "welcome", Cancel))!.DraftDiffersFromPublished);
        Assert.Equal((2, true), await Store.PublishAsync("journey", "welcome", T0.AddMinutes(5), null, Cancel));

        Assert.True(await Store.SetStatusAsync("journey", "welcome", DocumentStatus.Paused, T0.AddMinutes(6), Cancel));
        Assert.False(await Store.SetStatusAsync("journey", "missing", DocumentStatus.Paused, T0, Cancel));
        var paused = await Store.GetDocumentAsync("journey", "welcome", Cancel);
        Assert.Equal((DocumentStatus.Paused, 2, false), (paused!.Status, paused.PublishedVersion, paused.DraftDiffersFromPublished));

        await Store.SaveDraftAsync("template", "welcome", "kind: template", T0, Cancel);
        Assert.Single(await Store.ListDocumentsAsync("journey", Cancel));
        var versions = await Store.GetVersionsAsync("journey", Cancel);
        Assert.Equal(["id: welcome # v1", "id: welcome # v2"], versions.Select(v => v.Body));
        Assert.Equal(T0.AddMinutes(5), versions[1].PublishedAt);
    }

    [Fact]
    public async Task TimersAndOutbox_AreWrittenWithTheCommit_AndIdempotent()
    {
        var id = NewContactId();
        Assert.Null(await Store.GetNextTimerAsync(Cancel));
        var batch = new CommitBatch();
        var soon = new StoredTimer(id, "welcome:1", "wait", T0.AddMinutes(5));
        var later = new StoredTimer(id, "welcome:1", "$max_run_time", T0.AddDays(90));
        batch.Timers.AddRange([later, soon, soon]);
        var message = new OutboxMessage($"{id}:welcome:1:hello", id, "welcome", 1, "welcome:1", "hello", "email", "welcome", "promotional", 50, "queued", T0.AddTicks(70));
        batch.Outbox.AddRange([message, message]);
        await Store.CommitAsync(batch, Cancel);

        Assert.Equal(T0.AddMinutes(5), await Store.GetNextTimerAsync(Cancel));
        Assert.Empty(await Store.GetDueTimersAsync(T0, 10, Cancel));
        Assert.Equal([soon], await Store.GetDueTimersAsync(T0.AddHours(1), 10, Cancel));
        Assert.Equal([soon, later], await Store.GetDueTimersAsync(T0.AddYears(1), 10, Cancel));
        Assert.Equal([message], await Store.GetOutboxAsync(id, 10, Cancel));

        var fired = new CommitBatch();
        fired.TimersDone.Add(soon);
        fired.Outbox.Add(message);
        await Store.CommitAsync(fired, Cancel);
        Assert.Equal([later], await Store.GetDueTimersAsync(T0.AddYears(1), 10, Cancel));
        Assert.Single(await Store.GetOutboxAsync(id, 10, Cancel));
    }

    [Fact]
    public async Task JourneyStatistics_AddUpAcrossCommits()
    {
        var id = NewContactId();
        for (var round = 0; round < 2; round++)
        {
            var batch = new CommitBatch();
            batch.Moves.AddRange([new JourneyMove("j", 1, "$entry", "entry", "a"), new JourneyMove("j", 1, "a", "next", "b"), new JourneyMove("j", 1, "a", "next", "b")]);
            batch.Conversions.Add(new JourneyConversion("j", 1, "variant", Control: false));
            batch.Reviews.Add(new JourneyReview("j", 1, "j:1", id, "maximum run time of 1d reached", T0.AddHours(round)));
            await Store.CommitAsync(batch, Cancel);
        }

        var (moves, conversions) = await Store.GetJourneyStatsAsync("j", Cancel);
        Assert.Equal(4, moves.Single(m => m.FromStep == "a").Count);
        Assert.Equal(2, moves.Single(m => m.FromStep == "$entry").Count);
        Assert.Equal(new JourneyConversionCount(1, "variant", false, 2), Assert.Single(conversions));
        Assert.Equal(T0, Assert.Single(await Store.GetJourneyReviewsAsync("j", 10, Cancel)).EndedAt);
    }

    [Fact]
    public async Task JourneyStatistics_FromConcurrentWriters_ListingTheSameStepsInOppositeOrders_AllAddUp()
    {
        // Partitions commit at once on PostgreSQL: each batch names the shared counter rows in its own order, which
        // deadlocked before the rows were written in key order.
        string[] steps = ["a", "b", "c", "d", "e", "f"];
        var writers = Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var round = 0; round < 20; round++)
            {
                var batch = new CommitBatch();
                var order = writer % 2 == 0 ? steps : [.. steps.Reverse()];
                batch.Moves.AddRange(order.Select(step => new JourneyMove("shared", 1, step, "next", "z")));
                batch.Conversions.AddRange(order.Select(arm => new JourneyConversion("shared", 1, arm, Control: false)));
                await Store.CommitAsync(batch, Cancel);
            }
        }, Cancel)).ToList();
        await Task.WhenAll(writers);

        var (moves, conversions) = await Store.GetJourneyStatsAsync("shared", Cancel);
        Assert.All(steps, step => Assert.Equal(8 * 20, moves.Single(move => move.FromStep == step).Count));
        Assert.All(steps, arm => Assert.Equal(8 * 20, conversions.Single(conversion => conversion.Arm == arm).Count));
    }

    [Fact]
    public async Task ApiKeys_RoundTrip()
    {
        var key = new ApiKeyRecord("k1", ApiKeyKind.Admin, new string('a', 64), "cak_abcd", T0.AddTicks(10));
        await Store.AddApiKeyAsync(key, Cancel);
        await Store.AddApiKeyAsync(key with { Id = "k2", Kind = ApiKeyKind.Write, Hash = new string('b', 64) }, Cancel);
        var keys = await Store.GetApiKeysAsync(Cancel);
        Assert.Equal(2, keys.Count);
        Assert.Contains(key, keys);
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
        await Store.CommitAsync(batch, Cancel);
        foreach (var count in await Task.WhenAll(reads))
        {
            Assert.True(count is 0 or 5000, $"a reader saw a partial commit: {count}");
        }

        Assert.Equal(5000, await Store.CountEventsAsync(Cancel));
        var newest = await Store.GetEventsAsync(id, null, 1, Cancel);
        Assert.Equal(T0.AddMilliseconds(4999), newest.Items[0].Timestamp);
    }

    [Fact]
    public async Task GetHistory_ByName_ReadsWhatEachNameNeeds_WhateverOtherNamesCrowdTheHistory()
    {
        // An old sign-up, three orders, then many page views, two tickets (one dated after now) and another contact's order.
        var id = NewContactId();
        var now = T0.AddDays(400);
        var batch = new CommitBatch();
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
        await Store.CommitAsync(batch, Cancel);

        var read = await Store.GetHistoryAsync(
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
        var crowded = await Store.GetHistoryAsync(
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
        Assert.Empty((await Store.GetHistoryAsync(id, [new HistoryRequest("never", 3, DateTimeOffset.MinValue, true, true, true)], now, 10, Cancel)).Events);
    }

    [Fact]
    public async Task StreamHistory_ReadsEveryEventOfTheNamesSinceATime_InEitherOrder()
    {
        var id = NewContactId();
        var batch = new CommitBatch();
        for (var i = 0; i < 300; i++)
        {
            batch.Events.Add(History(id, i % 3 == 0 ? MessageType.Page : MessageType.Track, i % 3 == 1 ? "order_completed" : "feature_used", T0.AddMinutes(i), $$"""{"n":{{i}}}"""));
        }

        batch.Events.Add(History(NewContactId(), MessageType.Track, "order_completed", T0.AddMinutes(500)));
        await Store.CommitAsync(batch, Cancel);

        var newest = new List<StoredEvent>();
        await foreach (var stored in Store.StreamHistoryAsync(id, ["order_completed", "$page"], ["order_completed"], T0.AddMinutes(150), oldestFirst: false, Cancel))
        {
            newest.Add(stored);
        }

        var expected = Enumerable.Range(150, 150).Where(i => i % 3 != 2).Reverse().Select(i => T0.AddMinutes(i)).ToList();
        Assert.Equal(expected, newest.Select(e => e.Timestamp));
        Assert.All(newest, e => Assert.Equal(e.Name == "order_completed", e.Json.Length > 0));

        var oldest = new List<DateTimeOffset>();
        await foreach (var stored in Store.StreamHistoryAsync(id, ["order_completed"], [], DateTimeOffset.MinValue, oldestFirst: true, Cancel))
        {
            oldest.Add(stored.Timestamp);
        }

        Assert.Equal(Enumerable.Range(0, 300).Where(i => i % 3 == 1).Select(i => T0.AddMinutes(i)), oldest);
    }

    [Fact]
    public async Task ConcurrentCommits_FromManyWriters_AreAllStored()
    {
        var writers = Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
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

                await Store.CommitAsync(batch, Cancel);
            }

            return id;
        }, Cancel)).ToList();

        var ids = await Task.WhenAll(writers);
        Assert.Equal(8 * 10 * 50, await Store.CountEventsAsync(Cancel));
        var contacts = await Store.GetContactsAsync(ids, Cancel);
        Assert.All(ids, id => Assert.Equal(500, contacts[id].EventCount));
    }

    [Fact]
    public async Task Contacts_Upsert_ReplacesState()
    {
        var contact = Contact("c@example.com", "C", "u-c");
        var batch = new CommitBatch();
        batch.Contacts[contact.Id] = contact;
        await Store.CommitAsync(batch, Cancel);
        var updated = contact with { EventCount = 42, Email = "new@example.com", UpdatedAt = T0.AddHours(1) };
        var second = new CommitBatch();
        second.Contacts[contact.Id] = updated;
        await Store.CommitAsync(second, Cancel);

        var read = await Store.GetContactsAsync([contact.Id, NewContactId()], Cancel);
        Assert.Single(read);
        Assert.Equal(42, read[contact.Id].EventCount);
        Assert.Equal([contact.Id], await Store.FindContactsByEmailAsync("new@example.com", Cancel));
        Assert.Empty(await Store.FindContactsByEmailAsync("c@example.com", Cancel));
    }

    [Fact]
    public async Task Enrollments_AreIndexedWhileActive_AndKeptWithTheirPathOnceEnded()
    {
        var (ann, bob) = (Contact("ann@example.com", "Ann", "ann"), Contact("bob@example.com", "Bob", "bob"));
        var batch = new CommitBatch();
        batch.Contacts[ann.Id] = ann;
        batch.Contacts[bob.Id] = bob;
        batch.Enrollments.Add(new EnrollmentRecord(ann.Id, Enrollment("cart:1", "cart", 1)));
        batch.Enrollments.Add(new EnrollmentRecord(bob.Id, Enrollment("cart:1", "cart", 2)));
        batch.Enrollments.Add(new EnrollmentRecord(bob.Id, Enrollment("welcome:1", "welcome", 1)));
        await Store.CommitAsync(batch, Cancel);

        Assert.Equal([ann.Id], await Store.ListEnrolledContactIdsAsync("cart", 2, null, 10, Cancel));
        Assert.Equal(2, (await Store.ListEnrolledContactIdsAsync("cart", 3, null, 10, Cancel)).Count);
        var first = (await Store.ListEnrolledContactIdsAsync("cart", 3, null, 1, Cancel)).Single();
        Assert.NotEqual(first, (await Store.ListEnrolledContactIdsAsync("cart", 3, first.ToString(), 1, Cancel)).Single());
        Assert.Equal(new Dictionary<string, long> { ["cart"] = 2, ["welcome"] = 1 }, await Store.CountActiveEnrollmentsAsync(Cancel));

        var ended = Enrollment("cart:1", "cart", 1) with { StepId = null, EndedAt = T0.AddHours(2), EndReason = "goal reached" };
        var end = new CommitBatch();
        end.Enrollments.Add(new EnrollmentRecord(ann.Id, ended));
        await Store.CommitAsync(end, Cancel);

        Assert.Empty(await Store.ListEnrolledContactIdsAsync("cart", 2, null, 10, Cancel));
        var history = Assert.Single(await Store.GetEndedEnrollmentsAsync(ann.Id, 10, Cancel));
        Assert.Equal(("cart:1", "goal reached", T0.AddHours(2)), (history.Id, history.EndReason, history.EndedAt!.Value));
        Assert.Equal(ended.Path, history.Path);
        Assert.Empty(await Store.GetEndedEnrollmentsAsync(bob.Id, 10, Cancel));
        Assert.Equal(1, (await Store.CountActiveEnrollmentsAsync(Cancel))["cart"]);

        var ids = await Store.ListContactIdsAsync(null, 10, Cancel);
        Assert.Equal(2, ids.Count);
        Assert.Equal(ids.OrderBy(id => id.ToString(), StringComparer.Ordinal).ToList(), ids);
        Assert.Equal([ids[1]], await Store.ListContactIdsAsync(ids[0].ToString(), 10, Cancel));
    }

    [Fact]
    public async Task Publish_WithAPlan_RecordsARolloutThatResumesFromItsProgress()
    {
        var plan = new RolloutPlan(ImmutableDictionary<string, string>.Empty.Add("wait_1h", "wait_2h"), RolloutScope.Enrolled);
        await Store.SaveDraftAsync("journey", "cart", "id: cart # v1", T0, Cancel);
        Assert.Equal((1, true), await Store.PublishAsync("journey", "cart", T0, null, Cancel));
        Assert.Empty(await Store.GetRolloutsAsync("journey", "cart", Cancel));

        await Store.SaveDraftAsync("journey", "cart", "id: cart # v2", T0, Cancel);
        Assert.Equal((2, true), await Store.PublishAsync("journey", "cart", T0.AddMinutes(1), plan, Cancel));
        var rollout = Assert.Single(await Store.GetRolloutsAsync("journey", null, Cancel));
        Assert.Equal(("cart", 2, "wait_2h", RolloutScope.Enrolled, null, 0L, false), (rollout.JourneyId, rollout.Version, rollout.Plan.StepMap["wait_1h"], rollout.Plan.Scope, rollout.After, rollout.Processed, rollout.Done));

        await Store.SaveRolloutProgressAsync("journey", "cart", 2, "0190-last", 500, done: false, T0.AddMinutes(2), Cancel);
        Assert.Equal(("0190-last", 500L), (await Store.GetRolloutsAsync("journey", null, Cancel)).Select(r => (r.After, r.Processed)).Single());
        await Store.SaveRolloutProgressAsync("journey", "cart", 2, "0190-end", 730, done: true, T0.AddMinutes(3), Cancel);
        Assert.Empty(await Store.GetRolloutsAsync("journey", null, Cancel));
        Assert.True(Assert.Single(await Store.GetRolloutsAsync("journey", "cart", Cancel)).Done);

        // Publishing the unchanged draft again with a map starts the rollout of the current version over.
        Assert.Equal((2, false), await Store.PublishAsync("journey", "cart", T0.AddMinutes(4), plan with { StepMap = plan.StepMap.Add("email_1", "email_1") }, Cancel));
        var again = Assert.Single(await Store.GetRolloutsAsync("journey", null, Cancel));
        Assert.Equal((2, 0L, 2), (again.Version, again.Processed, again.Plan.StepMap.Count));
    }

    private static Core.Journeys.Engine.Enrollment Enrollment(string id, string journey, int version) => new(
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

    private static ContactId NewContactId() => new(Guid.CreateVersion7());

    private static ContactState Contact(string email, string name, string? userId, DateTimeOffset? createdAt = null)
    {
        var at = createdAt ?? T0;
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(new { name, email }));
        var traits = document.RootElement.EnumerateObject()
            .ToImmutableSortedDictionary(p => p.Name, p => new TraitValue(p.Value.Clone(), at), StringComparer.Ordinal);
        return ContactState.New(NewContactId(), at) with { UserId = userId, Email = email, Traits = traits };
    }

    private StoredEvent History(ContactId id, MessageType type, string name, DateTimeOffset timestamp, string properties = "{}") => new(
        0,
        $"m-{Interlocked.Increment(ref _nextMessage)}",
        id,
        type,
        name,
        timestamp,
        timestamp,
        $$"""{"type":"{{type.ToWireName()}}","{{(type == MessageType.Track ? "event" : "name")}}":"{{name}}","properties":{{properties}}}""");

    private StoredEvent Event(ContactId id, DateTimeOffset timestamp, string? messageId = null) => new(
        0,
        messageId ?? $"m-{Interlocked.Increment(ref _nextMessage)}",
        id,
        MessageType.Track,
        "Viewed",
        timestamp,
        timestamp.AddMilliseconds(5),
        """{"type":"track","event":"Viewed","properties":{"path":"/pricing"}}""");
}
