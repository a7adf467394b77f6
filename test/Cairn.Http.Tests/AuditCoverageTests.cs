using Cairn.Http.Audit;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Http.Tests;

/// <summary>Every route under <c>/api</c> that changes something declares the audit action it records, or why it records none.</summary>
public sealed class AuditCoverageTests
{
    [Fact]
    public async Task EveryChangingApiRoute_DeclaresItsAuditAction()
    {
        await using var cairn = await TestCairn.StartAsync();
        var endpoints = cairn.Services.GetServices<EndpointDataSource>().SelectMany(source => source.Endpoints).OfType<RouteEndpoint>().ToList();
        var changing = endpoints
            .Where(endpoint => endpoint.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(method => (Method: method, Endpoint: endpoint)))
            .Where(route => route.Method is not ("GET" or "HEAD" or "OPTIONS"))
            .ToList();
        Assert.True(changing.Count > 40, $"only {changing.Count} changing routes were found");

        var undeclared = changing
            .Where(route => route.Endpoint.Metadata.GetMetadata<AuditedRoute>() is null && route.Endpoint.Metadata.GetMetadata<NotAuditedRoute>() is null)
            .Select(route => $"{route.Method} {route.Endpoint.RoutePattern.RawText}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(undeclared.Count == 0, "Declare .Audited(…) or .NotAudited(…) on: " + string.Join(", ", undeclared));

        // Actions are resource.verb, lower case.
        var actions = endpoints.Select(endpoint => endpoint.Metadata.GetMetadata<AuditedRoute>()).OfType<AuditedRoute>().Select(audited => audited.Action).ToList();
        Assert.All(actions, action => Assert.Matches("^[a-z_]+\\.[a-z_]+$", action));
    }
}
