using System.Text;
using System.Text.RegularExpressions;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Templates;
using MimeKit;
using MimeKit.Cryptography;

namespace Cairn.Messaging;

/// <summary>
/// Builds the email a rendered template becomes: sender and recipient, a Message-ID derived from the outbox message
/// id (the same message always has the same Message-ID, so a relay or a test can see a resend), an HTML part with the
/// preheader, rewritten click links and an open pixel (unless the template turns tracking off), a plain-text part
/// (the template's, or generated from the HTML), RFC 8058 unsubscribe headers on every non-transactional email, and
/// a DKIM signature when a key is configured.
/// </summary>
public sealed partial class EmailComposer(MessagingOptions options, MessageLinks links)
{
    private readonly DkimSigner? _dkim = CreateSigner(options.Dkim);

    /// <summary>The headers DKIM signs (those present are signed; From always).</summary>
    public static readonly HeaderId[] SignedHeaders =
        [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId, HeaderId.ReplyTo, HeaderId.MimeVersion, HeaderId.ContentType, HeaderId.ListUnsubscribe, HeaderId.ListUnsubscribePost];

    /// <summary>The email for one outbox message.</summary>
    /// <param name="messageId">The outbox message id.</param>
    /// <param name="template">The template it was rendered from.</param>
    /// <param name="rendered">The rendered parts.</param>
    /// <param name="contact">The recipient.</param>
    /// <param name="transactional">True for transactional email (no unsubscribe headers).</param>
    /// <param name="now">The Date header.</param>
    public MimeMessage Compose(string messageId, TemplateDefinition template, RenderResult rendered, ContactState contact, bool transactional, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(rendered);
        ArgumentNullException.ThrowIfNull(contact);
        var to = contact.Email ?? throw new ArgumentException("The contact has no email address.", nameof(contact));
        var fromAddress = Value(rendered, "from_address") ?? options.FromAddress;
        var domain = MailboxAddress.Parse(fromAddress).Domain;
        var message = new MimeMessage { Subject = rendered["subject"].Trim(), Date = now, MessageId = MessageIdOf(messageId, domain) };
        message.From.Add(new MailboxAddress(Value(rendered, "from_name") ?? options.FromName, fromAddress));
        message.To.Add(new MailboxAddress(contact.DisplayName ?? string.Empty, to));
        if (Value(rendered, "reply_to") is { } replyTo)
        {
            message.ReplyTo.Add(MailboxAddress.Parse(replyTo));
        }

        message.Headers.Add("X-Cairn-Message-Id", messageId);
        if (!transactional)
        {
            var mailbox = options.UnsubscribeMailbox ?? $"unsubscribe@{domain}";
            message.Headers.Add(HeaderId.ListUnsubscribe, $"<{links.Unsubscribe(messageId)}>, <mailto:{mailbox}?subject=unsubscribe%20{Uri.EscapeDataString(messageId)}>");
            message.Headers.Add(HeaderId.ListUnsubscribePost, "List-Unsubscribe=One-Click");
        }

        var body = new BodyBuilder();
        var html = Value(rendered, "html");
        body.TextBody = Value(rendered, "text") ?? HtmlText.From(html ?? string.Empty);
        if (html is not null)
        {
            body.HtmlBody = Html(messageId, html, Value(rendered, "preheader"), template.Tracking);
        }

        message.Body = body.ToMessageBody();
        if (_dkim is not null)
        {
            message.Prepare(EncodingConstraint.SevenBit);
            _dkim.Sign(message, SignedHeaders);
        }

        return message;
    }

    /// <summary>
    /// The Message-ID of an outbox message: its id at the sender's domain, with <c>:</c> written as <c>=</c> (both
    /// allowed there) so <see cref="OutboxIdOf"/> reads it back from a bounce report.
    /// </summary>
    public static string MessageIdOf(string messageId, string domain)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        var local = new StringBuilder(messageId.Length);
        foreach (var character in messageId)
        {
            local.Append(character == ':' ? '=' : char.IsAsciiLetterOrDigit(character) || "!#$%&'*+-/?^_`{|}~.".Contains(character, StringComparison.Ordinal) ? character : '.');
        }

        return $"{local.ToString().Trim('.')}@{domain}";
    }

    /// <summary>The outbox message id a Message-ID (with or without angle brackets) was made from.</summary>
    public static string OutboxIdOf(string messageIdHeader)
    {
        ArgumentNullException.ThrowIfNull(messageIdHeader);
        var value = messageIdHeader.Trim().TrimStart('<').TrimEnd('>');
        var at = value.LastIndexOf('@');
        return (at < 0 ? value : value[..at]).Replace('=', ':');
    }

    private string Html(string messageId, string html, string? preheader, bool tracking)
    {
        if (tracking)
        {
            html = Hrefs().Replace(html, match =>
            {
                var url = System.Net.WebUtility.HtmlDecode(match.Groups["url"].Value);
                return links.IsOwn(url) ? match.Value : $"{match.Groups["before"].Value}{System.Net.WebUtility.HtmlEncode(links.Click(messageId, url))}{match.Groups["after"].Value}";
            });
            html = Insert(html, $"<img src=\"{links.Open(messageId)}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0;width:1px;height:1px\">", before: "</body>");
        }

        if (preheader is { Length: > 0 })
        {
            var hidden = $"<div style=\"display:none;max-height:0;overflow:hidden;opacity:0\">{System.Net.WebUtility.HtmlEncode(preheader.Trim())}</div>";
            var open = BodyTag().Match(html);
            html = open.Success ? html.Insert(open.Index + open.Length, hidden) : hidden + html;
        }

        return html;
    }

    private static string Insert(string html, string element, string before)
    {
        var at = html.LastIndexOf(before, StringComparison.OrdinalIgnoreCase);
        return at < 0 ? html + element : html.Insert(at, element);
    }

    private static string? Value(RenderResult rendered, string part) =>
        rendered.Parts.TryGetValue(part, out var text) && !string.IsNullOrWhiteSpace(text) ? text.Trim() : null;

    private static DkimSigner? CreateSigner(DkimOptions dkim)
    {
        if (!dkim.Enabled)
        {
            return null;
        }

        using var key = new MemoryStream(Encoding.ASCII.GetBytes(dkim.PrivateKey!));
        return new DkimSigner(key, dkim.Domain!, dkim.Selector!, DkimSignatureAlgorithm.RsaSha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
    }

    [GeneratedRegex(@"(?<before><a\b[^>]*?\bhref\s*=\s*"")(?<url>https?://[^""]+)(?<after>"")", RegexOptions.IgnoreCase)]
    private static partial Regex Hrefs();

    [GeneratedRegex(@"<body\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex BodyTag();
}
