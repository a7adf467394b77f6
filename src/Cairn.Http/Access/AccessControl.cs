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

/// <summary>The key scope a route needs, when it is not one of <c>/api</c>'s role-based routes (the ingestion routes: ingest).</summary>
/// <param name="Scope">The scope.</param>
public sealed record RequiredScope(ApiKeyScope Scope);

/// <summary>Marks the routes whose caller <see cref="AccessControl.AuthorizeAsync"/> checks (the <c>/api</c> group).</summary>
public sealed class CallerRequired
{
    /// <summary>The one instance.</summary>
    public static readonly CallerRequired Instance = new();

    private CallerRequired()
    {
    }
}

/// <summary>
/// One permission model for keys and console users. A caller holds a scope: a key its own (<c>ingest</c>,
/// <c>read</c>, <c>write</c>, <c>admin</c>), a session its user's role's (viewer = read, editor = write, admin = admin).
/// A route needs a scope: <c>/api</c> reads (GET, HEAD) need read, other methods write, unless the route says otherwise
/// (<see cref="RequireAdmin"/>, <see cref="AllowViewer"/>); the ingestion routes need ingest. An ingest key calls the
/// ingestion routes only, and only an ingest key calls them; otherwise a scope allows what it and the scopes below it
/// allow. Unknown or revoked credentials: 401; a known caller without the scope: 403 naming the scope needed. A
/// session's changing request also carries the antiforgery token in <c>X-CSRF-TOKEN</c>; a key's does not need one (no
/// browser sends it on its own).
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
    public const string KeyIdClaim = "cairn:key";
    public const string ScopeClaim = "cairn:scope";
    public const string ConfiguredKeyClaim = "cairn:configured-key";

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

    /// <summary>Only an ingest key (a write key) may call these routes, checked by the route itself (the key may come in the body).</summary>
    public static TBuilder RequireIngestKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiredScope(ApiKeyScope.Ingest));

    /// <summary>Puts a group behind <see cref="AuthorizeAsync"/>, and marks its routes as such (for the OpenAPI document and the tests).</summary>
    public static RouteGroupBuilder RequireCaller(this RouteGroupBuilder group) =>
        group.AddEndpointFilter(AuthorizeAsync).WithMetadata(CallerRequired.Instance);

    /// <summary>
    /// The scope a route needs for <paramref name="method"/>, from its metadata; null for a route that takes no key and no
    /// session (sign-in, recipients' signed links, the in-app inbox with its own token).
    /// </summary>
    public static ApiKeyScope? NeededScope(IReadOnlyList<object> metadata, string method)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.OfType<RequiredScope>().LastOrDefault() is { } scope)
        {
            return scope.Scope;
        }

        if (!metadata.OfType<CallerRequired>().Any())
        {
            return null;
        }

        return metadata.OfType<RequiredRole>().LastOrDefault() is { } role
            ? ScopeOf(role.Role)
            : HttpMethods.IsGet(method) || HttpMethods.IsHead(method) ? ApiKeyScope.Read : ApiKeyScope.Write;
    }

    /// <summary>True when a caller holding <paramref name="held"/> may call a route that needs <paramref name="needed"/>.</summary>
    public static bool Allows(ApiKeyScope held, ApiKeyScope needed) =>
        needed == ApiKeyScope.Ingest ? held == ApiKeyScope.Ingest : held != ApiKeyScope.Ingest && held >= needed;

    /// <summary>The scope of a console role: viewer read, editor write, admin admin.</summary>
    public static ApiKeyScope ScopeOf(UserRole role) => role switch
    {
        UserRole.Admin => ApiKeyScope.Admin,
        UserRole.Editor => ApiKeyScope.Write,
        _ => ApiKeyScope.Read,
    };

    /// <summary>The console role with the rights of an /api scope (an ingest key has none: a viewer's at most, and it never reaches /api).</summary>
    public static UserRole RoleOf(ApiKeyScope scope) => scope switch
    {
        ApiKeyScope.Admin => UserRole.Admin,
        ApiKeyScope.Write => UserRole.Editor,
        _ => UserRole.Viewer,
    };

    /// <summary>A scope as the API and the documentation spell it: <c>ingest</c>, <c>read</c>, <c>write</c>, <c>admin</c>.</summary>
    public static string NameOf(ApiKeyScope scope) => scope.ToString().ToLowerInvariant();

    /// <summary>The scope a principal holds: a key's own, else its role's (read when it carries neither).</summary>
    public static ApiKeyScope ScopeOf(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return Enum.TryParse<ApiKeyScope>(principal.FindFirstValue(ScopeClaim), ignoreCase: true, out var scope) ? scope : ScopeOf(RoleOf(principal));
    }

    /// <summary>The principal of a key: its name, id and scope, and the role with the same rights.</summary>
    public static ClaimsPrincipal PrincipalOf(KeyEntry key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, key.Name),
            new(KeyIdClaim, key.Id),
            new(ScopeClaim, NameOf(key.Scope)),
            new(RoleClaim, RoleOf(key.Scope).ToString()),
        };
        if (key.Configured)
        {
            claims.Add(new Claim(ConfiguredKeyClaim, "true"));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyScheme));
    }

    /// <summary>
    /// Writes the scope each operation needs into the OpenAPI document as <c>x-cairn-scope</c> (<c>ingest</c>, <c>read</c>,
    /// <c>write</c>, <c>admin</c>, or <c>none</c> for a route that takes no key), so clients and the access test read it
    /// from the same metadata the server enforces.
    /// </summary>
    public static Task DescribeScopeAsync(Microsoft.OpenApi.OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        var needed = NeededScope([.. context.Description.ActionDescriptor.EndpointMetadata], context.Description.HttpMethod ?? HttpMethods.Get);
        operation.Extensions ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiExtension>();
        operation.Extensions["x-cairn-scope"] = new Microsoft.OpenApi.JsonNodeExtension(System.Text.Json.Nodes.JsonValue.Create(needed is { } scope ? NameOf(scope) : "none"));
        return Task.CompletedTask;
    }

    /// <summary>The filter on <c>/api</c>: authenticates the caller, checks the scope the route needs and a session's antiforgery token.</summary>
    public static async ValueTask<object?> AuthorizeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var (principal, byKey, failure) = await AuthenticateAsync(http).ConfigureAwait(false);
        if (principal is null)
        {
            throw ProblemException.Unauthorized(failure ?? "Sign in, or send an API key as 'Authorization: Bearer <key>'.");
        }

        // Handlers read the caller from HttpContext.User (not a bound ClaimsPrincipal parameter, bound before this runs).
        http.User = principal;
        var needed = NeededScope(http.GetEndpoint()?.Metadata ?? [], http.Request.Method) ?? ApiKeyScope.Write;
        var held = ScopeOf(principal);
        if (!Allows(held, needed))
        {
            var detail = byKey
                ? $"This needs a key with the {NameOf(needed)} scope; the key '{principal.Identity?.Name}' has the {NameOf(held)} scope."
                : $"This needs the {RoleOf(needed).ToString().ToLowerInvariant()} role ({NameOf(needed)} scope); you are signed in as {RoleOf(held).ToString().ToLowerInvariant()}.";
            return Problems.Of(StatusCodes.Status403Forbidden, "Forbidden", detail, new Dictionary<string, object?> { ["requiredScope"] = NameOf(needed) });
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
