using System.Collections.Immutable;
using Cairn.Core;
using Cairn.Core.Contacts;
using Microsoft.Data.Sqlite;

namespace Cairn.Runtime.Tests;

/// <summary>Active enrollments are rows of their own: a step that only moves one writes its row, not the contact's.</summary>
public sealed class EnrollmentRowsTests
{
    private const string Drip = """
        id: drip
        name: Drip
        trigger: { event: signed_up }
        steps:
          - id: first
            wait: 1h
            next: second
          - id: second
            wait: 1d
        """;

    private const string Flow = """
        id: flow
        name: Flow
        trigger: { event: signed_up }
        steps:
          - id: waiting
            wait_for: { event: activated, timeout: 1d }
            exits: { happened: later, timed_out: end }
          - id: later
            wait: 1h
        """;

    private const string Closer = """
        id: closer
        name: Closer
        trigger: { event: signed_up }
        steps:
          - id: hold
            wait: 1h
        exit_when:
          - event: account_closed
        """;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Inputs_ThatEnterMoveAndEndEnrollments_LeaveTheirRowsAsTheContactHoldsThem()
    {
        await using var harness = await EngineHarness.StartAsync(partitions: 1);
        foreach (var (id, text) in new[] { ("flow", Flow), ("closer", Closer) })
        {
            await harness.Store.SaveDraftAsync(DocumentKind.Journey, id, text, harness.Time.GetUtcNow(), Cancel);
            await harness.Publisher.PublishJourneyAsync(id, ImmutableDictionary<string, string>.Empty, Cancel);
        }

        // Sent together, so that one partition batch may hold all three turns of the contact.
        await harness.IngestAsync(
            """{"type":"track","userId":"ann","event":"signed_up"}""",
            """{"type":"track","userId":"ann","event":"activated"}""",
            """{"type":"track","userId":"ann","event":"account_closed"}""");
        await harness.RestartAsync();

        var ann = await harness.ContactOfAsync(IdentityKey.User("ann"));
        Assert.Equal(["flow"], ann.Journeys.Active.Keys);
        Assert.Equal(["waiting", "later"], ann.Journeys.Active["flow"].Path.Select(entry => entry.To));
        Assert.Equal(1, ann.Journeys.History["closer"].Entries);
        Assert.Equal(new Dictionary<string, long> { ["flow"] = 1 }, await harness.Store.CountActiveEnrollmentsAsync(Cancel));
        var ended = Assert.Single(await harness.Store.GetEndedEnrollmentsAsync(ann.Id, 10, Cancel));
        Assert.Equal(("closer", "hold"), (ended.JourneyId, ended.Path[^1].From));
    }

    [Fact]
    public async Task TimerStep_ThatOnlyMovesAnEnrollment_WritesTheEnrollmentRow_NotTheContactRow()
    {
        await using var harness = await EngineHarness.StartAsync(partitions: 2);
        await harness.Store.SaveDraftAsync(DocumentKind.Journey, "drip", Drip, harness.Time.GetUtcNow(), Cancel);
        await harness.Publisher.PublishJourneyAsync("drip", ImmutableDictionary<string, string>.Empty, Cancel);
        await harness.IngestAsync("""{"type":"track","userId":"ann","event":"signed_up"}""");
        var entered = await harness.ContactOfAsync(IdentityKey.User("ann"));
        Assert.Equal("first", entered.Journeys.Active["drip"].StepId);

        // A restart empties the partitions' caches: the contact is loaded with its enrollment from the rows.
        await harness.RestartAsync();
        string database;
        await using (var store = harness.OpenStore())
        {
            database = store.DatabasePath;
        }

        // Every row written from here on is counted, by table, on the real database.
        await RunSqlAsync(database, """
            CREATE TABLE row_writes (name TEXT NOT NULL);
            CREATE TRIGGER contacts_inserted AFTER INSERT ON contacts BEGIN INSERT INTO row_writes VALUES ('contacts'); END;
            CREATE TRIGGER contacts_updated AFTER UPDATE ON contacts BEGIN INSERT INTO row_writes VALUES ('contacts'); END;
            CREATE TRIGGER enrollments_inserted AFTER INSERT ON enrollments BEGIN INSERT INTO row_writes VALUES ('enrollments'); END;
            CREATE TRIGGER enrollments_updated AFTER UPDATE ON enrollments BEGIN INSERT INTO row_writes VALUES ('enrollments'); END;
            """);

        // The timer loop runs on the fake clock too; FireDueTimersAsync also waits for what it already took.
        harness.Time.Advance(TimeSpan.FromHours(1));
        await harness.Timers.FireDueTimersAsync(Cancel);
        await harness.Engine.WhenIdleAsync(Cancel);

        var moved = await harness.ContactOfAsync(IdentityKey.User("ann"));
        Assert.Equal("second", moved.Journeys.Active["drip"].StepId);
        Assert.Equal(["first", "second"], moved.Journeys.Active["drip"].Path.Select(entry => entry.To));
        Assert.Equal(0L, await RunSqlAsync(database, "SELECT COUNT(*) FROM row_writes WHERE name = 'contacts'"));
        Assert.Equal(1L, await RunSqlAsync(database, "SELECT COUNT(*) FROM row_writes WHERE name = 'enrollments'"));
        Assert.Equal(ContactStateJson(entered), ContactStateJson(moved));

        // The step that ends it changes the contact's entry history: that one writes the contact row too.
        harness.Time.Advance(TimeSpan.FromDays(1));
        await harness.Timers.FireDueTimersAsync(Cancel);
        await harness.Engine.WhenIdleAsync(Cancel);
        var ended = await harness.ContactOfAsync(IdentityKey.User("ann"));
        Assert.Empty(ended.Journeys.Active);
        Assert.NotNull(ended.Journeys.History["drip"].LastEndedAt);
        Assert.Equal(1L, await RunSqlAsync(database, "SELECT COUNT(*) FROM row_writes WHERE name = 'contacts'"));
        Assert.Equal("second", Assert.Single(await harness.Store.GetEndedEnrollmentsAsync(ended.Id, 10, Cancel)).Path[^1].From);
    }

    private static string ContactStateJson(ContactState contact) => Storage.ContactStateJson.Serialize(contact);

    private static async Task<object?> RunSqlAsync(string database, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync(Cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Cancel);
    }
}
