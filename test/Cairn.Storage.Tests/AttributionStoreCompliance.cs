using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Orchestration;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary>
/// <see cref="IAttributionStore"/>: conversions recorded once in the commit, credited to the messages that touched the
/// contact in the lookback under every model (exactly to the cent), unattributed ones counted, and the control-group split.
/// </summary>
public abstract class AttributionStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    private IAttributionStore Attribution => Store;

    private static WorkspaceConversion Conversion(string id, ContactId contact, DateTimeOffset at, decimal revenue) => new(id, contact, at, revenue, Week, Week);

    private static ContactId ContactWhere(Func<int, bool> wanted)
    {
        while (true)
        {
            var id = NewContactId();
            if (wanted(ContactBucket.Of(id)))
            {
                return id;
            }
        }
    }

    private async Task SendAsync(OutboxMessage message, DateTimeOffset sentAt, DateTimeOffset? openedAt = null)
    {
        await CommitAsync(batch => batch.Outbox.Add(message));
        await Store.RecordDeliveryAsync(message.MessageId, MessageStatus.Sent, 1, null, sentAt, null, Cancel);
        if (openedAt is { } at)
        {
            await Store.RecordEngagementAsync(message.MessageId, Engagement.Opened, at, Cancel);
        }
    }

    [Fact]
    public async Task AConversion_IsCreditedToTheMessagesInItsLookback_UnderEveryModel_OnceAndExactly()
    {
        var ann = NewContactId();
        var bob = NewContactId();
        var day = new DateTimeOffset(T0.UtcDateTime.Date, TimeSpan.Zero);

        // Sent five days before; sent ten days before but opened two days before; sent eight days before, never opened.
        await SendAsync(Message(ann, "a", T0.AddDays(-5), journey: "welcome"), T0.AddDays(-5));
        await SendAsync(Message(ann, "b", T0.AddDays(-10), channel: "sms", journey: "winback"), T0.AddDays(-10), T0.AddDays(-2));
        await SendAsync(Message(ann, "c", T0.AddDays(-8), journey: "stale"), T0.AddDays(-8));

        // A message sent after the conversion earns nothing.
        await SendAsync(Message(ann, "d", T0.AddHours(1), journey: "later"), T0.AddHours(1));
        await CommitAsync(batch => batch.WorkspaceConversions.AddRange([Conversion("order-1", ann, T0, 100.00m), Conversion("order-2", bob, T0.AddHours(2), 20.005m)]));

        // The same conversion again (a retried commit, a replayed event) is not counted twice.
        await CommitAsync(batch => batch.WorkspaceConversions.Add(Conversion("order-1", ann, T0, 100.00m)));

        // A conversion on the next day stays out of a one-day period.
        await CommitAsync(batch => batch.WorkspaceConversions.Add(Conversion("order-3", bob, T0.AddDays(1), 7m)));

        var counts = await Attribution.GetAttributionAsync(day, day.AddDays(1), AttributionGrouping.Journey, Cancel);
        Assert.Equal((2L, 120.01m, 1L, 20.01m), (counts.Conversions, counts.Revenue, counts.Unattributed, counts.UnattributedRevenue));
        Assert.Equal(["welcome", "winback"], counts.Credits.Select(credit => credit.Key).Distinct().Order(StringComparer.Ordinal));
        foreach (var model in Core.Measurement.Attribution.Models.Select(Core.Measurement.Attribution.NameOf))
        {
            var credits = counts.Credits.Where(credit => credit.Model == model).ToList();
            Assert.Equal(100.00m, credits.Sum(credit => credit.Revenue));
            Assert.Equal(1.0, credits.Sum(credit => credit.Conversions), 9);
        }

        decimal Revenue(string model, string journey) => counts.Credits.SingleOrDefault(c => c.Model == model && c.Key == journey)?.Revenue ?? 0;
        Assert.Equal((100m, 0m), (Revenue("first_touch", "welcome"), Revenue("first_touch", "winback")));
        Assert.Equal((0m, 100m), (Revenue("last_touch", "welcome"), Revenue("last_touch", "winback")));
        Assert.Equal((50m, 50m), (Revenue("linear", "welcome"), Revenue("linear", "winback")));
        Assert.Equal((50m, 50m), (Revenue("position_based", "welcome"), Revenue("position_based", "winback")));

        // Time decay, half-life a week: the open two days before weighs 2^(3/7) times the send five days before.
        var older = Math.Round(100m / (1m + (decimal)Math.Pow(2, 3.0 / 7)), 2);
        Assert.Equal((older, 100m - older), (Revenue("time_decay", "welcome"), Revenue("time_decay", "winback")));

        var byChannel = await Attribution.GetAttributionAsync(day, day.AddDays(1), AttributionGrouping.Channel, Cancel);
        Assert.Equal([("email", 100m), ("sms", 0m)], byChannel.Credits.Where(c => c.Model == "first_touch").Select(c => (c.Key, c.Revenue)));
        var byTemplate = await Attribution.GetAttributionAsync(day, day.AddDays(2), AttributionGrouping.Template, Cancel);
        Assert.Equal((3L, 127.01m, 2L), (byTemplate.Conversions, byTemplate.Revenue, byTemplate.Unattributed));
        Assert.Equal(["hello"], byTemplate.Credits.Select(c => c.Key).Distinct());

        var empty = await Attribution.GetAttributionAsync(day.AddDays(-30), day.AddDays(-29), AttributionGrouping.Journey, Cancel);
        Assert.Equal((0L, 0m, 0L), (empty.Conversions, empty.Revenue, empty.Unattributed));
        Assert.Empty(empty.Credits);
    }

    [Fact]
    public async Task TheControlGroup_AndEveryoneElse_CountContactsConvertersConversionsAndRevenue()
    {
        var first = GlobalControlGroup.FirstBucket(10);
        var held = ContactWhere(bucket => bucket >= first);
        var ann = ContactWhere(bucket => bucket < first);
        var bob = ContactWhere(bucket => bucket < first);
        await CommitAsync(batch =>
        {
            foreach (var id in new[] { held, ann, bob })
            {
                batch.Contacts[id] = ContactState.New(id, T0);
            }

            batch.WorkspaceConversions.AddRange(
            [
                Conversion("o-1", held, T0, 10m),
                Conversion("o-2", ann, T0.AddHours(1), 30m),
                Conversion("o-3", ann, T0.AddHours(2), 20m),
                Conversion("o-4", bob, T0.AddDays(-3), 99m),
            ]);
        });

        var counts = await Attribution.GetControlGroupAsync(T0.AddDays(-1), T0.AddDays(1), first, Cancel);
        Assert.Equal(new ControlGroupSide(1, 1, 1, 10m, 100), counts.Control);
        Assert.Equal(new ControlGroupSide(2, 1, 2, 50m, 2500), counts.Others);

        var none = await Attribution.GetControlGroupAsync(T0.AddDays(5), T0.AddDays(6), first, Cancel);
        Assert.Equal(new ControlGroupSide(1, 0, 0, 0m, 0), none.Control);
        Assert.Equal(new ControlGroupSide(2, 0, 0, 0m, 0), none.Others);
    }
}
