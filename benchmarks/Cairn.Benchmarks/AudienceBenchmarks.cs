using BenchmarkDotNet.Attributes;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;
using Cairn.Core.Scoring;
using Cairn.Core.Segments;

namespace Cairn.Benchmarks;

/// <summary>
/// Scores and segments per input (<see cref="AudienceDecider"/>) with 50 live segments and the example lead-score
/// model, for a contact with 20 events of history: the incremental cost the partitions pay on every input.
/// </summary>
[MemoryDiagnoser]
public class AudienceBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private SegmentLibrary _segments = null!;
    private ScoringLibrary _scoring = null!;
    private ContactState _profile = null!;
    private ContactState _identified = null!;
    private List<PastEvent> _history = null!;
    private SegmentMessage _page = null!;
    private SegmentMessage _pricing = null!;
    private SegmentMessage _identify = null!;

    /// <summary>The 50 segments: a realistic mix of trait, tag, stage, score, window, aggregate and occurrence conditions.</summary>
    public static IEnumerable<SegmentDefinition> FiftySegments()
    {
        string[] conditions =
        [
            "{ trait: plan, op: eq, value: pro }",
            "{ trait: country, op: in, value: [DE, FR, GB] }",
            "{ trait: company_size, op: gte, value: 50 }",
            "{ tag: vip }",
            "{ stage: mql }",
            "{ score: lead-score, op: gte, value: 50 }",
            "{ performed: pricing_viewed, at_least: 3, within: 7d }",
            "{ performed: order_completed, within: 90d }",
            "{ not_performed: demo_requested, within: 30d }",
            "{ aggregate: sum, of: revenue, event: order_completed, within: 365d, op: gte, value: 500 }",
            "{ last_performed: $page, before: 30d }",
            "{ first_performed: signed_up, within: 14d }",
            "{ trait: contract_end, op: within_next, value: 30d }",
            "{ performed: $page, where: { property: path, op: starts_with, value: /docs }, at_least: 2, within: 14d }",
            "{ engaged: opened, within: 90d }",
            "{ all: [ { trait: plan, op: eq, value: pro }, { performed: cart_abandoned, within: 1d } ] }",
            "{ any: [ { tag: churn-risk }, { last_performed: $page, before: 60d } ] }",
        ];
        for (var i = 0; i < 50; i++)
        {
            var yaml = $"kind: segment\nid: s{i:00}\nname: Segment {i}\ncondition: {conditions[i % conditions.Length]}";
            yield return DocumentParser.Parse<ParsedSegment>(yaml, $"s{i}").Segment;
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _segments = SegmentLibrary.Of(FiftySegments());
        var model = DocumentParser.Parse<ParsedScoringModel>(File.ReadAllText(Path.Combine(BenchmarkData.Root, "examples", "scoring", "lead-score.yaml")), "lead-score").ScoringModel;
        _scoring = new ScoringLibrary([model]);
        var id = new ContactId(Guid.Parse("0193a5f0-0000-7000-8000-000000000003"));
        _identify = Message("""{"type":"identify","userId":"u","traits":{"email":"u@example.com","plan":"pro","country":"DE","company_size":120,"industry":"software"}}""");
        _profile = ContactDecider.Decide(null, new MessageReceived(id, _identify), Now.AddDays(-20)).State;
        _history = [];
        string[] names = ["$page", "pricing_viewed", "$page", "order_completed", "$page", "content_downloaded", "email_opened"];
        for (var i = 0; i < 20; i++)
        {
            var at = Now.AddHours(-i * 17);
            var name = names[i % names.Length];
            var properties = System.Text.Json.JsonSerializer.SerializeToElement(new { path = i % 2 == 0 ? "/docs/setup" : "/pricing", revenue = 60 + i });
            _history.Add(new PastEvent(name, at, properties));
            _profile = AudienceDecider.Decide(_profile, _profile, _scoring, _segments, new AudienceInput.Recorded(Message($$"""{"type":"track","userId":"u","event":"{{name}}","timestamp":"{{at:O}}"}""")), _history, at).Profile;
        }

        _page = Message("""{"type":"page","userId":"u","name":"Docs","properties":{"path":"/docs/api"}}""");
        _pricing = Message("""{"type":"track","userId":"u","event":"pricing_viewed","properties":{"plan":"team"}}""");
        _identified = ContactDecider.Decide(_profile, new MessageReceived(_profile.Id, Message("""{"type":"identify","userId":"u","traits":{"plan":"team"}}""")), Now).State;
    }

    [Benchmark(Description = "Audience: page view (50 segments, 1 scoring model, 20 events of history)")]
    public AudienceDecision PageView() => AudienceDecider.Decide(_profile, _profile, _scoring, _segments, new AudienceInput.Recorded(_page), _history, Now);

    [Benchmark(Description = "Audience: track that scores and moves windowed segments")]
    public AudienceDecision Pricing() => AudienceDecider.Decide(_profile, _profile, _scoring, _segments, new AudienceInput.Recorded(_pricing), _history, Now);

    [Benchmark(Description = "Audience: identify changing a trait")]
    public AudienceDecision TraitChange() => AudienceDecider.Decide(_profile, _identified, _scoring, _segments, new AudienceInput.Recorded(_identify), _history, Now);

    [Benchmark(Description = "Audience: recheck timer (every segment, decay)")]
    public AudienceDecision Recheck() => AudienceDecider.Decide(_profile, _profile, _scoring, _segments, new AudienceInput.TimePassed(), _history, Now.AddHours(1));

    [Benchmark(Description = "Score only: event matching a rule")]
    public ScoreDecision Score() => ScoreDecider.Decide(_profile, _scoring, new PastEvent("pricing_viewed", Now, null), Now);

    private static SegmentMessage Message(string json) => BenchmarkData.Message(json, Now);
}
