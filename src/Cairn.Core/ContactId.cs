using System.Diagnostics.CodeAnalysis;

namespace Cairn.Core;

/// <summary>Identifies one contact (one person's profile). Never <see cref="Guid.Empty"/>.</summary>
public readonly record struct ContactId
{
    /// <summary>Creates an id; throws when <paramref name="value"/> is empty.</summary>
    public ContactId(Guid value)
    {
        if (value == Guid.Empty)
        {
            throw new ArgumentException("A contact id cannot be the empty GUID.", nameof(value));
        }

        Value = value;
    }

    /// <summary>The underlying GUID (version 7 for ids Cairn creates, so they sort by creation time).</summary>
    public Guid Value { get; }

    /// <summary>Parses the canonical form written by <see cref="ToString"/>.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ContactId id)
    {
        if (Guid.TryParse(text, out var guid) && guid != Guid.Empty)
        {
            id = new ContactId(guid);
            return true;
        }

        id = default;
        return false;
    }

    /// <summary>The canonical lower-case hyphenated form.</summary>
    public override string ToString() => Value.ToString("D");
}
