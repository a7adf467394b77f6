using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="IAuditStore"/>: the append-only audit log, and its redaction when a contact is erased.</summary>
public abstract partial class RelationalCairnStore
{
    /// <summary>The summary an entry about an erased contact keeps.</summary>
    public const string RedactedSummary = "[redacted: the contact was erased]";

    private const string AuditColumns = "id, at, actor_kind, actor_id, actor_name, ip_address, action, target_kind, target_id, summary, status, redacted_at";

    /// <inheritdoc />
    public async Task<AuditEntry> AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var id = await ScalarAsync(
            """
            INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, ip_address, action, target_kind, target_id, summary, status, before_document, after_document)
            VALUES (@at, @actor_kind, @actor_id, @actor_name, @ip_address, @action, @target_kind, @target_id, @summary, @status, @before_document, @after_document)
            RETURNING id
            """,
            parameters =>
            {
                parameters.AddTime("at", entry.At);
                parameters.Add("actor_kind", entry.ActorKind);
                parameters.Add("actor_id", entry.ActorId);
                parameters.Add("actor_name", entry.ActorName);
                parameters.Add("ip_address", entry.IpAddress);
                parameters.Add("action", entry.Action);
                parameters.Add("target_kind", entry.TargetKind);
                parameters.Add("target_id", entry.TargetId);
                parameters.Add("summary", entry.Summary);
                parameters.Add("status", entry.Status);
                parameters.Add("before_document", entry.Before);
                parameters.Add("after_document", entry.After);
            },
            cancellationToken).ConfigureAwait(false);
        return entry with
        {
            Id = Convert.ToInt64(id, System.Globalization.CultureInfo.InvariantCulture),
            HasDocuments = entry.Before is not null || entry.After is not null,
            RedactedAt = null,
        };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditEntry>> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        return await QueryAsync(
            parameters =>
            {
                var conditions = new List<string>();
                if (query.Actor is not null)
                {
                    conditions.Add("(actor_id = @actor OR actor_name = @actor)");
                    parameters.Add("actor", query.Actor);
                }

                if (query.Action is { } action)
                {
                    if (action.EndsWith('*') || action.EndsWith('.'))
                    {
                        // A prefix compared as a substring, not with LIKE: actions hold '_', a LIKE wildcard.
                        var prefix = action.TrimEnd('*');
                        conditions.Add("substr(action, 1, @action_length) = @action");
                        parameters.Add("action", prefix);
                        parameters.Add("action_length", prefix.Length);
                    }
                    else
                    {
                        conditions.Add("action = @action");
                        parameters.Add("action", action);
                    }
                }

                if (query.TargetKind is not null)
                {
                    conditions.Add("target_kind = @target_kind");
                    parameters.Add("target_kind", query.TargetKind);
                }

                if (query.TargetId is not null)
                {
                    conditions.Add("target_id = @target_id");
                    parameters.Add("target_id", query.TargetId);
                }

                if (query.From is { } from)
                {
                    conditions.Add("at >= @from");
                    parameters.AddTime("from", from);
                }

                if (query.To is { } to)
                {
                    conditions.Add("at < @to");
                    parameters.AddTime("to", to);
                }

                if (query.BeforeId is { } beforeId)
                {
                    conditions.Add("id < @before_id");
                    parameters.Add("before_id", beforeId);
                }

                parameters.Add("limit", query.Limit);
                var where = conditions.Count == 0 ? string.Empty : "WHERE " + string.Join(" AND ", conditions);
                return $"""
                    SELECT {AuditColumns}, CASE WHEN before_document IS NULL AND after_document IS NULL THEN 0 ELSE 1 END
                    FROM audit_log {where} ORDER BY id DESC LIMIT @limit
                    """;
            },
            static row => ReadAudit(row) with { HasDocuments = row.GetInt(12) == 1 },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<AuditEntry?> GetAuditEntryAsync(long id, CancellationToken cancellationToken) =>
        (await QueryAsync(
            $"SELECT {AuditColumns}, before_document, after_document FROM audit_log WHERE id = @id",
            parameters => parameters.Add("id", id),
            static row =>
            {
                var (before, after) = (row.GetTextOrNull(12), row.GetTextOrNull(13));
                return ReadAudit(row) with { Before = before, After = after, HasDocuments = before is not null || after is not null };
            },
            cancellationToken).ConfigureAwait(false)).SingleOrDefault();

    // Explicit: another port's retention may name a method alike, and the union store must not answer both with one.
    /// <inheritdoc />
    async Task<int> IAuditStore.DeleteOlderThanAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return await ExecuteAsync(
            "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < @cutoff ORDER BY id LIMIT @batch)",
            parameters =>
            {
                parameters.AddTime("cutoff", cutoff);
                parameters.Add("batch", batchSize);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Redacts, in an erasure's transaction, the audit entries about the erased contacts: those whose target is one of
    /// <paramref name="contactIds"/>, and those whose summary or documents hold one of <paramref name="identifiers"/>
    /// (their e-mail addresses, phone numbers, userIds and anonymous ids, compared without case). The entry stays (who
    /// did what, when); its summary is replaced, its documents removed. Returns how many entries were redacted.
    /// </summary>
    private static async Task<long> RedactAuditAsync(SqlSession session, IReadOnlyCollection<string> contactIds, IReadOnlyCollection<string> identifiers, DateTimeOffset at, CancellationToken cancellationToken)
    {
        const string Redact = "UPDATE audit_log SET summary = @summary, before_document = NULL, after_document = NULL, redacted_at = @at WHERE ";
        long redacted = 0;
        foreach (var chunk in contactIds.Chunk(200))
        {
            redacted += await session.ExecuteAsync(
                parameters =>
                {
                    parameters.Add("summary", RedactedSummary);
                    parameters.AddTime("at", at);
                    return Redact + $"target_kind = 'contact' AND target_id IN ({parameters.List("p", chunk)})";
                },
                cancellationToken).ConfigureAwait(false);
        }

        foreach (var identifier in identifiers.Where(identifier => identifier.Length >= 3).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            redacted += await session.ExecuteAsync(
                parameters =>
                {
                    parameters.Add("summary", RedactedSummary);
                    parameters.AddTime("at", at);
                    parameters.Add("identifier", identifier);
                    var dialect = session.Dialect;
                    return Redact + $"""
                        ({dialect.ContainsText("summary", "@identifier")}
                            OR (before_document IS NOT NULL AND {dialect.ContainsText("before_document", "@identifier")})
                            OR (after_document IS NOT NULL AND {dialect.ContainsText("after_document", "@identifier")}))
                        """;
                },
                cancellationToken).ConfigureAwait(false);
        }

        return redacted;
    }

    private static AuditEntry ReadAudit(Row row) => new(
        row.GetLong(0),
        row.GetTime(1),
        row.GetText(2),
        row.GetTextOrNull(3),
        row.GetTextOrNull(4),
        row.GetTextOrNull(5),
        row.GetText(6),
        row.GetTextOrNull(7),
        row.GetTextOrNull(8),
        row.GetText(9),
        row.GetInt(10),
        RedactedAt: row.GetTimeOrNull(11));
}
