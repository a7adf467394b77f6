using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Orchestration;
using CsCheck;

namespace Cairn.Core.Tests;

/// <summary>The global control group: stable membership by hash, resizable without reshuffling, and the orchestrator holding promotions back.</summary>
public sealed class GlobalControlGroupTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 14, 0, 0, TimeSpan.Zero);

    private static Policy Policy(double percent)
    {
        var parsed = DocumentParser.Parse($"kind: policy\nid: default\nmeasurement:\n  global_control_group: {percent.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n", "policy.yaml");
        Assert.True(parsed.Errors.IsEmpty, string.Join("; ", parsed.Errors));
        return Assert.IsType<ParsedPolicy>(parsed).Policy;
    }

    /// <summary>A contact id whose bucket satisfies <paramref name="wanted"/>, found by walking deterministic GUIDs.</summary>
    internal static ContactId ContactWhere(Func<int, bool> wanted)
    {
        for (var i = 1; ; i++)
        {
            var id = new ContactId(new Guid(i, 0x7000, unchecked((short)0x8000), [0, 0, 0, 0, 0, 0, 0, 1]));
            if (wanted(ContactBucket.Of(id)))
            {
                return id;
            }
        }
    }

    [Fact]
    public void Membership_TakesTheTopBuckets_GrowsWithoutReshuffling_AndNeverMeetsThePreviewSample()
    {
        Assert.Equal(ContactBucket.Count, GlobalControlGroup.FirstBucket(0));
        Assert.Equal(9_500, GlobalControlGroup.FirstBucket(5));
        Assert.Equal(9_750, GlobalControlGroup.FirstBucket(2.5));
        Assert.Equal(5_000, GlobalControlGroup.FirstBucket(50));
        Gen.Select(Gen.Guid, Gen.Double[0, 50], Gen.Double[0, 50]).Sample((guid, a, b) =>
        {
            if (guid == Guid.Empty)
            {
                return;
            }

            var id = new ContactId(guid);
            var (small, large) = a <= b ? (a, b) : (b, a);
            Assert.True(!GlobalControlGroup.Contains(id, small) || GlobalControlGroup.Contains(id, large));
        });

        // About the percent asked for, over many ids.
        var ids = Enumerable.Range(1, 20_000).Select(i => new ContactId(new Guid(i, 1, 2, [3, 4, 5, 6, 7, 8, 9, 10]))).ToList();
        var share = ids.Count(id => GlobalControlGroup.Contains(id, 10)) / (double)ids.Count;
        Assert.InRange(share, 0.09, 0.11);
    }

    [Fact]
    public void Orchestrator_DropsPromotionalMessagesToTheGroup_WithTheReason_AndLetsTransactionalOnesGo()
    {
        var policy = Policy(10);
        var held = ContactState.New(ContactWhere(bucket => bucket >= 9_000), Now);
        var other = ContactState.New(ContactWhere(bucket => bucket < 9_000), Now);
        SendRequest Request(JourneyCategory category) => new("m-1", "email", category, 50, null, Now);

        var dropped = Orchestrator.Decide(policy, held, Request(JourneyCategory.Promotional), [], [], Now);
        Assert.Equal(DecisionKind.Suppress, dropped.Kind);
        Assert.Null(dropped.Until);
        Assert.StartsWith("global control group", dropped.Reason, StringComparison.Ordinal);
        var step = Assert.Single(dropped.Trail);
        Assert.Equal(("global control group", "blocked"), (step.Check, step.Result));
        Assert.Contains("top 10 %", step.Detail, StringComparison.Ordinal);

        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(policy, held, Request(JourneyCategory.Transactional), [], [], Now).Kind);
        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(policy, held, Request(JourneyCategory.Operational), [], [], Now).Kind);
        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(policy, other, Request(JourneyCategory.Promotional), [], [], Now).Kind);

        // Without a group (the default), nobody is held back.
        Assert.Equal(DecisionKind.Send, Orchestrator.Decide(Orchestration.Policy.Default, held, Request(JourneyCategory.Promotional), [], [], Now).Kind);
    }
}
