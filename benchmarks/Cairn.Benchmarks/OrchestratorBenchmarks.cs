using BenchmarkDotNet.Attributes;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Orchestration;
using Cairn.Core.Segments;

namespace Cairn.Benchmarks;

/// <summary>
/// One orchestrator decision (<see cref="Orchestrator.Decide"/>) under the example policy (quiet hours, two caps, a
/// suppression rule) for a contact sent 10 messages in the last week: the send that passes every check, the one a cap
/// defers, the SMS quiet hours hold, and the transactional fast path.
/// </summary>
[MemoryDiagnoser]
public class OrchestratorBenchmarks
{
    // Tuesday 24 November 2026, 15:00 UTC = 10:00 in New York.
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 15, 0, 0, TimeSpan.Zero);
    private Policy _policy = null!;
    private ContactState _contact = null!;
    private List<SentMessage> _week = null!;
    private List<SentMessage> _capped = null!;

    [GlobalSetup]
    public void Setup()
    {
        _policy = DocumentParser.Parse<ParsedPolicy>(File.ReadAllText(Path.Combine(BenchmarkData.Root, "examples", "policy", "policy.yaml")), "policy.yaml").Policy;
        _contact = ContactState.New(new ContactId(Guid.CreateVersion7()), Now) with
        {
            TimeZone = "America/New_York",
            Segments = ContactState.New(new ContactId(Guid.CreateVersion7()), Now).Segments.Add("vip", new SegmentMembership(Now, "x")),
        };
        _week = [.. Enumerable.Range(1, 10).Select(day => new SentMessage(day % 2 == 0 ? "email" : "push", JourneyCategory.Promotional, Now.AddHours(-16 * day)))];
        _capped = [.. _week, .. Enumerable.Range(1, 3).Select(hour => new SentMessage("email", JourneyCategory.Promotional, Now.AddHours(-hour)))];
    }

    [Benchmark(Baseline = true)]
    public SendDecision Sends() => Orchestrator.Decide(_policy, _contact, new SendRequest("m", "email", JourneyCategory.Promotional, 50, "offers", Now), _week, [], Now);

    [Benchmark]
    public SendDecision DefersByCap() => Orchestrator.Decide(_policy, _contact, new SendRequest("m", "email", JourneyCategory.Promotional, 50, "offers", Now), _capped, [], Now);

    [Benchmark]
    public SendDecision HoldsSmsForQuietHours() => Orchestrator.Decide(_policy, _contact, new SendRequest("m", "sms", JourneyCategory.Promotional, 50, null, Now), _week, [], Now.AddHours(12));

    [Benchmark]
    public SendDecision Transactional() => Orchestrator.Decide(_policy, _contact, new SendRequest("m", "email", JourneyCategory.Transactional, 50, null, Now), _capped, [], Now);
}
