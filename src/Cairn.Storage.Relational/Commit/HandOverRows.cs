using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>A merge's hand-over: the absorbed contact's events and identities move to the contact it merged into.</summary>
internal sealed class HandOverRows : CommitWriter
{
    private static readonly string[] Tables = ["events", "identities"];

    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        foreach (var handOver in batch.HandOvers)
        {
            foreach (var table in Tables)
            {
                await session.ExecuteAsync(
                    $"UPDATE {table} SET contact_id = @into WHERE contact_id = @from",
                    parameters =>
                    {
                        parameters.Add("into", handOver.Into.ToString());
                        parameters.Add("from", handOver.From.ToString());
                    },
                    cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
