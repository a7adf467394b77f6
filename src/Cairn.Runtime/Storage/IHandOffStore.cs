using Cairn.Core;

namespace Cairn.Runtime.Storage;

/// <summary>Hand-offs to sales (opened, acknowledged and escalated by <see cref="IPartitionWriter"/>) and what routing remembers of them.</summary>
public interface IHandOffStore
{
    /// <summary>Hand-offs, newest first, optionally of one owner or one contact, created at or after <paramref name="since"/>.</summary>
    Task<IReadOnlyList<HandOffRecord>> GetHandOffsAsync(string? owner, ContactId? contactId, DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// A page of the hand-offs of <paramref name="query"/>, newest first (by created at, then id), after
    /// <paramref name="cursor"/> (the <see cref="Page{T}.NextCursor"/> of the page before, null for the first).
    /// </summary>
    /// <exception cref="InvalidCursorException">The cursor is not one of this listing and its filters.</exception>
    Task<Page<HandOffRecord>> QueryHandOffsAsync(HandOffQuery query, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Per owner, the hand-offs of the window of <paramref name="query"/> (its status ignored), counted by the database.</summary>
    Task<IReadOnlyList<HandOffOwnerSummary>> SummarizeHandOffsAsync(HandOffQuery query, CancellationToken cancellationToken);

    /// <summary>One hand-off.</summary>
    Task<HandOffRecord?> GetHandOffAsync(string id, CancellationToken cancellationToken);

    /// <summary>What routing remembers across restarts: each team's latest owner per account domain, and when each owner last got a lead.</summary>
    Task<(IReadOnlyList<(string Team, string Domain, string Owner)> Accounts, IReadOnlyList<(string Team, string Owner, DateTimeOffset At)> LastAssigned)> GetRoutingMemoryAsync(CancellationToken cancellationToken);
}
