using System.Net;
using Cairn.Core.Messages;

namespace Cairn.Core.Tests;

/// <summary>
/// The machine engagement classifier on hand-made requests: Apple Mail Privacy Protection's proxy, link scanners,
/// HEAD requests, requests faster than a person, bursts of distinct links; and what a person's requests look like.
/// </summary>
public sealed class MachineEngagementTests
{
    private const string Iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    private const string GmailProxy = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
    private static readonly TimeSpan Later = TimeSpan.FromMinutes(20);

    [Fact]
    public void APersonsOpensAndClicks_AreNotMachines()
    {
        Assert.Equal(MachineReason.None, MachineEngagement.Classify(new(EngagementKind.Open, Iphone, IPAddress.Parse("203.0.113.9"), false, Later)));
        Assert.Equal(MachineReason.None, MachineEngagement.Classify(new(EngagementKind.Open, GmailProxy, IPAddress.Parse("66.249.84.1"), false, Later)));
        Assert.Equal(MachineReason.None, MachineEngagement.Classify(new(EngagementKind.Click, Chrome, IPAddress.Parse("2001:db8::1"), false, Later)));
        Assert.Equal(MachineReason.None, MachineEngagement.Classify(new(EngagementKind.Click, Chrome, null, false, null)));

        // Exactly at the limit is a person; a person clicking the same link twice is no burst.
        Assert.Equal(MachineReason.None, MachineEngagement.Classify(new(EngagementKind.Open, Iphone, null, false, MachineEngagement.TooSoon)));
        Assert.Equal(MachineReason.None, MachineEngagement.Classify(new(EngagementKind.Click, Chrome, null, false, Later, DistinctLinksInBurst: 1)));
    }

    [Fact]
    public void ApplesProxy_ByItsBareUserAgentOrItsAddresses_IsAMachineOpen()
    {
        Assert.Equal(MachineReason.AppleMailPrivacyProtection, MachineEngagement.Classify(new(EngagementKind.Open, "Mozilla/5.0", IPAddress.Parse("104.28.1.1"), false, Later)));
        Assert.Equal(MachineReason.AppleMailPrivacyProtection, MachineEngagement.Classify(new(EngagementKind.Open, " Mozilla/5.0 ", null, false, Later)));
        Assert.Equal(MachineReason.AppleMailPrivacyProtection, MachineEngagement.Classify(new(EngagementKind.Open, Iphone, IPAddress.Parse("17.58.63.2"), false, Later)));
        Assert.Equal(MachineReason.AppleMailPrivacyProtection, MachineEngagement.Classify(new(EngagementKind.Open, Iphone, IPAddress.Parse("::ffff:17.1.2.3"), false, Later)));

        // 17/8 is Apple's; 170/8 and 18/8 are not. A click from Apple's addresses is a person behind iCloud Private Relay.
        Assert.Equal(MachineReason.None, MachineEngagement.Classify(new(EngagementKind.Open, Iphone, IPAddress.Parse("170.1.2.3"), false, Later)));
        Assert.Equal(MachineReason.None, MachineEngagement.Classify(new(EngagementKind.Open, Iphone, IPAddress.Parse("18.1.2.3"), false, Later)));
        Assert.Equal(MachineReason.None, MachineEngagement.Classify(new(EngagementKind.Click, Iphone, IPAddress.Parse("17.1.2.3"), false, Later)));
        Assert.False(MachineEngagement.IsApple(IPAddress.Parse("2a01:b740::1")));
    }

    [Theory]
    [InlineData("Mozilla/5.0 (compatible; Barracuda Sentinel; +https://barracuda.com)")]
    [InlineData("Proofpoint URL Defense")]
    [InlineData("Mimecast Security Scanner")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36")]
    [InlineData("python-requests/2.31.0")]
    [InlineData("curl/8.5.0")]
    [InlineData("Go-http-client/1.1")]
    [InlineData("Googlebot/2.1 (+http://www.google.com/bot.html)")]
    [InlineData("")]
    [InlineData(null)]
    public void LinkScannersAndLibraries_AreMachines(string? agent)
    {
        Assert.Equal(MachineReason.Scanner, MachineEngagement.Classify(new(EngagementKind.Click, agent, IPAddress.Parse("198.51.100.7"), false, Later)));
        Assert.Equal(MachineReason.Scanner, MachineEngagement.Classify(new(EngagementKind.Open, agent, IPAddress.Parse("198.51.100.7"), false, Later)));
    }

    [Fact]
    public void AHeadRequest_AnOpenOrClickWithinSecondsOfSending_AndABurstOfLinks_AreMachines()
    {
        Assert.Equal(MachineReason.HeadRequest, MachineEngagement.Classify(new(EngagementKind.Click, Chrome, null, true, Later)));
        Assert.Equal(MachineReason.TooSoonAfterSending, MachineEngagement.Classify(new(EngagementKind.Open, Iphone, null, false, TimeSpan.FromSeconds(1))));
        Assert.Equal(MachineReason.TooSoonAfterSending, MachineEngagement.Classify(new(EngagementKind.Click, Chrome, null, false, TimeSpan.Zero)));
        Assert.Equal(MachineReason.LinkBurst, MachineEngagement.Classify(new(EngagementKind.Click, Chrome, null, false, Later, DistinctLinksInBurst: 2)));

        // A burst is about clicks: an open has no links.
        Assert.Equal(MachineReason.None, MachineEngagement.Classify(new(EngagementKind.Open, Iphone, null, false, Later, DistinctLinksInBurst: 3)));
    }
}
