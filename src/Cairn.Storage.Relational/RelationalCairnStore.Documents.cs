using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="IDocumentStore"/>: drafts, immutable published versions, status, and the rollouts publishing starts.</summary>
public abstract partial class RelationalCairnStore
{
    private const string RolloutColumns = "journey_id, version, step_map, scope, after_id, processed, done, created_at, updated_at, kind";

    /// <inheritdoc />
    public Task<StoredDocument?> GetDocumentAsync(string kind, string id, CancellationToken cancellationToken) =>
        WithSessionAsync(async session => (await ReadDocumentsAsync(session, kind, id, cancellationToken).ConfigureAwait(false)).FirstOrDefault(), cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> ListDocumentsAsync(string kind, CancellationToken cancellationToken) =>
        await WithSessionAsync(session => ReadDocumentsAsync(session, kind, null, cancellationToken), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task<bool> SaveDraftAsync(string kind, string id, string text, DateTimeOffset now, CancellationToken cancellationToken) =>
        InTransactionAsync(
            async session =>
            {
                var hash = Hash(text);
                var existing = await ReadDocumentsAsync(session, kind, id, cancellationToken).ConfigureAwait(false);
                if (existing.Count == 1 && Hash(existing[0].Draft) == hash)
                {
                    return false;
                }

                await session.ExecuteAsync(
                    """
                    INSERT INTO documents (kind, id, status, draft, draft_hash, published_version, updated_at)
                    VALUES (@kind, @id, @status, @draft, @hash, NULL, @now)
                    ON CONFLICT (kind, id) DO UPDATE SET draft = excluded.draft, draft_hash = excluded.draft_hash, updated_at = excluded.updated_at
                    """,
                    parameters =>
                    {
                        parameters.Add("kind", kind);
                        parameters.Add("id", id);
                        parameters.Add("status", StoredValues.Of(DocumentStatus.Draft));
                        parameters.Add("draft", text);
                        parameters.Add("hash", hash);
                        parameters.AddTime("now", now);
                    },
                    cancellationToken).ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<(int Version, bool Created)?> PublishAsync(string kind, string id, DateTimeOffset now, RolloutPlan? rollout, CancellationToken cancellationToken) =>
        InTransactionAsync<(int, bool)?>(
            async session =>
            {
                var existing = await ReadDocumentsAsync(session, kind, id, cancellationToken).ConfigureAwait(false);
                if (existing.Count == 0)
                {
                    return null;
                }

                var document = existing[0];
                var created = document.PublishedVersion is null || document.DraftDiffersFromPublished;
                var version = created ? (document.PublishedVersion ?? 0) + 1 : document.PublishedVersion!.Value;
                if (created)
                {
                    await session.ExecuteAsync(
                        "INSERT INTO document_versions (kind, id, version, body, hash, published_at) VALUES (@kind, @id, @version, @body, @hash, @now)",
                        parameters =>
                        {
                            parameters.Add("kind", kind);
                            parameters.Add("id", id);
                            parameters.Add("version", version);
                            parameters.Add("body", document.Draft);
                            parameters.Add("hash", Hash(document.Draft));
                            parameters.AddTime("now", now);
                        },
                        cancellationToken).ConfigureAwait(false);
                }

                if (created || document.Status != DocumentStatus.Published)
                {
                    await session.ExecuteAsync(
                        "UPDATE documents SET status = @status, published_version = @version, updated_at = @now WHERE kind = @kind AND id = @id",
                        parameters =>
                        {
                            parameters.Add("status", StoredValues.Of(DocumentStatus.Published));
                            parameters.Add("kind", kind);
                            parameters.Add("id", id);
                            parameters.Add("version", version);
                            parameters.AddTime("now", now);
                        },
                        cancellationToken).ConfigureAwait(false);
                }

                if (rollout is not null && (created || rollout.StepMap.Count > 0))
                {
                    await StartRolloutAsync(session, kind, id, version, rollout, now, cancellationToken).ConfigureAwait(false);
                }

                return (version, created);
            },
            cancellationToken);

    /// <inheritdoc />
    public async Task<bool> SetStatusAsync(string kind, string id, DocumentStatus status, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "UPDATE documents SET status = @status, updated_at = @now WHERE kind = @kind AND id = @id",
            parameters =>
            {
                parameters.Add("status", StoredValues.Of(status));
                parameters.AddTime("now", now);
                parameters.Add("kind", kind);
                parameters.Add("id", id);
            },
            cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async Task<bool> SetPublishedByAsync(string kind, string id, int version, string publishedBy, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "UPDATE document_versions SET published_by = @by WHERE kind = @kind AND id = @id AND version = @version",
            parameters =>
            {
                parameters.Add("by", publishedBy);
                parameters.Add("kind", kind);
                parameters.Add("id", id);
                parameters.Add("version", version);
            },
            cancellationToken).ConfigureAwait(false) == 1;

    /// <inheritdoc />
    public async Task<IReadOnlyList<DocumentVersion>> GetVersionsAsync(string kind, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT id, version, body, published_at, published_by FROM document_versions WHERE kind = @kind ORDER BY id, version",
            parameters => parameters.Add("kind", kind),
            row => new DocumentVersion(kind, row.GetText(0), row.GetInt(1), row.GetText(2), row.GetTime(3), row.GetTextOrNull(4)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<Rollout>> GetRolloutsAsync(string kind, string? journeyId, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {RolloutColumns} FROM rollouts WHERE "
                + (journeyId is null ? "done = @done" : "kind = @kind AND journey_id = @journey_id") + " ORDER BY created_at, kind, journey_id, version",
            parameters =>
            {
                if (journeyId is null)
                {
                    parameters.Add("done", false);
                }
                else
                {
                    parameters.Add("kind", kind);
                    parameters.Add("journey_id", journeyId);
                }
            },
            static row => new Rollout(
                row.GetText(9),
                row.GetText(0),
                row.GetInt(1),
                new RolloutPlan(
                    (JsonSerializer.Deserialize<Dictionary<string, string>>(row.GetText(2)) ?? []).ToImmutableDictionary(StringComparer.Ordinal),
                    StoredValues.ParseRolloutScope(row.GetText(3))),
                row.GetTextOrNull(4),
                row.GetLong(5),
                row.GetBool(6),
                row.GetTime(7),
                row.GetTime(8)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task SaveRolloutProgressAsync(string kind, string journeyId, int version, string? after, long processed, bool done, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE rollouts SET after_id = @after, processed = @processed, done = @done, updated_at = @now WHERE kind = @kind AND journey_id = @journey_id AND version = @version",
            parameters =>
            {
                parameters.Add("kind", kind);
                parameters.Add("after", after);
                parameters.Add("processed", processed);
                parameters.Add("done", done);
                parameters.AddTime("now", now);
                parameters.Add("journey_id", journeyId);
                parameters.Add("version", version);
            },
            cancellationToken);

    /// <summary>Records the rollout of a published version (again from the start when it had one).</summary>
    private static Task<int> StartRolloutAsync(SqlSession session, string kind, string id, int version, RolloutPlan rollout, DateTimeOffset now, CancellationToken cancellationToken) =>
        session.ExecuteAsync(
            """
            INSERT INTO rollouts (kind, journey_id, version, step_map, scope, after_id, processed, done, created_at, updated_at)
            VALUES (@kind, @id, @version, @step_map, @scope, NULL, 0, @done, @now, @now)
            ON CONFLICT (kind, journey_id, version) DO UPDATE SET step_map = excluded.step_map, scope = excluded.scope,
                after_id = NULL, processed = 0, done = excluded.done, created_at = excluded.created_at, updated_at = excluded.updated_at
            """,
            parameters =>
            {
                parameters.Add("kind", kind);
                parameters.Add("id", id);
                parameters.Add("version", version);
                parameters.Add("step_map", JsonSerializer.Serialize(rollout.StepMap.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToDictionary(pair => pair.Key, pair => pair.Value)));
                parameters.Add("scope", StoredValues.Of(rollout.Scope));
                parameters.Add("done", false);
                parameters.AddTime("now", now);
            },
            cancellationToken);

    /// <summary>The documents of a kind (one, when <paramref name="id"/> is given), with whether each draft differs from its published version.</summary>
    private static Task<List<StoredDocument>> ReadDocumentsAsync(SqlSession session, string kind, string? id, CancellationToken cancellationToken) =>
        session.QueryAsync(
            """
            SELECT d.id, d.status, d.draft, d.published_version, d.updated_at, d.draft_hash, v.hash
            FROM documents d LEFT JOIN document_versions v ON v.kind = d.kind AND v.id = d.id AND v.version = d.published_version
            WHERE d.kind = @kind
            """ + (id is null ? " ORDER BY d.id" : " AND d.id = @id"),
            parameters =>
            {
                parameters.Add("kind", kind);
                if (id is not null)
                {
                    parameters.Add("id", id);
                }
            },
            row => new StoredDocument(
                kind,
                row.GetText(0),
                StoredValues.ParseDocumentStatus(row.GetText(1)),
                row.GetText(2),
                row.GetIntOrNull(3),
                row.IsNull(6) || row.GetText(5) != row.GetText(6),
                row.GetTime(4)),
            cancellationToken);

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
