using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cairn.Http;

/// <summary>A request Cairn refuses, with the status and the explanation the client gets as problem details.</summary>
internal sealed class ProblemException : Exception
{
    public ProblemException()
        : this(StatusCodes.Status400BadRequest, "Bad request", "The request is not valid.")
    {
    }

    public ProblemException(string message)
        : this(StatusCodes.Status400BadRequest, "Bad request", message)
    {
    }

    public ProblemException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = StatusCodes.Status400BadRequest;
        Title = "Bad request";
    }

    public ProblemException(int status, string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null)
        : base(detail)
    {
        Status = status;
        Title = title;
        Extensions = extensions;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>A short, fixed summary of the problem type.</summary>
    public string Title { get; }

    /// <summary>Extra members of the problem details object.</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; }

    /// <summary>400: the request is malformed.</summary>
    public static ProblemException BadRequest(string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        new(StatusCodes.Status400BadRequest, "Bad request", detail, extensions);

    /// <summary>404: the resource does not exist.</summary>
    public static ProblemException NotFound(string detail) => new(StatusCodes.Status404NotFound, "Not found", detail);

    /// <summary>When the client may retry (sent as <c>Retry-After</c>, in whole seconds); null when it says nothing.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>401: no valid key.</summary>
    public static ProblemException Unauthorized(string detail) => new(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    /// <summary>403: the caller is known but may not do this (the extensions say what it would need).</summary>
    public static ProblemException Forbidden(string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        new(StatusCodes.Status403Forbidden, "Forbidden", detail, extensions);

    /// <summary>429: the caller sends faster than it may; retry after <paramref name="retryAfter"/>.</summary>
    public static ProblemException TooManyRequests(string detail, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, "Too many requests", detail) { RetryAfter = retryAfter };
}

/// <summary>The one place exceptions become RFC 9457 problem details.</summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is ProblemException { Status: StatusCodes.Status401Unauthorized } refused)
        {
            Refused(httpContext, refused.Message);
        }

        var (status, title, detail, extensions) = exception switch
        {
            ProblemException problem => (problem.Status, problem.Title, problem.Message, problem.Extensions),
            InvalidCursorException => (StatusCodes.Status400BadRequest, "Bad request", "The cursor is not valid; pass the nextCursor of a previous page.", null),
            EngineStoppedException stopped => (StatusCodes.Status503ServiceUnavailable, "Service unavailable", stopped.Message, null),
            PartitionFencedException fenced => (StatusCodes.Status503ServiceUnavailable, "Service unavailable", fenced.Message, null),
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message, null),
            _ => (StatusCodes.Status500InternalServerError, "Internal server error", "An unexpected error occurred.", (IReadOnlyDictionary<string, object?>?)null),
        };

        if (status == StatusCodes.Status500InternalServerError)
        {
            // The client gets the trace id only; the operator gets the exception under the same id.
            LogUnexpected(logger, exception, httpContext.Request.Method, RouteOf(httpContext), httpContext.TraceIdentifier);
        }

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        if (exception is ProblemException { RetryAfter: { } retryAfter })
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (status == StatusCodes.Status429TooManyRequests && RouteOf(httpContext) is var route && route.StartsWith("/v1/", StringComparison.Ordinal))
            {
                httpContext.RequestServices.GetService<Telemetry.IngestMetrics>()?.Rejected(route["/v1/".Length..], "rate_limited");
            }
        }

        httpContext.Response.StatusCode = status;
        var details = new ProblemDetails { Status = status, Title = title, Detail = detail };
        foreach (var (name, value) in extensions ?? new Dictionary<string, object?>())
        {
            details.Extensions[name] = value;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details, Exception = exception }).ConfigureAwait(false);
    }

    /// <summary>
    /// An authentication failure: logged with the route's pattern (never the path, which may carry ids or tokens, nor
    /// the key or the caller's address) and counted against ingestion when it was an ingestion endpoint.
    /// </summary>
    private void Refused(HttpContext httpContext, string reason)
    {
        var route = RouteOf(httpContext);
        LogAuthenticationFailed(logger, httpContext.Request.Method, route, reason, httpContext.TraceIdentifier);
        if (route.StartsWith("/v1/", StringComparison.Ordinal))
        {
            httpContext.RequestServices.GetService<Telemetry.IngestMetrics>()?.Rejected(route["/v1/".Length..], "unauthorized");
        }
    }

    /// <summary>
    /// The pattern of the route that threw: the exception handler middleware clears the request's endpoint before it
    /// runs the handler, and keeps the original on <see cref="IExceptionHandlerFeature"/>.
    /// </summary>
    private static string RouteOf(HttpContext httpContext) =>
        ((httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.GetEndpoint()) as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error: {Method} {Route} (request {TraceId})")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string route, string traceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Authentication failed: {Method} {Route}: {Reason} (request {TraceId})")]
    private static partial void LogAuthenticationFailed(ILogger logger, string method, string route, string reason, string traceId);
}

/// <summary>
/// Expected refusals as results (RFC 9457 problem details, written by the same problem details service as the exception
/// handler's): an endpoint returns them in its <c>Results&lt;…&gt;</c> union instead of throwing.
/// </summary>
internal static class Problems
{
    /// <summary>A problem with <paramref name="status"/>, <paramref name="title"/>, <paramref name="detail"/> and extra members.</summary>
    public static ProblemHttpResult Of(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);

    /// <summary>400: the request is malformed.</summary>
    public static ProblemHttpResult BadRequest(string detail, IDictionary<string, object?>? extensions = null) =>
        Of(StatusCodes.Status400BadRequest, "Bad request", detail, extensions);

    /// <summary>404: the resource does not exist.</summary>
    public static ProblemHttpResult NotFound(string detail) => Of(StatusCodes.Status404NotFound, "Not found", detail);

    /// <summary>409: the resource is not in a state that allows the request.</summary>
    public static ProblemHttpResult Conflict(string detail) => Of(StatusCodes.Status409Conflict, "Conflict", detail);
}
