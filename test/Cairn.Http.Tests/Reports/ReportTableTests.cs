using Cairn.Http.Reports;

namespace Cairn.Http.Tests.Reports;

public sealed class ReportTableTests
{
    [Fact]
    public void Csv_QuotesWhatNeedsQuotingAndDefusesFormulas()
    {
        var table = new ReportTable(
            ["template", "sent", "rate"],
            [
                ["cart, reminder \"1\"", ReportTable.Cell(12L), ReportTable.Cell(0.125)],
                ["=HYPERLINK(\"http://evil\")", ReportTable.Cell(-3L), ReportTable.Cell(-0.5)],
                ["two\nlines", "@SUM(A1)", null],
            ]);

        Assert.Equal(
            "template,sent,rate\r\n" +
            "\"cart, reminder \"\"1\"\"\",12,0.125\r\n" +
            "\"'=HYPERLINK(\"\"http://evil\"\")\",-3,-0.5\r\n" +
            "\"two\nlines\",'@SUM(A1),\r\n",
            table.ToCsv());
    }

    [Fact]
    public void Csv_RefusesARowOfTheWrongWidth()
    {
        var table = new ReportTable(["a", "b"], [["1"]]);

        Assert.Throws<InvalidOperationException>(() => table.ToCsv());
    }

    [Theory]
    [InlineData("2026-11-01", "2026-11-30", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")]
    [InlineData("2026-11-01T06:00:00+02:00", "2026-11-02T00:00:00Z", "2026-11-01T04:00:00Z", "2026-11-02T00:00:00Z")]
    public void Period_ReadsDatesAsWholeUtcDaysAndTimesWithTheirOffset(string from, string to, string start, string end)
    {
        var period = ReportPeriod.Parse(from, to, TimeProvider.System);

        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), period.From);
        Assert.Equal(DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture), period.To);
    }

    [Theory]
    [InlineData("2026-12-01", "2026-11-01", "must be before")]
    [InlineData("yesterday", null, "must be a date")]
    [InlineData("2020-01-01", "2026-01-01", "at most 731 days")]
    public void Period_RefusesWhatItCannotUse(string? from, string? to, string message)
    {
        var problem = Assert.ThrowsAny<Exception>(() => ReportPeriod.Parse(from, to, TimeProvider.System));

        Assert.Equal("ProblemException", problem.GetType().Name);

        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }
}
