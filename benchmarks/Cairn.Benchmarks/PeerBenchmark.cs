using System.Collections.Specialized;
using System.Diagnostics;
using System.Globalization;
using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Hangfire.PostgreSql;
using Cairn.Storage.Sqlite;
using Hangfire;
using Hangfire.InMemory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Quartz;

namespace Cairn.Benchmarks;

/// <summary>
/// <c>loadgen peers --contacts N [--hour-ms M] [--only cairn|hangfire|quartz] [--durable] [--cached-contacts C]</c>: the cart-recovery journey's timing
/// (an hour after the cart, email; four hours later, if not opened, SMS; at 24 h, email; at 48 h, the final email)
/// for N contacts, built three ways on the same machine: on Cairn (the journey document, a durable SQLite store,
/// a virtual clock advanced to each due time), and hand-built on Hangfire (in-memory storage) and on Quartz.NET (its
/// in-memory job store) the way their documentation teaches, each step a job that schedules the next, under a
/// compressed clock (an hour is M ms). Reports the time to enroll N contacts, the time to fire their 4 N delayed
/// steps (for the peers, minus the compressed schedule itself), and the managed memory held once all are enrolled.
/// <c>--durable</c> runs Cairn and Hangfire both on PostgreSQL (a throwaway cluster from the installed binaries), every
/// step durable on both sides.
/// </summary>
internal static class PeerBenchmark
{
    private const string Journey = """
        id: cart-timing
        name: Cart recovery timing
        trigger: { event: cart_abandoned }
        entry: { reentry: always }
        steps:
          - id: wait_1h
            wait: 1h
            next: email_1
          - id: email_1
            send: { channel: email, template: t }
            next: opened
          - id: opened
            wait_for: { event: email_opened, correlate: email_1, timeout: 4h }
            exits: { happened: wait_24h, timed_out: sms }
          - id: sms
            send: { channel: sms, template: s }
            next: wait_24h
          - id: wait_24h
            wait: 19h
            next: email_2
          - id: email_2
            send: { channel: email, template: t }
            next: wait_48h
          - id: wait_48h
            wait: 24h
            next: email_3
          - id: email_3
            send: { channel: email, template: t }
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var contacts = BenchmarkData.Option(args, "--contacts", 100_000);
        var hourMs = BenchmarkData.Option(args, "--hour-ms", 20);
        var cached = BenchmarkData.Option(args, "--cached-contacts", new EngineOptions().CachedContacts);
        var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        Console.WriteLine($"cart-recovery timing for {contacts:N0} contacts (4 delayed steps each); peers on a compressed clock, 1 h = {hourMs} ms");
        var results = new List<(string Name, TimeSpan Enroll, TimeSpan Fire, long Memory)>();
        if (args.Contains("--durable"))
        {
            // Every step durable in PostgreSQL: Cairn's store and Hangfire's, each in its own fresh database.
            await using var postgres = new Cairn.Testing.PostgresFixture();
            if (only is null or "cairn")
            {
                var database = await postgres.CreateDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
                results.Add(await CairnAsync(contacts, cached, "Cairn (PostgreSQL)", () => new Cairn.Storage.PostgreSql.PostgreSqlCairnStore(database)).ConfigureAwait(false));
            }

            if (only is null or "hangfire")
            {
                var database = await postgres.CreateDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
                results.Add(await HangfireAsync(contacts, hourMs, "Hangfire 1.8 (PostgreSQL storage)", configuration => configuration.UsePostgreSqlStorage(
                    connection => connection.UseNpgsqlConnection(database),
                    new Hangfire.PostgreSql.PostgreSqlStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(50) })).ConfigureAwait(false));
            }
        }
        else
        {
            var data = Path.Combine(Path.GetTempPath(), "cairn-peers-" + Guid.NewGuid().ToString("N"));
            try
            {
                if (only is null or "cairn")
                {
                    results.Add(await CairnAsync(contacts, cached, "Cairn (SQLite, durable)", () => new SqliteCairnStore(data)).ConfigureAwait(false));
                }
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                if (Directory.Exists(data))
                {
                    Directory.Delete(data, recursive: true);
                }
            }

            if (only is null or "hangfire")
            {
                results.Add(await HangfireAsync(contacts, hourMs, "Hangfire 1.8 (in-memory storage)", configuration => configuration.UseInMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromMinutes(1) })).ConfigureAwait(false));
            }

            if (only is null or "quartz")
            {
                results.Add(await QuartzAsync(contacts, hourMs).ConfigureAwait(false));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{"",-34} {"enroll",10} {"fire 4N steps",14} {"steps/s",10} {"memory",10}");
        foreach (var (name, enroll, fire, memory) in results)
        {
            Console.WriteLine($"{name,-34} {enroll.TotalSeconds,9:N2}s {fire.TotalSeconds,13:N2}s {4.0 * contacts / fire.TotalSeconds,10:N0} {memory / (1024.0 * 1024),8:N0}MB");
        }

        return 0;
    }

    /// <summary>Cairn: the journey as a document, a durable store, the engine's own timers on a virtual clock.</summary>
    private static async Task<(string, TimeSpan, TimeSpan, long)> CairnAsync(int contacts, int cachedContacts, string name, Func<ICairnStore> open)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 10, 0, 0, TimeSpan.Zero));
        var store = open();
        await store.MigrateAsync(CancellationToken.None).ConfigureAwait(false);
        await store.SaveDraftAsync("journey", "cart-timing", Journey, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        await using var engine = new CairnEngine(store, time, Options.Create(new EngineOptions { CachedContacts = cachedContacts }), NullLogger<CairnEngine>.Instance);
        await using var rollouts = new RolloutRunner(engine, store, store, store, time, NullLogger<RolloutRunner>.Instance);
        var publisher = new DocumentPublisher(store, engine.Journeys, rollouts, time);
        await using var timers = new TimerPump(engine, store, time, NullLogger<TimerPump>.Instance);
        await engine.StartAsync(CancellationToken.None).ConfigureAwait(false);
        _ = await publisher.PublishJourneyAsync("cart-timing", System.Collections.Immutable.ImmutableDictionary<string, string>.Empty, CancellationToken.None).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the journey did not publish");
        var before = Memory();

        var enroll = Stopwatch.StartNew();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, (contacts + 999) / 1000),
            new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (chunk, token) =>
            {
                var messages = Enumerable.Range(chunk * 1000, Math.Min(1000, contacts - (chunk * 1000)))
                    .Select(i => BenchmarkData.Message($$"""{"type":"track","userId":"c{{i}}","event":"cart_abandoned","messageId":"cart-{{i}}","timestamp":"{{time.GetUtcNow():O}}"}""", time.GetUtcNow()))
                    .ToList();
                await engine.IngestAsync(messages, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
        await engine.WhenIdleAsync(CancellationToken.None).ConfigureAwait(false);
        enroll.Stop();
        var memory = Memory() - before;

        // The virtual clock jumps to each due time; the engine fires what fell due, as its timer loop does.
        var fire = Stopwatch.StartNew();
        foreach (var hours in new[] { 1, 5, 24, 48 })
        {
            time.SetUtcNow(new DateTimeOffset(2026, 11, 2, 10, 0, 1, TimeSpan.Zero).AddHours(hours));
            while (await store.GetNextTimerAsync(CancellationToken.None).ConfigureAwait(false) is { } due && due <= time.GetUtcNow())
            {
                await timers.FireDueTimersAsync(CancellationToken.None).ConfigureAwait(false);
                await engine.WhenIdleAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        fire.Stop();
        var rows = await store.CountMessagesAsync("cart-timing", CancellationToken.None).ConfigureAwait(false);
        var sent = rows.Sum(row => row.Count);
        Console.WriteLine($"cairn: {sent:N0} messages decided ({string.Join(", ", rows.Select(row => $"{row.StepId} {row.Status} {row.Count}"))})");
        if (sent != 4L * contacts)
        {
            throw new InvalidOperationException($"Cairn decided {sent} messages, not {4 * contacts}");
        }

        await engine.StopAsync(CancellationToken.None).ConfigureAwait(false);
        return (name, enroll.Elapsed, fire.Elapsed, memory);
    }

    /// <summary>Hangfire as its documentation teaches: a storage, a server, each step a scheduled background job.</summary>
    private static async Task<(string, TimeSpan, TimeSpan, long)> HangfireAsync(int contacts, int hourMs, string name, Action<IGlobalConfiguration> storage)
    {
        HangfireCart.Reset(contacts, TimeSpan.FromMilliseconds(hourMs));
        storage(GlobalConfiguration.Configuration);
        var before = Memory();
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            SchedulePollingInterval = TimeSpan.FromMilliseconds(Math.Max(100, hourMs)),
            WorkerCount = Environment.ProcessorCount * 5,
        });
        var enroll = Stopwatch.StartNew();
        for (var contact = 0; contact < contacts; contact++)
        {
            BackgroundJob.Schedule(() => HangfireCart.FirstEmail(contact), HangfireCart.Hour);
        }

        enroll.Stop();
        var memory = Memory() - before;
        var fire = Stopwatch.StartNew();
        await HangfireCart.Done.Task.ConfigureAwait(false);
        fire.Stop();
        return (name, enroll.Elapsed, fire.Elapsed - (48 * HangfireCart.Hour), memory);
    }

    /// <summary>Quartz.NET as its documentation teaches: a scheduler with the RAM job store, a job and a trigger per step.</summary>
    private static async Task<(string, TimeSpan, TimeSpan, long)> QuartzAsync(int contacts, int hourMs)
    {
        QuartzCart.Reset(contacts, TimeSpan.FromMilliseconds(hourMs));
        var before = Memory();
        var scheduler = await QuartzSchedulerBuilder.Create()
            .UseProperties(new NameValueCollection
            {
                ["quartz.scheduler.instanceName"] = "cart-timing",
                ["quartz.threadPool.maxConcurrency"] = (Environment.ProcessorCount * 5).ToString(CultureInfo.InvariantCulture),
                ["quartz.jobStore.misfireThreshold"] = "600000",
            })
            .BuildScheduler()
            .ConfigureAwait(false);
        QuartzCart.Scheduler = scheduler;
        await scheduler.Start().ConfigureAwait(false);
        var enroll = Stopwatch.StartNew();
        var start = TimeProvider.System.GetUtcNow();
        for (var contact = 0; contact < contacts; contact++)
        {
            await QuartzCart.ScheduleAsync(contact, 1, start + QuartzCart.Hour).ConfigureAwait(false);
        }

        enroll.Stop();
        var memory = Memory() - before;
        var fire = Stopwatch.StartNew();
        await QuartzCart.Done.Task.ConfigureAwait(false);
        fire.Stop();
        await scheduler.Shutdown().ConfigureAwait(false);
        return ("Quartz.NET 4.7 (RAM job store)", enroll.Elapsed, fire.Elapsed - (48 * QuartzCart.Hour), memory);
    }

    private static long Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

/// <summary>The cart-recovery steps as Hangfire jobs: each sends (counts) and schedules the next.</summary>
public static class HangfireCart
{
    private static long _sent;
    private static long _expected;

    /// <summary>A compressed hour.</summary>
    public static TimeSpan Hour { get; private set; }

    /// <summary>Completed when every step of every contact ran.</summary>
    public static TaskCompletionSource Done { get; private set; } = new();

    /// <summary>Prepares a run.</summary>
    public static void Reset(int contacts, TimeSpan hour)
    {
        (_sent, _expected, Hour, Done) = (0, 4L * contacts, hour, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    /// <summary>An hour after the cart: the first email; the open check in four hours.</summary>
    public static void FirstEmail(int contact)
    {
        Send();
        BackgroundJob.Schedule(() => OpenCheck(contact), 4 * Hour);
    }

    /// <summary>Not opened (this workload never opens): SMS; the next email at 24 h after the cart.</summary>
    public static void OpenCheck(int contact)
    {
        Send();
        BackgroundJob.Schedule(() => SecondEmail(contact), 19 * Hour);
    }

    /// <summary>At 24 h: the second email; the final one at 48 h.</summary>
    public static void SecondEmail(int contact)
    {
        Send();
        BackgroundJob.Schedule(() => FinalEmail(contact), 24 * Hour);
    }

    /// <summary>At 48 h: the final email.</summary>
    public static void FinalEmail(int contact)
    {
        _ = contact;
        Send();
    }

    private static void Send()
    {
        if (Interlocked.Increment(ref _sent) == _expected)
        {
            Done.TrySetResult();
        }
    }
}

/// <summary>The cart-recovery steps as Quartz.NET jobs: one job class, the step in its data, the next step scheduled by a new trigger.</summary>
public sealed class QuartzCart : IJob
{
    private static long _sent;
    private static long _expected;

    /// <summary>A compressed hour.</summary>
    public static TimeSpan Hour { get; private set; }

    /// <summary>Completed when every step of every contact ran.</summary>
    public static TaskCompletionSource Done { get; private set; } = new();

    /// <summary>The scheduler the jobs schedule their next step on.</summary>
    public static IScheduler Scheduler { get; set; } = null!;

    /// <summary>Prepares a run.</summary>
    public static void Reset(int contacts, TimeSpan hour)
    {
        (_sent, _expected, Hour, Done) = (0, 4L * contacts, hour, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    /// <summary>Schedules step <paramref name="step"/> (1–4) of a contact at <paramref name="at"/>.</summary>
    public static async Task ScheduleAsync(int contact, int step, DateTimeOffset at)
    {
        var job = JobBuilder.Create<QuartzCart>()
            .WithIdentity($"cart-{contact}-{step}")
            .UsingJobData("contact", contact)
            .UsingJobData("step", step)
            .Build();
        var trigger = TriggerBuilder.Create().WithIdentity($"cart-{contact}-{step}").StartAt(at).Build();
        await Scheduler.ScheduleJob(job, trigger).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.MergedJobDataMap;
        var (contact, step) = (data.GetInt("contact"), data.GetInt("step"));
        if (Interlocked.Increment(ref _sent) == _expected)
        {
            Done.TrySetResult();
        }

        // Step 1 at 1 h → the open check at 5 h → the email at 24 h → the final one at 48 h.
        TimeSpan? next = step switch { 1 => 4 * Hour, 2 => 19 * Hour, 3 => 24 * Hour, _ => null };
        if (next is { } delay)
        {
            await ScheduleAsync(contact, step + 1, TimeProvider.System.GetUtcNow() + delay).ConfigureAwait(false);
        }
    }
}
