using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Http.Telemetry;

/// <summary><c>GET /metrics</c>: the Prometheus text exposition, behind the metrics key or an API key of the read scope or above (bearer).</summary>
internal static class MetricsEndpoint
{
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder routes)
    {
        // Created now, before the host starts: a meter listener sees only the measurements made after it starts.
        var exposition = routes.ServiceProvider.GetRequiredService<PrometheusExposition>();
        routes.MapGet("/metrics", (HttpContext context, KeyRing keys, IOptions<KeyOptions> options) =>
            {
                if (!AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var header)
                    || !string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase))
                {
                    throw ProblemException.Unauthorized("Send the metrics key (CAIRN_METRICS_KEY) or an API key (read scope or above) as 'Authorization: Bearer <key>'.");
                }

                if (!IsMetricsKey(options.Value.MetricsKey, header.Parameter) && keys.Use(header.Parameter) is not { Scope: not ApiKeyScope.Ingest })
                {
                    throw ProblemException.Unauthorized("The key is not valid for /metrics.");
                }

                return Results.Text(exposition.Scrape(), PrometheusExposition.ContentType, Encoding.UTF8);
            })
            .WithTags("Health")
            .ExcludeFromDescription();
        return routes;
    }

    private static bool IsMetricsKey(string? configured, string? given) =>
        configured is { Length: > 0 } && given is { Length: > 0 }
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(configured)), SHA256.HashData(Encoding.UTF8.GetBytes(given)));
}
