using System.Security.Claims;

namespace Cairn.Http.Access;

/// <summary>What kind of caller made a request.</summary>
public enum CallerKind
{
    /// <summary>A console user (a cookie session).</summary>
    User,

    /// <summary>A stored API key.</summary>
    Key,

    /// <summary>A key given by configuration (<c>CAIRN_API_KEY</c>, <c>CAIRN_WRITE_KEY</c>).</summary>
    ConfiguredKey,
}

/// <summary>
/// Who made a request, read from <see cref="HttpContext.User"/> after authentication: a console user (id and e-mail
/// address), a stored key (id and name) or a configured key (the variable that sets it, as both id and name). The one
/// way handlers and the audit log read the caller.
/// </summary>
/// <param name="Kind">User, key or configured key.</param>
/// <param name="Id">The user's id, the key's id, or the configuring variable.</param>
/// <param name="Name">The user's e-mail address, the key's name, or the configuring variable.</param>
public sealed record Caller(CallerKind Kind, string Id, string Name)
{
    /// <summary>The kind as stored and shown: <c>user</c>, <c>key</c> or <c>configured-key</c>.</summary>
    public string KindName => Kind switch
    {
        CallerKind.User => "user",
        CallerKind.Key => "key",
        _ => "configured-key",
    };

    /// <summary>The caller of <paramref name="http"/>'s request; null when nobody is authenticated.</summary>
    public static Caller? Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var user = http.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var name = user.FindFirstValue(ClaimTypes.Name) ?? string.Empty;
        if (user.FindFirstValue(AccessControl.KeyIdClaim) is { } keyId)
        {
            return new Caller(user.HasClaim(AccessControl.ConfiguredKeyClaim, "true") ? CallerKind.ConfiguredKey : CallerKind.Key, keyId, name);
        }

        return user.FindFirstValue(AccessControl.UserIdClaim) is { } userId ? new Caller(CallerKind.User, userId, name) : null;
    }
}
