using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>Durable timers: new ones stored (once), fired ones deleted in the same transaction as their effects.</summary>
internal sealed class TimerRows : CommitWriter
{
    private const string Add =
        "INSERT INTO timers (contact_id, enrollment_id, step_id, due_at) VALUES (@contact_id, @enrollment_id, @step_id, @due_at) ON CONFLICT DO NOTHING";

    private const string Done =
        "DELETE FROM timers WHERE contact_id = @contact_id AND enrollment_id = @enrollment_id AND step_id = @step_id AND due_at = @due_at";

    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        await session.ExecuteManyAsync(Add, batch.Timers, Bind, cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(Done, batch.TimersDone, Bind, cancellationToken).ConfigureAwait(false);
    }

    private static void Bind(Parameters parameters, StoredTimer timer)
    {
        parameters.Add("contact_id", timer.ContactId.ToString());
        parameters.Add("enrollment_id", timer.EnrollmentId);
        parameters.Add("step_id", timer.StepId);
        parameters.AddTime("due_at", timer.DueAt);
    }
}
