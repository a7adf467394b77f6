using Cairn.Core;
using Cairn.Core.Contacts;

namespace Cairn.Runtime.Tests;

/// <summary>A partition's profile cache: bounded, and when full it drops what was not used lately, not everything.</summary>
public sealed class ContactCacheTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static ContactState Profile(int n) => ContactState.New(new ContactId(new Guid(n, 0, 0, new byte[8])), T0);

    [Fact]
    public void WhenFull_TheContactsOfTheLastBatchesStay_AndTheOlderOnesGo()
    {
        var cache = new ContactCache(capacity: 10);
        var first = Enumerable.Range(1, 6).Select(Profile).ToList();
        var second = Enumerable.Range(7, 4).Select(Profile).ToList();
        first.ForEach(p => cache.Set(p.Id, p));
        cache.Trim(4);
        second.ForEach(p => cache.Set(p.Id, p));
        Assert.Equal(10, cache.Count);

        // Three more would pass the bound: the generation before the last trim goes, the later one stays.
        cache.Trim(3);
        Assert.All(first, p => Assert.False(cache.Contains(p.Id)));
        Assert.All(first.Concat(second), p => Assert.Equal(second.Contains(p), cache.Contains(p.Id)));
        Assert.True(cache.Count + 3 <= 10);
    }

    [Fact]
    public void ALookup_KeepsAnOlderContact_ThroughTheNextTrim()
    {
        var cache = new ContactCache(capacity: 8);
        var a = Profile(1);
        var b = Profile(2);
        cache.Set(a.Id, a);
        cache.Set(b.Id, b);
        cache.Trim(3);

        // a and b are now the older generation; a is used again, b is not.
        Assert.Equal(2, cache.Count);
        Assert.Same(a, cache.Get(a.Id));
        var c = Profile(3);
        cache.Set(c.Id, c);
        cache.Trim(3);
        Assert.True(cache.Contains(a.Id));
        Assert.True(cache.Contains(c.Id));
        Assert.False(cache.Contains(b.Id));
        Assert.Null(cache.Get(b.Id));
    }

    [Fact]
    public void FilledBatchAfterBatch_ItNeverHoldsMoreThanItsBound_AndKeepsTheLatestBatch()
    {
        var cache = new ContactCache(capacity: 100);
        var next = 0;
        for (var batch = 0; batch < 50; batch++)
        {
            var states = Enumerable.Range(0, 1 + (batch % 30)).Select(_ => Profile(++next)).ToList();
            cache.Trim(states.Count);
            states.ForEach(p => cache.Set(p.Id, p));
            Assert.InRange(cache.Count, states.Count, 100);
            Assert.All(states, p => Assert.True(cache.Contains(p.Id)));
        }
    }

    [Fact]
    public void ABatchLargerThanTheBound_DropsEverything_AndNothingIsEverLost_BeforeATrim()
    {
        var cache = new ContactCache(capacity: 3);
        var profiles = Enumerable.Range(1, 8).Select(Profile).ToList();

        // A batch loads more than the bound: all stay until the batch is done (only a trim drops).
        profiles.ForEach(p => cache.Set(p.Id, p));
        Assert.All(profiles, p => Assert.Same(p, cache.Get(p.Id)));

        cache.Trim(5);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void SetAndRemove_ReplaceAndForget_InEitherGeneration()
    {
        var cache = new ContactCache(capacity: 4);
        var a = Profile(1);
        cache.Set(a.Id, a);
        cache.Trim(2);

        // a is in the older generation now.
        var newer = a with { Email = "a@example.com" };
        cache.Set(a.Id, newer);
        Assert.Equal(1, cache.Count);
        Assert.Same(newer, cache.Get(a.Id));
        cache.Remove(a.Id);
        Assert.False(cache.Contains(a.Id));
        Assert.Equal(0, cache.Count);
    }
}
