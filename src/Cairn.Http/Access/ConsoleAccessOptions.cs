namespace Cairn.Http.Access;

/// <summary>
/// The console's sign-in settings (the <c>Console</c> section): the first admin of a fresh store
/// (<c>CAIRN_ADMIN_EMAIL</c>, <c>CAIRN_ADMIN_PASSWORD</c>), how long a session lasts and when an account locks.
/// </summary>
public sealed class ConsoleAccessOptions
{
    /// <summary>The e-mail address of the admin created on a store without users.</summary>
    public string AdminEmail { get; set; } = "admin@cairn.local";

    /// <summary>That admin's password; when unset, one is generated and announced once.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>How long a session lasts without use (sliding).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Sign-in attempts a minute from one client address; more get 429.</summary>
    public int SignInAttemptsPerMinute { get; set; } = 10;

    /// <summary>Failed sign-ins in a row that lock the account.</summary>
    public int LockoutFailures { get; set; } = 5;

    /// <summary>How long a locked account refuses sign-in.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Where a generated admin password is announced (the console by default).</summary>
    public Action<string> Announce { get; set; } = Console.WriteLine;
}

/// <summary>Checks <see cref="ConsoleAccessOptions"/> at start-up.</summary>
internal sealed class ConsoleAccessOptionsValidator : IValidateOptions<ConsoleAccessOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsoleAccessOptions options)
    {
        var failures = new List<string>();
        if (!Passwords.IsEmail(options.AdminEmail))
        {
            failures.Add($"Console:AdminEmail (CAIRN_ADMIN_EMAIL) '{options.AdminEmail}' is not an e-mail address.");
        }

        if (options.AdminPassword is { } password && Passwords.Weakness(password) is { } weakness)
        {
            failures.Add($"Console:AdminPassword (CAIRN_ADMIN_PASSWORD) {weakness}.");
        }

        if (options.SessionLifetime <= TimeSpan.Zero || options.LockoutDuration <= TimeSpan.Zero || options.LockoutFailures < 1 || options.SignInAttemptsPerMinute < 1)
        {
            failures.Add("Console:SessionLifetime, LockoutDuration, LockoutFailures and SignInAttemptsPerMinute must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
