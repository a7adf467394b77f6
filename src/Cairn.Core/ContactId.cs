using System.Diagnostics.CodeAnalysis;

namespace Cairn.Core;

/// <summary>Identifies one contact (one person's profile). Never <see cref="Guid.Empty"/>.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(ContactIdJsonConverter))]
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

/// <summary>Writes a <see cref="ContactId"/> as its string form in JSON, and reads it back.</summary>
public sealed class ContactIdJsonConverter : System.Text.Json.Serialization.JsonConverter<ContactId>
{
    /// <inheritdoc />
    public override ContactId Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        ContactId.TryParse(reader.GetString(), out var id) ? id : throw new System.Text.Json.JsonException("Not a contact id.");

    /// <inheritdoc />
    public override void Write(System.Text.Json.Utf8JsonWriter writer, ContactId value, System.Text.Json.JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}
