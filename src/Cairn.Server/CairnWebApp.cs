using Cairn.Http;
using Cairn.Messaging;
using Cairn.Runtime;
using Cairn.Storage.PostgreSql;
using Cairn.Storage.Sqlite;

namespace Cairn.Server;

/// <summary>What <c>cairn serve</c> runs with.</summary>
/// <param name="Urls">Where Kestrel listens.</param>
/// <param name="DataDirectory">The SQLite data directory (ignored with PostgreSQL).</param>
/// <param name="Postgres">A PostgreSQL connection string, or null for SQLite.</param>
/// <param name="Partitions">How many partitions the engine runs.</param>
/// <param name="CachedContacts">How many contact profiles the engine keeps in memory.</param>
/// <param name="WriteKey">A write key accepted in addition to stored ones.</param>
/// <param name="ApiKey">An API key accepted in addition to stored ones.</param>
/// <param name="Demo">Give an empty store the demo workspace (the examples) at start-up.</param>
internal sealed record ServeOptions(string Urls, string DataDirectory, string? Postgres, int Partitions, string? WriteKey, string? ApiKey, bool Demo = false, int CachedContacts = 50_000)
{
    /// <summary>A description of the storage, without secrets.</summary>
    public string StorageDescription => Postgres is null
        ? $"SQLite in {Path.GetFullPath(DataDirectory)}"
        : "PostgreSQL";
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

        // A failed start is reported by `cairn serve` in one line; the host would log it again with a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

        var cairn = builder.Services.AddCairn(engine =>
        {
            engine.Partitions = options.Partitions;
            engine.CachedContacts = options.CachedContacts;
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
            keys.WriteKey = options.WriteKey;
            keys.ApiKey = options.ApiKey;
        });
        builder.Services.AddCairnMessaging(messaging => MessagingSettings.Apply(messaging, options.Urls));
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
