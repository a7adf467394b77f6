using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Core.Segments;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary>
/// What every port's compliance class shares: a fresh store over an empty, migrated database (of the provider the
/// concrete class names), and the builders of test data. Each port's class reaches the store through that port only.
/// </summary>
public abstract class StoreCompliance(StoreProvider provider) : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private int _nextMessage;

    /// <summary>The store under test, as a whole (its lifecycle, and the commit that writes what the ports read).</summary>
    protected ICairnStore Store { get; private set; } = null!;

    protected StoreProvider Provider => provider;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Store = await provider.CreateStoreAsync(Cancel);
        await Store.MigrateAsync(Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await provider.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Commits one batch that <paramref name="fill"/> fills.</summary>
    protected Task CommitAsync(Action<CommitBatch> fill)
    {
        var batch = new CommitBatch();
        fill(batch);
        return Store.CommitAsync(batch, Cancel);
    }

    /// <summary>
    /// Ann (with a contact merged into her, an ended and an active enrollment, two events) and Bob, each with a row in every
    /// table that holds something about a contact: what the erasure and export suites remove and read.
    /// </summary>
    protected async Task<(ContactState Ann, ContactState Merged, ContactState Bob, OutboxMessage BobMessage)> SeedPeopleAsync()
    {
        var ann = Contact("ann@example.com", "Ann", "u-ann");
        var merged = Contact("ann.lee@example.com", "Ann Lee", null) with { MergedInto = ann.Id };
        var bob = Contact("bob@example.com", "Bob", "u-bob");
        var annMessage = Message(ann.Id, "hello", T0);
        var bobMessage = Message(bob.Id, "hello", T0);
        await CommitAsync(batch =>
        {
            foreach (var contact in new[] { ann, merged, bob })
            {
                batch.Contacts[contact.Id] = contact;
                batch.Events.Add(Event(contact.Id, T0));
                batch.Identities.Add(new IdentityMapping(IdentityKey.Anonymous("anon-" + contact.Id), contact.Id));
                batch.Timers.Add(new StoredTimer(contact.Id, "welcome:1", "wait", T0.AddHours(1)));
                batch.Enrollments.Add(new EnrollmentRecord(contact.Id, Enrollment("welcome:1", "welcome", 1)));
                batch.Reviews.Add(new JourneyReview("welcome", 1, "welcome:1", contact.Id, "maximum run time reached", T0));
                batch.SegmentMembers.Add(new SegmentMemberChange("vip", contact.Id, new SegmentMembership(T0, "spent")));
                batch.HandOffs.Add(new HandOffRecord("h-" + contact.Id, contact.Id, "sales", "olga", "round_robin", null, "welcome", T0, null));
                batch.WorkspaceConversions.Add(new WorkspaceConversion("order-" + contact.Id, contact.Id, T0, 10m, TimeSpan.FromDays(7), TimeSpan.FromDays(7)));
            }

            batch.Events.Add(Event(ann.Id, T0.AddMinutes(1)));
            batch.Enrollments.Add(new EnrollmentRecord(ann.Id, Enrollment("cart:1", "cart", 1) with { StepId = null, EndedAt = T0, EndReason = "exit" }));
            batch.Enrollments.Add(new EnrollmentRecord(merged.Id, Enrollment("cart:1", "cart", 1)));
            batch.Identities.Add(new IdentityMapping(IdentityKey.User("u-ann"), ann.Id));
            batch.Outbox.AddRange([annMessage, bobMessage]);
            batch.MergesRequested.Add(new PendingMerge(merged.Id, ann.Id));
            batch.Moves.Add(new JourneyMove("welcome", 1, "$entry", "entry", "wait"));
        });
        foreach (var (contact, message) in new[] { (ann.Id, annMessage), (bob.Id, bobMessage) })
        {
            await Store.AddDeviceAsync(new Device("token-" + contact, contact, "ios", T0), Cancel);
            await Store.AddInboxItemAsync(new InboxItem(message.MessageId, contact, "Hi", "Hello", null, null, T0), Cancel);
            await Store.AddToMailboxAsync(new MailboxMessage(message.MessageId, "email", "x@example.com", "Hi", "raw", T0), Cancel);
        }

        return (ann, merged, bob, bobMessage);
    }

    /// <summary>Every (table, column) of the schema that names a contact: a contact_id, a merge's from_id or into_id, and contacts.id.</summary>
    protected async Task<List<(string Table, string Column)>> ContactColumnsAsync()
    {
        var sql = Provider.Name == "sqlite"
            ? "SELECT group_concat(m.name || '.' || c.name) FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name IN ('contact_id', 'from_id', 'into_id')"
            : "SELECT string_agg(table_name || '.' || column_name, ',') FROM information_schema.columns WHERE table_schema = current_schema() AND column_name IN ('contact_id', 'from_id', 'into_id')";
        var columns = ((string)(await Provider.RunSqlAsync(sql, Cancel))!).Split(',')
            .Select(pair => pair.Split('.'))
            .Select(pair => (Table: pair[0], Column: pair[1]))
            .Append((Table: "contacts", Column: "id"))
            .OrderBy(pair => pair.Table, StringComparer.Ordinal).ThenBy(pair => pair.Column, StringComparer.Ordinal)
            .ToList();
        Assert.True(columns.Count > 10, $"only {columns.Count} contact columns were read from the schema");
        return columns;
    }

    /// <summary>The rows of <paramref name="table"/> whose <paramref name="columns"/> (any of them) name one of <paramref name="contacts"/>, counted outside the store.</summary>
    protected async Task<long> CountAboutAsync(string table, IEnumerable<string> columns, IEnumerable<ContactId> contacts)
    {
        var ids = string.Join(", ", contacts.Select(id => $"'{id}'"));
        return Convert.ToInt64(
            await Provider.RunSqlAsync($"SELECT COUNT(*) FROM {table} WHERE {string.Join(" OR ", columns.Select(column => $"{column} IN ({ids})"))}", Cancel),
            System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Every row an export writes of <paramref name="table"/> about <paramref name="contacts"/>, read <paramref name="pageRows"/> at a time.</summary>
    protected async Task<List<JsonElement>> ExportRowsAsync(string table, IReadOnlyCollection<ContactId> contacts, int pageRows)
    {
        var rows = new List<JsonElement>();
        ExportCursor? cursor = null;
        do
        {
            using var buffer = new MemoryStream();
            await using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartArray();
                cursor = await Store.WriteExportRowsAsync(table, contacts, cursor, pageRows, writer, Cancel);
                writer.WriteEndArray();
            }

            using var page = JsonDocument.Parse(buffer.ToArray());
            Assert.True(page.RootElement.GetArrayLength() <= pageRows);
            rows.AddRange(page.RootElement.EnumerateArray().Select(row => row.Clone()));
        }
        while (cursor is not null);
        return rows;
    }

    protected static ContactId NewContactId() => new(Guid.CreateVersion7());

    protected static ContactState Contact(string email, string name, string? userId, DateTimeOffset? createdAt = null)
    {
        var at = createdAt ?? T0;
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(new { name, email }));
        var traits = document.RootElement.EnumerateObject()
            .ToImmutableSortedDictionary(p => p.Name, p => new TraitValue(p.Value.Clone(), at), StringComparer.Ordinal);
        return ContactState.New(NewContactId(), at) with { UserId = userId, Email = email, Traits = traits };
    }

    protected StoredEvent Event(ContactId id, DateTimeOffset timestamp, string? messageId = null, string name = "Viewed") => new(
        0,
        messageId ?? NextMessageId(),
        id,
        MessageType.Track,
        name,
        timestamp,
        timestamp.AddMilliseconds(5),
        $$$"""{"type":"track","event":"{{{name}}}","properties":{"path":"/pricing"}}""");

    protected StoredEvent History(ContactId id, MessageType type, string name, DateTimeOffset timestamp, string properties = "{}") => new(
        0,
        NextMessageId(),
        id,
        type,
        name,
        timestamp,
        timestamp,
        $$"""{"type":"{{type.ToWireName()}}","{{(type == MessageType.Track ? "event" : "name")}}":"{{name}}","properties":{{properties}}}""");

    /// <summary>A message a journey decided: queued on <paramref name="channel"/>, created at <paramref name="createdAt"/>.</summary>
    protected static OutboxMessage Message(ContactId id, string step, DateTimeOffset createdAt, string channel = "email", string journey = "welcome", int version = 1, string status = MessageStatus.Queued) =>
        new($"{id}:{journey}:1:{step}", id, journey, version, $"{journey}:1", step, channel, "hello", "promotional", 50, status, createdAt, """{"plan":"pro"}""");

    protected static Core.Journeys.Engine.Enrollment Enrollment(string id, string journey, int version) => new(
        id,
        journey,
        version,
        "wait_1h",
        T0,
        T0.AddHours(1),
        null,
        false,
        null,
        ImmutableDictionary<string, string>.Empty,
        [new Core.Journeys.Engine.PathEntry(T0, null, "entry", "wait_1h", "triggered by cart_abandoned")],
        null,
        null,
        null);

    private string NextMessageId() => $"m-{Interlocked.Increment(ref _nextMessage)}";
}
