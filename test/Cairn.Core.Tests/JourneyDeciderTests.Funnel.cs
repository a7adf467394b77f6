using Cairn.Core.Journeys.Engine;

namespace Cairn.Core.Tests;

// What the funnel's counters need from the effects: when a move's step was entered, why an enrollment ended, the entry
// time of a conversion, and a send step's dropped message.
public sealed partial class JourneyDeciderTests
{
    [Fact]
    public void Moves_SayWhenTheStepTheyLeaveWasEntered_AndNoEnding()
    {
        var contact = new Simulation(CartRecovery, Profile(Ann, "low"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.RunTimersUntil(T0.AddDays(3));

        var moves = contact.Effects.OfType<EnrollmentMoved>().ToList();
        Assert.Null(moves[0].StepEnteredAt);
        Assert.Equal((null, "wait_1h"), (moves[0].Entry.From, moves[0].Entry.To));
        for (var i = 1; i < moves.Count; i++)
        {
            Assert.Equal(moves[i - 1].Entry.At, moves[i].StepEnteredAt);
        }

        var timedOut = moves.Single(move => move.Entry.From == "opened_email_1");
        Assert.Equal((T0.AddHours(1), T0.AddHours(5)), (timedOut.StepEnteredAt!.Value, timedOut.Entry.At));
        Assert.All(moves, move => Assert.Null(move.Ending));
        Assert.Equal(EndCause.Completed, Assert.Single(contact.Effects.OfType<EnrollmentEnded>()).Cause);
    }

    [Fact]
    public void AGoalThatEndsTheJourney_EndsWithCauseGoal_AndTheConversionCarriesTheEntryTime()
    {
        var contact = new Simulation(CartRecovery, Profile(Ann, "low"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.RunTimersUntil(T0.AddHours(3));
        contact.Event("order_completed", T0.AddHours(3), "{}");

        var converted = Assert.Single(contact.Effects.OfType<EnrollmentConverted>());
        Assert.Equal((T0, T0.AddHours(3)), (converted.EnteredAt, converted.At));
        var ended = contact.Effects.OfType<EnrollmentMoved>().Last();
        Assert.Equal(("opened_email_1", "ended", EndCause.Goal), (ended.Entry.From, ended.Entry.Exit, ended.Ending));
        Assert.Equal(T0.AddHours(1), ended.StepEnteredAt);
        Assert.Equal(EndCause.Goal, Assert.Single(contact.Effects.OfType<EnrollmentEnded>()).Cause);
    }

    [Fact]
    public void AnExitCriterion_AndTheMaximumRunTime_EndWithTheirCause()
    {
        var library = Library("""
            id: long
            name: Long
            trigger: { event: started }
            steps:
              - id: linger
                wait: 30d
            exit_when:
              - event: closed
            max_run_time: 2d
            """);
        var closed = new Simulation(library, Profile(Ann, "low"));
        closed.Event("started", T0, "{}");
        closed.Event("closed", T0.AddHours(1), "{}");
        Assert.Equal(EndCause.ExitCriterion, closed.Effects.OfType<EnrollmentMoved>().Last().Ending);
        Assert.Equal(EndCause.ExitCriterion, Assert.Single(closed.Effects.OfType<EnrollmentEnded>()).Cause);

        var expired = new Simulation(library, Profile(Ann, "low"));
        expired.Event("started", T0, "{}");
        expired.RunTimersUntil(T0.AddDays(3));
        var last = expired.Effects.OfType<EnrollmentMoved>().Last();
        Assert.Equal(("linger", EndCause.MaxRunTime, T0), (last.Entry.From, last.Ending, last.StepEnteredAt));
        Assert.Equal(EndCause.MaxRunTime, Assert.Single(expired.Effects.OfType<EnrollmentEnded>()).Cause);
    }

    [Fact]
    public void ASuppressedMessage_IsReportedOnceAtItsSendStep()
    {
        var contact = new Simulation(CartRecovery, Profile(Ann, "low"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.RunTimersUntil(T0.AddHours(2));
        var messageId = contact.Effects.OfType<SendMessage>().Single().MessageId;
        contact.Event("message_suppressed", T0.AddHours(2), $$"""{"message_id":"{{messageId}}","reason":"unsubscribed"}""");
        contact.Event("message_suppressed", T0.AddHours(2), $$"""{"message_id":"{{messageId}}","reason":"unsubscribed"}""");
        contact.Event("message_suppressed", T0.AddHours(2), """{"message_id":"someone-else","reason":"unsubscribed"}""");

        var dropped = Assert.Single(contact.Effects.OfType<EnrollmentSendDropped>());
        Assert.Equal(("cart-recovery", 1, "email_1", T0.AddHours(2)), (dropped.JourneyId, dropped.Version, dropped.StepId, dropped.At));
    }

    [Fact]
    public void OutcomeCounters_CountAContactsFirstEnrollment_ItsArm_ItsConversion_AndMoveItToANewVersion()
    {
        const string Yaml = """
            id: offer
            name: Offer
            trigger: { event: signed_up }
            entry: { reentry: always }
            goal: { event: ordered, within: 7d, exit: false, revenue: amount }
            steps:
              - id: pick
                split:
                  - { arm: a, percent: 50, next: linger }
                  - { arm: b, percent: 50, next: linger }
                experiment: true
              - id: linger
                wait: 3d
            """;
        var library = Library(Yaml);
        var contact = new Simulation(library, Profile(Ann, "low"));
        contact.Event("signed_up", T0, "{}");
        var arm = contact.Effects.OfType<EnrollmentMoved>().Single(move => move.Entry.From == "pick").Entry.Exit;
        contact.Event("ordered", T0.AddHours(2), """{"amount":"12.50"}""");

        Assert.Equal(
            [
                new EnrollmentOutcomeCounted("offer", 1, T0, false, null, 1, 0, 0),
                new EnrollmentOutcomeCounted("offer", 1, T0, false, arm, 1, 0, 0),
                new EnrollmentOutcomeCounted("offer", 1, T0, false, null, 0, 1, 12.50m),
                new EnrollmentOutcomeCounted("offer", 1, T0, false, arm, 0, 1, 12.50m),
            ],
            contact.Effects.OfType<EnrollmentOutcomeCounted>());
        Assert.Equal(156.25, contact.Effects.OfType<EnrollmentOutcomeCounted>().Sum(counted => counted.RevenueSquares) / 2);

        // A publish moves the whole enrollment, entry and conversion, from version 1's rows to version 2's.
        var v2 = Assert.Single(Library(Yaml.Replace("wait: 3d", "wait: 4d", StringComparison.Ordinal)).Live).Definition;
        contact.Library = new JourneyLibrary([new PublishedJourney(v2, 2)], library.Versions.Add(("offer", 2), v2));
        contact.Effects.Clear();
        contact.Publish(new VersionPublished("offer", 2, System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("linger", "linger")), T0.AddHours(3));
        Assert.Equal(
            [
                new EnrollmentOutcomeCounted("offer", 1, T0, false, null, -1, -1, -12.50m),
                new EnrollmentOutcomeCounted("offer", 2, T0, false, null, 1, 1, 12.50m),
                new EnrollmentOutcomeCounted("offer", 1, T0, false, arm, -1, -1, -12.50m),
                new EnrollmentOutcomeCounted("offer", 2, T0, false, arm, 1, 1, 12.50m),
            ],
            contact.Effects.OfType<EnrollmentOutcomeCounted>());
        Assert.Equal(0, contact.Effects.OfType<EnrollmentOutcomeCounted>().Sum(counted => counted.RevenueSquares));

        // The contact's second enrollment is not a new unit of the comparison.
        contact.RunTimersUntil(T0.AddDays(5));
        contact.Effects.Clear();
        contact.Event("signed_up", T0.AddDays(6), "{}");
        contact.Event("ordered", T0.AddDays(6).AddHours(1), """{"amount":3}""");
        Assert.Single(contact.Effects.OfType<EnrollmentConverted>());
        Assert.Empty(contact.Effects.OfType<EnrollmentOutcomeCounted>());
    }
}
