using Cairn.Http.Reports;
using Cairn.Http.Telemetry;
using Cairn.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Http;

/// <summary>Registration and mapping of Cairn's HTTP interface.</summary>
public static class CairnHttp
{
    /// <summary>Adds what the endpoints need: problem details, the exception handler, keys, OpenAPI.</summary>
    public static IServiceCollection AddCairnHttp(this IServiceCollection services, Action<KeyOptions>? configureKeys = null)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddOptions<KeyOptions>().Configure(options => configureKeys?.Invoke(options));
        services.AddSingleton<KeyRing>();
        services.AddSingleton<IngestRateLimiter>();
        services.AddCairnAccess();

        services.AddSingleton<AuditRecorder>();
        services.AddSingleton<BatchIngestor>();
        services.AddMetrics();
        services.AddSingleton<IngestMetrics>();
        services.AddSingleton<PrometheusExposition>();

        // Registered after AddCairn: hosted services start in order, so the store is migrated by then.
        services.AddHostedService<KeyRingLoader>();
        services.AddSingleton<KeyUsageFlusher>();
        services.AddHostedService(services => services.GetRequiredService<KeyUsageFlusher>());
        services.AddHostedService<AdminBootstrap>();
        services.AddOpenApi("v1", openApi => openApi.AddOperationTransformer(AccessControl.DescribeScopeAsync));
        services.AddCairnMessaging();
        return services;
    }

    /// <summary>
    /// Maps every endpoint: ingestion, the admin API (for API keys and console sessions), health, <c>/metrics</c>, the
    /// OpenAPI document, and the web console at <c>/</c> from <paramref name="consoleRoot"/> (default: <c>console/</c>
    /// beside the executable) when it is built.
    /// </summary>
    public static WebApplication MapCairn(this WebApplication app, string? consoleRoot = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseConsole(consoleRoot);
        app.UseRateLimiter();
        app.MapOpenApi("/openapi/{documentName}.json");

        app.MapGet("/healthz", () => Results.Ok(new { status = "alive" })).WithTags("Health").ExcludeFromDescription();
        app.MapGet("/readyz", async (CairnEngine engine, ICairnStore cairnStore, CancellationToken cancellationToken) =>
                engine.IsReady && await cairnStore.PingAsync(cancellationToken).ConfigureAwait(false)
                    ? Results.Ok(new { status = "ready" })
                    : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready", detail: engine.FencedBy?.Message ?? "The engine is starting or stopping, or the database does not answer."))
            .WithTags("Health").ExcludeFromDescription();

        app.MapMetrics();
        app.MapIngest();
        app.MapSessions();
        var api = app.MapGroup("/api").RequireCaller().AddEndpointFilter(AuditTrail.RecordAsync);
        api.MapUsers();
        api.MapKeys();
        api.MapContacts();
        api.MapImports();
        api.MapJourneys();
        api.MapSplits();
        api.MapFunnel();
        api.MapJourneyMeasurement();
        api.MapSimulations();
        api.MapLint();
        api.MapSegments();
        api.MapPolicy();
        api.MapTemplates();
        api.MapScoring();
        api.MapHandOffs();
        api.MapLists();
        api.MapMessages();
        api.MapSuppressions();
        api.MapErasures();
        api.MapExports();
        api.MapChannels();
        api.MapAttribution();
        api.MapAudit();
        api.MapAlerts();
        api.MapRetention();
        api.MapCluster();
        app.MapRecipientLinks();
        app.MapChannelWebhooks();
        app.MapDeliveryFeedback();
        return app;
    }
}
