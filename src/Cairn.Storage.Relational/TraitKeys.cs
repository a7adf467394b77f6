using System.Text;
using System.Text.Json;
using Cairn.Core.Contacts;

namespace Cairn.Storage.Relational;

/// <summary>
/// What the trait index holds of a contact's traits: a [name, value] pair per trait, the value's text lower-cased (a
/// string's text, another value's JSON), both cut to <see cref="MaxLength"/> characters. The index finds candidates; the
/// search checks each against the trait itself, so a cut or a case fold never returns a wrong contact.
/// </summary>
internal static class TraitKeys
{
    /// <summary>The longest name or value the index holds, in UTF-16 code units (a longer one is cut, never split inside a pair).</summary>
    public const int MaxLength = 128;

    /// <summary>The contact's pairs as the JSON array its row's <c>traits</c> column holds; null when it has no traits.</summary>
    public static string? Of(ContactState state)
    {
        if (state.Traits.Count == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var (name, trait) in state.Traits)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(Name(name));
                writer.WriteStringValue(Value(trait.Value));
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A trait name as the index holds it.</summary>
    public static string Name(string name) => Cut(name);

    /// <summary>A value as the index holds it: a string's text, another value's JSON, lower-cased and cut.</summary>
    public static string Value(JsonElement value) =>
        Text(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText());

    /// <summary>A searched-for value's text as the index holds it.</summary>
    public static string Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Cut(text.ToLowerInvariant());
    }

    /// <summary>Whether a trait's value is <paramref name="value"/>: a string case-insensitively, anything else by its JSON text; any value when none is given.</summary>
    public static bool Matches(JsonElement trait, string? value) =>
        value is null || (trait.ValueKind == JsonValueKind.String
            ? string.Equals(trait.GetString(), value, StringComparison.OrdinalIgnoreCase)
            : string.Equals(trait.GetRawText(), value, StringComparison.OrdinalIgnoreCase));

    private static string Cut(string text) =>
        text.Length <= MaxLength ? text : text[..(char.IsHighSurrogate(text[MaxLength - 1]) ? MaxLength - 1 : MaxLength)];
}
