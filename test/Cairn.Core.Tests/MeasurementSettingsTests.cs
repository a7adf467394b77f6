using Cairn.Core.Journeys;
using Cairn.Core.Orchestration;

namespace Cairn.Core.Tests;

/// <summary>The policy's <c>measurement:</c> section: the workspace conversion, attribution windows, global control group.</summary>
public sealed class MeasurementSettingsTests
{
    private static ParsedDocument Parse(string yaml) => DocumentParser.Parse("kind: policy\nid: default\n" + yaml, "policy.yaml");

    [Fact]
    public void APolicyWithoutTheSection_MeasuresOrdersWithSevenDayWindowsAndNoControlGroup()
    {
        var policy = Assert.IsType<ParsedPolicy>(Parse("time_zone: UTC\n")).Policy;

        Assert.Equal(new MeasurementSettings("order_completed", "revenue", TimeSpan.FromDays(7), TimeSpan.FromDays(7), 0), policy.Measurement);
        Assert.Same(MeasurementSettings.Default, Policy.Default.Measurement);
    }

    [Fact]
    public void TheSectionSetsEachValue()
    {
        var parsed = Parse("measurement:\n  conversion: { event: purchase, revenue: amount }\n  attribution: { lookback: 3d, half_life: 12h }\n  global_control_group: 5\n");

        Assert.True(parsed.Errors.IsEmpty, string.Join("; ", parsed.Errors));
        Assert.Equal(
            new MeasurementSettings("purchase", "amount", TimeSpan.FromDays(3), TimeSpan.FromHours(12), 5),
            Assert.IsType<ParsedPolicy>(parsed).Policy.Measurement);
    }

    [Theory]
    [InlineData("measurement:\n  global_control_group: 60\n", "global_control_group")]
    [InlineData("measurement:\n  global_control_group: -1\n", "global_control_group")]
    [InlineData("measurement:\n  attribution: { lookback: 30m }\n", "'lookback' is between 1h and 90d")]
    [InlineData("measurement:\n  attribution: { half_life: 365d }\n", "'half_life' is between 1h and 90d")]
    [InlineData("measurement:\n  conversion: { revenue: amount }\n", "event")]
    [InlineData("measurement:\n  holdout: 5\n", "holdout")]
    [InlineData("measurement: 5\n", "measurement")]
    public void WhatCannotBeUsedIsAnErrorWithItsPlace(string yaml, string message)
    {
        var parsed = Parse(yaml);

        Assert.Contains(parsed.Errors, error => error.ToString().Contains(message, StringComparison.Ordinal));
    }
}
