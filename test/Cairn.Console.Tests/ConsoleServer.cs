using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Http.Access;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Cairn.Server;
using Cairn.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Cairn.Console.Tests.ConsoleServer))]

namespace Cairn.Console.Tests;

/// <summary>
/// The real server on a loopback port (Kestrel, SQLite in a temporary directory, the demo workspace, the built
/// console) and one headless Chromium (the Debian package, driven by Playwright) for every browser test. Users of the
/// three roles exist; each test opens its own browser context, so cookies never leak between tests.
/// </summary>
public sealed class ConsoleServer : IAsyncLifetime
{
    public const string ApiKey = "cak_console_test";
    public const string WriteKey = "cwk_console_test";
    public const string Password = "correct horse battery staple";

    private readonly string _data = Path.Combine(Path.GetTempPath(), "cairn-console-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private IPlaywright? _playwright;

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The browser every test opens contexts in.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>An HTTP client sending the API key (to prepare data the way a script would).</summary>
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>An HTTP client sending the write key to <c>/v1</c>.</summary>
    public HttpClient Ingest { get; private set; } = null!;

    /// <summary>Where screenshots go: <c>artifacts/screenshots</c> (copied into docs/console by scripts/console-screenshots.sh).</summary>
    public static string Screenshots { get; } = Path.Combine(Repository.Root, "artifacts", "screenshots");

    public IServiceProvider Services => _app!.Services;

    public static string EmailOf(UserRole role) => $"{role.ToString().ToLowerInvariant()}@console.test";

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Screenshots);
        var port = ProcessRunner.FreeLoopbackPort();
        Url = new Uri($"http://127.0.0.1:{port}");
        var options = new ServeOptions(Url.ToString().TrimEnd('/'), _data, null, 4, WriteKey, ApiKey, Demo: true);
        _app = CairnWebApp.Build(options, builder => builder.Services.PostConfigure<ConsoleAccessOptions>(access =>
        {
            access.AdminEmail = EmailOf(UserRole.Admin);
            access.AdminPassword = Password;

            // Every test signs in from 127.0.0.1; the limit per address would refuse the suite's own sign-ins.
            access.SignInAttemptsPerMinute = 10_000;
            access.Announce = _ => { };
        }));
        await _app.StartAsync();
        await _app.Services.GetRequiredService<CairnEngine>().WhenIdleAsync(CancellationToken.None);

        Admin = new HttpClient { BaseAddress = Url };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        Ingest = new HttpClient { BaseAddress = Url };
        Ingest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(WriteKey + ":")));
        foreach (var role in new[] { UserRole.Editor, UserRole.Viewer })
        {
            using var created = await Admin.PostAsJsonAsync("/api/users", new { email = EmailOf(role), role = role.ToString().ToLowerInvariant(), password = Password });
            created.EnsureSuccessStatusCode();
        }

        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A new browser context (its own cookies) at 1,280 × 800, or at a phone's width.</summary>
    public async Task<IPage> NewPageAsync(bool phone = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Url.ToString(),
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 800 },
        });
        // Generous: on a 2-core CI machine the browser, the server and the other tests share the cores.
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>A new page signed in through the sign-in form as the user of <paramref name="role"/>.</summary>
    public async Task<IPage> SignedInAsync(UserRole role, string path = "/journeys", bool phone = false)
    {
        var page = await NewPageAsync(phone);
        await page.GotoAsync($"/sign-in?next={Uri.EscapeDataString(path)}", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        await page.GetByLabel("E-mail").FillAsync(EmailOf(role));
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        // The console navigates in the page (no load event): signed in once the shell's navigation is there.
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Sections" })).ToBeVisibleAsync();
        return page;
    }

    /// <summary>
    /// Opens a step's side panel on the journey canvas (<paramref name="page"/> may be a phone's): clicks the step until
    /// its panel shows. The canvas lays itself out and fits the view after it first draws, so on a busy machine the step
    /// can move between Playwright's aim and its click, which then lands on the pane (and selects nothing).
    /// </summary>
    public static async Task OpenStepAsync(IPage page, string step)
    {
        var node = page.Locator($"[data-step='{step}']");
        var heading = page.Locator(".step-panel h2 code", new() { HasTextString = step });
        for (var attempt = 1; ; attempt++)
        {
            await node.ClickAsync();
            try
            {
                await Assertions.Expect(heading).ToBeVisibleAsync(new() { Timeout = 5_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 4)
            {
                // Missed while the layout moved: aim again.
            }
        }
    }

    /// <summary>Saves a full-page screenshot as <c>artifacts/screenshots/{name}.png</c>.</summary>
    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    /// <summary>Sends one event through <c>/v1/track</c> and waits until the engine has committed what it caused.</summary>
    public async Task TrackAsync(string userId, string eventName, object? properties = null)
    {
        using var response = await Ingest.PostAsJsonAsync("/v1/track", new { userId, @event = eventName, properties = properties ?? new { } });
        response.EnsureSuccessStatusCode();
        await _app!.Services.GetRequiredService<CairnEngine>().WhenIdleAsync(CancellationToken.None);
    }

    /// <summary>GETs an API path with the API key and returns its JSON.</summary>
    public async Task<JsonElement> GetJsonAsync(string path) => await Admin.GetFromJsonAsync<JsonElement>(path);

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Admin?.Dispose();
        Ingest?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    /// <summary>The Chromium to drive: <c>CAIRN_CHROMIUM</c>, else the Debian package's (scripts/test.sh installs it).</summary>
    private static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("CAIRN_CHROMIUM") ?? "/usr/bin/chromium";
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"No Chromium at {path}: install the Debian package 'chromium' (scripts/test.sh does) or set CAIRN_CHROMIUM.");
    }
}
