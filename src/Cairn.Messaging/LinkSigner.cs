using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace Cairn.Messaging;

/// <summary>What a signed link does.</summary>
public enum LinkKind
{
    /// <summary>The open pixel.</summary>
    Open,

    /// <summary>A click redirect to <see cref="SignedLink.Url"/>.</summary>
    Click,

    /// <summary>Unsubscribe (one click) and the preference page.</summary>
    Unsubscribe,

    /// <summary>A provider's delivery status callback for the message.</summary>
    Status,

    /// <summary>The confirmation of a double opt-in.</summary>
    Confirm,
}

/// <summary>What a verified token says: the kind, the message it belongs to, and the target of a click.</summary>
public sealed record SignedLink(LinkKind Kind, string MessageId, string? Url);

/// <summary>
/// Signs and verifies the tokens in tracking and unsubscribe links: the payload (kind, message id, target URL) in
/// base64url, a dot, and an HMAC-SHA256 over it (128 bits). A token whose payload or signature was changed does
/// not verify, so a click link can never be turned into a redirect to somewhere else.
/// </summary>
public sealed class LinkSigner
{
    /// <summary>The setting that holds the workspace's key (generated on first use).</summary>
    public const string SettingKey = "link_signing_key";

    private readonly byte[] _key;

    public LinkSigner(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 32)
        {
            throw new ArgumentException("The link signing key must be at least 32 bytes.", nameof(key));
        }

        _key = key;
    }

    /// <summary>A new random key, base64.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>A token for the link.</summary>
    public string Sign(SignedLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(link.Kind switch { LinkKind.Open => "o", LinkKind.Click => "c", LinkKind.Status => "s", LinkKind.Confirm => "f", _ => "u" }, link.MessageId, link.Url));
        return $"{Base64Url.EncodeToString(payload)}.{Base64Url.EncodeToString(Mac(payload))}";
    }

    /// <summary>The link a token carries, or null when it is malformed or its signature does not match.</summary>
    public SignedLink? Verify(string? token)
    {
        if (token is null || token.Length > 8192 || token.Split('.') is not [var body, var signature])
        {
            return null;
        }

        try
        {
            var payload = Base64Url.DecodeFromChars(body);
            if (!CryptographicOperations.FixedTimeEquals(Mac(payload), Base64Url.DecodeFromChars(signature)))
            {
                return null;
            }

            var read = JsonSerializer.Deserialize<Payload>(payload);
            LinkKind? kind = read?.K switch { "o" => LinkKind.Open, "c" => LinkKind.Click, "u" => LinkKind.Unsubscribe, "s" => LinkKind.Status, "f" => LinkKind.Confirm, _ => null };
            return kind is null || read!.M is not { Length: > 0 } || (kind == LinkKind.Click && read.U is null) ? null : new SignedLink(kind.Value, read.M, read.U);
        }
        catch (Exception exception) when (exception is FormatException or JsonException)
        {
            return null;
        }
    }

    private byte[] Mac(byte[] payload) => HMACSHA256.HashData(_key, payload)[..16];

    private sealed record Payload(string K, string M, string? U);
}

/// <summary>The public URLs of a message's links.</summary>
public sealed class MessageLinks(LinkSigner signer, Uri publicUrl)
{
    private readonly string _base = publicUrl.ToString().TrimEnd('/');

    /// <summary>The signer behind the links.</summary>
    public LinkSigner Signer => signer;

    /// <summary>The one-click unsubscribe endpoint (POST) and preference page (GET).</summary>
    public string Unsubscribe(string messageId) => $"{_base}/u/{signer.Sign(new SignedLink(LinkKind.Unsubscribe, messageId, null))}";

    /// <summary>The open pixel.</summary>
    public string Open(string messageId) => $"{_base}/t/o/{signer.Sign(new SignedLink(LinkKind.Open, messageId, null))}";

    /// <summary>A click redirect to <paramref name="url"/>.</summary>
    public string Click(string messageId, string url) => $"{_base}/t/c/{signer.Sign(new SignedLink(LinkKind.Click, messageId, url))}";

    /// <summary>The page that confirms a double opt-in.</summary>
    public string Confirm(string messageId) => $"{_base}/c/{signer.Sign(new SignedLink(LinkKind.Confirm, messageId, null))}";

    /// <summary>The delivery status callback of an SMS.</summary>
    public string Status(string messageId) => $"{_base}/webhooks/sms/status/{signer.Sign(new SignedLink(LinkKind.Status, messageId, null))}";

    /// <summary>True for links that are this server's own (never wrapped again).</summary>
    public bool IsOwn(string url) => url.StartsWith(_base + "/", StringComparison.OrdinalIgnoreCase);
}
