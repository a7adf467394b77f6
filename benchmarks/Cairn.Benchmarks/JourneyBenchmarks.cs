using BenchmarkDotNet.Attributes;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;

namespace Cairn.Benchmarks;

/// <summary>The journey engine's decide function on the seven example journeys.</summary>
[MemoryDiagnoser]
public class JourneyBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private JourneyLibrary _library = null!;
    private ContactState _profile = null!;
    private JourneyMemberships _waiting = null!;
    private EventOccurred _pageView = null!;
    private EventOccurred _cartAbandoned = null!;
    private EventOccurred _emailOpened = null!;
    private TimerFired _timer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var examples = Path.Combine(BenchmarkData.Root, "examples");
        var set = DocumentSet.Read(Directory.GetFiles(examples, "*.yaml", SearchOption.AllDirectories).Select(path => (path, File.ReadAllText(path))));
        if (set.Errors.Length > 0)
        {
            throw new InvalidOperationException(string.Join('\n', set.Errors));
        }

        _library = JourneyLibrary.Of([.. set.Journeys.Select(journey => new PublishedJourney(journey, 1))]);
        var id = new ContactId(Guid.Parse("0193a5f0-0000-7000-8000-000000000002"));
        _profile = ContactDecider.Decide(null, new MessageReceived(id, Message("""{"type":"identify","userId":"u","traits":{"email":"u@example.com","ltv_tier":"high"}}""")), Now).State;
        _pageView = new EventOccurred(Message("""{"type":"page","userId":"u","name":"Home","properties":{"path":"/"}}"""));
        _cartAbandoned = new EventOccurred(Message("""{"type":"track","userId":"u","event":"cart_abandoned","properties":{"cart_value":80}}"""));
        _emailOpened = new EventOccurred(Message("""{"type":"track","userId":"u","event":"email_opened","properties":{}}"""));
        var entered = JourneyDecider.Decide(JourneyMemberships.Empty, _profile, _cartAbandoned, _library, [], Now);
        _waiting = entered.Memberships;
        var timer = entered.Effects.OfType<ScheduleTimer>().First(t => t.StepId != JourneyDecider.MaxRunTimeTimer);
        _timer = new TimerFired(timer.EnrollmentId, timer.StepId, timer.DueAt);
    }

    [Benchmark(Description = "Journey decide: event matching no journey")]
    public JourneyDecision NoMatch() => JourneyDecider.Decide(_waiting, _profile, _pageView, _library, [], Now);

    [Benchmark(Description = "Journey decide: event that enters a journey")]
    public JourneyDecision Enter() => JourneyDecider.Decide(JourneyMemberships.Empty, _profile, _cartAbandoned, _library, [], Now);

    [Benchmark(Description = "Journey decide: timer that advances to a send")]
    public JourneyDecision Timer() => JourneyDecider.Decide(_waiting, _profile, _timer, _library, [], _timer.DueAt);

    [Benchmark(Description = "Journey decide: event while waiting (not awaited)")]
    public JourneyDecision Waiting() => JourneyDecider.Decide(_waiting, _profile, _emailOpened, _library, [], Now);

    private static SegmentMessage Message(string json) => BenchmarkData.Message(json, Now);
}
