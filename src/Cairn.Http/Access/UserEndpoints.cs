using System.Security.Claims;

namespace Cairn.Http.Access;

/// <summary>A user as listed (never the password hash).</summary>
internal sealed record UserView(string Id, string Email, string Role, DateTimeOffset CreatedAt, DateTimeOffset? LastSignInAt, DateTimeOffset? LockedUntil)
{
    public static UserView From(UserRecord user) => new(user.Id, user.Email, user.Role.ToString().ToLowerInvariant(), user.CreatedAt, user.LastSignInAt, user.LockedUntil);
}

/// <summary>A new user: the password is generated (and returned once) when not given.</summary>
internal sealed record NewUserRequest(string? Email, string? Role, string? Password);

/// <summary>A created user, with the generated password (null when one was given).</summary>
internal sealed record CreatedUserView(UserView User, string? Password);

/// <summary>A change to a user: any of role, password, unlock.</summary>
internal sealed record UserChangeRequest(string? Role, string? Password, bool? Unlock);

/// <summary>A user's own password change.</summary>
internal sealed record PasswordChangeRequest(string? CurrentPassword, string? NewPassword);

/// <summary>
/// <c>/api/users</c> (admins only): list, create, change role or password, unlock, delete; the last admin can be
/// neither demoted nor deleted. <c>PUT /api/account/password</c>: any signed-in user changes their own password.
/// </summary>
internal static class UserEndpoints
{
    public static RouteGroupBuilder MapUsers(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users").RequireAdmin();
        users.MapGet("/", async (IUserStore userStore, CancellationToken cancellationToken) =>
                TypedResults.Ok((await userStore.GetUsersAsync(cancellationToken).ConfigureAwait(false)).Select(UserView.From).ToList()))
            .WithSummary("Every console user with their role and last sign-in.");
        users.MapPost("/", CreateAsync).Audited("user.created", "user").WithSummary("Creates a user (admin, editor or viewer); without a password, one is generated and returned once.");
        users.MapPatch("/{id}", ChangeAsync).Audited("user.changed", "user").WithSummary("Changes a user's role or password, or unlocks them. A new password or role ends their sessions.");
        users.MapDelete("/{id}", DeleteAsync).Audited("user.deleted", "user").WithSummary("Deletes a user; their sessions end at once.");
        api.MapPut("/account/password", ChangeOwnPasswordAsync).WithTags("Users").AllowViewer().Audited("user.password_changed", "user", targetRoute: null)
            .WithSummary("Changes the signed-in user's own password (the current one is required); other sessions of the user end.");
        return api;
    }

    private static async Task<Results<Created<CreatedUserView>, ProblemHttpResult>> CreateAsync(
        NewUserRequest request, HttpContext http, IUserStore userStore, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!Passwords.IsEmail(request.Email?.Trim()))
        {
            return Problems.BadRequest("'email' must be one e-mail address.");
        }

        if (ParseRole(request.Role) is not { } role)
        {
            return Problems.BadRequest("'role' must be admin, editor or viewer.");
        }

        if (request.Password is { } given && Passwords.Weakness(given) is { } weakness)
        {
            return Problems.BadRequest($"The password {weakness}.");
        }

        var password = request.Password ?? Passwords.Generate();
        var user = new UserRecord(Guid.NewGuid().ToString("N"), request.Email!.Trim(), Passwords.Hash(password), role, time.GetUtcNow(), NewStamp());
        if (!await userStore.AddUserAsync(user, cancellationToken).ConfigureAwait(false))
        {
            return Problems.Conflict($"A user with the e-mail address '{user.Email}' exists.");
        }

        var note = http.AuditNote();
        note.TargetId = user.Id;
        note.Summary = $"Created user {user.Email} ({StoredRole(user.Role)})";
        return TypedResults.Created($"/api/users/{user.Id}", new CreatedUserView(UserView.From(user), request.Password is null ? password : null));
    }

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> ChangeAsync(
        string id, UserChangeRequest request, HttpContext http, IUserStore userStore, CancellationToken cancellationToken)
    {
        if (await userStore.GetUserAsync(id, cancellationToken).ConfigureAwait(false) is not { } user)
        {
            return Problems.NotFound($"No user '{id}'.");
        }

        var changed = user;
        if (request.Role is not null)
        {
            if (ParseRole(request.Role) is not { } role)
            {
                return Problems.BadRequest("'role' must be admin, editor or viewer.");
            }

            if (user.Role == UserRole.Admin && role != UserRole.Admin && await IsLastAdminAsync(userStore, cancellationToken).ConfigureAwait(false))
            {
                return Problems.Conflict("This is the last admin; make another user an admin first.");
            }

            changed = changed with { Role = role };
        }

        if (request.Password is { } password)
        {
            if (Passwords.Weakness(password) is { } weakness)
            {
                return Problems.BadRequest($"The password {weakness}.");
            }

            changed = changed with { PasswordHash = Passwords.Hash(password), Stamp = NewStamp() };
        }

        if (request.Unlock is true)
        {
            changed = changed with { LockedUntil = null, FailedSignIns = 0 };
        }

        await userStore.UpdateUserAsync(changed, cancellationToken).ConfigureAwait(false);
        var changes = new List<(string Action, string Words)>();
        if (changed.Role != user.Role)
        {
            changes.Add(("user.role_changed", $"role {StoredRole(user.Role)} → {StoredRole(changed.Role)}"));
        }

        if (request.Password is not null)
        {
            changes.Add(("user.password_reset", "password reset"));
        }

        if (request.Unlock is true)
        {
            changes.Add(("user.unlocked", "unlocked"));
        }

        var note = http.AuditNote();
        note.Unchanged = changes.Count == 0;
        note.Action = changes.Count == 1 ? changes[0].Action : null;
        note.Summary = $"Changed user {user.Email}: {string.Join(", ", changes.Select(change => change.Words))}";
        return TypedResults.Ok(UserView.From(changed));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, HttpContext http, IUserStore userStore, CancellationToken cancellationToken)
    {
        if (await userStore.GetUserAsync(id, cancellationToken).ConfigureAwait(false) is not { } user)
        {
            return Problems.NotFound($"No user '{id}'.");
        }

        // The caller is read here, not bound as a parameter: parameters are bound before the /api filter authenticates.
        if (http.User.FindFirstValue(AccessControl.UserIdClaim) == id)
        {
            return Problems.Conflict("You cannot delete yourself; ask another admin.");
        }

        if (user.Role == UserRole.Admin && await IsLastAdminAsync(userStore, cancellationToken).ConfigureAwait(false))
        {
            return Problems.Conflict("This is the last admin; make another user an admin first.");
        }

        await userStore.DeleteUserAsync(id, cancellationToken).ConfigureAwait(false);
        http.AuditNote().Summary = $"Deleted user {user.Email}";
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ChangeOwnPasswordAsync(
        PasswordChangeRequest request, HttpContext http, IUserStore userStore, CancellationToken cancellationToken)
    {
        if (http.User.FindFirstValue(AccessControl.UserIdClaim) is not { } id || await userStore.GetUserAsync(id, cancellationToken).ConfigureAwait(false) is not { } user)
        {
            return Problems.BadRequest("Only a signed-in user has a password to change; an API key has none.");
        }

        if (string.IsNullOrEmpty(request.CurrentPassword) || !Passwords.Verify(user.PasswordHash, request.CurrentPassword))
        {
            return Problems.BadRequest("The current password is wrong.");
        }

        if (request.NewPassword is not { } password || Passwords.Weakness(password) is { } weakness)
        {
            return Problems.BadRequest($"The new password must have at least {Passwords.MinimumLength} characters.");
        }

        var changed = user with { PasswordHash = Passwords.Hash(password), Stamp = NewStamp() };
        await userStore.UpdateUserAsync(changed, cancellationToken).ConfigureAwait(false);
        var note = http.AuditNote();
        note.TargetId = id;
        note.Summary = $"{user.Email} changed their password";

        // This session goes on with the new stamp; the user's other sessions end.
        await Microsoft.AspNetCore.Authentication.AuthenticationHttpContextExtensions.SignInAsync(http, AccessControl.SessionScheme, SessionEndpoints.PrincipalOf(changed)).ConfigureAwait(false);
        return TypedResults.NoContent();
    }

    private static async Task<bool> IsLastAdminAsync(IUserStore userStore, CancellationToken cancellationToken) =>
        (await userStore.GetUsersAsync(cancellationToken).ConfigureAwait(false)).Count(user => user.Role == UserRole.Admin) <= 1;

    private static UserRole? ParseRole(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "admin" => UserRole.Admin,
        "editor" => UserRole.Editor,
        "viewer" => UserRole.Viewer,
        _ => null,
    };

    private static string NewStamp() => Guid.NewGuid().ToString("N");

    private static string StoredRole(UserRole role) => role.ToString().ToLowerInvariant();
}
