using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// Writes one kind of row of a <see cref="CommitBatch"/> in the commit's transaction (the way Marten makes each write
/// an operation). A commit runs every writer of <see cref="CommitWriters"/> in turn; a writer with nothing to write
/// in the batch writes nothing.
/// </summary>
public abstract class CommitWriter
{
    /// <summary>Writes this writer's rows of <paramref name="batch"/> through <paramref name="session"/>.</summary>
    public abstract Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken);
}

/// <summary>The row writers of a commit, in the order a commit runs them.</summary>
internal static class CommitWriters
{
    /// <summary>
    /// The lease check first (a fenced batch writes nothing), then hand-overs (a merge moves the absorbed contact's
    /// events and identities before new ones arrive), then
    /// the events, the contact rows and what hangs off them. The counters (<see cref="JourneyMoveRows"/>,
    /// <see cref="JourneyConversionRows"/>, <see cref="AttributionRows"/>) write in key order within their turn. A new kind of row is one class and
    /// one line here.
    /// </summary>
    public static CommitWriter[] For(SqlDialect dialect) =>
    [
        new LeaseRows(),
        new HandOverRows(),
        dialect.EventWriter,
        new ContactRows(),
        new IdentityRows(),
        new MergeRows(),
        new TimerRows(),
        new JourneyMoveRows(),
        new JourneyConversionRows(),
        new FunnelRows(),
        new AttributionRows(),
        new ReviewRows(),
        new OutboxRows(),
        new HandOffRows(),
        new SegmentMemberRows(),
        new EnrollmentRows(),
    ];
}
