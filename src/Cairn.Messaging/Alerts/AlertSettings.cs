using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cairn.Messaging.Alerts;

/// <summary>
/// The alert thresholds and destinations (docs/alerts.md), stored in the database and changed through
/// <c>PUT /api/alerts/settings</c>; every value has a default. Minutes and hours are whole numbers.
/// </summary>
public sealed record AlertSettings
{
    /// <summary>The state key the settings are stored under.</summary>
    public const string StateKey = "settings";

    /// <summary>How far (in standard deviations) an hour's entries or sends must fall from their baseline to open an incident; default 4.</summary>
    public double JourneySigma { get; init; } = 4;

    /// <summary>Within how many standard deviations an hour counts as back to normal; default 2.</summary>
    public double JourneyResolveSigma { get; init; } = 2;

    /// <summary>The least baseline (expected count an hour) a drop is judged on, and the least count a spike must reach; default 20.</summary>
    public double JourneyMinVolume { get; init; } = 20;

    /// <summary>The least relative change (of the expected count) that is an anomaly, whatever the deviation; default 0.5.</summary>
    public double JourneyMinChange { get; init; } = 0.5;

    /// <summary>Observations a seasonal slot needs before it is used; default 3.</summary>
    public int BaselineMinHistory { get; init; } = 3;

    /// <summary>The weight of each new hour in the moving mean and variance; default 0.3.</summary>
    public double BaselineAlpha { get; init; } = 0.3;

    /// <summary>A trigger is in drought when its last event is older than this many times its usual gap; default 6.</summary>
    public double DroughtFactor { get; init; } = 6;

    /// <summary>The shortest drought, in minutes, whatever the usual gap; default 30.</summary>
    public int DroughtMinMinutes { get; init; } = 30;

    /// <summary>A trigger with no event for this many minutes is in drought whatever its usual gap; null (default): none.</summary>
    public int? DroughtWindowMinutes { get; init; }

    /// <summary>Events a trigger needs in the last 7 days before its gaps are judged; default 10.</summary>
    public int DroughtMinEvents { get; init; } = 10;

    /// <summary>The window, in hours, of the bounce, complaint and unsubscribe rates; default 24.</summary>
    public int RateWindowHours { get; init; } = 24;

    /// <summary>The least messages sent in the window before a rate is judged; default 200.</summary>
    public int RateMinSent { get; init; } = 200;

    /// <summary>The bounce rate that opens an incident; default 0.05 (5 %).</summary>
    public double BounceRate { get; init; } = 0.05;

    /// <summary>The complaint (spam report) rate that opens an incident; default 0.003 (0.3 %, the Gmail and Yahoo line).</summary>
    public double ComplaintRate { get; init; } = 0.003;

    /// <summary>The unsubscribe rate that opens an incident; default 0.02 (2 %).</summary>
    public double UnsubscribeRate { get; init; } = 0.02;

    /// <summary>The window, in minutes, render errors are counted over; default 60.</summary>
    public int RenderErrorWindowMinutes { get; init; } = 60;

    /// <summary>Render errors of one template in the window that open an incident; default 1.</summary>
    public int RenderErrorMin { get; init; } = 1;

    /// <summary>The outbox is backing up when a due message has waited this many minutes; default 15.</summary>
    public int OutboxMaxAgeMinutes { get; init; } = 15;

    /// <summary>… or when more than this many messages are due; default 10,000.</summary>
    public int OutboxMaxDue { get; init; } = 10_000;

    /// <summary>Timers lag when a due timer has not fired for this many minutes; default 5.</summary>
    public int TimerMaxLagMinutes { get; init; } = 5;

    /// <summary>Consecutive clear evaluations before an incident resolves; default 2.</summary>
    public int ResolveAfter { get; init; } = 2;

    /// <summary>The webhook incidents are posted to (Standard Webhooks signed); null: none.</summary>
    public Uri? WebhookUrl { get; init; }

    /// <summary>The webhook's signing secret (<c>whsec_…</c>); never returned by the API in full.</summary>
    public string? WebhookSecret { get; init; }

    /// <summary>Addresses incidents are emailed to; empty: none.</summary>
    public IReadOnlyList<string> EmailTo { get; init; } = [];

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Reads stored settings (null or unreadable: the defaults).</summary>
    public static AlertSettings Parse(string? json)
    {
        if (json is null)
        {
            return new AlertSettings();
        }

        try
        {
            return JsonSerializer.Deserialize<AlertSettings>(json, Json) ?? new AlertSettings();
        }
        catch (JsonException)
        {
            return new AlertSettings();
        }
    }

    /// <summary>The settings as stored.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>What is wrong with the settings, by field; empty when they are valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Check(bool ok, string field, string message)
        {
            if (!ok)
            {
                errors[field] = [message];
            }
        }

        Check(JourneySigma is > 0 and <= 100, "journeySigma", "between 0 and 100");
        Check(JourneyResolveSigma > 0 && JourneyResolveSigma <= JourneySigma, "journeyResolveSigma", "above 0 and at most journeySigma");
        Check(JourneyMinVolume is >= 0 and <= 1e9, "journeyMinVolume", "between 0 and 1e9");
        Check(JourneyMinChange is >= 0 and <= 1, "journeyMinChange", "between 0 and 1");
        Check(BaselineMinHistory is >= 1 and <= 1000, "baselineMinHistory", "between 1 and 1000");
        Check(BaselineAlpha is > 0 and < 1, "baselineAlpha", "between 0 and 1 (exclusive)");
        Check(DroughtFactor is >= 1 and <= 1000, "droughtFactor", "between 1 and 1000");
        Check(DroughtMinMinutes is >= 1 and <= 100_000, "droughtMinMinutes", "between 1 and 100000");
        Check(DroughtWindowMinutes is null or (>= 1 and <= 100_000), "droughtWindowMinutes", "between 1 and 100000, or null");
        Check(DroughtMinEvents is >= 2 and <= 2000, "droughtMinEvents", "between 2 and 2000");
        Check(RateWindowHours is >= 1 and <= 720, "rateWindowHours", "between 1 and 720");
        Check(RateMinSent is >= 1 and <= 100_000_000, "rateMinSent", "between 1 and 100000000");
        Check(BounceRate is > 0 and <= 1, "bounceRate", "above 0 and at most 1");
        Check(ComplaintRate is > 0 and <= 1, "complaintRate", "above 0 and at most 1");
        Check(UnsubscribeRate is > 0 and <= 1, "unsubscribeRate", "above 0 and at most 1");
        Check(RenderErrorWindowMinutes is >= 1 and <= 10_080, "renderErrorWindowMinutes", "between 1 and 10080");
        Check(RenderErrorMin is >= 1 and <= 1_000_000, "renderErrorMin", "between 1 and 1000000");
        Check(OutboxMaxAgeMinutes is >= 1 and <= 10_080, "outboxMaxAgeMinutes", "between 1 and 10080");
        Check(OutboxMaxDue is >= 1 and <= 1_000_000_000, "outboxMaxDue", "between 1 and 1000000000");
        Check(TimerMaxLagMinutes is >= 1 and <= 10_080, "timerMaxLagMinutes", "between 1 and 10080");
        Check(ResolveAfter is >= 1 and <= 100, "resolveAfter", "between 1 and 100");
        Check(WebhookUrl is null || (WebhookUrl.IsAbsoluteUri && (WebhookUrl.Scheme == Uri.UriSchemeHttps || WebhookUrl.Scheme == Uri.UriSchemeHttp) && WebhookUrl.OriginalString.Length <= 2000), "webhookUrl", "an absolute http(s) URL of at most 2000 characters");
        Check(WebhookSecret is null || IsSecret(WebhookSecret), "webhookSecret", "whsec_ followed by base64 of 16 to 64 bytes");
        Check(EmailTo.Count <= 20 && EmailTo.All(address => address.Length <= 254 && MimeKit.MailboxAddress.TryParse(address, out var parsed) && parsed.Address.Contains('@', StringComparison.Ordinal)), "emailTo", "at most 20 email addresses");
        return errors;
    }

    private static bool IsSecret(string secret)
    {
        if (!secret.StartsWith("whsec_", StringComparison.Ordinal) || secret.Length > 200)
        {
            return false;
        }

        var bytes = new byte[200];
        return Convert.TryFromBase64String(secret[6..], bytes, out var written) && written is >= 16 and <= 64;
    }
}
