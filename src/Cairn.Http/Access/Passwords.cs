using System.Net.Mail;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;

namespace Cairn.Http.Access;

/// <summary>Password hashing (ASP.NET Core Identity's PBKDF2 hasher), generation and the rules a password must meet.</summary>
internal static class Passwords
{
    public const int MinimumLength = 12;

    private static readonly PasswordHasher<string> Hasher = new();

    // Verified when no user has the address, so a wrong address takes as long as a wrong password.
    private static readonly string DecoyHash = Hasher.HashPassword(string.Empty, Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));

    public static string Hash(string password) => Hasher.HashPassword(string.Empty, password);

    /// <summary>True when <paramref name="password"/> matches <paramref name="hash"/> (or, with no hash, after the same work).</summary>
    public static bool Verify(string? hash, string password) =>
        Hasher.VerifyHashedPassword(string.Empty, hash ?? DecoyHash, password) != PasswordVerificationResult.Failed && hash is not null;

    /// <summary>A random password of 24 URL-safe characters.</summary>
    public static string Generate() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');

    /// <summary>Why the password may not be used (in words), or null when it may.</summary>
    public static string? Weakness(string password) =>
        password.Length < MinimumLength ? $"must have at least {MinimumLength} characters"
        : password.Length > 256 ? "must have at most 256 characters"
        : null;

    /// <summary>True for one plain e-mail address (no display name), at most 254 characters.</summary>
    public static bool IsEmail(string? text) =>
        !string.IsNullOrWhiteSpace(text) && text.Length <= 254 && MailAddress.TryCreate(text, out var address) && address.Address == text.Trim() && address.DisplayName.Length == 0;
}
