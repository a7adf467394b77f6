using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Http.Access;

/// <summary>The role a route needs beyond the default (viewer to read, editor to change).</summary>
/// <param name="Role">The least role that may call the route.</param>
public sealed record RequiredRole(UserRole Role);

/// <summary>
/// Who may call <c>/api</c>: an API key (a script or the CLI, with an admin's rights) or a console session (a cookie,
/// with the user's role). A safe method (GET, HEAD) needs a viewer, any other an editor, unless the route says
/// otherwise (<see cref="RequireAdmin"/>, <see cref="AllowViewer"/>). A session's changing request also carries the
/// antiforgery token in <c>X-CSRF-TOKEN</c>; a key's does not need one (no browser sends it on its own).
/// </summary>
internal static class AccessControl
{
    public const string SessionScheme = "cairn-session";
    public const string ApiKeyScheme = "cairn-api-key";
    public const string SignInLimit = "sign-in";
    public const string AntiforgeryHeader = "X-CSRF-TOKEN";
    public const string RoleClaim = "cairn:role";
    public const string StampClaim = "cairn:stamp";
    public const string UserIdClaim = "cairn:user";

    /// <summary>Adds cookie sessions, API-key authentication, antiforgery, the sign-in rate limit and the user services.</summary>
    public static IServiceCollection AddCairnAccess(this IServiceCollection services)
    {
        services.AddOptions<ConsoleAccessOptions>();
        services.AddSingleton<IValidateOptions<ConsoleAccessOptions>, ConsoleAccessOptionsValidator>();
        services.AddAuthentication(SessionScheme)
            .AddCookie(SessionScheme, cookie =>
            {
                cookie.Cookie.Name = "cairn_session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.SlidingExpiration = true;
                cookie.Events = new CookieAuthenticationEvents
                {
                    OnValidatePrincipal = SessionValidation.ValidateAsync,
                    OnRedirectToLogin = context => Task.CompletedTask,
                    OnRedirectToAccessDenied = context => Task.CompletedTask,
                };
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyScheme, null);
        services.AddOptions<CookieAuthenticationOptions>(SessionScheme)
            .Configure<IOptions<ConsoleAccessOptions>>((cookie, access) => cookie.ExpireTimeSpan = access.Value.SessionLifetime);
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.HeaderName = AntiforgeryHeader;
            antiforgery.Cookie.Name = "cairn_csrf";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                await Problems.Of(StatusCodes.Status429TooManyRequests, "Too many requests", "Too many sign-in attempts from this address; wait a minute and try again.")
                    .ExecuteAsync(context.HttpContext).ConfigureAwait(false);
            };
            limiter.AddPolicy(SignInLimit, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = context.RequestServices.GetRequiredService<IOptions<ConsoleAccessOptions>>().Value.SignInAttemptsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
        });
        return services;
    }

    /// <summary>Only an admin may call these routes (users, keys, the sending policy, erasure).</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiredRole(UserRole.Admin));

    /// <summary>A viewer may call these routes although they are not GETs: they compute and change nothing (previews, simulations).</summary>
    public static TBuilder AllowViewer<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiredRole(UserRole.Viewer));

    /// <summary>The filter on <c>/api</c>: authenticates the caller, checks the role the route needs and a session's antiforgery token.</summary>
    public static async ValueTask<object?> AuthorizeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var (principal, byKey, failure) = await AuthenticateAsync(http).ConfigureAwait(false);
        if (principal is null)
        {
            throw ProblemException.Unauthorized(failure ?? "Sign in, or send an API key as 'Authorization: Bearer <key>'.");
        }

        // Handlers read the caller from HttpContext.User (not a bound ClaimsPrincipal parameter, bound before this runs).
        http.User = principal;
        var needed = http.GetEndpoint()?.Metadata.GetMetadata<RequiredRole>()?.Role
            ?? (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) ? UserRole.Viewer : UserRole.Editor);
        var role = RoleOf(principal);
        if (role < needed)
        {
            return Problems.Of(StatusCodes.Status403Forbidden, "Forbidden", $"This needs the {needed.ToString().ToLowerInvariant()} role; you are signed in as {role.ToString().ToLowerInvariant()}.");
        }

        if (!byKey && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            var antiforgery = http.RequestServices.GetRequiredService<IAntiforgery>();
            if (!await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false))
            {
                return Problems.Of(StatusCodes.Status403Forbidden, "Forbidden", $"The request has no valid antiforgery token; send the token of GET /api/session in the {AntiforgeryHeader} header.");
            }
        }

        return await next(context).ConfigureAwait(false);
    }

    /// <summary>
    /// The caller: an <c>Authorization</c> header means an API key (and only that: a wrong key is refused even with a
    /// session cookie); otherwise the session cookie. Null (with the reason, when there is one) when neither is valid.
    /// </summary>
    public static async Task<(ClaimsPrincipal? Principal, bool ByKey, string? Failure)> AuthenticateAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var byKey = http.Request.Headers.Authorization.Count > 0;
        var result = await http.AuthenticateAsync(byKey ? ApiKeyScheme : SessionScheme).ConfigureAwait(false);
        return (result.Succeeded ? result.Principal : null, byKey, result.Failure?.Message);
    }

    /// <summary>The role a principal carries (a viewer when it carries none).</summary>
    public static UserRole RoleOf(ClaimsPrincipal principal) =>
        Enum.TryParse<UserRole>(principal.FindFirstValue(RoleClaim), ignoreCase: true, out var role) ? role : UserRole.Viewer;
}
