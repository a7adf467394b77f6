namespace Cairn.Core.Contacts;

/// <summary>The kinds of identifier that resolve to a contact.</summary>
public enum IdentityKind
{
    /// <summary>The product's own user id (Segment <c>userId</c>).</summary>
    UserId,

    /// <summary>A device or browser id (Segment <c>anonymousId</c>).</summary>
    AnonymousId,
}

/// <summary>One identifier of a contact: a user id or an anonymous id.</summary>
public readonly record struct IdentityKey(IdentityKind Kind, string Value)
{
    /// <summary>The stable storage name of <see cref="Kind"/>.</summary>
    public string KindName => Kind == IdentityKind.UserId ? "user" : "anon";

    /// <summary>Parses a storage name written by <see cref="KindName"/>.</summary>
    public static IdentityKind ParseKind(string name) => name switch
    {
        "user" => IdentityKind.UserId,
        "anon" => IdentityKind.AnonymousId,
        _ => throw new FormatException($"Unknown identity kind '{name}'."),
    };

    public static IdentityKey User(string value) => new(IdentityKind.UserId, value);

    public static IdentityKey Anonymous(string value) => new(IdentityKind.AnonymousId, value);
}
