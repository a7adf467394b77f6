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
}
