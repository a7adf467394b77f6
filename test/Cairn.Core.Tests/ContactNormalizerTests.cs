using Cairn.Core.Contacts;

namespace Cairn.Core.Tests;

public sealed class ContactNormalizerTests
{
    [Theory]
    [InlineData("  Jane.Doe@Example.COM ", "Jane.Doe@example.com")]
    [InlineData("a@b", "a@b")]
    [InlineData("not-an-email", null)]
    [InlineData("two@@example.com", null)]
    [InlineData("@example.com", null)]
    [InlineData("jane@", null)]
    [InlineData("jane doe@example.com", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void NormalizeEmail_Input_ReturnsNormalisedOrNull(string? input, string? expected)
    {
        Assert.Equal(expected, ContactNormalizer.NormalizeEmail(input));
    }

    [Theory]
    [InlineData("+1 (415) 555-2671", null, "+14155552671")]
    [InlineData("(415) 555-2671", "US", "+14155552671")]
    [InlineData("030 123456", "de", "+4930123456")]
    [InlineData("+44 20 7946 0958", null, "+442079460958")]
    [InlineData("12", "US", null)]
    [InlineData("call me", null, null)]
    [InlineData("(415) 555-2671", null, null)]
    public void NormalizePhone_Input_ReturnsE164OrNull(string input, string? region, string? expected)
    {
        Assert.Equal(expected, ContactNormalizer.NormalizePhone(input, region));
    }

    [Theory]
    [InlineData("Europe/Berlin", "Europe/Berlin")]
    [InlineData(" America/New_York ", "America/New_York")]
    [InlineData("Mars/Olympus", null)]
    [InlineData("", null)]
    public void NormalizeTimeZone_Input_ReturnsIanaIdOrNull(string input, string? expected)
    {
        Assert.Equal(expected, ContactNormalizer.NormalizeTimeZone(input));
    }
}
