using Cairn.Core;
using Cairn.Core.Contacts;

namespace Cairn.Http;

/// <summary>
/// Uploads that name contacts row by row (static list members, consent): a CSV whose header has a contactId, userId
/// or email column, and the contact each row names. A row that names nobody is reported by line, not fatal.
/// </summary>
internal static class ContactRows
{
    private static readonly string[] ContactIdColumns = ["contactId", "contact_id"];
    private static readonly string[] UserIdColumns = ["userId", "user_id"];
    private static readonly string[] EmailColumns = ["email"];

    /// <summary>One CSV row: the identifier it gives (kind and value) and every field by header name, or why it cannot be used.</summary>
    /// <param name="Line">The row's label in reports (<c>line 3</c>).</param>
    /// <param name="Kind">contactId, userId or email.</param>
    /// <param name="Value">The identifier.</param>
    /// <param name="Error">Why the row cannot be used, if so.</param>
    /// <param name="Fields">Every field by header name.</param>
    public sealed record Row(string Line, string Kind, string Value, string? Error, IReadOnlyDictionary<string, string> Fields)
    {
        /// <summary>A field's trimmed value, or null when empty or absent.</summary>
        public string? Field(string name) => Fields.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
    }

    /// <summary>Reads a UTF-8 CSV with a header row; a malformed file is a 400, a malformed row an error on that row.</summary>
    public static List<Row> ReadCsv(byte[] body)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            throw ProblemException.BadRequest("The file is not valid UTF-8.");
        }

        using var rows = Csv.Read(new StringReader(text)).GetEnumerator();
        if (!rows.MoveNext())
        {
            throw ProblemException.BadRequest("The file is empty: it needs a header row with a contactId, userId or email column.");
        }

        var header = rows.Current.Fields.Select(field => field.Trim()).ToList();
        int Column(string[] names) => header.FindIndex(column => names.Contains(column, StringComparer.OrdinalIgnoreCase));
        var columns = new[] { ("contactId", Column(ContactIdColumns)), ("userId", Column(UserIdColumns)), ("email", Column(EmailColumns)) }.Where(c => c.Item2 >= 0).ToList();
        if (columns.Count == 0)
        {
            throw ProblemException.BadRequest("The header row needs a contactId, userId or email column.");
        }

        var result = new List<Row>();
        while (rows.MoveNext())
        {
            var (line, fields, error) = rows.Current;
            if (fields.Count == 1 && fields[0].Length == 0 && error is null)
            {
                continue;
            }

            var label = $"line {line}";
            var named = header.Select((name, index) => (name, value: index < fields.Count ? fields[index].Trim() : string.Empty))
                .GroupBy(field => field.name, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(group => group.Key, group => group.First().value, StringComparer.OrdinalIgnoreCase);
            var found = columns.Select(c => (c.Item1, Value: c.Item2 < fields.Count ? fields[c.Item2].Trim() : string.Empty)).FirstOrDefault(c => c.Value.Length > 0);
            result.Add(error is not null ? new Row(label, string.Empty, string.Empty, error, named)
                : found.Item1 is null ? new Row(label, string.Empty, string.Empty, "no contactId, userId or email on this row", named)
                : new Row(label, found.Item1, found.Value, null, named));
        }

        return result;
    }

    /// <summary>The contact an identifier names, if any (the oldest, for an email several contacts share).</summary>
    public static async Task<ContactId?> FindAsync(string kind, string value, ContactCommands contactCommands, IContactStore contactStore, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case "contactId":
                return ContactId.TryParse(value, out var id) && await contactCommands.GetContactAsync(id, cancellationToken).ConfigureAwait(false) is { } contact ? contact.Id : null;
            case "userId":
                return contactCommands.FindContact(IdentityKey.User(value));
            default:
                return ContactNormalizer.NormalizeEmail(value) is { } email
                    && await contactStore.FindContactsByEmailAsync(email, cancellationToken).ConfigureAwait(false) is [var first, ..]
                    ? first
                    : null;
        }
    }
}

/// <summary>A row of an upload that was not applied: its CSV line or JSON position (<c>add[2]</c>) and why.</summary>
internal sealed record RejectedRowView(string Row, string Reason);
