using System.Security.Cryptography;
using System.Text;

namespace Cairn.Messaging;

/// <summary>
/// Twilio's webhook signature (<c>X-Twilio-Signature</c>): base64 HMAC-SHA1, keyed with the auth token, of the full URL
/// Twilio requested followed by every POST parameter's name and value, sorted by name.
/// </summary>
public static class TwilioSignature
{
    /// <summary>The signature of a request.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "Twilio's signature scheme is HMAC-SHA1; Cairn verifies it, it does not choose it.")]
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        ArgumentNullException.ThrowIfNull(authToken);
        var data = new StringBuilder(url);
        foreach (var (name, value) in form.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>True when <paramref name="signature"/> is the request's signature.</summary>
    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form, string? signature) =>
        signature is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Compute(authToken, url, form)), Encoding.ASCII.GetBytes(signature));
}
