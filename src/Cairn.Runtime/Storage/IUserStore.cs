namespace Cairn.Runtime.Storage;

/// <summary>The console's users: e-mail, password hash, role, and the sign-in failures that lock an account.</summary>
public interface IUserStore
{
    /// <summary>Every user, by e-mail.</summary>
    Task<IReadOnlyList<UserRecord>> GetUsersAsync(CancellationToken cancellationToken);

    /// <summary>The user with this id, or null.</summary>
    Task<UserRecord?> GetUserAsync(string id, CancellationToken cancellationToken);

    /// <summary>The user with this e-mail address (compared without case), or null.</summary>
    Task<UserRecord?> FindUserByEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>Stores a new user; false (and nothing stored) when a user already has that e-mail address.</summary>
    Task<bool> AddUserAsync(UserRecord user, CancellationToken cancellationToken);

    /// <summary>Replaces a stored user (found by id); false when there is none.</summary>
    Task<bool> UpdateUserAsync(UserRecord user, CancellationToken cancellationToken);

    /// <summary>Deletes a user; false when there was none.</summary>
    Task<bool> DeleteUserAsync(string id, CancellationToken cancellationToken);
}
