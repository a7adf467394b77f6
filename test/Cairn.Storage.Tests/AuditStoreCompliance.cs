using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IAuditStore"/>: entries appended with growing ids, filtered and paged newest first, deleted only by age.</summary>
public abstract class AuditStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IAuditStore Audit => Store;

    internal static AuditEntry Entry(DateTimeOffset at, string action, string? targetKind = "journey", string? targetId = "welcome", string actor = "ada@example.com") =>
        new(0, at, AuditActorKinds.User, "u1", actor, "203.0.113.7", action, targetKind, targetId, $"{action} {targetId}", 200);

    [Fact]
    public async Task Append_GivesGrowingIds_AndAnEntryReadsBackWholeWithItsDocuments()
    {
        var first = await Audit.AppendAuditAsync(Entry(T0, "journey.drafted") with { Before = "id: welcome\nname: Old\n", After = "id: welcome\nname: New\n" }, Cancel);
        var second = await Audit.AppendAuditAsync(Entry(T0, "key.created", "key", "k1") with { ActorKind = AuditActorKinds.ConfiguredKey, ActorId = null, ActorName = "configured", IpAddress = null, Status = 201 }, Cancel);

        Assert.True(second.Id > first.Id);
        Assert.True(first.HasDocuments);
        var read = await Audit.GetAuditEntryAsync(first.Id, Cancel);
        Assert.Equal(first, read);
        Assert.Equal("id: welcome\nname: New\n", read!.After);
        Assert.Equal(second, await Audit.GetAuditEntryAsync(second.Id, Cancel));
        Assert.Null(await Audit.GetAuditEntryAsync(second.Id + 100, Cancel));
    }

    [Fact]
    public async Task List_IsNewestFirst_WithoutDocuments_AndPagesByTheIdBefore()
    {
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await Audit.AppendAuditAsync(Entry(T0.AddMinutes(i), "journey.published") with { After = "v" + i }, Cancel)).Id);
        }

        var page = await Audit.ListAuditAsync(new AuditQuery(Limit: 2), Cancel);
        Assert.Equal([ids[4], ids[3]], page.Select(entry => entry.Id));
        Assert.All(page, entry => Assert.True(entry.HasDocuments && entry.After is null && entry.Before is null));
        var next = await Audit.ListAuditAsync(new AuditQuery(BeforeId: page[^1].Id, Limit: 2), Cancel);
        Assert.Equal([ids[2], ids[1]], next.Select(entry => entry.Id));
        var last = await Audit.ListAuditAsync(new AuditQuery(BeforeId: next[^1].Id, Limit: 2), Cancel);
        Assert.Equal([ids[0]], last.Select(entry => entry.Id));
    }

    [Fact]
    public async Task List_FiltersByActorActionPrefixTargetAndTime()
    {
        var drafted = await Audit.AppendAuditAsync(Entry(T0, "journey.drafted"), Cancel);
        var published = await Audit.AppendAuditAsync(Entry(T0.AddHours(1), "journey.published"), Cancel);
        var other = await Audit.AppendAuditAsync(Entry(T0.AddHours(2), "journey.published", targetId: "cart", actor: "grace@example.com") with { ActorId = "u2" }, Cancel);
        var underscore = await Audit.AppendAuditAsync(Entry(T0.AddHours(3), "user.role_changed", "user", "u9"), Cancel);
        var keyed = await Audit.AppendAuditAsync(Entry(T0.AddHours(4), "userXrole.changed", "user", "u9"), Cancel);

        async Task<long[]> IdsAsync(AuditQuery query) => [.. (await Audit.ListAuditAsync(query, Cancel)).Select(entry => entry.Id)];

        Assert.Equal([other.Id, published.Id], await IdsAsync(new AuditQuery(Action: "journey.published")));
        Assert.Equal([other.Id, published.Id, drafted.Id], await IdsAsync(new AuditQuery(Action: "journey.")));
        Assert.Equal([other.Id, published.Id, drafted.Id], await IdsAsync(new AuditQuery(Action: "journey.*")));
        Assert.Equal([underscore.Id], await IdsAsync(new AuditQuery(Action: "user.role_*")));
        Assert.Equal([keyed.Id], await IdsAsync(new AuditQuery(Action: "userXrole.*")));
        Assert.Equal([other.Id], await IdsAsync(new AuditQuery(Actor: "grace@example.com")));
        Assert.Equal([other.Id], await IdsAsync(new AuditQuery(Actor: "u2")));
        Assert.Equal([published.Id, drafted.Id], await IdsAsync(new AuditQuery(TargetKind: "journey", TargetId: "welcome")));
        Assert.Equal([keyed.Id, underscore.Id], await IdsAsync(new AuditQuery(TargetKind: "user")));
        Assert.Equal([other.Id, published.Id], await IdsAsync(new AuditQuery(From: T0.AddHours(1), To: T0.AddHours(3))));
        Assert.Empty(await IdsAsync(new AuditQuery(Action: "journey.", From: T0.AddHours(3))));
    }

    [Fact]
    public async Task DeleteOlderThan_DeletesTheOldestInBatches_AndIdsKeepGrowing()
    {
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await Audit.AppendAuditAsync(Entry(T0.AddDays(i), "template.drafted"), Cancel)).Id);
        }

        Assert.Equal(2, await Audit.DeleteOlderThanAsync(T0.AddDays(3), 2, Cancel));
        Assert.Equal(1, await Audit.DeleteOlderThanAsync(T0.AddDays(3), 2, Cancel));
        Assert.Equal(0, await Audit.DeleteOlderThanAsync(T0.AddDays(3), 2, Cancel));
        Assert.Equal([ids[4], ids[3]], (await Audit.ListAuditAsync(new AuditQuery(), Cancel)).Select(entry => entry.Id));

        // The id of a deleted entry is never given again: a cursor keeps meaning the same entries.
        Assert.Equal(2, await Audit.DeleteOlderThanAsync(T0.AddDays(5), 10, Cancel));
        var after = await Audit.AppendAuditAsync(Entry(T0.AddDays(6), "template.drafted"), Cancel);
        Assert.True(after.Id > ids[4]);
    }
}
