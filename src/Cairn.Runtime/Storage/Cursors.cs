using System.Globalization;

namespace Cairn.Runtime.Storage;

/// <summary>
/// The opaque cursors of paged queries, shared by every provider so a cursor means the same everywhere.
/// An event cursor is the (timestamp, sequence) of the last item of a page; a contact cursor is the (created at, id) of the last contact.
/// </summary>
public static class Cursors
{
    /// <summary>The cursor after an event.</summary>
    public static string ForEvent(StoredEvent last)
    {
        ArgumentNullException.ThrowIfNull(last);
        return Encode(string.Create(CultureInfo.InvariantCulture, $"{ToUnixMicroseconds(last.Timestamp)}:{last.Sequence}"));
    }

    /// <summary>Reads an event cursor; false when it is not one.</summary>
    public static bool TryReadEvent(string cursor, out long timestampMicroseconds, out long sequence)
    {
        timestampMicroseconds = 0;
        sequence = 0;
        var parts = Decode(cursor)?.Split(':');
        return parts is { Length: 2 }
            && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out timestampMicroseconds)
            && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out sequence);
    }

    /// <summary>The cursor after a contact in a listing ordered by (created at, id).</summary>
    public static string ForContact(Cairn.Core.Contacts.ContactState last)
    {
        ArgumentNullException.ThrowIfNull(last);
        return Encode(string.Create(CultureInfo.InvariantCulture, $"{ToUnixMicroseconds(last.CreatedAt)}:{last.Id}"));
    }

    /// <summary>Reads a contact cursor; false when it is not one.</summary>
    public static bool TryReadContact(string cursor, out long createdAtMicroseconds, out string id)
    {
        createdAtMicroseconds = 0;
        id = string.Empty;
        var parts = Decode(cursor)?.Split(':');
        if (parts is not { Length: 2 } || !Cairn.Core.ContactId.TryParse(parts[1], out _)
            || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out createdAtMicroseconds))
        {
            return false;
        }

        id = parts[1];
        return true;
    }

    /// <summary>The cursor after a contact in a listing ordered by (key, id): a prefix search's matched identifier, a trait's value.</summary>
    public static string ForKey(string key, Cairn.Core.ContactId id)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Encode(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(key)) + ":" + id);
    }

    /// <summary>Reads a (key, id) cursor; false when it is not one.</summary>
    public static bool TryReadKey(string cursor, out string key, out string id)
    {
        key = string.Empty;
        id = string.Empty;
        var parts = Decode(cursor)?.Split(':');
        if (parts is not { Length: 2 } || !Cairn.Core.ContactId.TryParse(parts[1], out _))
        {
            return false;
        }

        try
        {
            key = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(parts[0]));
        }
        catch (FormatException)
        {
            return false;
        }

        id = parts[1];
        return true;
    }

    /// <summary>The cursor after a row at a storage position (SQLite's rowid: the order a full-text index streams in).</summary>
    public static string ForPosition(long position) => Encode(string.Create(CultureInfo.InvariantCulture, $"p{position}"));

    /// <summary>Reads a position cursor; false when it is not one.</summary>
    public static bool TryReadPosition(string cursor, out long position)
    {
        position = 0;
        var raw = Decode(cursor);
        return raw is ['p', ..] && long.TryParse(raw.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out position);
    }

    /// <summary>Microseconds since the Unix epoch: the precision every provider stores times at.</summary>
    public static long ToUnixMicroseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>The inverse of <see cref="ToUnixMicroseconds"/>, in UTC.</summary>
    public static DateTimeOffset FromUnixMicroseconds(long microseconds) => DateTimeOffset.UnixEpoch.AddTicks(microseconds * 10);

    private static string Encode(string raw) =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(raw)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? Decode(string cursor)
    {
        var padded = cursor.Replace('-', '+').Replace('_', '/');
        padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
        try
        {
            return System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(padded));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
