using Cairn.Core;
using Cairn.Core.Contacts;

namespace Cairn.Runtime.Storage;

/// <summary>
/// Contacts (one profile row each, and a row per active enrollment), the identities that resolve to them and the merges
/// between them, as read by the partitions, the identity resolver, search and segment previews. Every contact state read
/// comes with its active enrollments, assembled from their rows (one query per page of contacts). Written only by
/// <see cref="IPartitionWriter"/>.
/// </summary>
public interface IContactStore
{
    /// <summary>How many sample buckets contacts are spread over (a contact's bucket is a hash of its id).</summary>
    const int SampleBuckets = ContactBucket.Count;

    /// <summary>The stored states of those of <paramref name="ids"/> that exist.</summary>
    Task<IReadOnlyDictionary<ContactId, ContactState>> GetContactsAsync(IReadOnlyCollection<ContactId> ids, CancellationToken cancellationToken);

    /// <summary>One contact's stored state (merged ones included: see <see cref="ContactState.MergedInto"/>).</summary>
    Task<ContactState?> GetContactAsync(ContactId id, CancellationToken cancellationToken);

    /// <summary>The longest search query, in characters: a longer one is refused.</summary>
    const int MaxSearchQuery = 200;

    /// <summary>
    /// Unmerged contacts, oldest first, optionally filtered by <paramref name="query"/>, always from an index: a query of
    /// 3 characters or more matches a case-insensitive substring of the email or display name, or an exact user id
    /// (SQLite returns these in storage order, about oldest first); a shorter one matches the start of the email, user id,
    /// phone or an anonymous id, in the order of the identifier it matched.
    /// </summary>
    Task<Page<ContactState>> SearchContactsAsync(string? query, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Unmerged contacts whose trait <paramref name="trait"/> has <paramref name="value"/> (a string case-insensitively,
    /// another value by its JSON text; any value when null), from the trait index, in (value, id) order. A page may hold
    /// fewer than <paramref name="limit"/> contacts and still have a next one.
    /// </summary>
    Task<Page<ContactState>> FindContactsByTraitAsync(string trait, string? value, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Unmerged contact ids after <paramref name="after"/> (ordinal on the canonical form), in that order.</summary>
    Task<IReadOnlyList<ContactId>> ListContactIdsAsync(string? after, int limit, CancellationToken cancellationToken);

    /// <summary>How many contacts there are (merged ones not counted).</summary>
    Task<long> CountContactsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A uniform random sample of the contacts: those in the first <paramref name="buckets"/> of the 10,000 sample
    /// buckets (a contact's bucket is fixed, so the same call returns the same contacts).
    /// </summary>
    Task<IReadOnlyList<ContactState>> GetSampleAsync(int buckets, CancellationToken cancellationToken);

    /// <summary>The unmerged contacts whose email is <paramref name="email"/> (compared case-insensitively), oldest first.</summary>
    Task<IReadOnlyList<ContactId>> FindContactsByEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>The (unmerged) contacts with this E.164 phone number, oldest first.</summary>
    Task<IReadOnlyList<ContactId>> FindContactsByPhoneAsync(string phone, CancellationToken cancellationToken);

    /// <summary>Every identity mapping, for the resolver's start-up load.</summary>
    IAsyncEnumerable<IdentityMapping> ReadIdentitiesAsync(CancellationToken cancellationToken);

    /// <summary>The contact an identity resolves to, when any.</summary>
    Task<ContactId?> FindContactAsync(IdentityKey identity, CancellationToken cancellationToken);

    /// <summary>Merges requested but not yet completed (to resume after a crash).</summary>
    Task<IReadOnlyList<PendingMerge>> GetPendingMergesAsync(CancellationToken cancellationToken);
}
