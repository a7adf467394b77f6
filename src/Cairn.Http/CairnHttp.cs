using System.Net.Http.Headers;
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
        services.AddSingleton<BatchIngestor>();
        services.AddMetrics();
        services.AddSingleton<IngestMetrics>();
        services.AddSingleton<PrometheusExposition>();

        // Registered after AddCairn: hosted services start in order, so the store is migrated by then.
        services.AddHostedService<KeyRingLoader>();
        services.AddOpenApi("v1");
        services.AddCairnMessaging();
        return services;
    }

    /// <summary>Maps every endpoint: ingestion, the admin API, health, <c>/metrics</c> and the OpenAPI document.</summary>
    public static WebApplication MapCairn(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi("/openapi/{documentName}.json");

        app.MapGet("/healthz", () => Results.Ok(new { status = "alive" })).WithTags("Health").ExcludeFromDescription();
        app.MapGet("/readyz", async (CairnEngine engine, ICairnStore cairnStore, CancellationToken cancellationToken) =>
                engine.IsReady && await cairnStore.PingAsync(cancellationToken).ConfigureAwait(false)
                    ? Results.Ok(new { status = "ready" })
                    : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready", detail: "The engine is starting or stopping, or the database does not answer."))
            .WithTags("Health").ExcludeFromDescription();

        app.MapMetrics();
        app.MapIngest();
        var api = app.MapGroup("/api").AddEndpointFilter(RequireApiKeyAsync);
        api.MapContacts();
        api.MapImports();
        api.MapJourneys();
        api.MapSegments();
        api.MapPolicy();
        api.MapTemplates();
        api.MapScoring();
        api.MapHandOffs();
        api.MapLists();
        api.MapMessages();
        api.MapSuppressions();
        api.MapErasures();
        api.MapChannels();
        app.MapRecipientLinks();
        app.MapChannelWebhooks();
        app.MapDeliveryFeedback();
        return app;
    }

    private static ValueTask<object?> RequireApiKeyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var keys = http.RequestServices.GetRequiredService<KeyRing>();
        if (!AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw ProblemException.Unauthorized("Send an API key as 'Authorization: Bearer <key>'.");
        }

        return keys.IsValid(ApiKeyKind.Admin, header.Parameter)
            ? next(context)
            : throw ProblemException.Unauthorized("The API key is not valid.");
    }
}
