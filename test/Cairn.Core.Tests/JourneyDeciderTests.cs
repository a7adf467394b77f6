using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Testing;
using CsCheck;

namespace Cairn.Core.Tests;

/// <summary>The journey engine's decide function, driven input by input with explicit times (no clock, no sleep).</summary>
public sealed partial class JourneyDeciderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly ContactId Ann = new(Guid.Parse("0193a3c0-0000-7000-8000-00000000000a"));
    private static readonly JourneyLibrary CartRecovery = Library(File.ReadAllText(Path.Combine(Repository.Root, "examples", "journeys", "cart-recovery.yaml")));

    [Fact]
    public void CartRecovery_NoOpen_SendsEmailSmsEmailAndFinalEmail_AtTheRightTimes()
    {
        var contact = new Simulation(CartRecovery, Profile(Ann, "low"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.RunTimersUntil(T0.AddDays(3));

        Assert.Equal(
            [
                ("cart-reminder-1", T0.AddHours(1)),
                ("cart-reminder-sms", T0.AddHours(5)),
                ("cart-reminder-2", T0.AddHours(24)),
                ("cart-final", T0.AddHours(48)),
            ],
            contact.Sent);
        Assert.Empty(contact.Memberships.Active);
        Assert.Contains(contact.Effects.OfType<EnrollmentEnded>(), ended => ended.Reason == "reached the end");
    }

    [Fact]
    public void CartRecovery_OpenOfThatEmail_SkipsTheSms_AndHighValueGetsTheIncentive()
    {
        var contact = new Simulation(CartRecovery, Profile(Ann, "high"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.RunTimersUntil(T0.AddHours(2));
        contact.Event("email_opened", T0.AddHours(2), """{"message_id":"someone-else"}""");
        Assert.Single(contact.Memberships.Active.Values, e => e.StepId == "opened_email_1");
        var messageId = contact.Effects.OfType<SendMessage>().Single().MessageId;
        contact.Event("email_opened", T0.AddHours(2), $$"""{"message_id":"{{messageId}}"}""");
        contact.RunTimersUntil(T0.AddDays(3));

        Assert.Equal(["cart-reminder-1", "cart-reminder-2", "cart-final-incentive"], contact.Sent.Select(s => s.Template));
        Assert.Equal(T0.AddHours(2 + 19), contact.Sent[1].At);
    }

    [Fact]
    public void CartRecovery_AnOpenWithoutAMessageId_CountsWhenItNamesTheSentTemplate_AfterTheSend()
    {
        // Opens exported from another email provider carry no message_id: the contact's own open of the template the
        // correlated step sent, after it ran, counts; anything less does not, and says why.
        var contact = new Simulation(CartRecovery, Profile(Ann, "low"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.RunTimersUntil(T0.AddHours(2));
        var enrollment = contact.Memberships.Active["cart-recovery"];
        var journey = CartRecovery.Versions[("cart-recovery", 1)];
        var waitFor = (WaitForStep)journey.Find("opened_email_1")!;
        string? Why(string properties, DateTimeOffset at) =>
            JourneyDecider.Uncorrelated(enrollment, journey, waitFor, TestMessages.Read($$"""{"type":"track","userId":"u","event":"email_opened","properties":{{properties}},"timestamp":"{{at:O}}"}""", receivedAt: at));

        Assert.Equal("it carries neither a message_id nor a template, so it cannot be matched to the message step 'email_1' sent", Why("{}", T0.AddHours(2)));
        Assert.Equal("it carries no message_id, and its template 'cart-reminder-2' is not the one step 'email_1' sent ('cart-reminder-1')", Why("""{"template":"cart-reminder-2"}""", T0.AddHours(2)));
        Assert.Equal("it carries no message_id, and it happened before step 'email_1' sent its message", Why("""{"template":"cart-reminder-1"}""", T0.AddMinutes(30)));
        Assert.Equal("its message_id \"x\" is not the message step 'email_1' sent", Why("""{"message_id":"x","template":"cart-reminder-1"}""", T0.AddHours(2)));
        Assert.Null(Why("""{"template":"cart-reminder-1"}""", T0.AddHours(2)));

        contact.Event("email_opened", T0.AddHours(2), "{}");
        contact.Event("email_opened", T0.AddHours(2), """{"template":"cart-reminder-2"}""");
        Assert.Equal("opened_email_1", contact.Memberships.Active["cart-recovery"].StepId);
        contact.Event("email_opened", T0.AddHours(2), """{"template":"cart-reminder-1"}""");
        contact.RunTimersUntil(T0.AddDays(3));
        Assert.Equal(["cart-reminder-1", "cart-reminder-2", "cart-final"], contact.Sent.Select(s => s.Template));
    }

    [Fact]
    public void CartRecovery_OrderEndsIt_AndLaterTimersDoNothing()
    {
        var contact = new Simulation(CartRecovery, Profile(Ann, "low"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.RunTimersUntil(T0.AddHours(3));
        contact.Event("order_completed", T0.AddHours(3), """{"total":80}""");
        contact.RunTimersUntil(T0.AddDays(20));

        Assert.Equal(["cart-reminder-1"], contact.Sent.Select(s => s.Template));
        var ended = Assert.Single(contact.Effects.OfType<EnrollmentEnded>());
        Assert.Equal("goal reached (order_completed)", ended.Reason);
        Assert.Equal(T0.AddHours(3), Assert.Single(contact.Effects.OfType<EnrollmentConverted>()).At);
    }

    [Theory]
    [InlineData("""{"revenue":80.5}""", "80.5")]
    [InlineData("""{"revenue":"80.50"}""", "80.50")]
    [InlineData("""{"revenue":-12}""", "-12")]
    [InlineData("""{"total":80}""", null)]
    [InlineData("""{"revenue":"lots"}""", null)]
    [InlineData("""{"revenue":1e300}""", null)]
    public void CartRecovery_TheConversionKeepsTheRevenueItsEventCarried(string properties, string? revenue)
    {
        var contact = new Simulation(CartRecovery, Profile(Ann, "low"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.Event("order_completed", T0.AddHours(3), properties);

        var ended = Assert.Single(contact.Effects.OfType<EnrollmentEnded>());
        Assert.Equal(revenue is null ? null : decimal.Parse(revenue, System.Globalization.CultureInfo.InvariantCulture), ended.Final.Revenue);
    }

    [Fact]
    public void CartRecovery_TriggerFilter_AndReentryCooldown()
    {
        var contact = new Simulation(CartRecovery, Profile(Ann, "low"));
        contact.Event("cart_abandoned", T0, """{"cart_value":5}""");
        Assert.Empty(contact.Memberships.Active);

        contact.Event("cart_abandoned", T0, """{"cart_value":50}""");
        contact.Event("order_completed", T0.AddMinutes(10), "{}");
        contact.Event("cart_abandoned", T0.AddDays(3), """{"cart_value":50}""");
        Assert.Empty(contact.Memberships.Active);
        contact.Event("cart_abandoned", T0.AddDays(8), """{"cart_value":50}""");
        Assert.Equal("cart-recovery:2", Assert.Single(contact.Memberships.Active.Values).Id);
    }

    [Fact]
    public void ExitCriterion_WithoutAGoal_EndsTheEnrollmentBeforeTheNextSend()
    {
        var library = Library(File.ReadAllText(Path.Combine(Repository.Root, "examples", "journeys", "re-engagement.yaml")));
        var contact = new Simulation(library, Profile(Ann, "low"));
        contact.Event("email_inactive_90d", T0, "{}");
        contact.Event("email_opened", T0.AddDays(3), "{}");
        contact.RunTimersUntil(T0.AddDays(200));

        Assert.Equal(["reengage-still-interested"], contact.Sent.Select(s => s.Template));
        Assert.Equal("exit criterion met (email_opened)", Assert.Single(contact.Effects.OfType<EnrollmentEnded>()).Reason);
    }

    [Fact]
    public void RandomInputStreams_KeepTheEngineInvariants()
    {
        var names = new[] { "cart_abandoned", "email_opened", "order_completed", "page_viewed" };
        Gen.Select(Gen.Int[0, names.Length - 1], Gen.Int[0, 72 * 60], Gen.Int[0, 200]).Array[1, 30]
            .Sample(inputs =>
            {
                var contact = new Simulation(CartRecovery, Profile(Ann, "high"));
                foreach (var (name, minutes, value) in inputs.OrderBy(input => input.Item2))
                {
                    contact.RunTimersUntil(T0.AddMinutes(minutes));
                    contact.Event(names[name], T0.AddMinutes(minutes), $$"""{"cart_value":{{value}}}""");
                    Assert.True(contact.Memberships.Active.Count <= 1);
                    Assert.All(contact.Memberships.Active.Values, enrollment => Assert.NotNull(enrollment.StepId));
                }

                contact.RunTimersUntil(T0.AddDays(30));
                Assert.Empty(contact.Memberships.Active);

                // Nothing happens to an enrollment after it ends, and no step sends twice.
                var ended = new HashSet<string>(StringComparer.Ordinal);
                foreach (var effect in contact.Effects)
                {
                    switch (effect)
                    {
                        case EnrollmentEnded end:
                            Assert.True(ended.Add(end.EnrollmentId));
                            break;
                        case SendMessage send:
                            Assert.DoesNotContain(send.EnrollmentId, ended);
                            break;
                        case EnrollmentMoved moved:
                            Assert.DoesNotContain(moved.EnrollmentId, ended);
                            break;
                    }
                }

                var ids = contact.Effects.OfType<SendMessage>().Select(send => send.MessageId).ToList();
                Assert.Equal(ids.Count, ids.Distinct().Count());
            }, iter: 200);
    }

    [Fact]
    public void Holdout_MembersMoveThroughTheJourney_ButAreSentNothing()
    {
        var control = Enumerable.Range(1, 10_000).Select(i => new ContactId(new Guid(i, 0, 0, new byte[8])))
            .First(id => JourneyDecider.Bucket(id, "cart-recovery:holdout") < 5);
        var contact = new Simulation(CartRecovery, Profile(control, "high"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.RunTimersUntil(T0.AddDays(3));

        Assert.Empty(contact.Sent);
        Assert.Contains(contact.Effects.OfType<EnrollmentMoved>(), moved => moved.Entry.Reason == "holdout: not sent");
        Assert.Contains(contact.Effects.OfType<EnrollmentEnded>(), ended => ended.Reason == "reached the end");
    }

    [Fact]
    public void Split_IsDeterministicPerContact_AndRoughlyProportional()
    {
        var library = Library("""
            id: ab
            name: AB
            trigger: { event: signed_up }
            entry: { reentry: always }
            steps:
              - id: pick
                split:
                  - { arm: a, percent: 25, next: end }
                  - { arm: b, percent: 75, next: end }
                experiment: true
            """);
        var arms = Enumerable.Range(1, 2000).Select(i =>
        {
            var sim = new Simulation(library, Profile(new ContactId(new Guid(i, 1, 1, new byte[8])), "low"));
            sim.Event("signed_up", T0, "{}");
            return sim.Effects.OfType<EnrollmentMoved>().Single(m => m.Entry.From == "pick").Entry.Exit;
        }).ToList();

        Assert.InRange(arms.Count(arm => arm == "a"), 400, 600);
        var again = new Simulation(library, Profile(new ContactId(new Guid(7, 1, 1, new byte[8])), "low"));
        again.Event("signed_up", T0, "{}");
        Assert.Equal(arms[6], again.Effects.OfType<EnrollmentMoved>().Single(m => m.Entry.From == "pick").Entry.Exit);
    }

    [Fact]
    public void WaitUntil_UsesTheContactsTimeZone_AndUpdateChangesTheProfile()
    {
        var library = Library("""
            id: morning
            name: Morning
            trigger: { event: signed_up }
            steps:
              - id: nine
                wait_until: { time: "09:00", days: [mon] }
                next: tag
              - id: tag
                update: { action: add_tag, name: greeted }
                next: stage
              - id: stage
                update: { action: set_stage, name: lead }
            """);
        var profile = Profile(Ann, "low") with { TimeZone = "America/New_York" };
        var contact = new Simulation(library, profile);

        // Monday 2026-11-02 10:00 UTC is 05:00 in New York: 09:00 the same day is 14:00 UTC.
        contact.Event("signed_up", T0, "{}");
        Assert.Equal(T0.AddHours(4), contact.Effects.OfType<ScheduleTimer>().Single(t => t.StepId == "nine").DueAt);
        contact.RunTimersUntil(T0.AddDays(1));

        Assert.Contains("greeted", ConditionEvaluator.Tags(contact.Profile));
        Assert.Equal("lead", contact.Profile.TraitString(ConditionEvaluator.StageTrait));
    }

    [Fact]
    public void TimerRead_BackFromStorage_AtMicrosecondPrecision_StillFires()
    {
        var library = Library("""
            id: tick
            name: Tick
            trigger: { event: tick }
            steps:
              - id: w
                wait: 1s
                next: s
              - id: s
                send: { channel: email, template: cart-final }
            """);
        var now = T0.AddTicks(1_234_567);
        var message = TestMessages.Read($$"""{"type":"track","userId":"u","event":"tick","timestamp":"{{now:O}}"}""", receivedAt: now);
        var entered = JourneyDecider.Decide(JourneyMemberships.Empty, Profile(Ann, "low"), new EventOccurred(message), library, [], now);
        var timer = entered.Effects.OfType<ScheduleTimer>().Single(t => t.StepId == "w");
        var stored = new DateTimeOffset(timer.DueAt.UtcTicks / 10 * 10, TimeSpan.Zero);
        Assert.NotEqual(timer.DueAt, stored);

        var fired = JourneyDecider.Decide(entered.Memberships, entered.Profile, new TimerFired(timer.EnrollmentId, "w", stored), library, [], stored);
        Assert.Single(fired.Effects.OfType<SendMessage>());
    }

    [Fact]
    public void MaxRunTime_EndsTheEnrollment_ForReview()
    {
        var library = Library("""
            id: slow
            name: Slow
            trigger: { event: signed_up }
            max_run_time: 2d
            steps:
              - id: long
                wait: 30d
            """);
        var contact = new Simulation(library, Profile(Ann, "low"));
        contact.Event("signed_up", T0, "{}");
        contact.RunTimersUntil(T0.AddDays(40));

        var ended = Assert.Single(contact.Effects.OfType<EnrollmentEnded>());
        Assert.True(ended.NeedsReview);
        Assert.Equal(T0.AddDays(2), ended.At);
    }

    [Fact]
    public void Replay_OfTheSameInputs_GivesTheSameEffects()
    {
        string Trace()
        {
            var contact = new Simulation(CartRecovery, Profile(Ann, "high"));
            contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
            contact.RunTimersUntil(T0.AddDays(3));
            return string.Join('\n', contact.Effects.Select(effect => effect.ToString()));
        }

        Assert.Equal(Trace(), Trace());
    }

    [Fact]
    public void Publish_WithAStepMap_MovesWaitingEnrollmentsKeepingTheirWakeTime_AndLeavesUnmappedStepsOnTheirVersion()
    {
        var v1 = Assert.Single(CartRecovery.Live).Definition;
        var v2Yaml = File.ReadAllText(Path.Combine(Repository.Root, "examples", "journeys", "cart-recovery.yaml"))
            .Replace("  - id: wait_1h\n    wait: 1h", "  - id: first_wait\n    wait: 2h", StringComparison.Ordinal);
        var v2 = Assert.Single(Library(v2Yaml).Live).Definition;
        var both = new JourneyLibrary([new PublishedJourney(v2, 2)], CartRecovery.Versions.Add((v2.Id, 2), v2));
        var map = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("wait_1h", "first_wait");

        var waiting = new Simulation(CartRecovery, Profile(Ann, "low"));
        waiting.Event("cart_abandoned", T0, """{"cart_value":80}""");
        var atEmail = new Simulation(CartRecovery, Profile(Ann, "low"));
        atEmail.Event("cart_abandoned", T0, """{"cart_value":80}""");
        atEmail.RunTimersUntil(T0.AddHours(1));

        waiting.Library = atEmail.Library = both;
        waiting.Publish(new VersionPublished(v1.Id, 2, map), T0.AddMinutes(30));
        atEmail.Publish(new VersionPublished(v1.Id, 2, map), T0.AddMinutes(90));

        var moved = Assert.Single(waiting.Memberships.Active.Values);
        Assert.Equal((2, "first_wait", T0.AddHours(1)), (moved.Version, moved.StepId, moved.WakeAt!.Value));
        Assert.Equal(
            [(1, "wait_1h", JourneyStep.Migrated, JourneyStep.Migrated), (2, JourneyStep.Migrated, JourneyStep.Migrated, "first_wait")],
            waiting.Effects.OfType<EnrollmentMoved>().Skip(1).Select(m => (m.Version, m.Entry.From, m.Entry.Exit, m.Entry.To)));
        waiting.RunTimersUntil(T0.AddHours(2));
        Assert.Equal([("cart-reminder-1", T0.AddHours(1))], waiting.Sent);
        Assert.Equal(2, waiting.Effects.OfType<SendMessage>().Single().Version);

        var unmoved = Assert.Single(atEmail.Memberships.Active.Values);
        Assert.Equal((1, "opened_email_1"), (unmoved.Version, unmoved.StepId));
        atEmail.RunTimersUntil(T0.AddDays(3));
        Assert.Equal(["cart-reminder-1", "cart-reminder-sms", "cart-reminder-2", "cart-final"], atEmail.Sent.Select(m => m.Template));
        Assert.All(atEmail.Effects.OfType<SendMessage>(), send => Assert.Equal(1, send.Version));
    }

    [Fact]
    public void Publish_MappingAWaitToASend_RunsTheNewStepAtOnce_AndIgnoresTheOldTimer()
    {
        var v1 = Assert.Single(CartRecovery.Live).Definition;
        var both = new JourneyLibrary([new PublishedJourney(v1, 2)], CartRecovery.Versions.Add((v1.Id, 2), v1));
        var contact = new Simulation(CartRecovery, Profile(Ann, "low"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.Library = both;
        contact.Publish(new VersionPublished(v1.Id, 2, System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("wait_1h", "email_1")), T0.AddMinutes(10));
        contact.Publish(new VersionPublished(v1.Id, 2, System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("wait_1h", "email_1")), T0.AddMinutes(11));
        contact.RunTimersUntil(T0.AddHours(5));

        Assert.Equal([("cart-reminder-1", T0.AddMinutes(10)), ("cart-reminder-sms", T0.AddMinutes(10 + 240))], contact.Sent);
    }

    [Fact]
    public void MissingStep_EndsThroughTheErrorExit_ForReview()
    {
        var journey = Assert.Single(CartRecovery.Live).Definition;
        var broken = journey with { Steps = [.. journey.Steps.Where(step => step.Id != "email_1")] };
        var contact = new Simulation(JourneyLibrary.Of(new PublishedJourney(broken, 1)), Profile(Ann, "low"));
        contact.Event("cart_abandoned", T0, """{"cart_value":80}""");
        contact.RunTimersUntil(T0.AddHours(2));

        var error = contact.Effects.OfType<EnrollmentMoved>().Last();
        Assert.Equal(("wait_1h", JourneyStep.ErrorExit, JourneyStep.End), (error.Entry.From, error.Entry.Exit, error.Entry.To));
        var ended = Assert.Single(contact.Effects.OfType<EnrollmentEnded>());
        Assert.True(ended.NeedsReview);
        Assert.Equal("step 'email_1' does not exist", ended.Final.EndReason);
    }

    private static JourneyLibrary Library(string yaml)
    {
        var templates = Directory.GetFiles(Path.Combine(Repository.Root, "examples", "templates")).Select(path => (path, File.ReadAllText(path)));
        var set = DocumentSet.Read(templates.Append(("journey.yaml", yaml)));
        Assert.Empty(set.Errors);
        return JourneyLibrary.Of(new PublishedJourney(Assert.Single(set.Journeys), 1));
    }

    private static ContactState Profile(ContactId id, string tier)
    {
        var identify = TestMessages.Identify("user-" + id, null, $$"""{"email":"ann@example.com","ltv_tier":"{{tier}}"}""", T0.AddDays(-10));
        return ContactDecider.Decide(null, new MessageReceived(id, identify), T0.AddDays(-10)).State;
    }

    /// <summary>One contact driven through inputs; timers are fired in due order, as the runtime will.</summary>
    private sealed class Simulation(JourneyLibrary library, ContactState profile)
    {
        public JourneyLibrary Library { get; set; } = library;

        public void Publish(VersionPublished published, DateTimeOffset at) => Apply(published, at);

        private readonly List<ScheduleTimer> _timers = [];
        private int _messages;

        public JourneyMemberships Memberships { get; private set; } = JourneyMemberships.Empty;

        public ContactState Profile { get; private set; } = profile;

        public List<Cairn.Core.Contacts.Effect> Effects { get; } = [];

        public List<(string Template, DateTimeOffset At)> Sent { get; } = [];

        public void Event(string name, DateTimeOffset at, string properties)
        {
            var message = TestMessages.Read($$"""{"type":"track","messageId":"m-{{++_messages}}","userId":"user-{{Profile.Id}}","event":"{{name}}","properties":{{properties}},"timestamp":"{{at:O}}"}""", receivedAt: at);
            Apply(new EventOccurred(message), at);
        }

        public void RunTimersUntil(DateTimeOffset until)
        {
            while (_timers.Where(t => t.DueAt <= until).OrderBy(t => t.DueAt).FirstOrDefault() is { } next)
            {
                _timers.Remove(next);
                Apply(new TimerFired(next.EnrollmentId, next.StepId, next.DueAt), next.DueAt);
            }
        }

        private void Apply(JourneyInput input, DateTimeOffset now)
        {
            var decision = JourneyDecider.Decide(Memberships, Profile, input, Library, [], now);
            Memberships = decision.Memberships;
            Profile = decision.Profile;
            Effects.AddRange(decision.Effects);
            _timers.AddRange(decision.Effects.OfType<ScheduleTimer>());
            Sent.AddRange(decision.Effects.OfType<SendMessage>().Select(send => (send.Template, now)));
        }
    }
}
