using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Http.Access;

/// <summary>The signed-in user, as the console sees it.</summary>
/// <param name="Id">The user's id (<c>api-key</c> for an API key).</param>
/// <param name="Email">Their e-mail address (null for an API key).</param>
/// <param name="Role">viewer, editor or admin.</param>
/// <param name="CsrfToken">The antiforgery token to send as <c>X-CSRF-TOKEN</c> on every changing request.</param>
internal sealed record SessionView(string Id, string? Email, string Role, string CsrfToken);

/// <summary>A sign-in.</summary>
/// <param name="Email">The user's e-mail address.</param>
/// <param name="Password">Their password.</param>
internal sealed record SignInRequest(string? Email, string? Password);

/// <summary>
/// <c>/api/session</c>: sign in (a cookie session, rate limited per address, the account locked after repeated
/// failures), who is signed in (with the antiforgery token), and sign out.
/// </summary>
internal static class SessionEndpoints
{
    public static WebApplication MapSessions(this WebApplication app)
    {
        var session = app.MapGroup("/api/session").WithTags("Session");
        session.MapGet("/", CurrentAsync)
            .WithSummary("Who is signed in, with the antiforgery token for changing requests; 401 without a session.");
        session.MapPost("/", SignInAsync).NotAudited("outside the /api group's filter: the handler records user.signed_in and user.sign_in_refused itself")
            .RequireRateLimiting(AccessControl.SignInLimit)
            .WithSummary("Signs in with e-mail and password and starts a cookie session. Ten attempts a minute per address; five failures in a row lock the account for 15 minutes.");
        session.MapDelete("/", (Delegate)SignOutAsync).NotAudited("outside the /api group's filter: the handler records user.signed_out itself")
            .WithSummary("Signs out: the session cookie is removed.");
        return app;
    }

    private static async Task<Results<Ok<SessionView>, ProblemHttpResult>> CurrentAsync(HttpContext http, IAntiforgery antiforgery)
    {
        var (principal, _, failure) = await AccessControl.AuthenticateAsync(http).ConfigureAwait(false);
        if (principal is null)
        {
            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", failure ?? "Not signed in.");
        }

        http.User = principal;
        return TypedResults.Ok(ViewOf(principal, antiforgery.GetAndStoreTokens(http).RequestToken!));
    }

    private static async Task<Results<Ok<SessionView>, ProblemHttpResult>> SignInAsync(
        SignInRequest request, HttpContext http, IUserStore userStore, AuditRecorder audit, IAntiforgery antiforgery, IOptions<ConsoleAccessOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrEmpty(request.Password) || request.Email.Length > 254 || request.Password.Length > 256)
        {
            return Problems.BadRequest("Give your e-mail address and password.");
        }

        var now = time.GetUtcNow();
        var user = await userStore.FindUserByEmailAsync(request.Email, cancellationToken).ConfigureAwait(false);
        if (user?.LockedUntil is { } lockedUntil && lockedUntil > now)
        {
            await RefusedAsync(http, audit, user, "the account is locked", StatusCodes.Status423Locked).ConfigureAwait(false);
            return Locked(lockedUntil);
        }

        if (user is null || !Passwords.Verify(user.PasswordHash, request.Password))
        {
            Passwords.Verify(null, request.Password);
            if (user is not null)
            {
                var failures = user.FailedSignIns + 1;
                var locks = failures >= options.Value.LockoutFailures;
                await userStore.UpdateUserAsync(user with { FailedSignIns = locks ? 0 : failures, LockedUntil = locks ? now + options.Value.LockoutDuration : null }, cancellationToken).ConfigureAwait(false);
                await RefusedAsync(http, audit, user, locks ? "wrong password; the account is now locked" : "wrong password", locks ? StatusCodes.Status423Locked : StatusCodes.Status401Unauthorized).ConfigureAwait(false);
                if (locks)
                {
                    return Locked(now + options.Value.LockoutDuration);
                }
            }

            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", "The e-mail address or the password is wrong.");
        }

        await userStore.UpdateUserAsync(user with { FailedSignIns = 0, LockedUntil = null, LastSignInAt = now }, cancellationToken).ConfigureAwait(false);
        var principal = PrincipalOf(user);
        await http.SignInAsync(AccessControl.SessionScheme, principal, new AuthenticationProperties { IsPersistent = false, IssuedUtc = now }).ConfigureAwait(false);
        http.User = principal;
        await audit.RecordAsync(http, "user.signed_in", "user", user.Id, $"{user.Email} signed in", StatusCodes.Status200OK).ConfigureAwait(false);
        return TypedResults.Ok(ViewOf(principal, antiforgery.GetAndStoreTokens(http).RequestToken!));
    }

    private static async Task<NoContent> SignOutAsync(HttpContext http, AuditRecorder audit)
    {
        var (principal, byKey, _) = await AccessControl.AuthenticateAsync(http).ConfigureAwait(false);
        await http.SignOutAsync(AccessControl.SessionScheme).ConfigureAwait(false);
        if (principal is not null && !byKey)
        {
            http.User = principal;
            await audit.RecordAsync(http, "user.signed_out", "user", principal.FindFirstValue(AccessControl.UserIdClaim), $"{principal.FindFirstValue(ClaimTypes.Name)} signed out", StatusCodes.Status204NoContent).ConfigureAwait(false);
        }

        return TypedResults.NoContent();
    }

    /// <summary>
    /// Records a refused sign-in as a known user (by nobody signed in, about that user). An unknown address is not
    /// recorded: anyone can type any text, and the sign-in rate limit already bounds how often.
    /// </summary>
    private static Task RefusedAsync(HttpContext http, AuditRecorder audit, UserRecord user, string why, int status) =>
        audit.RecordAsync(http, "user.sign_in_refused", "user", user.Id, $"Refused a sign-in as {user.Email}: {why}", status);

    private static ProblemHttpResult Locked(DateTimeOffset until) =>
        Problems.Of(StatusCodes.Status423Locked, "Locked", $"This account is locked after repeated failed sign-ins, until {until:yyyy-MM-dd HH:mm} UTC.");

    /// <summary>The session's principal: the user's id, e-mail, role and stamp.</summary>
    public static ClaimsPrincipal PrincipalOf(UserRecord user) => new(new ClaimsIdentity(
        [
            new Claim(AccessControl.UserIdClaim, user.Id),
            new Claim(ClaimTypes.Name, user.Email),
            new Claim(AccessControl.RoleClaim, user.Role.ToString()),
            new Claim(AccessControl.StampClaim, user.Stamp),
        ],
        AccessControl.SessionScheme,
        ClaimTypes.Name,
        AccessControl.RoleClaim));

    private static SessionView ViewOf(ClaimsPrincipal principal, string csrfToken) => new(
        principal.FindFirstValue(AccessControl.UserIdClaim) ?? "api-key",
        principal.FindFirstValue(AccessControl.UserIdClaim) is null ? null : principal.FindFirstValue(ClaimTypes.Name),
        AccessControl.RoleOf(principal).ToString().ToLowerInvariant(),
        csrfToken);
}

/// <summary>
/// Checks a session on every request against the stored user: a deleted user, or one whose stamp changed (new
/// password, signed out everywhere), has no session; a changed role applies at once.
/// </summary>
internal static class SessionValidation
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirstValue(AccessControl.UserIdClaim);
        var user = id is null ? null : await context.HttpContext.RequestServices.GetRequiredService<IUserStore>().GetUserAsync(id, context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (user is null || user.Stamp != context.Principal!.FindFirstValue(AccessControl.StampClaim))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AccessControl.SessionScheme).ConfigureAwait(false);
            return;
        }

        if (AccessControl.RoleOf(context.Principal!) != user.Role)
        {
            context.ReplacePrincipal(SessionEndpoints.PrincipalOf(user));
            context.ShouldRenew = true;
        }
    }
}
