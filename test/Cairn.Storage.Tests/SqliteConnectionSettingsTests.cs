using System.Globalization;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;
using Cairn.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage.Tests;

/// <summary>
/// SQLite applies a connection's settings once per pooled handle, not at every open: every handle the pool hands out,
/// after commits, concurrent reads and an erasure's checkpoint (which shortens one handle's busy timeout for a while),
/// still has them — above all <c>secure_delete</c>, without which a delete leaves erased data in the file.
/// </summary>
public sealed class SqliteConnectionSettingsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryPooledHandle_KeepsItsSettings_AfterCommitsReadsAndAnErasure()
    {
        await using var provider = new SqliteProvider();
        await using var store = (SqliteCairnStore)await provider.CreateStoreAsync(Cancel);
        await store.MigrateAsync(Cancel);

        var contacts = Enumerable.Range(0, 20).Select(i => ContactState.New(new ContactId(Guid.CreateVersion7()), T0) with { Email = $"p{i}@example.com" }).ToList();
        var batch = new CommitBatch();
        foreach (var contact in contacts)
        {
            batch.Contacts[contact.Id] = contact;
            batch.Identities.Add(new IdentityMapping(IdentityKey.User(contact.Email!), contact.Id));
        }

        await store.CommitAsync(batch, Cancel);

        // Reads on several threads at once open several pooled handles.
        await Task.WhenAll(contacts.Select(contact => Task.Run(() => store.GetContactAsync(contact.Id, Cancel), Cancel)));
        var record = await store.EraseContactsAsync(contacts[0].Id, [contacts[0].Id], [], "test", T0, Cancel);
        Assert.NotNull(record);

        // Open as many connections as the pool holds, at once, on the store's own connection string (its pool).
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = store.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var open = new List<SqliteConnection>();
        try
        {
            for (var i = 0; i < 12; i++)
            {
                var connection = new SqliteConnection(connectionString);
                await connection.OpenAsync(Cancel);
                open.Add(connection);
            }

            var reused = 0;
            foreach (var connection in open)
            {
                if (await PragmaAsync(connection, "secure_delete") != 1)
                {
                    // A handle this test opened itself was never configured by the store; the store's are what matter.
                    continue;
                }

                reused++;
                Assert.Equal(30_000, await PragmaAsync(connection, "busy_timeout"));
                Assert.Equal(2, await PragmaAsync(connection, "synchronous"));
                Assert.True(await PragmaAsync(connection, "cache_size") < 0);
            }

            Assert.True(reused >= 1, "none of the store's pooled handles was handed out");
        }
        finally
        {
            foreach (var connection in open)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<long> PragmaAsync(SqliteConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        return Convert.ToInt64(await command.ExecuteScalarAsync(Cancel), CultureInfo.InvariantCulture);
    }
}
