namespace Cairn.Runtime.Storage;

/// <summary>
/// The audit log: every change a person or key made, append-only. Nothing edits or deletes an entry but the two things
/// that must: the retention pass (<see cref="DeleteOlderThanAsync"/>) and an erasure, which redacts the entries about the
/// erased contact (see <see cref="IErasureStore.EraseContactsAsync"/>) without removing them.
/// </summary>
public interface IAuditStore
{
    /// <summary>Appends <paramref name="entry"/> (its <see cref="AuditEntry.Id"/> is ignored) and returns it with the id it was given: larger than every id before it.</summary>
    Task<AuditEntry> AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// The entries that match <paramref name="query"/>, newest first (by id), without their before and after documents
    /// (<see cref="AuditEntry.HasDocuments"/> says whether there are any).
    /// </summary>
    Task<IReadOnlyList<AuditEntry>> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>One entry with its before and after documents, or null.</summary>
    Task<AuditEntry?> GetAuditEntryAsync(long id, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="batchSize"/> of the oldest entries recorded before <paramref name="cutoff"/> (the
    /// retention pass calls it until it returns 0); returns how many it deleted.
    /// </summary>
    Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken);
}

/// <summary>Who made a change: a console user, a stored API key, a key from the configuration, Cairn itself, or nobody signed in (a refused sign-in).</summary>
public static class AuditActorKinds
{
    /// <summary>A console user (id: the user's id, name: their e-mail).</summary>
    public const string User = "user";

    /// <summary>A stored API key (id and name of the key).</summary>
    public const string Key = "key";

    /// <summary>A key given in the configuration (<c>CAIRN_API_KEY</c>).</summary>
    public const string ConfiguredKey = "configured-key";

    /// <summary>Cairn itself (a background pass).</summary>
    public const string System = "system";

    /// <summary>Nobody signed in (a refused sign-in).</summary>
    public const string Anonymous = "anonymous";
}

/// <summary>One entry of the audit log.</summary>
/// <param name="Id">Its position: larger than every entry's before it (the cursor of paging).</param>
/// <param name="At">When the change was made.</param>
/// <param name="ActorKind">Who: one of <see cref="AuditActorKinds"/>.</param>
/// <param name="ActorId">The user's or key's id; null for the system.</param>
/// <param name="ActorName">The user's e-mail or the key's name, as they were then.</param>
/// <param name="IpAddress">The address the request came from; null when there was no request.</param>
/// <param name="Action">What, as <c>resource.verb</c> (<c>journey.published</c>, <c>contact.erased</c>).</param>
/// <param name="TargetKind">The kind of thing changed (<c>journey</c>, <c>contact</c>, <c>user</c>…); null when none.</param>
/// <param name="TargetId">Its id; null when none.</param>
/// <param name="Summary">One line in words.</param>
/// <param name="Status">The HTTP status the change was answered with (0 when there was no request).</param>
/// <param name="Before">The document before the change (YAML or JSON, as stored); null when none or not a document change.</param>
/// <param name="After">The document after the change; null when none.</param>
/// <param name="HasDocuments">True when the entry has a before or an after document (set by the store).</param>
/// <param name="RedactedAt">When an erasure removed personal data from the entry; null when it has not.</param>
public sealed record AuditEntry(
    long Id,
    DateTimeOffset At,
    string ActorKind,
    string? ActorId,
    string? ActorName,
    string? IpAddress,
    string Action,
    string? TargetKind,
    string? TargetId,
    string Summary,
    int Status,
    string? Before = null,
    string? After = null,
    bool HasDocuments = false,
    DateTimeOffset? RedactedAt = null);

/// <summary>A filter of the audit log (each null: any), and a page of it.</summary>
/// <param name="Actor">The actor's id or name (exact).</param>
/// <param name="Action">An action (<c>journey.published</c>), or a prefix ending in <c>.</c> or <c>*</c> (<c>journey.</c>, <c>journey.*</c>).</param>
/// <param name="TargetKind">The target's kind.</param>
/// <param name="TargetId">The target's id.</param>
/// <param name="From">Entries at or after this time.</param>
/// <param name="To">Entries before this time.</param>
/// <param name="BeforeId">Entries with a smaller id (the cursor of the next page).</param>
/// <param name="Limit">At most this many.</param>
public sealed record AuditQuery(
    string? Actor = null,
    string? Action = null,
    string? TargetKind = null,
    string? TargetId = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    long? BeforeId = null,
    int Limit = 50);
