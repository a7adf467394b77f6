using System.Text.Json;
using Cairn.Core.Journeys.Engine;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="ISplitStore"/>: arm counts over the enrollment rows, and the <c>split_decisions</c> table.</summary>
public abstract partial class RelationalCairnStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<SplitArmCount>> CountSplitArmsAsync(string journeyId, CancellationToken cancellationToken) =>
        await QueryAsync(
            // A range of the partial index enrollments_arms (journey_id, version, arm, control, converted_at, entered_at): read alone.
            "SELECT version, arm, COUNT(*), COUNT(converted_at), MIN(entered_at) FROM enrollments WHERE journey_id = @journey_id AND arm IS NOT NULL AND control = @control GROUP BY version, arm ORDER BY version, arm",
            parameters =>
            {
                parameters.Add("journey_id", journeyId);
                parameters.Add("control", false);
            },
            static row => new SplitArmCount(row.GetInt(0), row.GetText(1), row.GetLong(2), row.GetLong(3), row.GetTime(4)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<bool> RecordSplitDecisionAsync(StoredSplitDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return await ExecuteAsync(
            """
            INSERT INTO split_decisions (journey_id, version, step_id, arm, decided_at, decided_by, evidence)
            VALUES (@journey_id, @version, @step_id, @arm, @decided_at, @decided_by, @evidence)
            ON CONFLICT (journey_id, version, step_id) DO NOTHING
            """,
            parameters =>
            {
                parameters.Add("journey_id", decision.Split.JourneyId);
                parameters.Add("version", decision.Split.Version);
                parameters.Add("step_id", decision.Split.StepId);
                parameters.Add("arm", decision.Decision.Arm);
                parameters.AddTime("decided_at", decision.Decision.DecidedAt);
                parameters.Add("decided_by", decision.Decision.DecidedBy);
                parameters.Add("evidence", JsonSerializer.Serialize(decision.Decision.Arms.Select(arm => new StoredArm(arm.Arm, arm.Entries, arm.Conversions)), SplitJson));
            },
            cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredSplitDecision>> GetSplitDecisionsAsync(string? journeyId, CancellationToken cancellationToken) =>
        await QueryAsync(
            journeyId is null
                ? "SELECT journey_id, version, step_id, arm, decided_at, decided_by, evidence FROM split_decisions ORDER BY journey_id, version, step_id"
                : "SELECT journey_id, version, step_id, arm, decided_at, decided_by, evidence FROM split_decisions WHERE journey_id = @journey_id ORDER BY version, step_id",
            parameters =>
            {
                if (journeyId is not null)
                {
                    parameters.Add("journey_id", journeyId);
                }
            },
            static row => new StoredSplitDecision(
                new SplitKey(row.GetText(0), row.GetInt(1), row.GetText(2)),
                new SplitDecision(
                    row.GetText(3),
                    row.GetTime(4),
                    row.GetText(5),
                    [.. (JsonSerializer.Deserialize<StoredArm[]>(row.GetText(6), SplitJson) ?? []).Select(arm => new ArmCount(arm.Arm, arm.Entries, arm.Conversions))])),
            cancellationToken).ConfigureAwait(false);

    private static readonly JsonSerializerOptions SplitJson = new(JsonSerializerDefaults.Web);

    /// <summary>One arm of a decision's stored evidence.</summary>
    private sealed record StoredArm(string Arm, long Entries, long Conversions);
}
