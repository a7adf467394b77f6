using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Cairn.Messaging;

/// <summary>
/// Checks <see cref="MessagingOptions"/> at start-up (registered with <c>ValidateOnStart</c>): numbers in range, absolute
/// http(s) addresses, a sender that is a mailbox, a provider configured whole, and — once an SMTP relay is configured —
/// a real postal address instead of <see cref="MessagingOptions.PlaceholderAddress"/>. Each failure names the setting
/// by its environment variable, so <c>cairn serve</c> can stop with one line that says what to fix.
/// </summary>
public sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Range(double value, double min, double max, string setting)
        {
            if (double.IsNaN(value) || value < min || value > max)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} must be from {min} to {max}, not {value}."));
            }
        }

        void Positive(TimeSpan value, TimeSpan max, string setting)
        {
            if (value <= TimeSpan.Zero || value > max)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} must be longer than 0 and at most {max}, not {value}."));
            }
        }

        void NotNegative(TimeSpan value, TimeSpan max, string setting)
        {
            if (value < TimeSpan.Zero || value > max)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} must be from 0 to {max}, not {value}."));
            }
        }

        void Http(Uri? value, string setting)
        {
            if (value is null || !value.IsAbsoluteUri || value.Scheme is not ("http" or "https"))
            {
                failures.Add($"{setting} must be an absolute http(s) address, not '{value}'.");
            }
        }

        Http(options.PublicUrl, "CAIRN_PUBLIC_URL (Messaging:PublicUrl)");
        if (!IsMailbox(options.FromAddress))
        {
            failures.Add($"CAIRN_EMAIL_FROM (Messaging:FromAddress) must be an email address, not '{options.FromAddress}'.");
        }

        if (options.UnsubscribeMailbox is { } unsubscribe && !IsMailbox(unsubscribe))
        {
            failures.Add($"Messaging:UnsubscribeMailbox must be an email address, not '{unsubscribe}'.");
        }

        var smtp = options.Smtp;
        if (smtp.Host is not null)
        {
            Range(smtp.Port, 1, 65535, "CAIRN_SMTP_PORT (Messaging:Smtp:Port)");
            Range(smtp.MaxConnections, 1, 100, "CAIRN_SMTP_CONNECTIONS (Messaging:Smtp:MaxConnections)");
            Range(smtp.RatePerSecond, 0, 100_000, "CAIRN_SMTP_RATE (Messaging:Smtp:RatePerSecond)");
            Positive(smtp.Timeout, TimeSpan.FromMinutes(10), "Messaging:Smtp:Timeout");
            if (!Enum.IsDefined(smtp.Security))
            {
                failures.Add("CAIRN_SMTP_SECURITY (Messaging:Smtp:Security) is auto, none, starttls or tls.");
            }

            // Commercial email carries the sender's postal address; a made-up one must never reach a real inbox.
            if (string.IsNullOrWhiteSpace(options.WorkspaceAddress)
                || string.Equals(options.WorkspaceAddress.Trim(), MessagingOptions.PlaceholderAddress, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add("CAIRN_WORKSPACE_ADDRESS (Messaging:WorkspaceAddress) must be the sender's real postal address once CAIRN_SMTP_HOST is set: commercial email must carry it (CAN-SPAM), and the demo's placeholder must never reach a real inbox.");
            }
        }

        CheckDkim(options.Dkim, failures);

        var sms = options.Sms;
        Http(sms.BaseUrl, "CAIRN_SMS_BASE_URL (Messaging:Sms:BaseUrl)");
        Range(sms.RatePerSecond, 0, 100_000, "CAIRN_SMS_RATE (Messaging:Sms:RatePerSecond)");
        Range(sms.MaxConnections, 1, 1000, "Messaging:Sms:MaxConnections");
        if (sms.Enabled && (string.IsNullOrEmpty(sms.AuthToken) || (string.IsNullOrEmpty(sms.From) && string.IsNullOrEmpty(sms.MessagingServiceSid))))
        {
            failures.Add("CAIRN_SMS_ACCOUNT_SID is set: CAIRN_SMS_AUTH_TOKEN and CAIRN_SMS_FROM (or CAIRN_SMS_MESSAGING_SERVICE) are needed too.");
        }

        var push = options.Push;
        Http(push.BaseUrl, "CAIRN_PUSH_BASE_URL (Messaging:Push:BaseUrl)");
        Range(push.RatePerSecond, 0, 100_000, "CAIRN_PUSH_RATE (Messaging:Push:RatePerSecond)");
        Range(push.MaxConnections, 1, 1000, "Messaging:Push:MaxConnections");
        if (push.Enabled && string.IsNullOrEmpty(push.AccessToken))
        {
            failures.Add("CAIRN_PUSH_PROJECT is set: CAIRN_PUSH_ACCESS_TOKEN is needed too.");
        }

        Positive(options.HttpTimeout, TimeSpan.FromMinutes(5), "Messaging:HttpTimeout");
        Range(options.WebhookMaxAttempts, 1, 100, "Messaging:WebhookMaxAttempts");
        NotNegative(options.WebhookRetryDelay, TimeSpan.FromDays(1), "Messaging:WebhookRetryDelay");
        Range(options.WebhookConcurrency, 1, 1000, "Messaging:WebhookConcurrency");
        Range(options.BatchSize, 1, 10_000, "Messaging:BatchSize");
        Range(options.MaxAttempts, 1, 100, "Messaging:MaxAttempts");
        Range(options.SoftBounceLimit, 1, 100, "Messaging:SoftBounceLimit");
        NotNegative(options.RetryDelay, TimeSpan.FromDays(1), "Messaging:RetryDelay");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsMailbox(string? address) =>
        address is { Length: > 0 } && MailboxAddress.TryParse(address, out var mailbox) && mailbox.Domain is { Length: > 0 };

    /// <summary>DKIM is all or nothing: a half-configured signer would send unsigned mail without a word.</summary>
    private static void CheckDkim(DkimOptions dkim, List<string> failures)
    {
        var given = new[] { dkim.Domain, dkim.Selector, dkim.PrivateKey ?? dkim.KeyFile }.Count(value => !string.IsNullOrEmpty(value));
        if (given is > 0 and < 3)
        {
            failures.Add("DKIM needs CAIRN_DKIM_DOMAIN, CAIRN_DKIM_SELECTOR and CAIRN_DKIM_KEY_FILE together (Messaging:Dkim).");
            return;
        }

        if (dkim.PrivateKey is null && dkim.KeyFile is { } file)
        {
            failures.Add($"CAIRN_DKIM_KEY_FILE (Messaging:Dkim:KeyFile): there is no file '{file}' (or it cannot be read).");
            return;
        }

        if (dkim.PrivateKey is { } pem)
        {
            try
            {
                using var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
            }
            catch (Exception exception) when (exception is ArgumentException or CryptographicException)
            {
                failures.Add("The DKIM key (CAIRN_DKIM_KEY_FILE) is not an RSA private key in PEM form.");
            }
        }
    }
}

/// <summary>Reads <see cref="DkimOptions.KeyFile"/> into <see cref="DkimOptions.PrivateKey"/> (a missing file is left to the validator).</summary>
internal sealed class DkimKeyFileLoader : IPostConfigureOptions<MessagingOptions>
{
    public void PostConfigure(string? name, MessagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Dkim is { PrivateKey: null, KeyFile: { } file } && File.Exists(file))
        {
            options.Dkim.PrivateKey = File.ReadAllText(file);
        }
    }
}
