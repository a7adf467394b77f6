using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Scoring;
using Cairn.Core.Segments;
using Cairn.Testing;
using CsCheck;

namespace Cairn.Core.Tests;

/// <summary>Scores and segments decided together; the host may skip loading history exactly when nothing would read it.</summary>
public sealed class AudienceDeciderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly ContactId Ann = new(Guid.Parse("0193a3c0-0000-7000-8000-00000000000d"));

    private static readonly string[] Conditions =
    [
        "{ trait: plan, op: eq, value: pro }",
        "{ performed: $page, within: 3d, at_least: 2 }",
        "{ all: [ { trait: plan, op: eq, value: team }, { performed: demo_requested, within: 5d } ] }",
        "{ stage: mql }",
        "{ all: [ { stage: lead }, { last_performed: $page, before: 2d } ] }",
        "{ any: [ { in_segment: s01 }, { aggregate: count, event: unsubscribed, within: 10d, op: gte, value: 1 } ] }",
        "{ all: [ { score: engagement, op: gte, value: 30 }, { performed: $page, where: { property: path, op: eq, value: /pricing } } ] }",
        "{ tag: vip }",
    ];

    [Fact]
    public void WhenNeedsHistoryIsFalse_DecidingWithoutHistoryGivesTheSameResult()
    {
        var segments = SegmentLibrary.Of(Conditions.Select((condition, i) => DocumentParser.Parse<ParsedSegment>($"kind: segment\nid: s{i:00}\nname: S{i}\ncondition: {condition}", "s").Segment));
        var scoring = new ScoringLibrary([DocumentParser.Parse<ParsedScoringModel>(ScoringExamples.Engagement, "engagement").ScoringModel]);
        string[] plans = ["pro", "team", "free"];
        string[] paths = ["/pricing", "/docs", "/careers/x"];
        string[] events = ["demo_requested", "unsubscribed", "webinar_joined"];
        var skipped = 0;
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 20 * 24], Gen.Int[0, 2]).Array[1, 40].Sample(inputs =>
        {
            var profile = ContactDecider.Decide(null, new MessageReceived(Ann, TestMessages.Identify("ann", null, """{"company_size":500}""", T0)), T0).State;
            var history = new List<PastEvent>();
            foreach (var (kind, hours, pick) in inputs.OrderBy(input => input.Item2))
            {
                var at = T0.AddHours(hours);
                var message = kind switch
                {
                    < 2 => TestMessages.Read($$"""{"type":"page","userId":"ann","name":"P","properties":{"path":"{{paths[pick]}}"},"timestamp":"{{at:O}}"}""", receivedAt: at),
                    < 4 => TestMessages.Read($$"""{"type":"track","userId":"ann","event":"{{events[pick]}}","timestamp":"{{at:O}}"}""", receivedAt: at),
                    _ => TestMessages.Identify("ann", null, $$"""{"plan":"{{plans[pick]}}"}""", at),
                };
                var before = profile;
                var after = ContactDecider.Decide(profile, new MessageReceived(Ann, message), at).State;
                history.Insert(0, new PastEvent(ContactDecider.CounterName(message), message.Timestamp, message.Properties));
                var input = new AudienceInput.Recorded(message);
                var full = AudienceDecider.Decide(before, after, scoring, segments, input, history, at);
                if (!AudienceDecider.NeedsHistory(before, after, scoring, segments, input))
                {
                    Interlocked.Increment(ref skipped);
                    var bare = AudienceDecider.Decide(before, after, scoring, segments, input, [], at);
                    Assert.Equal(full.Profile.Segments.Keys, bare.Profile.Segments.Keys);
                    Assert.Equal(full.SegmentChanges, bare.SegmentChanges);
                    Assert.Equal(full.Announced.Select(m => m.Event), bare.Announced.Select(m => m.Event));
                }

                profile = full.Profile;
            }
        });

        // The check is only worth something if skipping happens.
        Assert.True(skipped > 0);
    }

    [Fact]
    public void AnAnnouncementsId_IsTheSameForTheSameParts_DiffersWhenAnyDiffers_AndIsShort()
    {
        var contact = new ContactId(Guid.Parse("01a2523a-4d4a-7de5-98ac-dc96dddd17ad"));
        var other = new ContactId(Guid.Parse("01a2523a-4d4a-7de5-98ac-dc96dddd17ae"));
        var at = new DateTimeOffset(2026, 12, 7, 20, 38, 34, TimeSpan.Zero);
        var id = AudienceDecider.AnnouncementId(contact, "segment_entered", "pricing-hot", at);

        Assert.Equal(id, AudienceDecider.AnnouncementId(contact, "segment_entered", "pricing-hot", at));
        Assert.Equal(28, id.Length);
        Assert.StartsWith("cairn-", id, StringComparison.Ordinal);
        string[] others =
        [
            AudienceDecider.AnnouncementId(other, "segment_entered", "pricing-hot", at),
            AudienceDecider.AnnouncementId(contact, "segment_exited", "pricing-hot", at),
            AudienceDecider.AnnouncementId(contact, "segment_entered", "pricing-cold", at),
            AudienceDecider.AnnouncementId(contact, "segment_entered", "pricing-hot", at.AddTicks(1)),
        ];
        Assert.Equal(5, others.Append(id).Distinct(StringComparer.Ordinal).Count());
    }
}
