using System.Security.Claims;

namespace Cairn.Http.Access;

/// <summary>What kind of caller made a request to <c>/api</c>.</summary>
internal enum CallerKind
{
    /// <summary>A console user (a cookie session).</summary>
    User,

    /// <summary>A stored API key (created through the API, the CLI or the console).</summary>
    Key,

    /// <summary>A key given in the configuration (<c>CAIRN_API_KEY</c>).</summary>
    ConfiguredKey,
}

/// <summary>
/// Who made a request: the one place that reads the caller from <see cref="HttpContext.User"/> (a session's claims
/// name the user's id and e-mail; a stored key's name its id and name; a configured key carries neither).
/// </summary>
/// <param name="Kind">A user, a stored key or a configured key.</param>
/// <param name="Id">The user's or the stored key's id; null for a configured key.</param>
/// <param name="Name">The user's e-mail, or the key's name.</param>
internal sealed record Caller(CallerKind Kind, string? Id, string Name)
{
    /// <summary>The claim that names a stored key's id.</summary>
    public const string KeyIdClaim = "cairn:key";

    /// <summary>The caller of <paramref name="http"/>, or null when the request is not authenticated.</summary>
    public static Caller? Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var principal = http.User;
        if (principal.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var name = principal.FindFirstValue(ClaimTypes.Name) ?? "unknown";
        return principal.FindFirstValue(AccessControl.UserIdClaim) is { } userId ? new Caller(CallerKind.User, userId, name)
            : principal.FindFirstValue(KeyIdClaim) is { } keyId ? new Caller(CallerKind.Key, keyId, name)
            : new Caller(CallerKind.ConfiguredKey, null, name);
    }
}
