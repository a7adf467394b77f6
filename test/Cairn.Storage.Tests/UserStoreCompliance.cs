using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IUserStore"/>: users unique by e-mail without case, updated and deleted by id.</summary>
public abstract class UserStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IUserStore Users => Store;

    private static UserRecord Ada => new("u1", "Ada@Example.com", "hash-1", UserRole.Admin, T0, "stamp-1");

    [Fact]
    public async Task Users_RoundTrip_AndAreFoundByEmailWithoutCase()
    {
        var grace = new UserRecord("u2", "grace@example.com", "hash-2", UserRole.Viewer, T0.AddSeconds(1), "stamp-2", 2, T0.AddMinutes(15), T0.AddSeconds(5));
        Assert.True(await Users.AddUserAsync(grace, Cancel));
        Assert.True(await Users.AddUserAsync(Ada, Cancel));

        Assert.Equal([Ada, grace], await Users.GetUsersAsync(Cancel));
        Assert.Equal(grace, await Users.GetUserAsync("u2", Cancel));
        Assert.Equal(Ada, await Users.FindUserByEmailAsync(" ada@EXAMPLE.com ", Cancel));
        Assert.Null(await Users.FindUserByEmailAsync("nobody@example.com", Cancel));
        Assert.Null(await Users.GetUserAsync("u9", Cancel));
    }

    [Fact]
    public async Task AddUser_RefusesAnEmailTaken_InAnyCase()
    {
        Assert.True(await Users.AddUserAsync(Ada, Cancel));
        Assert.False(await Users.AddUserAsync(Ada with { Id = "u3", Email = "ADA@example.COM" }, Cancel));
        Assert.Single(await Users.GetUsersAsync(Cancel));
    }

    [Fact]
    public async Task UpdateAndDelete_ActOnTheUserById()
    {
        Assert.True(await Users.AddUserAsync(Ada, Cancel));
        var locked = Ada with { Role = UserRole.Editor, Stamp = "stamp-9", FailedSignIns = 5, LockedUntil = T0.AddMinutes(15) };
        Assert.True(await Users.UpdateUserAsync(locked, Cancel));
        Assert.Equal(locked, await Users.GetUserAsync("u1", Cancel));
        Assert.False(await Users.UpdateUserAsync(locked with { Id = "u9" }, Cancel));

        Assert.True(await Users.DeleteUserAsync("u1", Cancel));
        Assert.False(await Users.DeleteUserAsync("u1", Cancel));
        Assert.Empty(await Users.GetUsersAsync(Cancel));
    }
}
