namespace Cairn.Server;

/// <summary>Settings read from the environment with the <c>CAIRN_</c> prefix; command-line options win.</summary>
internal static class Settings
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public const string DefaultData = "./cairn-data";

    /// <summary>The value of <c>CAIRN_{name}</c>, or null when unset or empty.</summary>
    public static string? Environment(string name) =>
        System.Environment.GetEnvironmentVariable("CAIRN_" + name) is { Length: > 0 } value ? value : null;
}

/// <summary>Messaging settings from the environment (<c>CAIRN_SMTP_*</c>, <c>CAIRN_EMAIL_*</c>, <c>CAIRN_DKIM_*</c>, <c>CAIRN_SMS_*</c>, <c>CAIRN_PUSH_*</c>, <c>CAIRN_WORKSPACE_*</c>, <c>CAIRN_PUBLIC_URL</c>).</summary>
internal static class MessagingSettings
{
    /// <summary>Applies every variable that is set; a malformed one stops the start with a one-line reason.</summary>
    public static void Apply(Cairn.Messaging.MessagingOptions options, string urls)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PublicUrl = Uri(Settings.Environment("PUBLIC_URL") ?? urls.Split(';')[0].Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal), "PUBLIC_URL");
        options.FromAddress = Settings.Environment("EMAIL_FROM") ?? options.FromAddress;
        options.FromName = Settings.Environment("EMAIL_FROM_NAME") ?? options.FromName;
        options.WorkspaceName = Settings.Environment("WORKSPACE_NAME") ?? options.WorkspaceName;
        options.WorkspaceAddress = Settings.Environment("WORKSPACE_ADDRESS") ?? options.WorkspaceAddress;
        options.WorkspaceUrl = Settings.Environment("WORKSPACE_URL") ?? options.WorkspaceUrl;

        var smtp = options.Smtp;
        smtp.Host = Settings.Environment("SMTP_HOST") ?? smtp.Host;
        smtp.Port = Number("SMTP_PORT", smtp.Port, 1, 65535);
        smtp.User = Settings.Environment("SMTP_USER") ?? smtp.User;
        smtp.Password = Settings.Environment("SMTP_PASSWORD") ?? smtp.Password;
        smtp.MaxConnections = Number("SMTP_CONNECTIONS", smtp.MaxConnections, 1, 100);
        smtp.RatePerSecond = Number("SMTP_RATE", (int)smtp.RatePerSecond, 0, 100_000);
        if (Settings.Environment("SMTP_SECURITY") is { } security)
        {
            smtp.Security = security.ToLowerInvariant() switch
            {
                "auto" => Cairn.Messaging.SmtpSecurity.Auto,
                "none" => Cairn.Messaging.SmtpSecurity.None,
                "starttls" => Cairn.Messaging.SmtpSecurity.StartTls,
                "tls" => Cairn.Messaging.SmtpSecurity.Tls,
                _ => throw new InvalidOperationException("CAIRN_SMTP_SECURITY is auto, none, starttls or tls."),
            };
        }

        var sms = options.Sms;
        sms.BaseUrl = Settings.Environment("SMS_BASE_URL") is { } smsUrl ? Uri(smsUrl, "SMS_BASE_URL") : sms.BaseUrl;
        sms.AccountSid = Settings.Environment("SMS_ACCOUNT_SID") ?? sms.AccountSid;
        sms.AuthToken = Settings.Environment("SMS_AUTH_TOKEN") ?? sms.AuthToken;
        sms.From = Settings.Environment("SMS_FROM") ?? sms.From;
        sms.MessagingServiceSid = Settings.Environment("SMS_MESSAGING_SERVICE") ?? sms.MessagingServiceSid;
        sms.RatePerSecond = Number("SMS_RATE", (int)sms.RatePerSecond, 0, 100_000);

        var push = options.Push;
        push.BaseUrl = Settings.Environment("PUSH_BASE_URL") is { } pushUrl ? Uri(pushUrl, "PUSH_BASE_URL") : push.BaseUrl;
        push.ProjectId = Settings.Environment("PUSH_PROJECT") ?? push.ProjectId;
        push.AccessToken = Settings.Environment("PUSH_ACCESS_TOKEN") ?? push.AccessToken;
        push.RatePerSecond = Number("PUSH_RATE", (int)push.RatePerSecond, 0, 100_000);

        options.Dkim.Domain = Settings.Environment("DKIM_DOMAIN") ?? options.Dkim.Domain;
        options.Dkim.Selector = Settings.Environment("DKIM_SELECTOR") ?? options.Dkim.Selector;
        if (Settings.Environment("DKIM_KEY_FILE") is { } keyFile)
        {
            options.Dkim.PrivateKey = File.Exists(keyFile) ? File.ReadAllText(keyFile) : throw new InvalidOperationException($"CAIRN_DKIM_KEY_FILE: there is no file '{keyFile}'.");
        }
    }

    private static Uri Uri(string value, string name) =>
        System.Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidOperationException($"CAIRN_{name} must be an http(s) address, not '{value}'.");

    private static int Number(string name, int fallback, int min, int max) => Settings.Environment(name) switch
    {
        null => fallback,
        var text when int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max => value,
        var text => throw new InvalidOperationException($"CAIRN_{name} must be a whole number from {min} to {max}, not '{text}'."),
    };
}
