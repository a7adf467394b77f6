using System.Collections;
using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Cairn.Server;

/// <summary>
/// Cairn's settings as one <see cref="IConfiguration"/>: the environment with the <c>CAIRN_</c> prefix, then the
/// command line (which wins). Options classes are bound from its sections — <c>Engine</c> (<c>EngineOptions</c>),
/// <c>Messaging</c> (<c>MessagingOptions</c>), <c>Keys</c> (<c>KeyOptions</c>), <c>Console</c> (<c>ConsoleAccessOptions</c>) — and validated at start-up. The
/// documented variables (<c>CAIRN_SMTP_HOST</c>, <c>CAIRN_PARTITIONS</c> …, see <see cref="Variables"/>) are names for
/// keys in those sections; any other key is reached the standard way, <c>CAIRN_Messaging__BatchSize=500</c>.
/// </summary>
internal static partial class Settings
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public const string DefaultData = "./cairn-data";

    /// <summary>The documented variables (without <c>CAIRN_</c>) and the configuration keys they set.</summary>
    public static readonly FrozenDictionary<string, string> Variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["URLS"] = "Urls",
        ["DATA"] = "Data",
        ["POSTGRES"] = "Postgres",
        ["WRITE_KEY"] = "Keys:WriteKey",
        ["API_KEY"] = "Keys:ApiKey",
        ["METRICS_KEY"] = "Keys:MetricsKey",
        ["INGEST_RATE"] = "Keys:IngestRatePerSecond",
        ["INGEST_BURST"] = "Keys:IngestBurst",
        ["ADMIN_EMAIL"] = "Console:AdminEmail",
        ["ADMIN_PASSWORD"] = "Console:AdminPassword",
        ["PARTITIONS"] = "Engine:Partitions",
        ["CACHED_CONTACTS"] = "Engine:CachedContacts",
        ["PUBLIC_URL"] = "Messaging:PublicUrl",
        ["EMAIL_FROM"] = "Messaging:FromAddress",
        ["EMAIL_FROM_NAME"] = "Messaging:FromName",
        ["SMTP_HOST"] = "Messaging:Smtp:Host",
        ["SMTP_PORT"] = "Messaging:Smtp:Port",
        ["SMTP_SECURITY"] = "Messaging:Smtp:Security",
        ["SMTP_USER"] = "Messaging:Smtp:User",
        ["SMTP_PASSWORD"] = "Messaging:Smtp:Password",
        ["SMTP_CONNECTIONS"] = "Messaging:Smtp:MaxConnections",
        ["SMTP_RATE"] = "Messaging:Smtp:RatePerSecond",
        ["DKIM_DOMAIN"] = "Messaging:Dkim:Domain",
        ["DKIM_SELECTOR"] = "Messaging:Dkim:Selector",
        ["DKIM_KEY_FILE"] = "Messaging:Dkim:KeyFile",
        ["SMS_ACCOUNT_SID"] = "Messaging:Sms:AccountSid",
        ["SMS_AUTH_TOKEN"] = "Messaging:Sms:AuthToken",
        ["SMS_FROM"] = "Messaging:Sms:From",
        ["SMS_MESSAGING_SERVICE"] = "Messaging:Sms:MessagingServiceSid",
        ["SMS_BASE_URL"] = "Messaging:Sms:BaseUrl",
        ["SMS_RATE"] = "Messaging:Sms:RatePerSecond",
        ["PUSH_PROJECT"] = "Messaging:Push:ProjectId",
        ["PUSH_ACCESS_TOKEN"] = "Messaging:Push:AccessToken",
        ["PUSH_BASE_URL"] = "Messaging:Push:BaseUrl",
        ["PUSH_RATE"] = "Messaging:Push:RatePerSecond",
        ["WORKSPACE_NAME"] = "Messaging:WorkspaceName",
        ["WORKSPACE_ADDRESS"] = "Messaging:WorkspaceAddress",
        ["WORKSPACE_URL"] = "Messaging:WorkspaceUrl",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, string> VariableOfKey =
        Variables.ToFrozenDictionary(pair => pair.Value, pair => "CAIRN_" + pair.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The settings: <paramref name="environment"/>'s <c>CAIRN_*</c> variables (empty ones are unset), then
    /// <paramref name="commandLine"/> (configuration keys to values; null values are skipped).
    /// </summary>
    public static IConfigurationRoot Load(IDictionary environment, IEnumerable<KeyValuePair<string, string?>>? commandLine = null) =>
        new ConfigurationBuilder()
            .Add(new EnvironmentSource(environment))
            .AddInMemoryCollection((commandLine ?? []).Where(pair => pair.Value is not null))
            .Build();

    /// <summary>The value of <c>CAIRN_{name}</c>, or null when unset or empty (the client commands' own settings, such as <c>CAIRN_URL</c>).</summary>
    public static string? Environment(string name) =>
        System.Environment.GetEnvironmentVariable("CAIRN_" + name) is { Length: > 0 } value ? value : null;

    /// <summary>How a configuration key is set from the environment: its documented variable, or the standard form.</summary>
    public static string VariableOf(string key) =>
        VariableOfKey.TryGetValue(key, out var variable) ? variable : "CAIRN_" + key.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>
    /// Binds <paramref name="section"/> onto <paramref name="options"/>; a value that does not convert (a port that is
    /// not a number) fails like a validation, naming the variable, so <c>cairn serve</c> stops with one line.
    /// </summary>
    public static void Bind<TOptions>(IConfigurationSection section, TOptions options)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(section);
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException exception) when (ConversionFailure().Match(exception.Message) is { Success: true } failed)
        {
            var (key, type) = (failed.Groups["key"].Value, failed.Groups["type"].Value);
            var expected = type switch
            {
                "System.Int32" or "System.Int64" => "a whole number",
                "System.Double" => "a number",
                "System.Uri" => "an absolute http(s) address",
                "System.TimeSpan" => "a duration (hh:mm:ss)",
                "System.Boolean" => "true or false",
                _ when typeof(TOptions).Assembly.GetType(type) is { IsEnum: true } kind => string.Join(", ", Enum.GetNames(kind).Select(name => name.ToLowerInvariant())),
                _ => type,
            };
            throw new OptionsValidationException(section.Path, typeof(TOptions), [$"{VariableOf(key)} must be {expected}, not '{section.GetSection(key[(section.Path.Length + 1)..]).Value}'."]);
        }
    }

    [GeneratedRegex("^Failed to convert configuration value (?:'.*' )?at '(?<key>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();

    /// <summary>The <c>CAIRN_*</c> environment variables: documented names to their keys, <c>CAIRN_A__B</c> to <c>A:B</c>.</summary>
    private sealed class EnvironmentSource(IDictionary environment) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(environment);

        private sealed class Provider(IDictionary environment) : ConfigurationProvider
        {
            public override void Load()
            {
                var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry entry in environment)
                {
                    if (entry.Key is not string name || !name.StartsWith("CAIRN_", StringComparison.OrdinalIgnoreCase) || entry.Value is not string { Length: > 0 } value)
                    {
                        continue;
                    }

                    var rest = name["CAIRN_".Length..];
                    if (Variables.TryGetValue(rest, out var key))
                    {
                        data[key] = value;
                    }
                    else if (rest.Contains("__", StringComparison.Ordinal))
                    {
                        data[rest.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)] = value;
                    }
                }

                Data = data;
            }
        }
    }
}
