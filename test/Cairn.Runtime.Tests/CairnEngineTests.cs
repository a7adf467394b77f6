using System.Collections.Immutable;
using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;
using Cairn.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cairn.Runtime.Tests;

public sealed class CairnEngineTests
{
    [Fact]
    public async Task IngestAsync_NewMessages_StoresEventsAndBuildsProfile()
    {
        await using var harness = await EngineHarness.StartAsync();

        var outcomes = await harness.IngestAsync(
            """{"type":"identify","userId":"u1","messageId":"m1","traits":{"email":"Ann@Example.com","plan":"pro"}}""",
            """{"type":"track","userId":"u1","messageId":"m2","event":"Order Completed","properties":{"revenue":12}}""",
            """{"type":"page","userId":"u1","messageId":"m3","name":"Pricing"}""");

        Assert.Equal([InputOutcome.Stored, InputOutcome.Stored, InputOutcome.Stored], outcomes);
        var contact = await harness.ContactOfAsync(IdentityKey.User("u1"));
        Assert.Equal("Ann@example.com", contact.Email);
        Assert.Equal("pro", contact.TraitString("plan"));
        Assert.Equal(3, contact.EventCount);
        Assert.Equal(1, contact.EventCounts["Order Completed"]);
        var events = await harness.EventsOfAsync(contact.Id);
        Assert.Equal(["m1", "m2", "m3"], events.Select(e => e.MessageId).Order());
    }

    [Fact]
    public async Task IngestAsync_SameMessageIdAgain_IsStoredOnceAndCountedOnce()
    {
        await using var harness = await EngineHarness.StartAsync();
        const string Track = """{"type":"track","userId":"u1","messageId":"dup","event":"Clicked"}""";

        var first = await harness.IngestAsync(Track, Track);
        var second = await harness.IngestAsync(Track);

        Assert.Equal([InputOutcome.Stored, InputOutcome.Duplicate], first);
        Assert.Equal([InputOutcome.Duplicate], second);
        var contact = await harness.ContactOfAsync(IdentityKey.User("u1"));
        Assert.Equal(1, contact.EventCount);
        Assert.Equal(1, await harness.Store.CountEventsAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task IngestAsync_AnonymousThenIdentify_ProfileGainsUserId()
    {
        await using var harness = await EngineHarness.StartAsync();

        await harness.IngestAsync(
            """{"type":"page","anonymousId":"a1","name":"Home"}""",
            """{"type":"identify","anonymousId":"a1","userId":"u1","traits":{"name":"Ann"}}""");

        var byUser = await harness.ContactOfAsync(IdentityKey.User("u1"));
        var byDevice = await harness.ContactOfAsync(IdentityKey.Anonymous("a1"));
        Assert.Equal(byUser.Id, byDevice.Id);
        Assert.Equal(2, byUser.EventCount);
    }

    [Fact]
    public async Task IngestAsync_IdentifyJoiningTwoProfiles_MergesStateEventsAndIdentities()
    {
        await using var harness = await EngineHarness.StartAsync();
        await harness.IngestAsync(
            """{"type":"identify","userId":"u1","traits":{"plan":"pro"},"timestamp":"2026-11-20T10:00:00Z"}""",
            """{"type":"track","anonymousId":"a1","event":"Viewed Pricing","timestamp":"2026-11-19T10:00:00Z"}""",
            """{"type":"identify","anonymousId":"a1","traits":{"utm_source":"ad"},"timestamp":"2026-11-19T10:01:00Z"}""");
        var anonymous = await harness.ContactOfAsync(IdentityKey.Anonymous("a1"));

        await harness.IngestAsync("""{"type":"identify","userId":"u1","anonymousId":"a1","timestamp":"2026-11-21T10:00:00Z"}""");

        var merged = await harness.ContactOfAsync(IdentityKey.Anonymous("a1"));
        Assert.Equal((await harness.ContactOfAsync(IdentityKey.User("u1"))).Id, merged.Id);
        Assert.NotEqual(anonymous.Id, merged.Id);
        Assert.Equal("pro", merged.TraitString("plan"));
        Assert.Equal("ad", merged.TraitString("utm_source"));
        Assert.Equal(4, merged.EventCount);
        Assert.Equal(new DateTimeOffset(2026, 11, 19, 10, 0, 0, TimeSpan.Zero), merged.FirstSeen);
        Assert.Equal(4, (await harness.EventsOfAsync(merged.Id)).Count);
        Assert.Empty(await harness.EventsOfAsync(anonymous.Id));
        var absorbed = await harness.Store.GetContactAsync(anonymous.Id, TestContext.Current.CancellationToken);
        Assert.Equal(merged.Id, absorbed!.MergedInto);
        Assert.Equal(merged.Id, await harness.Store.FindContactAsync(IdentityKey.Anonymous("a1"), TestContext.Current.CancellationToken));
        Assert.Empty(await harness.Store.GetPendingMergesAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task IngestAsync_AliasOfAnonymousId_MergesIntoUser()
    {
        await using var harness = await EngineHarness.StartAsync();
        await harness.IngestAsync(
            """{"type":"track","anonymousId":"a1","event":"Started Trial"}""",
            """{"type":"identify","userId":"u1","traits":{"email":"u1@example.com"}}""");

        await harness.IngestAsync("""{"type":"alias","previousId":"a1","userId":"u1"}""");

        var contact = await harness.ContactOfAsync(IdentityKey.Anonymous("a1"));
        Assert.Equal("u1", contact.UserId);
        Assert.Equal(3, contact.EventCount);
        Assert.Equal(1, contact.EventCounts["Started Trial"]);
    }

    [Fact]
    public async Task IngestAsync_DeviceSharedByTwoUsers_KeepsThemApart()
    {
        await using var harness = await EngineHarness.StartAsync();

        await harness.IngestAsync(
            """{"type":"identify","userId":"u1","anonymousId":"shared","traits":{"name":"One"}}""",
            """{"type":"identify","userId":"u2","anonymousId":"shared","traits":{"name":"Two"}}""",
            """{"type":"track","anonymousId":"shared","event":"Viewed"}""");

        var first = await harness.ContactOfAsync(IdentityKey.User("u1"));
        var second = await harness.ContactOfAsync(IdentityKey.User("u2"));
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal("One", first.TraitString("name"));
        Assert.Equal("Two", second.TraitString("name"));
        Assert.Equal(1, first.EventCount);
        Assert.Equal(2, second.EventCount);
    }

    [Fact]
    public async Task RestartAsync_KnownUser_ResolvesToSameContact()
    {
        await using var harness = await EngineHarness.StartAsync();
        await harness.IngestAsync("""{"type":"identify","userId":"u1","anonymousId":"a1"}""");
        var before = await harness.ContactOfAsync(IdentityKey.User("u1"));

        await harness.RestartAsync();
        await harness.IngestAsync("""{"type":"track","anonymousId":"a1","event":"Returned"}""");

        var after = await harness.ContactOfAsync(IdentityKey.User("u1"));
        Assert.Equal(before.Id, after.Id);
        Assert.Equal(2, after.EventCount);
    }

    [Fact]
    public async Task StartAsync_MergeInterruptedBeforeHandOver_CompletesIt()
    {
        await using var harness = await EngineHarness.StartAsync();
        await harness.IngestAsync(
            """{"type":"identify","userId":"u1","traits":{"plan":"pro"}}""",
            """{"type":"track","anonymousId":"a1","event":"Viewed"}""");
        var survivor = await harness.ContactOfAsync(IdentityKey.User("u1"));
        var absorbed = await harness.ContactOfAsync(IdentityKey.Anonymous("a1"));
        await harness.Engine.DisposeAsync();

        // A crash right after the survivor's commit leaves only the pending merge behind.
        await using (var store = harness.OpenStore())
        {
            var batch = new CommitBatch();
            batch.MergesRequested.Add(new PendingMerge(absorbed.Id, survivor.Id));
            await store.CommitAsync(batch, TestContext.Current.CancellationToken);
        }

        await harness.RestartAsync(stopFirst: false);
        await harness.Engine.WhenIdleAsync(TestContext.Current.CancellationToken);

        var merged = await harness.ContactOfAsync(IdentityKey.Anonymous("a1"));
        Assert.Equal(survivor.Id, merged.Id);
        Assert.Equal(2, merged.EventCount);
        Assert.Empty(await harness.Store.GetPendingMergesAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task StartAsync_MergeInterruptedAfterHandOver_DeliversAbsorbedProfile()
    {
        await using var harness = await EngineHarness.StartAsync();
        await harness.IngestAsync(
            """{"type":"identify","userId":"u1"}""",
            """{"type":"identify","anonymousId":"a1","traits":{"utm_source":"ad"}}""");
        var survivor = await harness.ContactOfAsync(IdentityKey.User("u1"));
        var absorbed = await harness.ContactOfAsync(IdentityKey.Anonymous("a1"));
        await harness.Engine.DisposeAsync();

        // The absorbed profile handed over, then the process died before the survivor absorbed it.
        await using (var store = harness.OpenStore())
        {
            var batch = new CommitBatch();
            batch.MergesRequested.Add(new PendingMerge(absorbed.Id, survivor.Id));
            batch.HandOvers.Add(new PendingMerge(absorbed.Id, survivor.Id));
            batch.Contacts[absorbed.Id] = absorbed with { MergedInto = survivor.Id };
            await store.CommitAsync(batch, TestContext.Current.CancellationToken);
        }

        await harness.RestartAsync(stopFirst: false);
        await harness.Engine.WhenIdleAsync(TestContext.Current.CancellationToken);

        var merged = await harness.ContactOfAsync(IdentityKey.User("u1"));
        Assert.Equal("ad", merged.TraitString("utm_source"));
        Assert.Equal(2, merged.EventCount);
        Assert.Empty(await harness.Store.GetPendingMergesAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task IngestAsync_ConcurrentCallersOnSharedContacts_LoseNothing()
    {
        await using var harness = await EngineHarness.StartAsync(partitions: 3);
        const int Callers = 6;
        const int PerCaller = 300;

        await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < PerCaller; i += 50)
            {
                var batch = Enumerable.Range(i, 50)
                    .Select(n => harness.Message($$"""{"type":"track","userId":"user-{{n % 10}}","messageId":"c{{caller}}-{{n}}","event":"Tick"}"""))
                    .ToArray();
                await harness.Engine.IngestAsync(batch, TestContext.Current.CancellationToken);
            }
        })));
        await harness.Engine.WhenIdleAsync(TestContext.Current.CancellationToken);

        Assert.Equal(Callers * PerCaller, await harness.Store.CountEventsAsync(TestContext.Current.CancellationToken));
        for (var user = 0; user < 10; user++)
        {
            var contact = await harness.ContactOfAsync(IdentityKey.User("user-" + user));
            Assert.Equal(Callers * PerCaller / 10, contact.EventCount);
        }
    }

    [Fact]
    public async Task FireDueTimersAsync_PassesAtOnce_SubmitEachTimerOnce()
    {
        await using var harness = await EngineHarness.StartAsync(partitions: 3);
        var cancel = TestContext.Current.CancellationToken;
        const int Timers = 3_000;
        var seeded = new CommitBatch();
        seeded.Timers.AddRange(Enumerable.Range(0, Timers).Select(_ => new StoredTimer(new Core.ContactId(Guid.NewGuid()), Core.Turns.ContactTurn.SegmentTimer, "recheck", harness.Time.GetUtcNow())));
        await harness.Store.CommitAsync(seeded, cancel);

        // Passes keep reading the due timers while the first pass's are committed: a pass that read a timer before its
        // commit comes to it after it is gone from the in-flight set, and must not submit it again. (The timer loop
        // waits on the fake clock, which does not move.)
        var passes = new List<Task<int>> { harness.Timers.FireDueTimersAsync(cancel) };
        while (!passes[0].IsCompleted)
        {
            // Returns once it has read the due timers and submitted the ones not in flight (SQLite reads synchronously).
            passes.Add(harness.Timers.FireDueTimersAsync(cancel));
        }

        Assert.Equal(Timers, (await Task.WhenAll(passes)).Sum());
        Assert.True(passes.Count > 1);
        Assert.Empty(await harness.Store.GetDueTimersAsync(harness.Time.GetUtcNow(), Timers, cancel));
        Assert.Equal(0, await harness.Timers.FireDueTimersAsync(cancel));
    }

    [Fact]
    public async Task StopAsync_WithInputsQueued_CommitsThemAll()
    {
        await using var harness = await EngineHarness.StartAsync();
        var messages = Enumerable.Range(0, 2000)
            .Select(n => harness.Message($$"""{"type":"track","anonymousId":"a{{n % 50}}","messageId":"q{{n}}","event":"Tick"}"""))
            .ToArray();
        var pending = harness.Engine.IngestAsync(messages, TestContext.Current.CancellationToken);

        await harness.Engine.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2000, (await pending).Count);
        await harness.RestartAsync(stopFirst: false);
        Assert.Equal(2000, await harness.Store.CountEventsAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task DisposeAsync_AfterAStopGaveUpWaiting_DisposesTheStoreOnlyOnceTheInputsAreCommitted()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var harness = await EngineHarness.StartAsync();

        // Another connection holds SQLite's write lock: the partition cannot commit the input until it lets go.
        await using var writer = new SqliteConnection($"Data Source={((SqliteCairnStore)harness.Store).DatabasePath};Pooling=False");
        await writer.OpenAsync(cancel);
        await ExecuteAsync(writer, "BEGIN IMMEDIATE", cancel);
        var pending = harness.Engine.IngestAsync([harness.Message("""{"type":"track","userId":"held","messageId":"held-1","event":"Tick"}""")], cancel);

        // The host's shutdown timeout: it stops waiting for the stop, then disposes the engine.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Engine.StopAsync(new CancellationToken(canceled: true)));
        var disposing = harness.Engine.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);

        await ExecuteAsync(writer, "COMMIT", cancel);
        await disposing;
        Assert.Equal([InputOutcome.Stored], await pending);
        await harness.RestartAsync(stopFirst: false);
        Assert.Equal(1, await harness.Store.CountEventsAsync(cancel));
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [Fact]
    public async Task IngestAsync_AfterStop_Throws()
    {
        await using var harness = await EngineHarness.StartAsync();
        await harness.Engine.StopAsync(TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<EngineStoppedException>(() =>
            harness.Engine.IngestAsync([harness.Message("""{"type":"track","userId":"u","event":"x"}""")], TestContext.Current.CancellationToken));
        await harness.RestartAsync(stopFirst: false);
    }

    [Fact]
    public async Task PatchTraitsAsync_KnownContact_SetsTraits()
    {
        await using var harness = await EngineHarness.StartAsync();
        await harness.IngestAsync("""{"type":"identify","userId":"u1","traits":{"plan":"free"}}""");
        var contact = await harness.ContactOfAsync(IdentityKey.User("u1"));
        using var plan = System.Text.Json.JsonDocument.Parse("\"enterprise\"");

        var patched = await harness.Contacts.PatchTraitsAsync(
            contact.Id,
            System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("plan", plan.RootElement.Clone())]),
            TestContext.Current.CancellationToken);

        Assert.Equal("enterprise", patched!.TraitString("plan"));
        Assert.Null(await harness.Contacts.PatchTraitsAsync(new Cairn.Core.ContactId(Guid.CreateVersion7()), patched.Traits.ToImmutableSortedDictionary(t => t.Key, t => t.Value.Value), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task PreviewSegmentAsync_OverALargeWorkspace_EstimatesFromASample_WithinItsMargin()
    {
        // Scaled down: above 1,000 contacts the preview samples about 600 of them.
        await using var harness = await EngineHarness.StartAsync(configure: options => (options.ExactPreviewLimit, options.PreviewSampleSize) = (1000, 600));
        var messages = Enumerable.Range(0, 3000).Select(i => $$$"""{"type":"identify","userId":"u{{{i}}}","traits":{"plan":"{{{(i % 10 < 3 ? "pro" : "free")}}}"}}""").ToArray();
        await harness.IngestAsync(messages);
        var pro = Cairn.Core.Journeys.DocumentParser.Parse<Cairn.Core.Journeys.ParsedSegment>("kind: segment\nid: p\nname: P\ncondition: { trait: plan, op: eq, value: pro }", "p").Segment.Condition!;

        var estimate = await harness.Previewer.PreviewSegmentAsync(pro, 20, TestContext.Current.CancellationToken);
        Assert.False(estimate.Exact);
        Assert.Equal(3000, estimate.Population);
        Assert.InRange(estimate.Evaluated, 400, 800);
        Assert.InRange(estimate.Margin, 30, 150);

        // Three margins (about six standard errors) hold the true count unless the hash of the ids is broken.
        Assert.InRange(estimate.Count, 900 - (3 * estimate.Margin), 900 + (3 * estimate.Margin));
        Assert.Equal(20, estimate.Sample.Count);
        Assert.All(estimate.Sample, contact => Assert.Equal("pro", contact.TraitString("plan")));

        // The same sample every time (a contact's bucket is fixed), and the exact count on request.
        Assert.Equal(estimate.Count, (await harness.Previewer.PreviewSegmentAsync(pro, 20, TestContext.Current.CancellationToken)).Count);
        var exact = await harness.Previewer.PreviewSegmentAsync(pro, 20, TestContext.Current.CancellationToken, exact: true);
        Assert.Equal((900L, true, 0L), (exact.Count, exact.Exact, exact.Margin));
    }

    [Fact]
    public async Task WindowedSegments_CountTheEventsAMergeBrings_AndLetOldOnesSlideOut()
    {
        await using var harness = await EngineHarness.StartAsync(partitions: 2);
        var cancel = TestContext.Current.CancellationToken;
        await harness.Store.SaveDraftAsync("segment", "keen", "kind: segment\nid: keen\nname: Keen\ncondition: { performed: viewed, at_least: 3, within: 7d }", harness.Time.GetUtcNow(), cancel);
        await harness.Publisher.SaveLiveDocumentAsync("segment", "keen", cancel, backfill: false);

        await harness.IngestAsync("""{"type":"track","anonymousId":"a-1","event":"viewed"}""", """{"type":"track","anonymousId":"a-1","event":"viewed"}""");
        await harness.IngestAsync("""{"type":"track","userId":"ann","event":"viewed"}""");
        Assert.Empty((await harness.ContactOfAsync(IdentityKey.User("ann"))).Segments);

        // The visitor turns out to be Ann: her history now holds their three views.
        await harness.IngestAsync("""{"type":"identify","userId":"ann","anonymousId":"a-1"}""");
        await harness.Engine.WhenIdleAsync(cancel);
        var ann = await harness.ContactOfAsync(IdentityKey.User("ann"));
        Assert.True(ann.Segments.ContainsKey("keen"), string.Join(", ", ann.Segments.Keys));

        // A week on, only new views count: two more are not three.
        harness.Time.Advance(TimeSpan.FromDays(8));
        await harness.IngestAsync("""{"type":"track","userId":"ann","event":"viewed"}""", """{"type":"track","userId":"ann","event":"viewed"}""");
        Assert.False((await harness.ContactOfAsync(IdentityKey.User("ann"))).Segments.ContainsKey("keen"));
        await harness.IngestAsync("""{"type":"track","userId":"ann","event":"viewed"}""");
        Assert.True((await harness.ContactOfAsync(IdentityKey.User("ann"))).Segments.ContainsKey("keen"));
    }

    [Fact]
    public async Task HistoryClauses_OverMoreEventsThanAPartitionHolds_AreFoldedFromTheStore_AndStayExact()
    {
        // Twenty events of a name at most are held: a hundred orders are folded from the store.
        await using var harness = await EngineHarness.StartAsync(partitions: 1, options => options.MaxHistoryEventsPerName = 20);
        var cancel = TestContext.Current.CancellationToken;
        var segments = new Dictionary<string, string>
        {
            ["big-orders"] = "{ performed: order_completed, at_least: 61, where: { property: revenue, op: gte, value: 50 }, within: 365d }",
            ["spent"] = "{ aggregate: sum, of: revenue, event: order_completed, within: 365d, op: gte, value: 5550 }",
            ["average"] = "{ aggregate: avg, of: revenue, event: order_completed, op: gte, value: 55 }",
            ["first-big"] = "{ first_performed: order_completed, where: { property: revenue, op: gte, value: 90 }, before: 150d }",
            ["browsing"] = "{ performed: $page, at_least: 2, within: 7d }",
        };
        foreach (var (id, condition) in segments)
        {
            await harness.Store.SaveDraftAsync("segment", id, $"kind: segment\nid: {id}\nname: {id}\ncondition: {condition}", harness.Time.GetUtcNow(), cancel);
            await harness.Publisher.SaveLiveDocumentAsync("segment", id, cancel, backfill: false);
        }

        // A hundred orders over 200 days, 10 to 100 each (5,500 in all, 60 of them 50 or more; the first of 90 is 184 days ago).
        var now = harness.Time.GetUtcNow();
        await harness.IngestAsync([.. Enumerable.Range(0, 100).Select(i =>
            $$"""{"type":"track","userId":"ann","event":"order_completed","properties":{"revenue":{{10 + (i % 10 * 10)}}},"timestamp":"{{now.AddDays(-200 + (2 * i)):O}}"}""")]);
        await harness.IngestAsync("""{"type":"page","userId":"ann","name":"Home"}""", """{"type":"page","userId":"ann","name":"Home"}""");
        string[] Segments(ContactState contact) => [.. contact.Segments.Keys.Order(StringComparer.Ordinal)];
        Assert.Equal(["average", "browsing", "first-big"], Segments(await harness.ContactOfAsync(IdentityKey.User("ann"))));

        // One more order of 50, in its own batch: the folds of the stored orders take it in (the average falls to 54.95).
        await harness.IngestAsync("""{"type":"track","userId":"ann","event":"order_completed","properties":{"revenue":50}}""");
        Assert.Equal(["big-orders", "browsing", "first-big", "spent"], Segments(await harness.ContactOfAsync(IdentityKey.User("ann"))));

        // A model saved now rescores from every order, replayed from the store.
        await harness.Store.SaveDraftAsync(Core.Journeys.DocumentParser.ScoringKind, "buyer", "kind: scoring_model\nid: buyer\nname: Buyer\nrules: [{ id: big, event: order_completed, where: { property: revenue, op: gte, value: 50 }, points: 1 }]", harness.Time.GetUtcNow(), cancel);
        await harness.Publisher.SaveLiveDocumentAsync(Core.Journeys.DocumentParser.ScoringKind, "buyer", cancel);
        await harness.Rollouts.RunRolloutsAsync(cancel);
        await harness.Engine.WhenIdleAsync(cancel);
        Assert.Equal(61, (await harness.ContactOfAsync(IdentityKey.User("ann"))).Scores["buyer"].ValueAt(harness.Time.GetUtcNow()), 9);

        // When the oldest orders leave the year, the sum follows to the tick.
        harness.Time.SetUtcNow(now.AddDays(165).AddSeconds(1));
        await harness.Timers.FireDueTimersAsync(cancel);
        await harness.Engine.WhenIdleAsync(cancel);
        Assert.DoesNotContain("spent", Segments(await harness.ContactOfAsync(IdentityKey.User("ann"))));
    }
}
