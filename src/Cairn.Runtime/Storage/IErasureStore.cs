using Cairn.Core;
using Cairn.Core.Contacts;

namespace Cairn.Runtime.Storage;

/// <summary>Erasure (a GDPR / CCPA deletion request): what it removes, the removal itself, and its audit log.</summary>
public interface IErasureStore
{
    /// <summary>The contact and every contact merged into it, directly or through others (what an erasure removes).</summary>
    Task<IReadOnlyList<ContactState>> GetContactGroupAsync(ContactId id, CancellationToken cancellationToken);

    /// <summary>
    /// Erases <paramref name="contacts"/> in one transaction: their profiles, identities, events, enrollments, timers,
    /// messages (and their copies in the development mailbox), segment memberships (of <paramref name="segments"/>),
    /// hand-offs, devices and inbox; aggregate statistics stay; the audit log's entries about them are redacted (kept, without
    /// their summary and documents: see docs/audit.md). Records the erasure, without personal data, and returns it
    /// once the provider has also removed the deleted rows from its files as far as it can (SQLite: zeroed pages and a
    /// truncated write-ahead log; see docs/erasure.md).
    /// </summary>
    Task<ErasureRecord> EraseContactsAsync(ContactId subject, IReadOnlyCollection<ContactId> contacts, IReadOnlyCollection<string> segments, string reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The erasures done, newest first.</summary>
    Task<IReadOnlyList<ErasureRecord>> ListErasuresAsync(int limit, CancellationToken cancellationToken);
}
