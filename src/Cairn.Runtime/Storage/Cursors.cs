using System.Globalization;

namespace Cairn.Runtime.Storage;

/// <summary>
/// The opaque cursors of paged queries, shared by every provider so a cursor means the same everywhere.
/// An event cursor is the (timestamp, sequence) of the last item of a page; a contact cursor is the (created at, id) of the last contact;
/// a keyed cursor (<see cref="ForKey"/>) is the (time, key) of the last row of a listing ordered newest first, marked with
/// the listing it belongs to and a fingerprint of its filters, so a cursor of another listing or query is refused.
/// </summary>
public static class Cursors
{
    // The latest time a DateTimeOffset holds, in microseconds since the epoch: a larger one is forged.
    private const long MaxMicroseconds = 253_402_300_799_999_999;

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

    /// <summary>
    /// The cursor after the row (<paramref name="time"/>, <paramref name="key"/>) of a <paramref name="kind"/> listing
    /// (one letter: <c>m</c> the outbox, <c>x</c> the development mailbox, <c>s</c> the suppression list) filtered by
    /// <paramref name="scope"/> (the filters' fingerprint, see <see cref="Scope"/>).
    /// </summary>
    public static string ForKey(char kind, string scope, DateTimeOffset time, string key)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(key);
        return Encode(string.Create(CultureInfo.InvariantCulture, $"{kind}:{scope}:{ToUnixMicroseconds(time)}:{key}"));
    }

    /// <summary>Reads a keyed cursor of a <paramref name="kind"/> listing filtered by <paramref name="scope"/>; false when it is not one (forged, or of another listing or query).</summary>
    public static bool TryReadKey(string cursor, char kind, string scope, out DateTimeOffset time, out string key)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        time = default;
        key = string.Empty;
        var parts = Decode(cursor)?.Split(':', 4);
        if (parts is not { Length: 4 } || parts[0].Length != 1 || parts[0][0] != kind || !string.Equals(parts[1], scope, StringComparison.Ordinal)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds)
            || microseconds > MaxMicroseconds || parts[3].Length == 0)
        {
            return false;
        }

        time = FromUnixMicroseconds(microseconds);
        key = parts[3];
        return true;
    }

    /// <summary>A short fingerprint of a query's filters (each null: none), for <see cref="ForKey"/>.</summary>
    public static string Scope(params string?[] filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var joined = string.Join('\u001f', filters.Select(filter => filter is null ? "\u0000" : filter));
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(joined));
        return Convert.ToHexString(hash, 0, 6);
    }

    /// <summary>The cursor after a contact in a listing ordered by (key, id): a prefix search's matched identifier, a trait's value.</summary>
    public static string ForContactKey(string key, Cairn.Core.ContactId id)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Encode(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(key)) + ":" + id);
    }

    /// <summary>Reads a (key, id) cursor; false when it is not one.</summary>
    public static bool TryReadContactKey(string cursor, out string key, out string id)
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

    // UTF-8: the keys of keyed cursors (message ids) may hold any character; the other cursors are ASCII, which UTF-8 encodes alike.
    private static string Encode(string raw) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(raw)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? Decode(string cursor)
    {
        var padded = cursor.Replace('-', '+').Replace('_', '/');
        padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
        try
        {
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(padded));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
