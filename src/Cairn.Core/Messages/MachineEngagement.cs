using System.Net;
using System.Net.Sockets;

namespace Cairn.Core.Messages;

/// <summary>What a recipient's request on a tracking link did: load the open pixel, or follow a tracked link.</summary>
public enum EngagementKind
{
    /// <summary>The open pixel was loaded.</summary>
    Open,

    /// <summary>A tracked link was followed.</summary>
    Click,
}

/// <summary>Why an open or a click is taken for a machine's rather than the recipient's.</summary>
public enum MachineReason
{
    /// <summary>Nothing points to a machine: counted as the recipient's.</summary>
    None,

    /// <summary>Apple Mail Privacy Protection's proxy (its bare <c>Mozilla/5.0</c> user agent or Apple's 17.0.0.0/8 addresses) fetched the pixel.</summary>
    AppleMailPrivacyProtection,

    /// <summary>The request came within <see cref="MachineEngagement.TooSoon"/> of the message being sent: faster than a person reads.</summary>
    TooSoonAfterSending,

    /// <summary>The user agent is a known link scanner, crawler or HTTP library, or there is none.</summary>
    Scanner,

    /// <summary>A <c>HEAD</c> request: a link checker asking about the target without loading it.</summary>
    HeadRequest,

    /// <summary>A second distinct link of the message followed within <see cref="MachineEngagement.Burst"/> of the previous click: a scanner following every link.</summary>
    LinkBurst,
}

/// <summary>What the classifier reads from one request on a tracking link; nothing of it is stored or logged.</summary>
/// <param name="Kind">An open or a click.</param>
/// <param name="UserAgent">The <c>User-Agent</c> header, or null when the request had none.</param>
/// <param name="RemoteAddress">The client's address (as the server sees it), or null when unknown.</param>
/// <param name="IsHead">True for a <c>HEAD</c> request.</param>
/// <param name="SinceSent">How long after the message was sent the request came; null when it has no send time.</param>
/// <param name="DistinctLinksInBurst">
/// For a click, how many distinct links of the message were followed within <see cref="MachineEngagement.Burst"/>,
/// this one included (1 for a lone click).
/// </param>
public sealed record EngagementSignal(
    EngagementKind Kind,
    string? UserAgent,
    IPAddress? RemoteAddress,
    bool IsHead,
    TimeSpan? SinceSent,
    int DistinctLinksInBurst = 1);

/// <summary>
/// Tells likely machine opens and clicks from the recipient's: Apple Mail Privacy Protection prefetching the pixel
/// through its proxies, security gateways and link scanners following every link as the message arrives, HEAD
/// requests of link checkers, and anything faster than a person. Pure: every input comes with the signal.
/// </summary>
/// <remarks>
/// A heuristic, on the signals the ESPs use: a person behind a corporate scanner, or reading on a Mac on Apple's own
/// network, is counted as a machine; a prefetch from an address and agent Apple has not used before, as a person.
/// </remarks>
public static class MachineEngagement
{
    /// <summary>An open or click sooner than this after sending is a machine's (a prefetch or a gateway's scan).</summary>
    public static readonly TimeSpan TooSoon = TimeSpan.FromSeconds(3);

    /// <summary>Distinct links of one message followed within this of each other are a scanner's burst.</summary>
    public static readonly TimeSpan Burst = TimeSpan.FromSeconds(5);

    /// <summary>The bare user agent Apple's Mail Privacy Protection proxy sends when it prefetches remote content.</summary>
    public const string AppleProxyUserAgent = "Mozilla/5.0";

    // Lower-case fragments of the user agents of link scanners, security gateways, crawlers and HTTP libraries.
    private static readonly string[] ScannerAgents =
    [
        "bot", "crawler", "spider", "scanner", "preview", "headlesschrome", "phantomjs", "barracuda", "proofpoint", "mimecast",
        "messagelabs", "symantec", "trendmicro", "trend micro", "fireeye", "forcepoint", "ironport", "sophos", "zscaler",
        "safelinks", "python-requests", "python-urllib", "aiohttp", "curl/", "wget", "go-http-client", "java/", "okhttp",
        "libwww", "apache-httpclient", "axios/", "node-fetch",
    ];

    /// <summary>Why the request looks like a machine's, or <see cref="MachineReason.None"/> when it looks like the recipient's.</summary>
    public static MachineReason Classify(EngagementSignal signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var agent = signal.UserAgent?.Trim();
        if (signal.Kind == EngagementKind.Open && (agent == AppleProxyUserAgent || IsApple(signal.RemoteAddress)))
        {
            return MachineReason.AppleMailPrivacyProtection;
        }

        if (signal.IsHead)
        {
            return MachineReason.HeadRequest;
        }

        if (string.IsNullOrEmpty(agent) || IsScanner(agent))
        {
            return MachineReason.Scanner;
        }

        if (signal.SinceSent is { } since && since < TooSoon)
        {
            return MachineReason.TooSoonAfterSending;
        }

        return signal.Kind == EngagementKind.Click && signal.DistinctLinksInBurst > 1 ? MachineReason.LinkBurst : MachineReason.None;
    }

    /// <summary>True when the address is in Apple's 17.0.0.0/8 (IPv4, or IPv4 mapped into IPv6).</summary>
    public static bool IsApple(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes()[0] == 17;
    }

    private static bool IsScanner(string agent)
    {
        var lower = agent.ToLowerInvariant();
        return ScannerAgents.Any(fragment => lower.Contains(fragment, StringComparison.Ordinal));
    }
}
