using System.Net.Http.Headers;
using System.Text;
using Cairn.Messaging;
using Cairn.Runtime;
using Cairn.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cairn.Http.Tests;

/// <summary>The real web application on an in-memory test server, over SQLite in a temporary directory (or PostgreSQL).</summary>
internal sealed class TestCairn : IAsyncDisposable
{
    public const string WriteKey = "cwk_test_write";
    public const string ApiKey = "cak_test_admin";
    public const string AdminEmail = "admin@test.local";
    public const string AdminPassword = "correct horse battery staple";

    private readonly WebApplication _app;
    private readonly string? _ownedDirectory;

    private TestCairn(WebApplication app, string? ownedDirectory, List<string> announcements, LogLines logs)
    {
        _app = app;
        _ownedDirectory = ownedDirectory;
        Announcements = announcements;
        Logs = logs;
        Ingest = app.GetTestClient();
        Ingest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
        Admin = app.GetTestClient();
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        Anonymous = app.GetTestClient();
    }

    /// <summary>Sends the write key.</summary>
    public HttpClient Ingest { get; }

    /// <summary>Sends the API key.</summary>
    public HttpClient Admin { get; }

    /// <summary>Sends no key.</summary>
    public HttpClient Anonymous { get; }

    /// <summary>What the server announced (generated keys).</summary>
    public List<string> Announcements { get; }

    /// <summary>The server's log lines of Cairn's own categories (Information and above), as formatted.</summary>
    public LogLines Logs { get; }

    public CairnEngine Engine => _app.Services.GetRequiredService<CairnEngine>();

    /// <summary>The application's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>A client that sends nothing by itself (for sessions: the test adds the cookies).</summary>
    public HttpClient CreateClient() => _app.GetTestClient();

    public Cairn.Runtime.Storage.ICairnStore Store => _app.Services.GetRequiredService<Cairn.Runtime.Storage.ICairnStore>();

    public TimerPump Timers => _app.Services.GetRequiredService<TimerPump>();

    public RolloutRunner Rollouts => _app.Services.GetRequiredService<RolloutRunner>();

    public DocumentPublisher Publisher => _app.Services.GetRequiredService<DocumentPublisher>();

    public SegmentPreviewer Previewer => _app.Services.GetRequiredService<SegmentPreviewer>();

    public ContactCommands Contacts => _app.Services.GetRequiredService<ContactCommands>();

    public MessageDispatcher Dispatcher => _app.Services.GetRequiredService<MessageDispatcher>();

    /// <summary>Waits until every input is committed, then runs a delivery pass (the background loop may have sent some already).</summary>
    public async Task DeliverAsync()
    {
        await Engine.WhenIdleAsync(TestContext.Current.CancellationToken);
        await Dispatcher.DispatchAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Sends one message to <c>/v1/{type}</c>, requires a 200, and waits until it and what it caused are committed.</summary>
    public async Task SendAsync(string type, string json)
    {
        using var response = await Ingest.PostAsync($"/v1/{type}", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        await Engine.WhenIdleAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Stores a YAML document with <c>PUT /api/{path}</c> and requires success.</summary>
    public async Task PutDocumentAsync(string path, string yaml)
    {
        using var response = await Admin.PutAsync("/api/" + path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static readonly string[] ExampleDirectories = ["templates", "scoring", "sales", "segments", "policy", "journeys"];

    /// <summary>The example documents (templates, scoring models, sales teams, segments, the policy, journeys), in that dependency order.</summary>
    public static List<(string Path, string Text)> ExampleDocuments() =>
    [
        .. ExampleDirectories
            .SelectMany(directory => Directory.GetFiles(Path.Combine(Cairn.Testing.Repository.Root, "examples", directory), "*.yaml").Order(StringComparer.Ordinal))
            .Select(path => (path, File.ReadAllText(path))),
    ];

    /// <summary>Stores the documents through the API in their order and publishes the journeys.</summary>
    public async Task ApplyAsync(IEnumerable<(string Path, string Text)> documents)
    {
        foreach (var (path, text) in documents)
        {
            var parsed = Core.Journeys.DocumentParser.Parse(text, path);
            var kind = parsed.Match(
                journey: _ => "journeys",
                template: _ => "templates",
                segment: _ => "segments",
                scoringModel: _ => "scoring-models",
                salesTeam: _ => "sales-teams",
                policy: _ => "policy",
                invalid: invalid => throw new InvalidOperationException(string.Join("; ", invalid.Errors)));
            var id = parsed.Id;
            await PutDocumentAsync(kind == "policy" ? kind : $"{kind}/{id}", text);
            if (kind == "journeys")
            {
                using var publish = await Admin.PostAsync($"/api/journeys/{id}/publish", null, TestContext.Current.CancellationToken);
                Assert.True(publish.IsSuccessStatusCode, await publish.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            }
        }
    }

    /// <summary>Moves the fake clock to <paramref name="until"/>, stopping at every stored timer due before it, in due order.</summary>
    public async Task AdvanceAsync(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, DateTimeOffset until)
    {
        var cancel = TestContext.Current.CancellationToken;
        while (await Store.GetNextTimerAsync(cancel) is { } next && next <= until)
        {
            if (next > time.GetUtcNow())
            {
                time.SetUtcNow(next);
            }

            await Timers.FireDueTimersAsync(cancel);
            await Engine.WhenIdleAsync(cancel);
        }

        if (until > time.GetUtcNow())
        {
            time.SetUtcNow(until);
        }
    }

    /// <summary>The id of the contact with <paramref name="userId"/>.</summary>
    public async Task<string> ContactIdAsync(string userId) =>
        (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(Admin, $"/api/contacts/lookup?userId={userId}", TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;

    /// <summary>Starts on a new temporary SQLite directory, or on <paramref name="dataDirectory"/> (kept afterwards).</summary>
    public static async Task<TestCairn> StartAsync(string? dataDirectory = null, string? postgres = null, bool configuredKeys = true, TimeProvider? time = null, Action<MessagingOptions>? messaging = null, Action<KeyOptions>? keys = null, Action<Cairn.Runtime.EngineOptions>? engine = null, Action<Cairn.Messaging.Alerts.AlertOptions>? alerts = null)
    {
        var owned = dataDirectory is null && postgres is null ? Path.Combine(Path.GetTempPath(), "cairn-http-" + Guid.NewGuid().ToString("N")) : null;
        var announcements = new List<string>();
        var logs = new LogLines();
        var options = new ServeOptions(
            "http://127.0.0.1:0",
            dataDirectory ?? owned ?? string.Empty,
            postgres,
            4,
            configuredKeys ? WriteKey : null,
            configuredKeys ? ApiKey : null);
        var app = CairnWebApp.Build(options, builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Services.PostConfigure<KeyOptions>(options =>
            {
                options.Announce = announcements.Add;
                keys?.Invoke(options);
            });
            builder.Services.PostConfigure<Cairn.Http.Access.ConsoleAccessOptions>(options =>
            {
                options.AdminEmail = AdminEmail;
                options.AdminPassword = AdminPassword;
                options.Announce = announcements.Add;
            });
            builder.Logging.AddProvider(logs);
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }

            if (messaging is not null)
            {
                builder.Services.PostConfigure(messaging);
            }

            if (engine is not null)
            {
                builder.Services.PostConfigure(engine);
            }

            if (alerts is not null)
            {
                builder.Services.PostConfigure(alerts);
            }
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new TestCairn(app, owned, announcements, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Ingest.Dispose();
        Admin.Dispose();
        Anonymous.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_ownedDirectory is not null && Directory.Exists(_ownedDirectory))
        {
            Directory.Delete(_ownedDirectory, recursive: true);
        }
    }
}

/// <summary>Collects the formatted log lines of Cairn's own loggers.</summary>
internal sealed class LogLines : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    /// <summary>The lines so far, in order.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Collector(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Collector(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && category.StartsWith("Cairn", StringComparison.Ordinal);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue(formatter(state, exception));
            }
        }
    }
}
