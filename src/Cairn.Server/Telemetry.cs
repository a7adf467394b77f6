using Cairn.Runtime.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Resources;

namespace Cairn.Server;

/// <summary>
/// OpenTelemetry for <c>cairn serve</c>. <c>/metrics</c> (Prometheus text) is always there (Cairn.Http); when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, traces, metrics and logs also go to that collector over OTLP, configured by
/// the standard <c>OTEL_EXPORTER_OTLP_*</c> and <c>OTEL_RESOURCE_ATTRIBUTES</c> variables.
/// </summary>
internal static class Telemetry
{
    /// <summary>The meters exported besides Cairn's: ASP.NET Core's HTTP server and Kestrel, and HttpClient (providers, webhooks).</summary>
    private static readonly string[] FrameworkMeters = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http"];

    /// <summary>The activity sources exported besides Cairn's: the HTTP server's requests and HttpClient's calls.</summary>
    private static readonly string[] FrameworkSources = ["Microsoft.AspNetCore", "System.Net.Http"];

    public static WebApplicationBuilder AddCairnTelemetry(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        var version = typeof(Telemetry).Assembly.GetName().Version?.ToString();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("cairn", serviceVersion: version))
            .WithMetrics(metrics => metrics.AddMeter([.. CairnTelemetry.All, .. FrameworkMeters]))
            .WithTracing(tracing => tracing.AddSource([.. CairnTelemetry.All, .. FrameworkSources]))
            .WithLogging()
            .UseOtlpExporter();
        return builder;
    }
}
