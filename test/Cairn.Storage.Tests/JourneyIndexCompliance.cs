using Cairn.Core.Segments;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IJourneyIndex"/>: timers, statistics, reviews, enrollments and segment members, kept by the commit.</summary>
public abstract class JourneyIndexCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IJourneyIndex Index => Store;

    [Fact]
    public async Task Timers_AreStoredOnce_ReadDueInOrder_AndDeletedWhenDone()
    {
        var id = NewContactId();
        Assert.Null(await Index.GetNextTimerAsync(Cancel));
        var soon = new StoredTimer(id, "welcome:1", "wait", T0.AddMinutes(5));
        var later = new StoredTimer(id, "welcome:1", "$max_run_time", T0.AddDays(90));
        var other = new StoredTimer(NewContactId(), "cart:1", "wait", T0.AddMinutes(6));
        await CommitAsync(batch => batch.Timers.AddRange([later, soon, soon, other]));

        Assert.Equal(T0.AddMinutes(5), await Index.GetNextTimerAsync(Cancel));
        Assert.Empty(await Index.GetDueTimersAsync(T0, 10, Cancel));
        Assert.Equal([soon], await Index.GetDueTimersAsync(T0.AddMinutes(5), 10, Cancel));
        Assert.Equal([soon, other, later], await Index.GetDueTimersAsync(T0.AddYears(1), 10, Cancel));
        Assert.Equal([soon, other], await Index.GetDueTimersAsync(T0.AddYears(1), 2, Cancel));

        await CommitAsync(batch => batch.TimersDone.AddRange([soon, soon with { DueAt = T0 }]));
        Assert.Equal([other, later], await Index.GetDueTimersAsync(T0.AddYears(1), 10, Cancel));
        Assert.Equal(T0.AddMinutes(6), await Index.GetNextTimerAsync(Cancel));
    }

    [Fact]
    public async Task JourneyStatistics_AddUpAcrossCommits_PerJourneyAndVersion()
    {
        for (var round = 0; round < 2; round++)
        {
            await CommitAsync(batch =>
            {
                batch.Moves.AddRange([new JourneyMove("j", 1, "$entry", "entry", "a"), new JourneyMove("j", 1, "a", "next", "b"), new JourneyMove("j", 1, "a", "next", "b")]);
                batch.Moves.Add(new JourneyMove("j", 2, "$entry", "entry", "a"));
                batch.Moves.Add(new JourneyMove("other", 1, "$entry", "entry", "a"));
                batch.Conversions.Add(new JourneyConversion("j", 1, "variant", Control: false));
                batch.Conversions.Add(new JourneyConversion("j", 1, string.Empty, Control: true));
            });
        }

        var (moves, conversions) = await Index.GetJourneyStatsAsync("j", Cancel);
        Assert.Equal(
            [new JourneyMoveCount(1, "$entry", "entry", "a", 2), new JourneyMoveCount(1, "a", "next", "b", 4), new JourneyMoveCount(2, "$entry", "entry", "a", 2)],
            moves.OrderBy(m => m.Version).ThenBy(m => m.FromStep, StringComparer.Ordinal));
        Assert.Equal([new JourneyConversionCount(1, string.Empty, true, 2), new JourneyConversionCount(1, "variant", false, 2)], conversions);
        var (none, noConversions) = await Index.GetJourneyStatsAsync("missing", Cancel);
        Assert.Empty(none);
        Assert.Empty(noConversions);
    }

    [Fact]
    public async Task FunnelCounters_AddUpPerDay_AndAreSummedOverAPeriod_WaitingOverAllDays()
    {
        // Days 100 and 101: two entries, moves on, an exit criterion, a suppressed send; day 105: one more entry.
        for (var round = 0; round < 2; round++)
        {
            await CommitAsync(batch =>
            {
                var funnel = batch.Funnel;
                funnel.Moves.AddRange([new FunnelMove("j", 1, 100, "$entry", "entry", "a"), new FunnelMove("j", 1, 100, "a", "next", "b"), new FunnelMove("j", 1, 100, "a", "$suppressed", "a")]);
                funnel.Moves.AddRange([new FunnelMove("j", 1, 101, "$entry", "entry", "a"), new FunnelMove("j", 1, 101, "b", "$exit_criterion", "end")]);
                funnel.Moves.Add(new FunnelMove("j", 1, 105, "$entry", "entry", "a"));
                funnel.Moves.Add(new FunnelMove("j", 2, 100, "$entry", "entry", "a"));
                funnel.Moves.Add(new FunnelMove("other", 1, 100, "$entry", "entry", "a"));
                funnel.Durations.AddRange([new FunnelDuration("j", 1, 100, "a", 3), new FunnelDuration("j", 1, 100, "a", 3), new FunnelDuration("j", 1, 101, "a", 90), new FunnelDuration("j", 1, 105, "a", 3)]);
                funnel.Conversions.AddRange([new FunnelConversion("j", 1, 100, 120), new FunnelConversion("j", 1, 101, 7), new FunnelConversion("j", 1, 105, 7), new FunnelConversion("j", 2, 100, 7)]);
            });
        }

        var counts = await Index.GetJourneyFunnelAsync("j", 1, 100, 102, Cancel);
        Assert.Equal(
            [new FunnelMoveCount("$entry", "entry", "a", 4), new FunnelMoveCount("a", "$suppressed", "a", 2), new FunnelMoveCount("a", "next", "b", 2), new FunnelMoveCount("b", "$exit_criterion", "end", 2)],
            counts.Moves.OrderBy(m => m.FromStep, StringComparer.Ordinal).ThenBy(m => m.Exit, StringComparer.Ordinal));
        Assert.Equal([(100, 2L), (101, 2L)], counts.Entries);
        Assert.Equal([new FunnelBucketCount("a", 3, 4), new FunnelBucketCount("a", 90, 2)], counts.Durations.OrderBy(d => d.Bucket));
        Assert.Equal([new FunnelBucketCount("100", 120, 2), new FunnelBucketCount("101", 7, 2)], counts.Conversions.OrderBy(c => c.Key, StringComparer.Ordinal));

        // Waiting now counts every day (day 105's entries too) and ignores suppressed sends: 6 into a, 2 moved on; 2 into b, 2 ended.
        Assert.Equal(4, counts.Waiting["a"]);
        Assert.Equal(0, counts.Waiting["b"]);

        var later = await Index.GetJourneyFunnelAsync("j", 1, 102, 106, Cancel);
        Assert.Equal([(105, 2L)], later.Entries);
        Assert.Equal([new FunnelBucketCount("105", 7, 2)], later.Conversions);
        var empty = await Index.GetJourneyFunnelAsync("j", 3, 0, 1000, Cancel);
        Assert.Empty(empty.Moves);
        Assert.Empty(empty.Entries);
        Assert.Empty(empty.Durations);
        Assert.Empty(empty.Conversions);
        Assert.Empty(empty.Waiting);
    }

    [Fact]
    public async Task JourneyReviews_AreKeptOncePerEnrollment_NewestFirst()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        await CommitAsync(batch =>
        {
            batch.Reviews.Add(new JourneyReview("j", 1, "j:1", ann, "maximum run time of 1d reached", T0));
            batch.Reviews.Add(new JourneyReview("j", 2, "j:1", bob, "maximum run time of 1d reached", T0.AddHours(1)));
            batch.Reviews.Add(new JourneyReview("other", 1, "other:1", bob, "error", T0.AddHours(2)));
        });
        await CommitAsync(batch => batch.Reviews.Add(new JourneyReview("j", 1, "j:1", ann, "again", T0.AddHours(3))));

        var reviews = await Index.GetJourneyReviewsAsync("j", 10, Cancel);
        Assert.Equal([(bob, 2, T0.AddHours(1)), (ann, 1, T0)], reviews.Select(r => (r.ContactId, r.Version, r.EndedAt)));
        Assert.Equal(("j", "j:1", "maximum run time of 1d reached"), (reviews[1].JourneyId, reviews[1].EnrollmentId, reviews[1].Reason));
        Assert.Single(await Index.GetJourneyReviewsAsync("j", 1, Cancel));
    }

    [Fact]
    public async Task Enrollments_AreIndexedWhileActive_AndKeptWithTheirPathOnceEnded()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        await CommitAsync(batch =>
        {
            batch.Enrollments.Add(new EnrollmentRecord(ann, Enrollment("cart:1", "cart", 1)));
            batch.Enrollments.Add(new EnrollmentRecord(bob, Enrollment("cart:1", "cart", 2)));
            batch.Enrollments.Add(new EnrollmentRecord(bob, Enrollment("welcome:1", "welcome", 1)));
        });

        Assert.Equal([ann], await Index.ListEnrolledContactIdsAsync("cart", 2, null, 10, Cancel));
        Assert.Equal(2, (await Index.ListEnrolledContactIdsAsync("cart", 3, null, 10, Cancel)).Count);
        var first = (await Index.ListEnrolledContactIdsAsync("cart", 3, null, 1, Cancel)).Single();
        Assert.NotEqual(first, (await Index.ListEnrolledContactIdsAsync("cart", 3, first.ToString(), 1, Cancel)).Single());
        Assert.Equal(new Dictionary<string, long> { ["cart"] = 2, ["welcome"] = 1 }, await Index.CountActiveEnrollmentsAsync(Cancel));

        // Moved to version 3 by a rollout: no longer before version 3.
        await CommitAsync(batch => batch.Enrollments.Add(new EnrollmentRecord(bob, Enrollment("cart:1", "cart", 3))));
        Assert.Equal([ann], await Index.ListEnrolledContactIdsAsync("cart", 3, null, 10, Cancel));

        var ended = Enrollment("cart:1", "cart", 1) with { StepId = null, EndedAt = T0.AddHours(2), EndReason = "goal reached" };
        await CommitAsync(batch => batch.Enrollments.Add(new EnrollmentRecord(ann, ended)));

        Assert.Empty(await Index.ListEnrolledContactIdsAsync("cart", 2, null, 10, Cancel));
        var history = Assert.Single(await Index.GetEndedEnrollmentsAsync(ann, 10, Cancel));
        Assert.Equal(("cart:1", "goal reached", T0.AddHours(2)), (history.Id, history.EndReason, history.EndedAt!.Value));
        Assert.Equal(ended.Path, history.Path);
        Assert.Empty(await Index.GetEndedEnrollmentsAsync(bob, 10, Cancel));
        Assert.Equal(new Dictionary<string, long> { ["cart"] = 1, ["welcome"] = 1 }, await Index.CountActiveEnrollmentsAsync(Cancel));
    }

    [Fact]
    public async Task GetEndedEnrollments_MostRecentlyEndedFirst_UpToTheLimit()
    {
        var id = NewContactId();
        await CommitAsync(batch =>
        {
            for (var i = 0; i < 3; i++)
            {
                batch.Enrollments.Add(new EnrollmentRecord(id, Enrollment($"cart:{i}", "cart", 1) with { StepId = null, EndedAt = T0.AddDays(i), EndReason = "exit" }));
            }
        });

        Assert.Equal(["cart:2", "cart:1"], (await Index.GetEndedEnrollmentsAsync(id, 2, Cancel)).Select(e => e.Id));
    }

    [Fact]
    public async Task SegmentMembers_EnterWithWhenAndWhy_ReEnterReplacing_LeaveDeleting_AndPage()
    {
        var ids = Enumerable.Range(0, 5).Select(_ => NewContactId()).OrderBy(id => id.ToString(), StringComparer.Ordinal).ToList();
        await CommitAsync(batch =>
        {
            batch.SegmentMembers.AddRange(ids.Select(id => new SegmentMemberChange("vip", id, new SegmentMembership(T0, "spent over 100"))));
            batch.SegmentMembers.Add(new SegmentMemberChange("churned", ids[0], new SegmentMembership(T0, "inactive")));
        });
        await CommitAsync(batch =>
        {
            batch.SegmentMembers.Add(new SegmentMemberChange("vip", ids[1], null));
            batch.SegmentMembers.Add(new SegmentMemberChange("vip", ids[2], new SegmentMembership(T0.AddDays(1), "spent over 200")));
        });

        var members = await Index.GetSegmentMembersAsync("vip", null, 10, Cancel);
        Assert.Equal([ids[0], ids[2], ids[3], ids[4]], members.Select(m => m.ContactId));
        Assert.Equal((T0.AddDays(1), "spent over 200"), (members[1].EnteredAt, members[1].Reason));
        Assert.Equal([ids[2], ids[3]], (await Index.GetSegmentMembersAsync("vip", ids[0].ToString(), 2, Cancel)).Select(m => m.ContactId));
        Assert.Equal(new Dictionary<string, long> { ["vip"] = 4, ["churned"] = 1 }, await Index.CountSegmentMembersAsync(Cancel));
        Assert.Empty(await Index.GetSegmentMembersAsync("missing", null, 10, Cancel));
    }

    [Fact]
    public async Task Activity_CountsEntriesConversionsAndReviewsInTheirWindows_AndErrorsOfAllTime()
    {
        var (ann, bob, cy) = (NewContactId(), NewContactId(), NewContactId());
        await CommitAsync(batch =>
        {
            batch.Enrollments.Add(new EnrollmentRecord(ann, Enrollment("cart:1", "cart", 1) with { EnteredAt = T0.AddDays(-2), ConvertedAt = T0.AddDays(-1) }));
            batch.Enrollments.Add(new EnrollmentRecord(bob, Enrollment("cart:1", "cart", 1) with { EnteredAt = T0.AddDays(-20), ConvertedAt = T0.AddDays(-19) }));
            batch.Enrollments.Add(new EnrollmentRecord(cy, Enrollment("cart:1", "cart", 1) with { EnteredAt = T0.AddDays(-40) }));
            batch.Enrollments.Add(new EnrollmentRecord(cy, Enrollment("welcome:1", "welcome", 1) with { EnteredAt = T0.AddDays(-3) }));
            batch.Reviews.Add(new JourneyReview("cart", 1, "cart:1", cy, "error", T0.AddDays(-10)));
            batch.Moves.AddRange([new JourneyMove("cart", 1, "email_1", "error", "$end"), new JourneyMove("cart", 1, "email_1", "error", "$end")]);
        });

        var activity = (await Index.GetJourneyActivityAsync(T0.AddDays(-7), T0.AddDays(-30), Cancel)).ToDictionary(a => a.JourneyId);
        Assert.Equal(new JourneyActivity("cart", 1, 2, 1, 2, 0, 1, 2), activity["cart"]);
        Assert.Equal(new JourneyActivity("welcome", 1, 1, 0, 0, 0, 0, 0), activity["welcome"]);
    }

    [Fact]
    public async Task EnrollmentGroups_SumTheOutcomeCountersOfThePeriodsDays_ByHoldoutAndArm()
    {
        var journey = "lift-" + Guid.NewGuid().ToString("N");
        var day = FunnelExits.DayOf(T0);
        OutcomeCount Count(int version, int at, bool control, string arm, long entries, long conversions = 0, double revenue = 0) =>
            new(journey, version, day + at, control, arm, entries, conversions, revenue, conversions * revenue * revenue);

        await CommitAsync(batch => batch.Funnel.Outcomes.AddRange(
        [
            Count(1, 0, false, "", 1), Count(1, 0, false, "A", 1), Count(1, 0, false, "", 0, 1, 10), Count(1, 0, false, "A", 0, 1, 10),
            Count(1, 0, false, "", 1), Count(1, 0, false, "B", 1),
            Count(1, 0, false, "", 1),
            Count(1, 0, true, "", 1), Count(1, 0, true, "A", 1), Count(1, 0, true, "", 0, 1), Count(1, 0, true, "A", 0, 1),
            Count(2, 1, true, "", 1), Count(2, 1, true, "", 0, 1, 5),
            Count(1, -1, false, "", 1, 1, 7),
            Count(1, 10, false, "", 1), Count(1, 10, false, "A", 1),
            Count(1, 0, false, "", 1) with { JourneyId = "other" },
        ]));
        // A second commit adds to the same rows: a publish moves one treated entry without an arm to version 2.
        await CommitAsync(batch => batch.Funnel.Outcomes.AddRange([Count(1, 0, false, "", -1), Count(2, 0, false, "", 1)]));

        var all = await Index.GetEnrollmentGroupsAsync(journey, day, day + 5, null, Cancel);
        Assert.Equal(
            [
                new EnrollmentGroup(false, null, 1, 0, 0, 0),
                new EnrollmentGroup(false, "A", 1, 1, 10, 100),
                new EnrollmentGroup(false, "B", 1, 0, 0, 0),
                new EnrollmentGroup(true, null, 1, 1, 5, 25),
                new EnrollmentGroup(true, "A", 1, 1, 0, 0),
            ],
            all.OrderBy(g => g.Control).ThenBy(g => g.Arm ?? string.Empty, StringComparer.Ordinal));

        // Version 1 alone: the moved entry left it, so every treated entry there took an arm.
        var versionOne = await Index.GetEnrollmentGroupsAsync(journey, day, day + 5, 1, Cancel);
        Assert.Equal(
            [new EnrollmentGroup(false, "A", 1, 1, 10, 100), new EnrollmentGroup(false, "B", 1, 0, 0, 0), new EnrollmentGroup(true, "A", 1, 1, 0, 0)],
            versionOne.OrderBy(g => g.Control).ThenBy(g => g.Arm, StringComparer.Ordinal));

        Assert.Equal([new EnrollmentGroup(true, null, 1, 1, 5, 25)], await Index.GetEnrollmentGroupsAsync(journey, day + 1, day + 5, null, Cancel));
        Assert.Equal([new EnrollmentGroup(false, null, 1, 1, 7, 49)], await Index.GetEnrollmentGroupsAsync(journey, day - 1, day, null, Cancel));
        Assert.Empty(await Index.GetEnrollmentGroupsAsync("missing", day, day + 5, null, Cancel));
    }

    [Fact]
    public async Task Migration0023_CountsTheEnrollmentsAlreadyStored()
    {
        var journey = "lift-" + Guid.NewGuid().ToString("N");
        var (ann, bob, cy) = (NewContactId(), NewContactId(), NewContactId());
        Core.Journeys.Engine.Enrollment Entered(int entry, TimeSpan after, string? arm = null, bool control = false, decimal? revenue = null, bool converted = false) =>
            Enrollment(Core.Journeys.Engine.Enrollment.IdOf(journey, entry), journey, 1) with
            {
                EnteredAt = T0 + after,
                Arm = arm,
                Control = control,
                ConvertedAt = converted ? T0 + after + TimeSpan.FromHours(1) : null,
                Revenue = revenue,
            };

        await CommitAsync(batch =>
        {
            batch.Enrollments.Add(new EnrollmentRecord(ann, Entered(1, TimeSpan.Zero, "A", revenue: 10, converted: true)));
            batch.Enrollments.Add(new EnrollmentRecord(ann, Entered(2, TimeSpan.FromDays(1), "B", revenue: 4, converted: true)));
            batch.Enrollments.Add(new EnrollmentRecord(bob, Entered(1, TimeSpan.FromHours(1))));
            batch.Enrollments.Add(new EnrollmentRecord(cy, Entered(1, TimeSpan.FromHours(2), control: true, revenue: 5, converted: true)));
        });
        await Store.DisposeAsync();
        await Provider.RunSqlAsync("DROP TABLE journey_outcomes", Cancel);
        await Provider.RunSqlAsync("DELETE FROM schema_migrations WHERE version = 23", Cancel);

        await using var migrated = Provider.OpenAgain();
        await migrated.MigrateAsync(Cancel);
        var day = FunnelExits.DayOf(T0);
        Assert.Equal(
            [new EnrollmentGroup(false, null, 1, 0, 0, 0), new EnrollmentGroup(false, "A", 1, 1, 10, 100), new EnrollmentGroup(true, null, 1, 1, 5, 25)],
            (await migrated.GetEnrollmentGroupsAsync(journey, day, day + 3, null, Cancel)).OrderBy(g => g.Control).ThenBy(g => g.Arm ?? string.Empty, StringComparer.Ordinal));
    }
}
