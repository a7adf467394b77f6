using System.Globalization;

namespace Cairn.Runtime.Storage;

/// <summary>
/// The opaque cursors of paged queries, shared by every provider so a cursor means the same everywhere.
/// An event cursor is the (timestamp, sequence) of the last item of a page; a contact cursor is its id.
/// </summary>
public static class Cursors
{
    /// <summary>The cursor after an event.</summary>
    public static string ForEvent(StoredEvent last)
    {
        ArgumentNullException.ThrowIfNull(last);
        var raw = string.Create(CultureInfo.InvariantCulture, $"{ToUnixMicroseconds(last.Timestamp)}:{last.Sequence}");
        return Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(raw)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Reads an event cursor; false when it is not one.</summary>
    public static bool TryReadEvent(string cursor, out long timestampMicroseconds, out long sequence)
    {
        timestampMicroseconds = 0;
        sequence = 0;
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
            var parts = System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(padded)).Split(':');
            return parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out timestampMicroseconds)
                && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out sequence);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Microseconds since the Unix epoch: the precision every provider stores times at.</summary>
    public static long ToUnixMicroseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>The inverse of <see cref="ToUnixMicroseconds"/>, in UTC.</summary>
    public static DateTimeOffset FromUnixMicroseconds(long microseconds) => DateTimeOffset.UnixEpoch.AddTicks(microseconds * 10);
}
