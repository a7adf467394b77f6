using System.Collections.Immutable;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Turns;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime.Tests;

/// <summary>What a batch writes of its turns: the profile row only when the profile changed, each enrollment's row when it did.</summary>
public sealed class BatchWriteTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private readonly ContactId _id = new(Guid.CreateVersion7());

    [Fact]
    public void Add_TurnsThatOnlyMoveAnEnrollment_WriteItsRowOnce_AsTheBatchLeavesIt_AndNoContactRow()
    {
        var welcome = Enrollment("welcome", "a");
        var contact = ContactState.New(_id, T0) with { Journeys = JourneyMemberships.Empty with { Active = Active(welcome) } };
        var second = With(contact, welcome with { StepId = "b" });
        var third = With(second, welcome with { StepId = "c" });
        var write = new BatchWrite(new OwnerRouter(), Core.Orchestration.MeasurementSettings.Default);

        write.Add(Work(), contact, Decided(second), T0);
        write.Add(Work(), second, Decided(third), T0);

        Assert.Empty(write.Commit.Contacts);
        Assert.Equal(["c"], write.Commit.Enrollments.Select(record => record.Enrollment.StepId));
        Assert.Empty(write.Commit.EnrollmentsRemoved);
        Assert.Same(third, write.States[_id]);
    }

    [Fact]
    public void Add_AProfileChangeEarlierInTheBatch_WritesTheContactRowAsTheBatchLeavesIt()
    {
        var welcome = Enrollment("welcome", "a");
        var contact = ContactState.New(_id, T0) with { Journeys = JourneyMemberships.Empty with { Active = Active(welcome) } };
        var counted = contact with { EventCount = 1, UpdatedAt = T0.AddMinutes(1) };
        var moved = With(counted, welcome with { StepId = "b" });
        var write = new BatchWrite(new OwnerRouter(), Core.Orchestration.MeasurementSettings.Default);

        write.Add(Work(), contact, Decided(counted), T0);
        write.Add(Work(), counted, Decided(moved), T0);

        Assert.Same(moved, write.Commit.Contacts[_id]);
        Assert.Equal(["b"], write.Commit.Enrollments.Select(record => record.Enrollment.StepId));
    }

    [Fact]
    public void Add_ANewContact_WritesItsRowAndEveryActiveEnrollment()
    {
        var contact = ContactState.New(_id, T0) with { Journeys = JourneyMemberships.Empty with { Active = Active(Enrollment("welcome", "a"), Enrollment("cart", "wait")) } };
        var write = new BatchWrite(new OwnerRouter(), Core.Orchestration.MeasurementSettings.Default);

        write.Add(Work(), null, Decided(contact), T0);

        Assert.Same(contact, write.Commit.Contacts[_id]);
        Assert.Equal(["cart:1", "welcome:1"], write.Commit.Enrollments.Select(record => record.Enrollment.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Add_AnEndedEnrollment_IsWrittenWithItsFinalState_AndOneGoneWithoutEnding_IsDeleted()
    {
        var (welcome, cart) = (Enrollment("welcome", "a"), Enrollment("cart", "wait"));
        var contact = ContactState.New(_id, T0) with { Journeys = JourneyMemberships.Empty with { Active = Active(welcome, cart) } };
        var final = cart with { StepId = null, EndedAt = T0.AddHours(1), EndReason = "exit" };
        var after = contact with
        {
            Journeys = new JourneyMemberships(
                ImmutableDictionary.Create<string, Enrollment>(StringComparer.Ordinal),
                contact.Journeys.History.SetItem("cart", new JourneyHistory(1, final.EndedAt))),
        };
        var write = new BatchWrite(new OwnerRouter(), Core.Orchestration.MeasurementSettings.Default);

        write.Add(Work(), contact, Decided(after, new EnrollmentEnded("cart", 1, "cart:1", "exit", false, T0.AddHours(1), final)), T0);

        Assert.Same(after, write.Commit.Contacts[_id]);
        Assert.Equal([final], write.Commit.Enrollments.Select(record => record.Enrollment));
        Assert.Equal([new EnrollmentRemoved(_id, "welcome:1")], write.Commit.EnrollmentsRemoved);
    }

    [Fact]
    public void Add_TurnsThatOnlyCountEvents_MarkTheRowProfileOnly_AndATraitOrAddressChangeAnywhereInTheBatch_DoesNot()
    {
        var stored = ContactState.New(_id, T0) with { Email = "ann@example.com" };
        var viewed = stored with { EventCount = 1, LastSeen = T0.AddMinutes(1), UpdatedAt = T0.AddMinutes(1) };
        var again = viewed with { EventCount = 2, LastSeen = T0.AddMinutes(2), UpdatedAt = T0.AddMinutes(2) };
        var write = new BatchWrite(new OwnerRouter(), Core.Orchestration.MeasurementSettings.Default);

        write.Add(Work(), stored, Decided(viewed), T0);
        write.Add(Work(), viewed, Decided(again), T0);

        Assert.Same(again, write.Commit.Contacts[_id]);
        Assert.Equal([_id], write.Commit.ProfilesOnly);

        // A trait set earlier in the batch: the row as the batch leaves it differs from the stored one beyond the profile.
        var traited = stored with { Traits = stored.Traits.SetItem("plan", new TraitValue(System.Text.Json.JsonSerializer.SerializeToElement("pro"), T0)) };
        var counted = traited with { EventCount = 1 };
        var mixed = new BatchWrite(new OwnerRouter(), Core.Orchestration.MeasurementSettings.Default);
        mixed.Add(Work(), stored, Decided(traited), T0);
        mixed.Add(Work(), traited, Decided(counted), T0);
        Assert.Same(counted, mixed.Commit.Contacts[_id]);
        Assert.Empty(mixed.Commit.ProfilesOnly);

        foreach (var changed in new[] { viewed with { Email = "bea@example.com" }, viewed with { UserId = "u-1" }, viewed with { Phone = "+33612345678" }, viewed with { MergedInto = new ContactId(Guid.CreateVersion7()) }, viewed with { FirstSeen = T0.AddDays(-1) } })
        {
            var other = new BatchWrite(new OwnerRouter(), Core.Orchestration.MeasurementSettings.Default);
            other.Add(Work(), stored, Decided(changed), T0);
            Assert.Same(changed, other.Commit.Contacts[_id]);
            Assert.Empty(other.Commit.ProfilesOnly);
        }

        var created = new BatchWrite(new OwnerRouter(), Core.Orchestration.MeasurementSettings.Default);
        created.Add(Work(), null, Decided(stored), T0);
        created.Add(Work(), stored, Decided(viewed), T0);
        Assert.Same(viewed, created.Commit.Contacts[_id]);
        Assert.Empty(created.Commit.ProfilesOnly);
    }

    private static Enrollment Enrollment(string journey, string step) => new(
        journey + ":1",
        journey,
        1,
        step,
        T0,
        T0.AddHours(1),
        null,
        false,
        null,
        ImmutableDictionary<string, string>.Empty,
        [new PathEntry(T0, null, "entry", step, "triggered")],
        null,
        null,
        null);

    private static ImmutableDictionary<string, Enrollment> Active(params Enrollment[] enrollments) =>
        enrollments.ToImmutableDictionary(enrollment => enrollment.JourneyId, StringComparer.Ordinal);

    private static ContactState With(ContactState contact, Enrollment enrollment) =>
        contact with { Journeys = contact.Journeys with { Active = contact.Journeys.Active.SetItem(enrollment.JourneyId, enrollment) } };

    private static TurnDecided Decided(ContactState contact, params Effect[] effects) => new(new TurnState(contact), true, [.. effects]);

    private PartitionWork Work() => new(new TimerDue(_id, "welcome:1", "a", T0), [], null);
}
