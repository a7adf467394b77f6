using CsCheck;
using Cairn.Core.Measurement;

namespace Cairn.Core.Tests;

/// <summary>Each attribution model by hand on small cases, and the exact sum of credits to revenue for every model.</summary>
public sealed class AttributionTests
{
    private static readonly DateTimeOffset Converted = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    private static decimal[] Revenue(AttributionModel model, decimal revenue, params double[] daysBefore) =>
        [.. Attribution.Credit(model, Converted, revenue, [.. daysBefore.Select(days => Converted - (days * Day))], Day).Select(credit => credit.Revenue)];

    [Fact]
    public void FirstAndLastTouch_GiveEverythingToTheEarliestOrLatestTouch_WhateverTheOrderGiven()
    {
        Assert.Equal([0m, 100m, 0m], Revenue(AttributionModel.FirstTouch, 100m, 2, 6, 1));
        Assert.Equal([0m, 0m, 100m], Revenue(AttributionModel.LastTouch, 100m, 2, 6, 1));
    }

    [Fact]
    public void Linear_SharesEvenly_TheLeftoverCentToTheEarliestGiven()
    {
        // 100.00 / 3 = 33.333…: every remainder is equal, so the first touch given takes the leftover cent.
        Assert.Equal([33.34m, 33.33m, 33.33m], Revenue(AttributionModel.Linear, 100m, 6, 2, 1));
        Assert.Equal([0.01m, 0m, 0m], Revenue(AttributionModel.Linear, 0.01m, 6, 2, 1));
    }

    [Fact]
    public void TimeDecay_HalvesTheWeightPerHalfLifeOfAge()
    {
        // Half-life one day; ages 6, 2 and 1 days: weights 1/32, 1/2, 1 relative to the newest = 1/49, 16/49, 32/49.
        Assert.Equal([2m, 32m, 64m], Revenue(AttributionModel.TimeDecay, 98m, 6, 2, 1));
        var shares = Attribution.Shares(AttributionModel.TimeDecay, Converted, [Converted - (6 * Day), Converted - (2 * Day), Converted - Day], Day);
        Assert.Equal(1.0 / 49, shares[0], 12);
        Assert.Equal(32.0 / 49, shares[2], 12);

        // Two touches a half-life apart: two thirds to the newer.
        Assert.Equal([30m, 60m], Revenue(AttributionModel.TimeDecay, 90m, 2, 1));
    }

    [Fact]
    public void PositionBased_Is40To20To40_AllForOne_HalfEachForTwo()
    {
        Assert.Equal([100m], Revenue(AttributionModel.PositionBased, 100m, 3));
        Assert.Equal([50m, 50m], Revenue(AttributionModel.PositionBased, 100m, 3, 1));
        Assert.Equal([40m, 20m, 40m], Revenue(AttributionModel.PositionBased, 100m, 3, 2, 1));
        Assert.Equal([40m, 10m, 10m, 40m], Revenue(AttributionModel.PositionBased, 100m, 4, 3, 2, 1));

        // 2.00 shared by three middle touches: 0.67, 0.67, 0.66 (largest remainder, the earlier on a tie).
        Assert.Equal([4m, 0.67m, 0.67m, 0.66m, 4m], Revenue(AttributionModel.PositionBased, 10m, 5, 4, 3, 2, 1));

        // Given out of time order, the ends are still the earliest and the latest.
        Assert.Equal([20m, 40m, 40m], Revenue(AttributionModel.PositionBased, 100m, 2, 3, 1));
    }

    [Fact]
    public void Refunds_AndFineAmounts_AreSharedExactly()
    {
        Assert.Equal([-33.34m, -33.33m, -33.33m], Revenue(AttributionModel.Linear, -100m, 3, 2, 1));
        Assert.Equal([0.334m, 0.333m, 0.333m], Revenue(AttributionModel.Linear, 1.000m, 3, 2, 1));
        Assert.Empty(Revenue(AttributionModel.Linear, 100m));
    }

    [Fact]
    public void ModelNames_RoundTrip_AndUnknownNamesAreRefused()
    {
        foreach (var model in Attribution.Models)
        {
            Assert.True(Attribution.TryParse(Attribution.NameOf(model), out var parsed));
            Assert.Equal(model, parsed);
        }

        Assert.False(Attribution.TryParse("w_shaped", out _));
        Assert.False(Attribution.TryParse(null, out _));
    }

    [Fact]
    public void EveryModel_CreditsSumExactlyToTheRevenue_SharesSumToOne_AndNoCreditIsNegative()
    {
        var revenue = Gen.Select(Gen.Long[-100_000_000_000_000, 100_000_000_000_000], Gen.Int[0, 6]).Select((units, scale) => units / (decimal)Math.Pow(10, scale));
        var touches = Gen.Int[0, 7 * 24 * 60].Array[0, 30];
        var halfLife = Gen.Int[1, 14 * 24 * 60];
        Gen.Select(Gen.Int[0, 4], revenue, touches, halfLife).Sample((model, amount, minutesBefore, half) =>
        {
            amount = Math.Clamp(amount, -Money.Limit, Money.Limit);
            var times = minutesBefore.Select(minutes => Converted - TimeSpan.FromMinutes(minutes)).ToList();
            var credits = Attribution.Credit(Attribution.Models[model], Converted, amount, times, TimeSpan.FromMinutes(half));
            Assert.Equal(times.Count, credits.Length);
            if (times.Count == 0)
            {
                return;
            }

            Assert.Equal(amount, credits.Sum(credit => credit.Revenue));
            Assert.Equal(1.0, credits.Sum(credit => credit.Share), 9);
            Assert.All(credits, credit => Assert.True(amount >= 0 ? credit.Revenue >= 0 : credit.Revenue <= 0));

            // No credit strays from its exact proportion by a unit or more.
            var unit = 1m / (decimal)Math.Pow(10, Math.Max(2, (int)amount.Scale));
            Assert.All(credits, credit => Assert.True(Math.Abs(credit.Revenue - ((decimal)credit.Share * amount)) < unit + (Math.Abs(amount) * 1e-12m)));
        });
    }
}
