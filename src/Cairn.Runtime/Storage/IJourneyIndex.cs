using Cairn.Core;

namespace Cairn.Runtime.Storage;

/// <summary>
/// What the partitions keep indexed beside the contact rows, in the same transactions: durable timers, journey
/// statistics (moves, conversions), enrollments (one row each: an active one with its live state, an ended one with its
/// final state and path), enrollments ended for review, and segment members. Written only by <see cref="IPartitionWriter"/>.
/// </summary>
public interface IJourneyIndex
{
    /// <summary>Timers due at or before <paramref name="until"/>, earliest first.</summary>
    Task<IReadOnlyList<StoredTimer>> GetDueTimersAsync(DateTimeOffset until, int limit, CancellationToken cancellationToken);

    /// <summary>The earliest due time of any stored timer, or null when there is none.</summary>
    Task<DateTimeOffset?> GetNextTimerAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The funnel counters of one journey version, summed over the UTC days <paramref name="fromDay"/> (inclusive) to
    /// <paramref name="toDay"/> (exclusive), in days since 1970-01-01; <see cref="FunnelCounts.Waiting"/> over all days.
    /// </summary>
    Task<FunnelCounts> GetJourneyFunnelAsync(string journeyId, int version, int fromDay, int toDay, CancellationToken cancellationToken);

    /// <summary>A journey's counted moves and conversions, every version.</summary>
    Task<(IReadOnlyList<JourneyMoveCount> Moves, IReadOnlyList<JourneyConversionCount> Conversions)> GetJourneyStatsAsync(string journeyId, CancellationToken cancellationToken);

    /// <summary>
    /// Every journey's activity since <paramref name="recent"/> and since <paramref name="since"/> (entries, conversions,
    /// reviews), counted on indexes of the enrollment and review rows, never by reading contacts; journeys with no activity are left out.
    /// </summary>
    Task<IReadOnlyList<JourneyActivity>> GetJourneyActivityAsync(DateTimeOffset recent, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>A journey's enrollments that ended for review, newest first.</summary>
    Task<IReadOnlyList<JourneyReview>> GetJourneyReviewsAsync(string journeyId, int limit, CancellationToken cancellationToken);

    /// <summary>Contacts with an active enrollment in the journey on a version before <paramref name="beforeVersion"/>, in id order.</summary>
    Task<IReadOnlyList<ContactId>> ListEnrolledContactIdsAsync(string journeyId, int beforeVersion, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>A contact's ended enrollments, with their paths, most recently ended first.</summary>
    Task<IReadOnlyList<Core.Journeys.Engine.Enrollment>> GetEndedEnrollmentsAsync(ContactId contactId, int limit, CancellationToken cancellationToken);

    /// <summary>How many enrollments are active, by journey id.</summary>
    Task<IReadOnlyDictionary<string, long>> CountActiveEnrollmentsAsync(CancellationToken cancellationToken);

    /// <summary>A segment's members after <paramref name="after"/> (contact id order), with when and why they entered.</summary>
    Task<IReadOnlyList<SegmentMember>> GetSegmentMembersAsync(string segmentId, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>How many members each segment has.</summary>
    Task<IReadOnlyDictionary<string, long>> CountSegmentMembersAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The measured groups of contacts whose first enrollment in the journey entered on the UTC days
    /// <paramref name="fromDay"/> (inclusive) to <paramref name="toDay"/> (exclusive) (on <paramref name="version"/>, or
    /// every version when null), by holdout membership and experiment arm (null: no arm taken): entries, goal conversions
    /// (at any time up to now) and the sum and sum of squares of the revenue they carried. Read from the outcome
    /// counters the commits keep (<see cref="OutcomeCount"/>), one row per day, holdout and arm.
    /// </summary>
    Task<IReadOnlyList<EnrollmentGroup>> GetEnrollmentGroupsAsync(string journeyId, int fromDay, int toDay, int? version, CancellationToken cancellationToken);
}
