using Cairn.Core;

namespace Cairn.Runtime.Storage;

/// <summary>One move of an enrollment between steps (<c>$entry</c> as the origin of entries).</summary>
public sealed record JourneyMove(string JourneyId, int Version, string FromStep, string Exit, string ToStep);

/// <summary>One goal conversion, by experiment arm (empty when none) and holdout membership.</summary>
public sealed record JourneyConversion(string JourneyId, int Version, string Arm, bool Control);

/// <summary>An enrollment that ended for review (maximum run time reached, or an error).</summary>
public sealed record JourneyReview(string JourneyId, int Version, string EnrollmentId, ContactId ContactId, string Reason, DateTimeOffset EndedAt);

/// <summary>A counted move, as statistics read it.</summary>
public sealed record JourneyMoveCount(int Version, string FromStep, string Exit, string ToStep, long Count);

/// <summary>
/// A journey's recent activity, counted from the enrollment and review rows by index: entries and conversions since
/// each of two times (the last 7 and 30 days in the inventory), enrollments ended for review in those windows, and the
/// error exits of all time (from the move counters).
/// </summary>
public sealed record JourneyActivity(string JourneyId, long Entries7, long Entries30, long Conversions7, long Conversions30, long Reviews7, long Reviews30, long Errors);

/// <summary>Counted conversions of one arm.</summary>
public sealed record JourneyConversionCount(int Version, string Arm, bool Control, long Count);

/// <summary>
/// One row of the enrollments table, keyed by contact and enrollment id: an active enrollment with its live state (a
/// contact's active enrollments are read from these rows), or an ended one with its final state and path.
/// </summary>
/// <param name="ContactId">The contact.</param>
/// <param name="Enrollment">The enrollment; <see cref="Core.Journeys.Engine.Enrollment.EndedAt"/> set once it ended.</param>
public sealed record EnrollmentRecord(ContactId ContactId, Core.Journeys.Engine.Enrollment Enrollment);

/// <summary>An active enrollment's row to delete: the contact no longer holds it, and it did not end.</summary>
/// <param name="ContactId">The contact.</param>
/// <param name="EnrollmentId">The enrollment's id.</param>
public sealed record EnrollmentRemoved(ContactId ContactId, string EnrollmentId);

/// <summary>One group of a journey's enrollments as measurement reads them (see <see cref="IJourneyIndex.GetEnrollmentGroupsAsync"/>).</summary>
/// <param name="Control">True for the journey's holdout.</param>
/// <param name="Arm">The experiment arm taken, or null.</param>
/// <param name="Entries">Contacts whose first enrollment in the journey entered in the period.</param>
/// <param name="Conversions">Of them, how many reached the goal.</param>
/// <param name="Revenue">The sum of the revenue their conversions carried (0 for none).</param>
/// <param name="RevenueSquares">The sum of its squares, for the variance.</param>
public sealed record EnrollmentGroup(bool Control, string? Arm, long Entries, long Conversions, double Revenue, double RevenueSquares);
