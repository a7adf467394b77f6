using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="IUserStore"/>: the console's users.</summary>
public abstract partial class RelationalCairnStore
{
    private const string UserColumns = "id, email, password_hash, role, created_at, stamp, failed_sign_ins, locked_until, last_sign_in_at";

    /// <inheritdoc />
    public async Task<IReadOnlyList<UserRecord>> GetUsersAsync(CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT {UserColumns} FROM users ORDER BY email_key", null, ReadUser, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<UserRecord?> GetUserAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {UserColumns} FROM users WHERE id = @id", parameters => parameters.Add("id", id), ReadUser, cancellationToken).ConfigureAwait(false))
        .SingleOrDefault();

    /// <inheritdoc />
    public async Task<UserRecord?> FindUserByEmailAsync(string email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        return (await QueryAsync($"SELECT {UserColumns} FROM users WHERE email_key = @email_key", parameters => parameters.Add("email_key", EmailKey(email)), ReadUser, cancellationToken).ConfigureAwait(false))
            .SingleOrDefault();
    }

    /// <inheritdoc />
    public async Task<bool> AddUserAsync(UserRecord user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return await ExecuteAsync(
            $"INSERT INTO users ({UserColumns}, email_key) VALUES (@id, @email, @password_hash, @role, @created_at, @stamp, @failed_sign_ins, @locked_until, @last_sign_in_at, @email_key) ON CONFLICT (email_key) DO NOTHING",
            parameters => BindUser(parameters, user),
            cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> UpdateUserAsync(UserRecord user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return await ExecuteAsync(
            """
            UPDATE users SET email = @email, email_key = @email_key, password_hash = @password_hash, role = @role, stamp = @stamp,
                failed_sign_ins = @failed_sign_ins, locked_until = @locked_until, last_sign_in_at = @last_sign_in_at
            WHERE id = @id
            """,
            parameters => BindUser(parameters, user),
            cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteUserAsync(string id, CancellationToken cancellationToken) =>
        await ExecuteAsync("DELETE FROM users WHERE id = @id", parameters => parameters.Add("id", id), cancellationToken).ConfigureAwait(false) == 1;

    private static string EmailKey(string email) => email.Trim().ToUpperInvariant();

    private static void BindUser(Parameters parameters, UserRecord user)
    {
        parameters.Add("id", user.Id);
        parameters.Add("email", user.Email);
        parameters.Add("email_key", EmailKey(user.Email));
        parameters.Add("password_hash", user.PasswordHash);
        parameters.Add("role", StoredValues.Of(user.Role));
        parameters.AddTime("created_at", user.CreatedAt);
        parameters.Add("stamp", user.Stamp);
        parameters.Add("failed_sign_ins", user.FailedSignIns);
        parameters.AddTime("locked_until", user.LockedUntil);
        parameters.AddTime("last_sign_in_at", user.LastSignInAt);
    }

    private static UserRecord ReadUser(Row row) => new(
        row.GetText(0),
        row.GetText(1),
        row.GetText(2),
        StoredValues.ParseUserRole(row.GetText(3)),
        row.GetTime(4),
        row.GetText(5),
        row.GetInt(6),
        row.GetTimeOrNull(7),
        row.GetTimeOrNull(8));
}
