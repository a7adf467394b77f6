namespace Cairn.Runtime.Storage;

/// <summary>The suppression list: addresses (by keyed hash) that hard-bounced, complained or soft-bounced too often.</summary>
public interface ISuppressionList
{
    /// <summary>The suppression entry of an address key, or null.</summary>
    Task<Suppression?> GetSuppressionAsync(string addressKey, CancellationToken cancellationToken);

    /// <summary>
    /// Records a bounce or complaint: a hard one (<paramref name="reason"/> set with <paramref name="hard"/>) suppresses
    /// the address; a soft one counts, and suppresses it once <paramref name="softLimit"/> soft bounces are reached.
    /// Returns the entry as stored.
    /// </summary>
    Task<Suppression> RecordBounceAsync(string addressKey, string hint, bool hard, string reason, string source, int softLimit, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Clears an address's soft bounce count after a delivery.</summary>
    Task ResetSoftBouncesAsync(string addressKey, CancellationToken cancellationToken);

    /// <summary>A page of the suppressed addresses, newest first; <paramref name="cursor"/> is the previous page's <see cref="Page{T}.NextCursor"/>.</summary>
    /// <exception cref="InvalidCursorException">The cursor is not one of this list's.</exception>
    Task<Page<Suppression>> ListSuppressionsAsync(string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Takes an address off the list (an operator's decision); false when it was not on it.</summary>
    Task<bool> RemoveSuppressionAsync(string addressKey, CancellationToken cancellationToken);
}
