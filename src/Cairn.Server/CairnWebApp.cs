using Cairn.Http;
using Cairn.Http.Access;
using Microsoft.AspNetCore.DataProtection;
using Cairn.Messaging;
using Cairn.Runtime;
using Cairn.Storage.PostgreSql;
using Cairn.Storage.Sqlite;

namespace Cairn.Server;

/// <summary>What <c>cairn serve</c> runs with.</summary>
/// <param name="Urls">Where Kestrel listens.</param>
/// <param name="DataDirectory">The SQLite data directory (ignored with PostgreSQL).</param>
/// <param name="Postgres">A PostgreSQL connection string, or null for SQLite.</param>
/// <param name="Partitions">How many partitions the engine runs; null for <c>Engine:Partitions</c> in <paramref name="Settings"/> (default 8).</param>
/// <param name="WriteKey">A write key accepted in addition to stored ones.</param>
/// <param name="ApiKey">An API key accepted in addition to stored ones.</param>
/// <param name="Demo">Give an empty store the demo workspace (the examples) at start-up.</param>
/// <param name="CachedContacts">How many contact profiles the engine keeps in memory; null for <c>Engine:CachedContacts</c> (default 50,000).</param>
/// <param name="Settings">
/// The rest of the settings (<see cref="Settings.Load"/>): the <c>Engine</c>, <c>Messaging</c> and <c>Keys</c>
/// sections, bound onto their options and validated at start-up. Null: the defaults.
/// </param>
internal sealed record ServeOptions(string Urls, string DataDirectory, string? Postgres, int? Partitions, string? WriteKey, string? ApiKey, bool Demo = false, int? CachedContacts = null, IConfiguration? Settings = null)
{
    /// <summary>A description of the storage, without secrets.</summary>
    public string StorageDescription => Postgres is null
        ? $"SQLite in {Path.GetFullPath(DataDirectory)}"
        : "PostgreSQL";

    /// <summary>Where recipients reach the server when <c>CAIRN_PUBLIC_URL</c> is not set: the first of <see cref="Urls"/>.</summary>
    public Uri? DefaultPublicUrl =>
        Uri.TryCreate(Urls.Split(';')[0].Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal), UriKind.Absolute, out var url) ? url : null;
}

/// <summary>Builds the web application: the composition root of the server.</summary>
internal static class CairnWebApp
{
    /// <summary>Creates the application; <paramref name="configure"/> lets tests swap parts (e.g. a test server).</summary>
    public static WebApplication Build(ServeOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 1L << 30);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // "No XML encryptor configured": the session keys sit unencrypted in the data directory or the database, as the data does.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

        // A failed start is reported by `cairn serve` in one line; the host would log it again with a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

        var settings = options.Settings ?? new ConfigurationBuilder().Build();
        var cairn = builder.Services.AddCairn(engine =>
        {
            Settings.Bind(settings.GetSection("Engine"), engine);
            engine.Partitions = options.Partitions ?? engine.Partitions;
            engine.CachedContacts = options.CachedContacts ?? engine.CachedContacts;
        });
        if (options.Postgres is { } connectionString)
        {
            cairn.UsePostgreSql(connectionString);
        }
        else
        {
            cairn.UseSqlite(options.DataDirectory);
        }

        builder.Services.AddCairnHttp(keys =>
        {
            Settings.Bind(settings.GetSection("Keys"), keys);
            keys.WriteKey = options.WriteKey ?? keys.WriteKey;
            keys.ApiKey = options.ApiKey ?? keys.ApiKey;
        });
        cairn.AddMessaging(messaging =>
        {
            Settings.Bind(settings.GetSection("Messaging"), messaging);
            if (settings["Messaging:PublicUrl"] is null && options.DefaultPublicUrl is { } publicUrl)
            {
                messaging.PublicUrl = publicUrl;
            }
        }).AddAllChannels();
        builder.Services.Configure<Cairn.Messaging.Alerts.AlertOptions>(alerts => Settings.Bind(settings.GetSection("Alerts"), alerts));
        builder.Services.AddOptions<ConsoleAccessOptions>()
            .Configure(access => Settings.Bind(settings.GetSection("Console"), access))
            .ValidateOnStart();

        // Session cookies are encrypted with data-protection keys, kept where a restart finds them again: in the data
        // directory with SQLite; in the database with PostgreSQL, which every node of a cluster shares.
        var protection = builder.Services.AddDataProtection().SetApplicationName("cairn");
        if (options.Postgres is null)
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.DataDirectory, "protection-keys")));
        }
        else
        {
            protection.PersistKeysToStore();
        }

        builder.AddCairnTelemetry();
        if (options.Demo)
        {
            // Registered after the engine: hosted services start in order, so the engine is running when it seeds.
            builder.Services.AddHostedService<DemoWorkspace>();
        }

        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapCairn();
        return app;
    }
}
