using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="ISuppressionList"/>: hard bounces suppress at once, soft ones count up to a limit, an operator lifts them.</summary>
public abstract class SuppressionListCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private ISuppressionList Suppressions => Store;

    [Fact]
    public async Task RecordBounce_Hard_SuppressesAtOnce_KeepingTheFirstReason()
    {
        Assert.Null(await Suppressions.GetSuppressionAsync("key-a", Cancel));

        var first = await Suppressions.RecordBounceAsync("key-a", "a***@example.com", hard: true, "550 no such user", "smtp", 3, T0, Cancel);
        Assert.Equal(new Suppression("key-a", "a***@example.com", 0, "550 no such user", "smtp", T0, T0), first);
        Assert.True(first.Suppressed);

        // A later complaint does not rewrite why or since when the address is suppressed.
        var again = await Suppressions.RecordBounceAsync("key-a", "a***@example.com", hard: true, "complaint", "feedback_loop", 3, T0.AddHours(1), Cancel);
        Assert.Equal(("550 no such user", "smtp", T0, T0.AddHours(1)), (again.Reason, again.Source, again.SuppressedAt, again.UpdatedAt));
        Assert.Equal(again, await Suppressions.GetSuppressionAsync("key-a", Cancel));
    }

    [Fact]
    public async Task RecordBounce_Soft_CountsAndSuppressesAtTheLimit()
    {
        var first = await Suppressions.RecordBounceAsync("key-s", "s***@example.com", hard: false, "452 mailbox full", "smtp", 3, T0, Cancel);
        Assert.Equal((1, null, null, false), (first.SoftBounces, first.Reason, first.SuppressedAt, first.Suppressed));
        var second = await Suppressions.RecordBounceAsync("key-s", "s***@example.com", hard: false, "452 mailbox full", "smtp", 3, T0.AddHours(1), Cancel);
        Assert.Equal((2, false), (second.SoftBounces, second.Suppressed));
        Assert.Empty((await Suppressions.ListSuppressionsAsync(null, 10, Cancel)).Items);

        var third = await Suppressions.RecordBounceAsync("key-s", "s***@example.com", hard: false, "452 mailbox full", "smtp", 3, T0.AddHours(2), Cancel);
        Assert.Equal((3, "3 soft bounces in a row (last: 452 mailbox full)", "smtp", T0.AddHours(2)), (third.SoftBounces, third.Reason, third.Source, third.SuppressedAt));
        Assert.Equal(["key-s"], (await Suppressions.ListSuppressionsAsync(null, 10, Cancel)).Items.Select(s => s.AddressKey));
    }

    [Fact]
    public async Task ResetSoftBounces_ClearsTheCount_ButNotASuppression()
    {
        await Suppressions.RecordBounceAsync("key-s", "s", hard: false, "full", "smtp", 3, T0, Cancel);
        await Suppressions.RecordBounceAsync("key-s", "s", hard: false, "full", "smtp", 3, T0, Cancel);
        await Suppressions.ResetSoftBouncesAsync("key-s", Cancel);
        Assert.Equal(0, (await Suppressions.GetSuppressionAsync("key-s", Cancel))!.SoftBounces);

        // The count starts again from zero: two more soft bounces do not reach the limit of three.
        await Suppressions.RecordBounceAsync("key-s", "s", hard: false, "full", "smtp", 3, T0, Cancel);
        Assert.False((await Suppressions.RecordBounceAsync("key-s", "s", hard: false, "full", "smtp", 3, T0, Cancel)).Suppressed);

        await Suppressions.RecordBounceAsync("key-s", "s", hard: false, "full", "smtp", 3, T0, Cancel);
        await Suppressions.ResetSoftBouncesAsync("key-s", Cancel);
        var suppressed = (await Suppressions.GetSuppressionAsync("key-s", Cancel))!;
        Assert.Equal((3, true), (suppressed.SoftBounces, suppressed.Suppressed));
        await Suppressions.ResetSoftBouncesAsync("missing", Cancel);
        Assert.Null(await Suppressions.GetSuppressionAsync("missing", Cancel));
    }

    [Fact]
    public async Task ListSuppressions_OnlySuppressed_NewestFirst_UpToTheLimit()
    {
        await Suppressions.RecordBounceAsync("old", "o", hard: true, "550", "smtp", 3, T0, Cancel);
        await Suppressions.RecordBounceAsync("new", "n", hard: true, "complaint", "feedback_loop", 3, T0.AddDays(1), Cancel);
        await Suppressions.RecordBounceAsync("soft", "s", hard: false, "full", "smtp", 3, T0.AddDays(2), Cancel);

        Assert.Equal(["new", "old"], (await Suppressions.ListSuppressionsAsync(null, 10, Cancel)).Items.Select(s => s.AddressKey));
        var first = await Suppressions.ListSuppressionsAsync(null, 1, Cancel);
        Assert.Equal(["new"], first.Items.Select(s => s.AddressKey));
        var second = await Suppressions.ListSuppressionsAsync(first.NextCursor, 1, Cancel);
        Assert.Equal(["old"], second.Items.Select(s => s.AddressKey));
        Assert.Null(second.NextCursor);
        await Assert.ThrowsAsync<InvalidCursorException>(() => Suppressions.ListSuppressionsAsync("forged", 1, Cancel));
    }

    [Fact]
    public async Task RemoveSuppression_LiftsASuppressedAddress_Only()
    {
        await Suppressions.RecordBounceAsync("hard", "h", hard: true, "550", "smtp", 3, T0, Cancel);
        await Suppressions.RecordBounceAsync("soft", "s", hard: false, "full", "smtp", 3, T0, Cancel);

        Assert.True(await Suppressions.RemoveSuppressionAsync("hard", Cancel));
        Assert.Null(await Suppressions.GetSuppressionAsync("hard", Cancel));
        Assert.False(await Suppressions.RemoveSuppressionAsync("hard", Cancel));
        Assert.False(await Suppressions.RemoveSuppressionAsync("soft", Cancel));
        Assert.Equal(1, (await Suppressions.GetSuppressionAsync("soft", Cancel))!.SoftBounces);
        Assert.Empty((await Suppressions.ListSuppressionsAsync(null, 10, Cancel)).Items);
    }
}
