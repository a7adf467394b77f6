namespace Cairn.Messaging;

/// <summary>How SMTP connections are secured.</summary>
public enum SmtpSecurity
{
    /// <summary>STARTTLS when the server offers it (MailKit's default).</summary>
    Auto,

    /// <summary>Plain text (loopback relays and tests only).</summary>
    None,

    /// <summary>STARTTLS, required.</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    Tls,
}

/// <summary>An SMTP relay.</summary>
public sealed class SmtpOptions
{
    /// <summary>The host; when unset, email goes to the development mailbox.</summary>
    public string? Host { get; set; }

    /// <summary>The port (587 for STARTTLS, 465 for TLS, 25 for a local relay).</summary>
    public int Port { get; set; } = 587;

    /// <summary>How the connection is secured.</summary>
    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;

    /// <summary>The user name, when the relay wants authentication.</summary>
    public string? User { get; set; }

    /// <summary>The password.</summary>
    public string? Password { get; set; }

    /// <summary>How many connections are kept open to the relay and used at once.</summary>
    public int MaxConnections { get; set; } = 4;

    /// <summary>The most messages per second handed to the relay (its sending limit); 0 for no limit.</summary>
    public double RatePerSecond { get; set; }

    /// <summary>How long one connection, command or transfer may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>DKIM signing (RFC 6376, relaxed/relaxed, RSA-SHA256).</summary>
public sealed class DkimOptions
{
    /// <summary>The signing domain (<c>d=</c>).</summary>
    public string? Domain { get; set; }

    /// <summary>The selector (<c>s=</c>): the public key is at <c>{selector}._domainkey.{domain}</c>.</summary>
    public string? Selector { get; set; }

    /// <summary>The RSA private key, PEM.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>A file holding <see cref="PrivateKey"/> (PEM), read at start-up when the key itself is not given (<c>CAIRN_DKIM_KEY_FILE</c>).</summary>
    public string? KeyFile { get; set; }

    /// <summary>True when every part is set.</summary>
    public bool Enabled => Domain is not null && Selector is not null && PrivateKey is not null;
}

/// <summary>An SMS provider with a Twilio-compatible API (Twilio itself, or a compatible gateway).</summary>
public sealed class SmsOptions
{
    /// <summary>The API's base address.</summary>
    public Uri BaseUrl { get; set; } = new("https://api.twilio.com");

    /// <summary>The account SID; when unset, SMS goes to the development mailbox.</summary>
    public string? AccountSid { get; set; }

    /// <summary>The auth token: the API password, and the key that signs inbound webhooks (X-Twilio-Signature).</summary>
    public string? AuthToken { get; set; }

    /// <summary>The sender number (E.164), unless a messaging service is set.</summary>
    public string? From { get; set; }

    /// <summary>A messaging service SID to send from instead of one number.</summary>
    public string? MessagingServiceSid { get; set; }

    /// <summary>The most messages per second (the number's or service's throughput); 0 for no limit.</summary>
    public double RatePerSecond { get; set; }

    /// <summary>The most requests in flight.</summary>
    public int MaxConnections { get; set; } = 8;

    /// <summary>True when a provider is configured.</summary>
    public bool Enabled => AccountSid is not null;
}

/// <summary>A push provider with the FCM HTTP v1 API (Firebase Cloud Messaging, or a compatible endpoint).</summary>
public sealed class PushOptions
{
    /// <summary>The API's base address.</summary>
    public Uri BaseUrl { get; set; } = new("https://fcm.googleapis.com");

    /// <summary>The Firebase project id; when unset, push goes to the development mailbox.</summary>
    public string? ProjectId { get; set; }

    /// <summary>An OAuth 2.0 access token for the API (short-lived; refresh it from a service account outside Cairn).</summary>
    public string? AccessToken { get; set; }

    /// <summary>The most messages per second; 0 for no limit.</summary>
    public double RatePerSecond { get; set; }

    /// <summary>The most requests in flight.</summary>
    public int MaxConnections { get; set; } = 8;

    /// <summary>True when a provider is configured.</summary>
    public bool Enabled => ProjectId is not null;
}

/// <summary>Messaging settings: the public address of this server, the sender, SMTP, DKIM and the workspace.</summary>
public sealed class MessagingOptions
{
    /// <summary>
    /// Where recipients reach this server: tracking pixels, click redirects and unsubscribe links start with it.
    /// </summary>
    public Uri PublicUrl { get; set; } = new("http://127.0.0.1:5080");

    /// <summary>The default sender address (a template's <c>from_address</c> overrides it).</summary>
    public string FromAddress { get; set; } = "hello@cairn.localhost";

    /// <summary>The default sender name.</summary>
    public string FromName { get; set; } = "Cairn";

    /// <summary>Where <c>List-Unsubscribe</c>'s mailto points (default: <c>unsubscribe@</c> the sender's domain).</summary>
    public string? UnsubscribeMailbox { get; set; }

    /// <summary>The SMTP relay.</summary>
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>DKIM signing.</summary>
    public DkimOptions Dkim { get; set; } = new();

    /// <summary>The SMS provider.</summary>
    public SmsOptions Sms { get; set; } = new();

    /// <summary>The push provider.</summary>
    public PushOptions Push { get; set; } = new();

    /// <summary>How long one webhook call (or provider request) may take.</summary>
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts of a webhook before it is dead-lettered (with the first delay doubled each time: about 4 hours).</summary>
    public int WebhookMaxAttempts { get; set; } = 10;

    /// <summary>The first webhook retry delay.</summary>
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most webhook calls in flight.</summary>
    public int WebhookConcurrency { get; set; } = 16;

    /// <summary>The workspace's name, postal address (required in commercial email) and web address, for templates.</summary>
    public string WorkspaceName { get; set; } = "Cairn Demo Shop";

    /// <summary>
    /// The postal address in the footer of commercial email (CAN-SPAM, and the ePrivacy rules in the EU). Default
    /// <see cref="PlaceholderAddress"/>, which is fine for the development mailbox and refused at start-up once an SMTP
    /// relay is configured (<see cref="MessagingOptionsValidator"/>): a placeholder must never reach a real inbox.
    /// </summary>
    public string WorkspaceAddress { get; set; } = PlaceholderAddress;

    /// <summary>The demo workspace's made-up postal address.</summary>
    public const string PlaceholderAddress = "1 Example Street, Springfield";

    /// <summary>The workspace's web site, for template links.</summary>
    public string WorkspaceUrl { get; set; } = "https://shop.example.com";

    /// <summary>
    /// False to leave the outbox undelivered until <see cref="MessageDispatcher.DispatchAsync"/> is called (a replay that
    /// compares journeys with their simulation, which does not deliver).
    /// </summary>
    public bool DispatchInBackground { get; set; } = true;

    /// <summary>Messages taken from the outbox per pass.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>Attempts before a message that keeps failing transiently is marked failed.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Soft bounces in a row (reported by the provider) after which an address is suppressed.</summary>
    public int SoftBounceLimit { get; set; } = 3;

    /// <summary>The first retry delay; each further retry doubles it (with jitter).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(1);
}
