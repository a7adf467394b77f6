using System.Security.Cryptography;
using System.Text;

namespace Cairn.Messaging;

/// <summary>
/// Signs outgoing webhooks per the Standard Webhooks specification: <c>webhook-id</c> (the message id, the same on
/// every retry, for the receiver's deduplication), <c>webhook-timestamp</c> (Unix seconds) and
/// <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"&gt;</c> with the workspace secret
/// (<c>whsec_</c> and base64 key bytes). Receivers verify with any Standard Webhooks library.
/// </summary>
public sealed class StandardWebhooks
{
    /// <summary>The setting that holds the workspace's secret (generated on first use).</summary>
    public const string SettingKey = "webhook_secret";

    private const string Prefix = "whsec_";
    private readonly byte[] _key;

    public StandardWebhooks(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Secret = secret;
        _key = Convert.FromBase64String(secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret);
    }

    /// <summary>The secret receivers verify with.</summary>
    public string Secret { get; }

    /// <summary>A new random secret.</summary>
    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    /// <summary>The value of <c>webhook-signature</c> for a body.</summary>
    public string Sign(string id, long timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var signed = Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{id}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(_key, signed));
    }

    /// <summary>Adds the three headers to a request whose body is <paramref name="body"/>.</summary>
    public void AddHeaders(HttpRequestMessage request, string id, DateTimeOffset now, string body)
    {
        ArgumentNullException.ThrowIfNull(request);
        var timestamp = now.ToUnixTimeSeconds();
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", Sign(id, timestamp, body));
    }
}
