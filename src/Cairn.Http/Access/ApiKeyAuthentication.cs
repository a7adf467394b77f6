using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;

namespace Cairn.Http.Access;

/// <summary>
/// An API key as a bearer token: a working key of any scope authenticates (an ingest key too, which the route's scope
/// check then refuses with 403); an unknown or revoked one fails (401). The principal carries the key's name
/// (<see cref="ClaimTypes.Name"/>), id (<c>cairn:key</c>) and scope.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, KeyRing keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("Send an API key as 'Authorization: Bearer <key>'."));
        }

        if (keys.Find(header.Parameter) is { RevokedAt: not null })
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key was revoked."));
        }

        if (keys.Use(header.Parameter) is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(AccessControl.PrincipalOf(key), Scheme.Name)));
    }
}
