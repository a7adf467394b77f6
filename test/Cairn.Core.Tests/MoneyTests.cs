using System.Text.Json;
using Cairn.Core.Measurement;

namespace Cairn.Core.Tests;

public sealed class MoneyTests
{
    [Theory]
    [InlineData("""{"revenue":19.99}""", "19.99")]
    [InlineData("""{"revenue":"19.99"}""", "19.99")]
    [InlineData("""{"revenue":"-5"}""", "-5")]
    [InlineData("""{"revenue":0}""", "0")]
    [InlineData("""{"revenue":1000000000000}""", "1000000000000")]
    [InlineData("""{"revenue":1000000000001}""", null)]
    [InlineData("""{"revenue":"1e3"}""", null)]
    [InlineData("""{"revenue":"NaN"}""", null)]
    [InlineData("""{"revenue":true}""", null)]
    [InlineData("""{"revenue":null}""", null)]
    [InlineData("""{"total":5}""", null)]
    [InlineData("""[1]""", null)]
    public void ReadsANumberOrNumericStringWithinTheLimit(string json, string? expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Equal(expected is null ? null : decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), Money.Read(document.RootElement, "revenue"));
    }

    [Fact]
    public void NoPropertiesIsNoRevenue() => Assert.Null(Money.Read(null, "revenue"));
}
