using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Cairn.Core.Journeys.Engine;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary>
/// Migration 0011 (active enrollments in their own rows): a database written before it, whose contacts' JSON carries
/// their active enrollments, comes out with each active enrollment in its row and the contacts' JSON without them.
/// </summary>
public abstract class EnrollmentRowsMigrationCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    [Fact]
    public async Task Migrate_ADatabaseWithEnrollmentsInTheContactsJson_MovesThemToTheirRows()
    {
        var ann = Contact("ann@example.com", "Ann", "u-ann") with
        {
            Journeys = JourneyMemberships.Empty with
            {
                History = ImmutableDictionary.CreateRange(StringComparer.Ordinal, [
                    KeyValuePair.Create("welcome", new JourneyHistory(1, null)),
                    KeyValuePair.Create("cart", new JourneyHistory(2, T0.AddMinutes(-5)))]),
            },
        };
        var bob = Contact("bob@example.com", "Bob", "u-bob");

        // Indexed since 0005 (a key row, the state in the contact's JSON) and moved on since to a later step.
        var welcome = Enrollment("welcome:1", "welcome", 2) with
        {
            StepId = "send_tips",
            Path = Enrollment("welcome:1", "welcome", 2).Path.Add(new PathEntry(T0.AddHours(1), "wait_1h", "next", "send_tips", "waited 1h")),
            Sent = ImmutableDictionary<string, string>.Empty.Add("hello", "m-1"),
        };

        // Entered before 0005: no row at all.
        var cart = Enrollment("cart:2", "cart", 1) with { EnteredAt = T0.AddMilliseconds(123.456) };
        var ended = Enrollment("cart:1", "cart", 1) with { StepId = null, EndedAt = T0.AddMinutes(-5), EndReason = "goal reached" };
        await CommitAsync(batch =>
        {
            batch.Contacts[ann.Id] = ann;
            batch.Contacts[bob.Id] = bob;
            batch.Enrollments.Add(new EnrollmentRecord(ann.Id, Enrollment("welcome:1", "welcome", 1)));
            batch.Enrollments.Add(new EnrollmentRecord(ann.Id, ended));
        });
        await Store.DisposeAsync();

        // The database as migration 0010 left it: the column "final", key rows for active enrollments, and their states in
        // the contact's JSON, as the contact's writer wrote them then.
        await Provider.RunSqlAsync("ALTER TABLE enrollments RENAME COLUMN state TO final", Cancel);
        await Provider.RunSqlAsync("UPDATE enrollments SET final = NULL WHERE ended_at IS NULL", Cancel);
        await Provider.RunSqlAsync("DELETE FROM schema_migrations WHERE version = 11", Cancel);
        var old = JsonNode.Parse(ContactStateJson.Serialize(ann))!.AsObject();
        old["journeys"] = new JsonObject
        {
            ["active"] = new JsonArray(JsonNode.Parse(JourneyMembershipsJson.Serialize(cart)), JsonNode.Parse(JourneyMembershipsJson.Serialize(welcome))),
            ["history"] = old["journeys"]!["history"]!.DeepClone(),
        };
        await Provider.RunSqlAsync($"UPDATE contacts SET state = '{old.ToJsonString().Replace("'", "''", StringComparison.Ordinal)}' WHERE id = '{ann.Id}'", Cancel);

        await using var migrated = Provider.OpenAgain();
        await migrated.MigrateAsync(Cancel);

        var read = (await migrated.GetContactAsync(ann.Id, Cancel))!;
        Assert.Equal(["cart", "welcome"], read.Journeys.Active.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(JourneyMembershipsJson.Serialize(welcome), JourneyMembershipsJson.Serialize(read.Journeys.Active["welcome"]));
        Assert.Equal(JourneyMembershipsJson.Serialize(cart), JourneyMembershipsJson.Serialize(read.Journeys.Active["cart"]));
        Assert.Equal(ann.Journeys.History, read.Journeys.History);
        Assert.Equal(ContactStateJson.Serialize(ann), ContactStateJson.Serialize(read));
        Assert.Empty((await migrated.GetContactAsync(bob.Id, Cancel))!.Journeys.Active);

        // The rows: the moved version, the new row, the ended one untouched; the JSON keeps only the history.
        Assert.Equal(new Dictionary<string, long> { ["cart"] = 1, ["welcome"] = 1 }, await migrated.CountActiveEnrollmentsAsync(Cancel));
        Assert.Empty(await migrated.ListEnrolledContactIdsAsync("welcome", 2, null, 10, Cancel));
        Assert.Equal([ann.Id], await migrated.ListEnrolledContactIdsAsync("cart", 2, null, 10, Cancel));
        Assert.Equal([ended.Path], (await migrated.GetEndedEnrollmentsAsync(ann.Id, 10, Cancel)).Select(e => e.Path));
        var json = (string)(await Provider.RunSqlAsync($"SELECT state FROM contacts WHERE id = '{ann.Id}'", Cancel))!;
        Assert.DoesNotContain("active", json, StringComparison.Ordinal);
        Assert.Contains("lastEndedAt", json, StringComparison.Ordinal);

        // And the store goes on from there: a step that moves the enrollment replaces its row.
        var moved = read.Journeys.Active["cart"] with { StepId = "remind" };
        var batch = new CommitBatch();
        batch.Enrollments.Add(new EnrollmentRecord(ann.Id, moved));
        await migrated.CommitAsync(batch, Cancel);
        Assert.Equal("remind", (await migrated.GetContactAsync(ann.Id, Cancel))!.Journeys.Active["cart"].StepId);
    }
}
