using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IHandOffStore"/>: hand-offs opened, acknowledged and escalated by the commit, and routing's memory of them.</summary>
public abstract class HandOffStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IHandOffStore HandOffs => Store;

    [Fact]
    public async Task HandOffs_AreOpenedOnce_AcknowledgedOnce_AndEscalated()
    {
        var lead = NewContactId();
        var handOff = new HandOffRecord("h-1", lead, "sales", "olga", "round_robin", "acme.com", "lead_nurture", T0, T0.AddHours(4));
        await CommitAsync(batch => batch.HandOffs.AddRange([handOff, handOff with { Owner = "someone else" }]));
        Assert.Equal(handOff, await HandOffs.GetHandOffAsync("h-1", Cancel));
        Assert.Null(await HandOffs.GetHandOffAsync("missing", Cancel));

        await CommitAsync(batch => batch.HandOffEscalations.Add(new HandOffEscalation("h-1", T0.AddHours(4), "mia", "mia", T0.AddHours(8))));
        var escalated = await HandOffs.GetHandOffAsync("h-1", Cancel);
        Assert.Equal(handOff with { Owner = "mia", DueAt = T0.AddHours(8), EscalatedAt = T0.AddHours(4), EscalatedTo = "mia" }, escalated);

        await CommitAsync(batch => batch.HandOffAcknowledgements.Add(new HandOffAcknowledgement("h-1", T0.AddHours(5), "api")));
        await CommitAsync(batch => batch.HandOffAcknowledgements.Add(new HandOffAcknowledgement("h-1", T0.AddHours(6), "Meeting Booked")));
        Assert.Equal(escalated! with { AcknowledgedAt = T0.AddHours(5), AcknowledgedBy = "api" }, await HandOffs.GetHandOffAsync("h-1", Cancel));
    }

    [Fact]
    public async Task GetHandOffs_NewestFirst_ByOwnerContactAndTime_UpToTheLimit()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        var first = new HandOffRecord("h-1", ann, "sales", "olga", "round_robin", null, "nurture", T0, null);
        var second = new HandOffRecord("h-2", bob, "sales", "olga", "account", "acme.com", "nurture", T0.AddHours(1), T0.AddHours(5));
        var third = new HandOffRecord("h-3", ann, "sales", null, "unrouted", null, "nurture", T0.AddHours(2), null);
        await CommitAsync(batch => batch.HandOffs.AddRange([first, second, third]));

        Assert.Equal([third, second, first], await HandOffs.GetHandOffsAsync(null, null, T0, 10, Cancel));
        Assert.Equal([third, second], await HandOffs.GetHandOffsAsync(null, null, T0.AddHours(1), 10, Cancel));
        Assert.Equal([third], await HandOffs.GetHandOffsAsync(null, null, T0, 1, Cancel));
        Assert.Equal([second, first], await HandOffs.GetHandOffsAsync("olga", null, T0, 10, Cancel));
        Assert.Equal([third, first], await HandOffs.GetHandOffsAsync(null, ann, T0, 10, Cancel));
        Assert.Equal([first], await HandOffs.GetHandOffsAsync("olga", ann, T0, 10, Cancel));
        Assert.Empty(await HandOffs.GetHandOffsAsync("nobody", null, T0, 10, Cancel));
    }

    [Fact]
    public async Task RoutingMemory_IsEachAccountsOwners_AndWhenEachOwnerLastGotALead()
    {
        await CommitAsync(batch => batch.HandOffs.AddRange(
        [
            new HandOffRecord("h-1", NewContactId(), "sales", "olga", "round_robin", "acme.com", "j", T0, null),
            new HandOffRecord("h-2", NewContactId(), "sales", "mia", "round_robin", "globex.com", "j", T0.AddHours(1), null),
            new HandOffRecord("h-3", NewContactId(), "sales", "olga", "account", "acme.com", "j", T0.AddHours(2), null),
            new HandOffRecord("h-4", NewContactId(), "sales", "olga", "round_robin", null, "j", T0.AddHours(3), null),
            new HandOffRecord("h-5", NewContactId(), "sales", null, "unrouted", "initech.com", "j", T0.AddHours(4), null),
            new HandOffRecord("h-6", NewContactId(), "partners", "mia", "round_robin", "acme.com", "j", T0.AddHours(5), null),
        ]));

        var (accounts, lastAssigned) = await HandOffs.GetRoutingMemoryAsync(Cancel);
        Assert.Equal(
            [("sales", "acme.com", "olga"), ("sales", "globex.com", "mia"), ("sales", "acme.com", "olga"), ("partners", "acme.com", "mia")],
            accounts);
        Assert.Equal(
            [("partners", "mia", T0.AddHours(5)), ("sales", "mia", T0.AddHours(1)), ("sales", "olga", T0.AddHours(3))],
            lastAssigned.OrderBy(a => a.Team, StringComparer.Ordinal).ThenBy(a => a.Owner, StringComparer.Ordinal));
    }

    [Fact]
    public async Task RoutingMemory_OfNoHandOffs_IsEmpty()
    {
        var (accounts, lastAssigned) = await HandOffs.GetRoutingMemoryAsync(Cancel);
        Assert.Empty(accounts);
        Assert.Empty(lastAssigned);
    }
    // 260 hand-offs over 26 hours (more than the pages of 25 the walks read), of three owners and none, some acknowledged
    // in time, some late, some escalated, some open past due at Now, some without an SLA, and ten at one shared time.
    private static readonly DateTimeOffset Now = T0.AddHours(30);

    private async Task<List<HandOffRecord>> SeedAsync()
    {
        string?[] owners = ["olga", "mia", "ravi", null];
        var handOffs = Enumerable.Range(0, 260).Select(i =>
        {
            var created = i < 10 ? T0.AddHours(12) : T0.AddMinutes(6 * i).AddMilliseconds(i);
            var record = new HandOffRecord($"h-{i:D3}", NewContactId(), "sales", owners[i % 4], "round_robin", null, "j", created, i % 7 == 0 ? null : created.AddHours(2));
            return (i % 5) switch
            {
                0 => record with { AcknowledgedAt = created.AddSeconds(30 + (i * 17 % 3600)).AddTicks(i * 10), AcknowledgedBy = "api" },
                1 => record with { AcknowledgedAt = created.AddHours(3).AddSeconds(i), AcknowledgedBy = "api" },
                2 => record with { EscalatedAt = created.AddHours(2), EscalatedTo = "boss" },
                _ => record,
            };
        }).ToList();
        await CommitAsync(batch =>
        {
            batch.HandOffs.AddRange(handOffs.Select(h => h with { AcknowledgedAt = null, AcknowledgedBy = null, EscalatedAt = null, EscalatedTo = null }));
            batch.HandOffAcknowledgements.AddRange(handOffs.Where(h => h.AcknowledgedAt is not null).Select(h => new HandOffAcknowledgement(h.Id, h.AcknowledgedAt!.Value, "api")));
            batch.HandOffEscalations.AddRange(handOffs.Where(h => h.EscalatedAt is not null).Select(h => new HandOffEscalation(h.Id, h.EscalatedAt!.Value, "boss", h.Owner, h.DueAt)));
        });
        return handOffs;
    }

    [Fact]
    public async Task Summary_CountsTheWholeWindowPerOwner_AsTheRecordsSayByHand()
    {
        var handOffs = await SeedAsync();
        foreach (var (owner, since) in new (string?, DateTimeOffset)[] { (null, T0), (null, T0.AddHours(12)), ("mia", T0) })
        {
            var summary = await HandOffs.SummarizeHandOffsAsync(new HandOffQuery(since, Now, owner, Status: HandOffStatus.Open), Cancel);
            var expected = handOffs.Where(h => h.CreatedAt >= since && (owner is null || h.Owner == owner))
                .GroupBy(h => h.Owner)
                .Select(group => new
                {
                    Owner = group.Key,
                    Total = group.Count(),
                    Open = group.Count(h => h.AcknowledgedAt is null),
                    Acknowledged = group.Count(h => h.AcknowledgedAt is not null),
                    Breached = group.Count(h => h.IsBreached(Now)),
                    Escalated = group.Count(h => h.EscalatedAt is not null),
                    Seconds = string.Join(",", group.Where(h => h.AcknowledgedAt is not null).Select(h => (h.AcknowledgedAt!.Value - h.CreatedAt).TotalSeconds).Order()),
                })
                .OrderBy(row => row.Owner, StringComparer.Ordinal)
                .ToList();
            var actual = summary
                .Select(row => new { row.Owner, row.Total, row.Open, row.Acknowledged, row.Breached, row.Escalated, Seconds = string.Join(",", row.SecondsToAcknowledge) })
                .OrderBy(row => row.Owner, StringComparer.Ordinal)
                .ToList();
            Assert.Equal(expected, actual);
        }

        Assert.Contains(handOffs, h => h.IsBreached(Now) && h.EscalatedAt is null && h.AcknowledgedAt is null);
        Assert.Empty(await HandOffs.SummarizeHandOffsAsync(new HandOffQuery(Now, Now), Cancel));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(HandOffStatus.Open)]
    [InlineData(HandOffStatus.Acknowledged)]
    [InlineData(HandOffStatus.Breached)]
    [InlineData(HandOffStatus.Escalated)]
    public async Task Query_FiltersByStatusInTheDatabase_AndWalksNewestFirstWithoutDuplicatesOrGaps(HandOffStatus? status)
    {
        var handOffs = await SeedAsync();
        bool Matches(HandOffRecord h) => status switch
        {
            HandOffStatus.Open => h.AcknowledgedAt is null,
            HandOffStatus.Acknowledged => h.AcknowledgedAt is not null,
            HandOffStatus.Breached => h.IsBreached(Now),
            HandOffStatus.Escalated => h.EscalatedAt is not null,
            _ => true,
        };
        var expected = handOffs.Where(h => h.CreatedAt >= T0.AddMinutes(6) && Matches(h))
            .OrderByDescending(h => h.CreatedAt).ThenByDescending(h => h.Id, StringComparer.Ordinal).ToList();

        var query = new HandOffQuery(T0.AddMinutes(6), Now, Status: status);
        var walked = new List<HandOffRecord>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await HandOffs.QueryHandOffsAsync(query, cursor, 25, Cancel);
            Assert.True(page.Items.Count <= 25);
            walked.AddRange(page.Items);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 100);

        Assert.Equal(expected, walked);
        Assert.True(pages > 1);
    }

    [Fact]
    public async Task Query_ByOwnerAndContact_AndRefusesACursorOfAnotherQuery()
    {
        var handOffs = await SeedAsync();
        var mia = await HandOffs.QueryHandOffsAsync(new HandOffQuery(T0, Now, "mia"), null, 1000, Cancel);
        Assert.Equal(handOffs.Where(h => h.Owner == "mia").OrderByDescending(h => h.CreatedAt).ThenByDescending(h => h.Id, StringComparer.Ordinal), mia.Items);
        Assert.Null(mia.NextCursor);
        var one = handOffs[42];
        Assert.Equal([one], (await HandOffs.QueryHandOffsAsync(new HandOffQuery(T0, Now, ContactId: one.ContactId), null, 10, Cancel)).Items);

        var first = await HandOffs.QueryHandOffsAsync(new HandOffQuery(T0, Now, Status: HandOffStatus.Open), null, 5, Cancel);
        Assert.NotNull(first.NextCursor);
        await Assert.ThrowsAsync<InvalidCursorException>(() => HandOffs.QueryHandOffsAsync(new HandOffQuery(T0, Now, Status: HandOffStatus.Breached), first.NextCursor, 5, Cancel));
        await Assert.ThrowsAsync<InvalidCursorException>(() => HandOffs.QueryHandOffsAsync(new HandOffQuery(T0, Now), "not a cursor", 5, Cancel));
    }
}
