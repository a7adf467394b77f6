using Microsoft.Extensions.Hosting;

namespace Cairn.Http.Access;

/// <summary>
/// On a store without users, creates the first admin: <c>CAIRN_ADMIN_EMAIL</c> (default <c>admin@cairn.local</c>) with
/// <c>CAIRN_ADMIN_PASSWORD</c>, or a generated password announced once beside the keys.
/// </summary>
internal sealed class AdminBootstrap(IUserStore userStore, IOptions<ConsoleAccessOptions> options, TimeProvider time) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if ((await userStore.GetUsersAsync(cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            return;
        }

        var settings = options.Value;
        var password = settings.AdminPassword ?? Passwords.Generate();
        var admin = new UserRecord(Guid.NewGuid().ToString("N"), settings.AdminEmail.Trim(), Passwords.Hash(password), UserRole.Admin, time.GetUtcNow(), Guid.NewGuid().ToString("N"));
        if (await userStore.AddUserAsync(admin, cancellationToken).ConfigureAwait(false) && settings.AdminPassword is null)
        {
            settings.Announce($"Console admin: {admin.Email}, password {password}\n  Shown once; sign in and change it. Or set CAIRN_ADMIN_EMAIL and CAIRN_ADMIN_PASSWORD.");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
