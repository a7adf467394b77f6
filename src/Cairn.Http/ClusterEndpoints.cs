namespace Cairn.Http;

/// <summary>One server that owns partitions, as the database has it.</summary>
/// <param name="Node">The server: host, process and start.</param>
/// <param name="Partitions">How many partitions it owns.</param>
/// <param name="This">True for the server that answered.</param>
internal sealed record ClusterNodeView(string Node, int Partitions, bool This);

/// <summary>One partition: who owns it (the database's row) and, when that is the server that answered, its queue.</summary>
/// <param name="Partition">The partition's index.</param>
/// <param name="Epoch">Its epoch: raised by one at each takeover.</param>
/// <param name="Owner">The server that took it last.</param>
/// <param name="TakenAt">When.</param>
/// <param name="Mine">True when the server that answered owns it (its lease has the partition's epoch).</param>
/// <param name="Queued">Inputs queued or in process in it on the server that answered (null when that server does not own it).</param>
internal sealed record ClusterPartitionView(int Partition, long Epoch, string Owner, DateTimeOffset TakenAt, bool Mine, int? Queued);

/// <summary>The servers writing this database and their partitions (docs/cluster.md).</summary>
/// <param name="Node">The server that answered.</param>
/// <param name="Provider">Its database: sqlite or postgresql.</param>
/// <param name="Ready">True while it accepts inputs.</param>
/// <param name="Fenced">Why it accepts none any more, when another server took a partition over from it; null otherwise.</param>
/// <param name="Nodes">Every server that owns a partition now.</param>
/// <param name="Partitions">Every partition.</param>
internal sealed record ClusterView(string Node, string Provider, bool Ready, string? Fenced, IReadOnlyList<ClusterNodeView> Nodes, IReadOnlyList<ClusterPartitionView> Partitions);

/// <summary><c>GET /api/cluster</c>: which server owns each partition, read from the database, beside this server's own view.</summary>
internal static class ClusterEndpoints
{
    /// <summary>Maps <c>/cluster</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapCluster(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/cluster", async (CairnEngine engine, ICairnStore store, CancellationToken cancellationToken) =>
            {
                var owners = await store.GetPartitionOwnersAsync(cancellationToken).ConfigureAwait(false);
                var mine = engine.Partitions.ToDictionary(partition => partition.Partition);
                var partitions = owners
                    .Select(owner =>
                    {
                        var owned = mine.TryGetValue(owner.Partition, out var status) && status.Epoch == owner.Epoch && owner.Owner == engine.NodeId;
                        return new ClusterPartitionView(owner.Partition, owner.Epoch, owner.Owner, owner.TakenAt, owned, owned ? status!.Queued : null);
                    })
                    .ToList();
                var nodes = partitions
                    .GroupBy(partition => partition.Owner, StringComparer.Ordinal)
                    .Select(group => new ClusterNodeView(group.Key, group.Count(), group.Key == engine.NodeId))
                    .OrderByDescending(node => node.Partitions)
                    .ThenBy(node => node.Node, StringComparer.Ordinal)
                    .ToList();
                return TypedResults.Ok(new ClusterView(engine.NodeId, store.ProviderName, engine.IsReady, engine.FencedBy?.Message, nodes, partitions));
            })
            .WithTags("Cluster")
            .WithSummary("The servers writing this database and each partition's owner (its epoch, who took it and when), as the database has them; the partitions the answering server owns carry their queue. A server another one took partitions over from says why in 'fenced' (docs/cluster.md).");
        return api;
    }
}
