namespace Cairn.Runtime.Storage;

/// <summary>
/// Documents (journeys, templates, segments, scoring models, sales teams, policy; see <see cref="Core.DocumentKind"/>):
/// drafts, immutable published versions, status, and the rollouts a publish starts.
/// </summary>
public interface IDocumentStore
{
    /// <summary>A document of <paramref name="kind"/>, or null.</summary>
    Task<StoredDocument?> GetDocumentAsync(string kind, string id, CancellationToken cancellationToken);

    /// <summary>Every document of a kind, by id.</summary>
    Task<IReadOnlyList<StoredDocument>> ListDocumentsAsync(string kind, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="text"/> as the document's draft; false when it is already exactly that (idempotent apply).</summary>
    Task<bool> SaveDraftAsync(string kind, string id, string text, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes the draft as a new immutable version, unless it equals the current version; returns the current
    /// version and whether a new one was created. Null when the document does not exist.
    /// </summary>
    /// <param name="kind">The document kind.</param>
    /// <param name="id">The document id.</param>
    /// <param name="now">The publish time.</param>
    /// <param name="rollout">
    /// What the publish asks of existing contacts: recorded, in the same transaction, as the version's rollout
    /// when a version is created or the plan moves enrollments (null: nothing to roll out).
    /// </param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    Task<(int Version, bool Created)?> PublishAsync(string kind, string id, DateTimeOffset now, RolloutPlan? rollout, CancellationToken cancellationToken);

    /// <summary>Sets the status (pause, archive, resume); false when the document does not exist.</summary>
    Task<bool> SetStatusAsync(string kind, string id, DocumentStatus status, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Records who published a version (a user's email, or <c>api-key</c>); false when there is no such version.</summary>
    Task<bool> SetPublishedByAsync(string kind, string id, int version, string publishedBy, CancellationToken cancellationToken);

    /// <summary>Every published version of every document of a kind (what enrollments may still run on).</summary>
    Task<IReadOnlyList<DocumentVersion>> GetVersionsAsync(string kind, CancellationToken cancellationToken);

    /// <summary>The rollouts of a document of <paramref name="kind"/> (every version), or with a null id every rollout of any kind not yet done.</summary>
    Task<IReadOnlyList<Rollout>> GetRolloutsAsync(string kind, string? journeyId, CancellationToken cancellationToken);

    /// <summary>Records how far a rollout got.</summary>
    Task SaveRolloutProgressAsync(string kind, string journeyId, int version, string? after, long processed, bool done, DateTimeOffset now, CancellationToken cancellationToken);
}
