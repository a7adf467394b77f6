using Cairn.Core.Journeys.Engine;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="ISplitStore"/>: experiment arms counted on the enrollment rows, and winners recorded once.</summary>
public abstract class SplitStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private ISplitStore Splits => Store;

    [Fact]
    public async Task ArmCounts_AreTreatedEnrollmentsPerVersionAndArm_WithConversionsAndTheFirstEntry()
    {
        await CommitAsync(batch =>
        {
            void Add(string journey, int version, string? arm, bool control, int minutes, bool converted) =>
                batch.Enrollments.Add(new EnrollmentRecord(NewContactId(), Enrollment($"{journey}:1", journey, version) with
                {
                    Arm = arm,
                    Control = control,
                    EnteredAt = T0.AddMinutes(minutes),
                    ConvertedAt = converted ? T0.AddMinutes(minutes + 30) : null,
                }));

            Add("ab", 1, "a", control: false, 5, converted: true);
            Add("ab", 1, "a", control: false, 1, converted: false);
            Add("ab", 1, "b", control: false, 3, converted: true);
            Add("ab", 1, "b", control: true, 0, converted: true);
            Add("ab", 1, null, control: false, 0, converted: true);
            Add("ab", 2, "b", control: false, 60, converted: false);
            Add("other", 1, "a", control: false, 0, converted: true);
        });

        Assert.Equal(
            [new SplitArmCount(1, "a", 2, 1, T0.AddMinutes(1)), new SplitArmCount(1, "b", 1, 1, T0.AddMinutes(3)), new SplitArmCount(2, "b", 1, 0, T0.AddMinutes(60))],
            await Splits.CountSplitArmsAsync("ab", Cancel));
        Assert.Empty(await Splits.CountSplitArmsAsync("missing", Cancel));
    }

    [Fact]
    public async Task Decisions_AreRecordedOncePerSplitOfAVersion_WithTheirEvidence()
    {
        var key = new SplitKey("ab", 1, "pick");
        var decision = new SplitDecision("b", T0.AddDays(7), SplitModes.AutomaticWinner, [new ArmCount("a", 500, 10), new ArmCount("b", 510, 40)]);
        Assert.True(await Splits.RecordSplitDecisionAsync(new StoredSplitDecision(key, decision), Cancel));
        Assert.False(await Splits.RecordSplitDecisionAsync(new StoredSplitDecision(key, decision with { Arm = "a", DecidedAt = T0.AddDays(8) }), Cancel));
        Assert.True(await Splits.RecordSplitDecisionAsync(new StoredSplitDecision(key with { Version = 2 }, decision with { Arm = "a" }), Cancel));
        Assert.True(await Splits.RecordSplitDecisionAsync(new StoredSplitDecision(new SplitKey("cd", 1, "pick"), decision), Cancel));

        var stored = await Splits.GetSplitDecisionsAsync("ab", Cancel);
        Assert.Equal([key, key with { Version = 2 }], stored.Select(entry => entry.Split));
        var first = stored[0].Decision;
        Assert.Equal(("b", T0.AddDays(7), SplitModes.AutomaticWinner), (first.Arm, first.DecidedAt, first.DecidedBy));
        Assert.Equal(decision.Arms, first.Arms);
        Assert.Equal(3, (await Splits.GetSplitDecisionsAsync(null, Cancel)).Count);
        Assert.Empty(await Splits.GetSplitDecisionsAsync("missing", Cancel));
    }
}
