using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>Merge bookkeeping: merges requested are recorded as pending, completed ones deleted (what a restart resumes).</summary>
internal sealed class MergeRows : CommitWriter
{
    private const string Requested =
        "INSERT INTO pending_merges (from_id, into_id) VALUES (@from_id, @into_id) ON CONFLICT (from_id) DO UPDATE SET into_id = excluded.into_id";

    private const string Completed = "DELETE FROM pending_merges WHERE from_id = @from_id AND into_id = @into_id";

    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        await session.ExecuteManyAsync(Requested, batch.MergesRequested, Bind, cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(Completed, batch.MergesCompleted, Bind, cancellationToken).ConfigureAwait(false);
    }

    private static void Bind(Parameters parameters, PendingMerge merge)
    {
        parameters.Add("from_id", merge.From.ToString());
        parameters.Add("into_id", merge.Into.ToString());
    }
}
