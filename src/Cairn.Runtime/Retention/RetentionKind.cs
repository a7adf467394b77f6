using System.Globalization;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Runtime.Retention;

/// <summary>One batch of a retention kind's pass: what it deleted, and where the next batch continues.</summary>
/// <param name="Deleted">Rows deleted (or bodies removed).</param>
/// <param name="Resume">Where the next batch continues (kept across an interruption); ignored once <paramref name="Done"/>.</param>
/// <param name="Done">True when nothing is left to delete under the rule.</param>
public sealed record RetentionStep(int Deleted, string? Resume, bool Done);

/// <summary>
/// A kind of data the retention pass deletes: the pass runs <see cref="RunBatchAsync"/> until it is done, one short
/// transaction at a time. Register one with <see cref="RetentionServices.AddRetentionKind"/>.
/// </summary>
public interface IRetentionKind
{
    /// <summary>The kind's name in the policy and the API (<c>events</c>, <c>messages</c> …).</summary>
    string Name { get; }

    /// <summary>What the kind deletes, for the API and the console.</summary>
    string Description { get; }

    /// <summary>True when a rule may name events (<c>byName</c>).</summary>
    bool ByName { get; }

    /// <summary>Deletes at most <paramref name="limit"/> rows the rule no longer keeps at <paramref name="now"/>, continuing from <paramref name="position"/> (the last step's <see cref="RetentionStep.Resume"/>).</summary>
    Task<RetentionStep> RunBatchAsync(RetentionRule rule, DateTimeOffset now, string? position, int limit, CancellationToken cancellationToken);
}

/// <summary>The retention kinds Cairn has, and the one shape of a kind that deletes what is older than its days.</summary>
public static class RetentionKind
{
    /// <summary>
    /// A kind that deletes, a batch at a time, what is older than the rule's days: <paramref name="delete"/> gets the
    /// cut-off and the batch size and returns how many it deleted (fewer than the batch: done).
    /// </summary>
    public static IRetentionKind OlderThan(string name, string description, Func<DateTimeOffset, int, CancellationToken, Task<int>> delete) =>
        new OlderThanKind(name, description, delete);

    /// <summary>Event log rows, by the event's time, with a rule per event name.</summary>
    public static IRetentionKind Events(IRetentionStore store) => new EventsKind(store);

    /// <summary>The payload and subject of finished messages; the rows and statuses stay.</summary>
    public static IRetentionKind MessageBodies(IRetentionStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        return OlderThan(
            RetentionPolicy.MessageBodies,
            "The rendered content of finished messages (payload and subject); the message row, its status and engagement stay.",
            (before, limit, cancellationToken) => store.RemoveMessageBodiesAsync(before, time.GetUtcNow(), limit, cancellationToken));
    }

    /// <summary>Whole rows of finished messages.</summary>
    public static IRetentionKind Messages(IRetentionStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return OlderThan(RetentionPolicy.Messages, "Finished messages (sent, delivered, bounced, failed, suppressed, undeliverable, expired), whole rows; at least 30 days.", store.DeleteFinishedMessagesAsync);
    }

    /// <summary>The development mailbox.</summary>
    public static IRetentionKind Mailbox(IRetentionStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return OlderThan(RetentionPolicy.Mailbox, "The development mailbox (messages kept when no provider is configured).", store.DeleteMailboxMessagesAsync);
    }

    private sealed class OlderThanKind(string name, string description, Func<DateTimeOffset, int, CancellationToken, Task<int>> delete) : IRetentionKind
    {
        public string Name => name;

        public string Description => description;

        public bool ByName => false;

        public async Task<RetentionStep> RunBatchAsync(RetentionRule rule, DateTimeOffset now, string? position, int limit, CancellationToken cancellationToken)
        {
            if (rule.Days is not { } days)
            {
                return new RetentionStep(0, null, true);
            }

            var deleted = await delete(RetentionPolicy.Cutoff(now, days), limit, cancellationToken).ConfigureAwait(false);
            return new RetentionStep(deleted, null, deleted < limit);
        }
    }

    /// <summary>
    /// Events: first each name with a rule of its own (a range of <c>events_name_time</c> per name), then every other
    /// event under the default days (a walk of <c>events_time</c> that skips the names with rules). The resume position
    /// is the phase (the name's index, or the walk) and, for the walk, its index position.
    /// </summary>
    private sealed class EventsKind(IRetentionStore store) : IRetentionKind
    {
        private const string Walk = "walk";

        public string Name => RetentionPolicy.Events;

        public string Description => "Events in the event log, by the time they happened; a rule per event name replaces the default for that name.";

        public bool ByName => true;

        public async Task<RetentionStep> RunBatchAsync(RetentionRule rule, DateTimeOffset now, string? position, int limit, CancellationToken cancellationToken)
        {
            var names = rule.ByName.Keys.ToList();
            var (phase, walk) = Read(position, names.Count);
            for (; phase < names.Count; phase++)
            {
                if (rule.ByName[names[phase]] is { } days)
                {
                    var deleted = await store.DeleteEventsNamedAsync(names[phase], RetentionPolicy.Cutoff(now, days), limit, cancellationToken).ConfigureAwait(false);
                    if (deleted > 0)
                    {
                        return new RetentionStep(deleted, (deleted < limit ? phase + 1 : phase).ToString(CultureInfo.InvariantCulture), false);
                    }
                }
            }

            if (rule.Days is not { } defaultDays)
            {
                return new RetentionStep(0, null, true);
            }

            var (walked, next) = await store.DeleteEventsAsync(RetentionPolicy.Cutoff(now, defaultDays), names, walk, limit, cancellationToken).ConfigureAwait(false);
            return new RetentionStep(walked, next is null ? null : Walk + ":" + next, next is null);
        }

        private static (int Phase, string? Position) Read(string? resume, int names)
        {
            if (resume is null)
            {
                return (0, null);
            }

            if (resume.StartsWith(Walk + ":", StringComparison.Ordinal))
            {
                return (names, resume[(Walk.Length + 1)..]);
            }

            return int.TryParse(resume, NumberStyles.None, CultureInfo.InvariantCulture, out var phase) && phase <= names ? (phase, null) : (0, null);
        }
    }
}

/// <summary>Registration of retention kinds.</summary>
public static class RetentionServices
{
    /// <summary>
    /// Adds a retention kind the pass deletes and the policy may name, e.g. the audit log:
    /// <c>services.AddRetentionKind(provider =&gt; RetentionKind.OlderThan("audit", "Audit log entries", provider.GetRequiredService&lt;IAuditStore&gt;().DeleteOlderThanAsync))</c>.
    /// </summary>
    public static IServiceCollection AddRetentionKind(this IServiceCollection services, Func<IServiceProvider, IRetentionKind> kind)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(kind);
        return services.AddSingleton(kind);
    }
}
