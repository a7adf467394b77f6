using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

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

    /// <summary>401: no valid key.</summary>
    public static ProblemException Unauthorized(string detail) => new(StatusCodes.Status401Unauthorized, "Unauthorized", detail);
}

/// <summary>The one place exceptions become RFC 9457 problem details.</summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail, extensions) = exception switch
        {
            ProblemException problem => (problem.Status, problem.Title, problem.Message, problem.Extensions),
            InvalidCursorException => (StatusCodes.Status400BadRequest, "Bad request", "The cursor is not valid; pass the nextCursor of a previous page.", null),
            EngineStoppedException => (StatusCodes.Status503ServiceUnavailable, "Service unavailable", "Cairn is shutting down; retry shortly.", null),
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message, null),
            _ => (StatusCodes.Status500InternalServerError, "Internal server error", "An unexpected error occurred.", (IReadOnlyDictionary<string, object?>?)null),
        };

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        httpContext.Response.StatusCode = status;
        var details = new ProblemDetails { Status = status, Title = title, Detail = detail };
        foreach (var (name, value) in extensions ?? new Dictionary<string, object?>())
        {
            details.Extensions[name] = value;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details, Exception = exception }).ConfigureAwait(false);
    }
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
