using System.Text.Json;
using Cairn.Core;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary>
/// <see cref="IExportStore"/>: the export reads every row the store holds about a contact group. The tables are taken from
/// the schema itself, so a table added later that names a contact fails here until it is exported or listed as not personal.
/// </summary>
public abstract class ExportStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    [Fact]
    public async Task ExportedTables_AndTablesNotExported_CoverEveryTableThatNamesAContact()
    {
        var named = (await ContactColumnsAsync()).Select(column => column.Table).ToHashSet(StringComparer.Ordinal);
        var exported = Store.ExportedTables.Select(table => table.Table).ToHashSet(StringComparer.Ordinal);

        foreach (var table in named)
        {
            Assert.True(exported.Contains(table) || Store.TablesNotExported.ContainsKey(table), $"table {table} names a contact but is neither exported nor listed as not personal (with why)");
        }

        Assert.Empty(exported.Intersect(Store.TablesNotExported.Keys));
        Assert.All(Store.TablesNotExported.Values, reason => Assert.False(string.IsNullOrWhiteSpace(reason)));
        Assert.Equal(Store.ExportedTables.Count, Store.ExportedTables.Select(table => table.Section).Distinct(StringComparer.Ordinal).Count());
        Assert.All(Store.ExportedTables, table => Assert.False(string.IsNullOrWhiteSpace(table.Description)));
    }

    [Fact]
    public async Task WriteExportRows_GivesEveryRowAboutTheGroup_InEveryTable_PageByPage_AndNothingOfOthers()
    {
        var (ann, merged, bob, bobMessage) = await SeedPeopleAsync();
        ContactId[] group = [ann.Id, merged.Id];
        var columns = await ContactColumnsAsync();

        foreach (var table in Store.ExportedTables)
        {
            // Two rows a page: every table with more than two rows about the group is read over several pages.
            var rows = await ExportRowsAsync(table.Table, group, 2);
            var tableColumns = columns.Where(column => column.Table == table.Table).Select(column => column.Column).ToList();

            // The development mailbox names no contact: its rows are the copies of the group's messages.
            var expected = tableColumns.Count > 0
                ? await CountAboutAsync(table.Table, tableColumns, group)
                : Convert.ToInt64(await Provider.RunSqlAsync($"SELECT COUNT(*) FROM {table.Table} WHERE message_id IN (SELECT message_id FROM outbox WHERE contact_id IN ('{ann.Id}', '{merged.Id}'))", Cancel), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(expected > 0, $"the test holds no row of {table.Table} about the group: add one to SeedPeopleAsync");
            Assert.True(expected == rows.Count, $"{table.Table}: {rows.Count} rows exported, {expected} held");
            var text = JsonSerializer.Serialize(rows);
            Assert.DoesNotContain(bob.Id.ToString(), text, StringComparison.Ordinal);
            Assert.DoesNotContain(bobMessage.MessageId, text, StringComparison.Ordinal);
        }

        var profiles = await ExportRowsAsync("contacts", group, 100);
        var annProfile = Assert.Single(profiles, row => row.GetProperty("id").GetString() == ann.Id.ToString());
        Assert.Equal("ann@example.com", annProfile.GetProperty("email").GetString());
        Assert.Equal(JsonValueKind.Object, annProfile.GetProperty("state").ValueKind);
        Assert.Contains("\"Ann\"", annProfile.GetProperty("state").GetProperty("traits").GetProperty("name").GetRawText(), StringComparison.Ordinal);
        Assert.Equal(T0, annProfile.GetProperty("created_at").GetDateTimeOffset());

        var events = await ExportRowsAsync("events", group, 1);
        Assert.Equal(3, events.Count);
        Assert.Equal("/pricing", events[0].GetProperty("json").GetProperty("properties").GetProperty("path").GetString());
        Assert.True(events.Select(row => row.GetProperty("timestamp").GetDateTimeOffset()).SequenceEqual(events.Select(row => row.GetProperty("timestamp").GetDateTimeOffset()).Order()));

        Assert.Empty(await ExportRowsAsync("events", [NewContactId()], 10));
        Assert.Equal(2, (await ExportRowsAsync("events", [ann.Id, ann.Id], 10)).Count);
    }

    [Fact]
    public async Task FindErasure_IsTheLatestErasureOfTheContact()
    {
        var ann = Contact("ann@example.com", "Ann", "u-ann");
        await CommitAsync(batch => batch.Contacts[ann.Id] = ann);
        Assert.Null(await Store.FindErasureAsync(ann.Id, Cancel));

        var erasure = await Store.EraseContactsAsync(ann.Id, [ann.Id], [], "ticket 42", T0.AddDays(1), Cancel);

        Assert.Equal(erasure.Id, (await Store.FindErasureAsync(ann.Id, Cancel))?.Id);
        Assert.Null(await Store.FindErasureAsync(NewContactId(), Cancel));
    }
}
