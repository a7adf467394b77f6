using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="ISuppressionList"/>: addresses by keyed hash, with their soft bounces and why they are suppressed.</summary>
public abstract partial class RelationalCairnStore
{
    private const string SuppressionColumns = "address_key, hint, soft_bounces, reason, source, suppressed_at, updated_at";

    /// <inheritdoc />
    public Task<Suppression?> GetSuppressionAsync(string addressKey, CancellationToken cancellationToken) =>
        WithSessionAsync(session => ReadSuppressionAsync(session, addressKey, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<Suppression> RecordBounceAsync(string addressKey, string hint, bool hard, string reason, string source, int softLimit, DateTimeOffset at, CancellationToken cancellationToken) =>
        InTransactionAsync(
            async session =>
            {
                await session.ExecuteAsync(
                    """
                    INSERT INTO suppressions (address_key, hint, soft_bounces, reason, source, suppressed_at, updated_at)
                    VALUES (@key, @hint, @soft, @reason, @source, @suppressed, @at)
                    ON CONFLICT (address_key) DO UPDATE SET
                        soft_bounces = suppressions.soft_bounces + @soft,
                        reason = COALESCE(suppressions.reason, @reason),
                        source = COALESCE(suppressions.source, @source),
                        suppressed_at = COALESCE(suppressions.suppressed_at, @suppressed),
                        updated_at = @at
                    """,
                    parameters =>
                    {
                        parameters.Add("key", addressKey);
                        parameters.Add("hint", hint);
                        parameters.Add("soft", hard ? 0 : 1);
                        parameters.Add("reason", hard ? reason : null);
                        parameters.Add("source", hard ? source : null);
                        parameters.AddTime("suppressed", hard ? at : null);
                        parameters.AddTime("at", at);
                    },
                    cancellationToken).ConfigureAwait(false);

                // Soft bounces up to the limit suppress the address too.
                await session.ExecuteAsync(
                    "UPDATE suppressions SET reason = @reason, source = @source, suppressed_at = @at WHERE address_key = @key AND reason IS NULL AND soft_bounces >= @limit",
                    parameters =>
                    {
                        parameters.Add("key", addressKey);
                        parameters.Add("reason", $"{softLimit} soft bounces in a row (last: {reason})");
                        parameters.Add("source", source);
                        parameters.AddTime("at", at);
                        parameters.Add("limit", softLimit);
                    },
                    cancellationToken).ConfigureAwait(false);
                return (await ReadSuppressionAsync(session, addressKey, cancellationToken).ConfigureAwait(false))!;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task ResetSoftBouncesAsync(string addressKey, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE suppressions SET soft_bounces = 0 WHERE address_key = @key AND soft_bounces > 0 AND reason IS NULL",
            parameters => parameters.Add("key", addressKey),
            cancellationToken);

    /// <inheritdoc />
    public async Task<Page<Suppression>> ListSuppressionsAsync(string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var scope = Cursors.Scope();
        (DateTimeOffset Time, string Key) after = default;
        if (cursor is not null && !Cursors.TryReadKey(cursor, 's', scope, out after.Time, out after.Key))
        {
            throw new InvalidCursorException();
        }

        var entries = await QueryAsync(
            $"SELECT {SuppressionColumns} FROM suppressions WHERE reason IS NOT NULL{(cursor is null ? string.Empty : " AND (suppressed_at, address_key) < (@after_time, @after_key)")} ORDER BY suppressed_at DESC, address_key DESC LIMIT @limit",
            parameters =>
            {
                parameters.Add("limit", limit + 1);
                if (cursor is not null)
                {
                    parameters.AddTime("after_time", after.Time);
                    parameters.Add("after_key", after.Key);
                }
            },
            ReadSuppression,
            cancellationToken).ConfigureAwait(false);
        return Page.Of(entries, limit, last => Cursors.ForKey('s', scope, last.SuppressedAt!.Value, last.AddressKey));
    }

    /// <inheritdoc />
    public async Task<bool> RemoveSuppressionAsync(string addressKey, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "DELETE FROM suppressions WHERE address_key = @key AND reason IS NOT NULL",
            parameters => parameters.Add("key", addressKey),
            cancellationToken).ConfigureAwait(false) > 0;

    private static async Task<Suppression?> ReadSuppressionAsync(SqlSession session, string addressKey, CancellationToken cancellationToken) =>
        (await session.QueryAsync(
            $"SELECT {SuppressionColumns} FROM suppressions WHERE address_key = @key",
            parameters => parameters.Add("key", addressKey),
            ReadSuppression,
            cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    private static Suppression ReadSuppression(Row row) => new(
        row.GetText(0),
        row.GetText(1),
        row.GetInt(2),
        row.GetTextOrNull(3),
        row.GetTextOrNull(4),
        row.GetTimeOrNull(5),
        row.GetTime(6));
}
