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
}
