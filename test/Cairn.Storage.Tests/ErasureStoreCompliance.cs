using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IErasureStore"/>: the group an erasure removes, the removal of every row of it, and the audit log.</summary>
public abstract class ErasureStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IErasureStore Erasure => Store;

    [Fact]
    public async Task GetContactGroup_IsTheContactAndEveryContactMergedIntoIt_ThroughChains()
    {
        var ann = Contact("ann@example.com", "Ann", "u-ann");
        var merged = Contact("ann.lee@example.com", "Ann Lee", null) with { MergedInto = ann.Id };
        var mergedIntoMerged = Contact("a@example.com", "A", null) with { MergedInto = merged.Id };
        var bob = Contact("bob@example.com", "Bob", "u-bob");
        await CommitAsync(batch =>
        {
            foreach (var contact in new[] { ann, merged, mergedIntoMerged, bob })
            {
                batch.Contacts[contact.Id] = contact;
            }
        });

        var group = await Erasure.GetContactGroupAsync(ann.Id, Cancel);
        Assert.Equal(ann.Id, group[0].Id);
        Assert.Equal(Ids(ann.Id, merged.Id, mergedIntoMerged.Id), Ids([.. group.Select(c => c.Id)]));
        Assert.Equal([bob.Id], (await Erasure.GetContactGroupAsync(bob.Id, Cancel)).Select(c => c.Id));
        Assert.Empty(await Erasure.GetContactGroupAsync(NewContactId(), Cancel));
    }

    [Fact]
    public async Task EraseContacts_RemovesEveryRowOfTheGroup_CountsThem_AndLeavesOthersAndStatistics()
    {
        var (ann, merged, bob, bobMessage) = await SeedPeopleAsync();
        var audit = await SeedAuditAsync(ann, merged, bob);

        var record = await Erasure.EraseContactsAsync(ann.Id, [ann.Id, merged.Id, ann.Id], ["vip", "missing"], "ticket 42", T0.AddDays(1), Cancel);

        Assert.Equal((ann.Id, "ticket 42", T0.AddDays(1)), (record.ContactId, record.Reason, record.ErasedAt));
        Assert.Equal(
            new SortedDictionary<string, long>(StringComparer.Ordinal)
            {
                ["contacts"] = 2, ["conversions"] = 2, ["devices"] = 1, ["enrollments"] = 4, ["events"] = 3, ["handoffs"] = 2, ["identities"] = 3, ["inbox"] = 1,
                ["journey_reviews"] = 2, ["mailbox"] = 1, ["messages"] = 1, ["pending_merges"] = 1, ["segment_members"] = 2, ["timers"] = 2,
            },
            new SortedDictionary<string, long>(record.Deleted.ToDictionary(), StringComparer.Ordinal));
        foreach (var id in new[] { ann.Id, merged.Id })
        {
            Assert.Null(await Store.GetContactAsync(id, Cancel));
            Assert.Empty((await Store.GetEventsAsync(id, null, 10, Cancel)).Items);
            Assert.Empty(await Store.GetOutboxAsync(id, 10, Cancel));
            Assert.Empty(await Store.GetEndedEnrollmentsAsync(id, 10, Cancel));
            Assert.Empty(await Store.GetHandOffsAsync(null, id, T0, 10, Cancel));
            Assert.Empty(await Store.GetDevicesAsync(id, Cancel));
            Assert.Empty(await Store.GetInboxAsync(id, dismissed: true, 10, Cancel));
        }

        Assert.Null(await Store.FindContactAsync(IdentityKey.User("u-ann"), Cancel));
        Assert.Empty(await Store.GetPendingMergesAsync(Cancel));
        Assert.Equal([bob.Id], (await Store.GetSegmentMembersAsync("vip", null, 10, Cancel)).Select(m => m.ContactId));
        Assert.Equal([bob.Id], (await Store.GetDueTimersAsync(T0.AddDays(1), 10, Cancel)).Select(t => t.ContactId));
        Assert.Equal([bob.Id], (await Store.GetJourneyReviewsAsync("welcome", 10, Cancel)).Select(r => r.ContactId));
        Assert.Equal([bobMessage.MessageId], (await Store.GetMailboxAsync(null, null, null, 10, Cancel)).Items.Select(m => m.MessageId));
        Assert.Equal(new Dictionary<string, long> { ["welcome"] = 1 }, await Store.CountActiveEnrollmentsAsync(Cancel));
        Assert.Empty(await Store.ListEnrolledContactIdsAsync("cart", 2, null, 10, Cancel));
        Assert.Equal(["welcome"], (await Store.GetContactAsync(bob.Id, Cancel))!.Journeys.Active.Keys);

        // Every table that names a contact (read from the schema, so a new table cannot be forgotten) holds nothing of the
        // group but the erasure log's entry, and an export of the group finds nothing.
        foreach (var (table, column) in await ContactColumnsAsync())
        {
            var left = await CountAboutAsync(table, [column], [ann.Id, merged.Id]);
            Assert.True(left == (table == "erasures" ? 1 : 0), $"{table}.{column} still holds {left} rows about the erased contacts");
        }

        foreach (var table in Store.ExportedTables)
        {
            Assert.Empty(await ExportRowsAsync(table.Table, [ann.Id, merged.Id], 100));
        }

        // The audit log keeps every entry (who did what, when), but the entries about the erased contacts, by id or by an
        // identifier in their summary or documents, lost their summary and documents; Bob's and the others are untouched.
        var (aboutAnn, aboutMerged, naming, bobs, unrelated) = audit;
        Assert.Equal(5, (await Store.ListAuditAsync(new AuditQuery(Limit: 100), Cancel)).Count);
        foreach (var id in new[] { aboutAnn.Id, aboutMerged.Id, naming.Id })
        {
            var redacted = (await Store.GetAuditEntryAsync(id, Cancel))!;
            Assert.Equal((Cairn.Storage.Relational.RelationalCairnStore.RedactedSummary, (string?)null, (string?)null, (DateTimeOffset?)T0.AddDays(1)), (redacted.Summary, redacted.Before, redacted.After, redacted.RedactedAt));
            Assert.Equal(id == naming.Id ? naming.Action : "contact.exported", redacted.Action);
        }

        Assert.Equal(bobs, await Store.GetAuditEntryAsync(bobs.Id, Cancel));
        Assert.Equal(unrelated, await Store.GetAuditEntryAsync(unrelated.Id, Cancel));

        // Bob is untouched, and the aggregate statistics stay.
        Assert.NotNull(await Store.GetContactAsync(bob.Id, Cancel));
        Assert.Single((await Store.GetEventsAsync(bob.Id, null, 10, Cancel)).Items);
        Assert.Single(await Store.GetOutboxAsync(bob.Id, 10, Cancel));
        Assert.Single(await Store.GetDevicesAsync(bob.Id, Cancel));
        Assert.Equal(1, Assert.Single((await Store.GetJourneyStatsAsync("welcome", Cancel)).Moves).Count);
    }

    [Fact]
    public async Task ListErasures_NewestFirst_UpToTheLimit()
    {
        var (ann, bob) = (Contact("ann@example.com", "Ann", "u-ann"), Contact("bob@example.com", "Bob", "u-bob"));
        await CommitAsync(batch =>
        {
            batch.Contacts[ann.Id] = ann;
            batch.Contacts[bob.Id] = bob;
        });

        var first = await Erasure.EraseContactsAsync(ann.Id, [ann.Id], [], "customer request", T0, Cancel);
        var second = await Erasure.EraseContactsAsync(bob.Id, [bob.Id], [], "ticket 7", T0.AddHours(1), Cancel);
        Assert.NotEqual(first.Id, second.Id);

        var erasures = await Erasure.ListErasuresAsync(10, Cancel);
        Assert.Equal([second.Id, first.Id], erasures.Select(e => e.Id));
        Assert.Equal((ann.Id, "customer request", T0, 1L), (erasures[1].ContactId, erasures[1].Reason, erasures[1].ErasedAt, erasures[1].Deleted["contacts"]));
        Assert.Equal([second.Id], (await Erasure.ListErasuresAsync(1, Cancel)).Select(e => e.Id));
    }

    /// <summary>Audit entries about Ann (by id), about the contact merged into her, one naming Ann's e-mail in a document, one about Bob, and one about nobody.</summary>
    private async Task<(AuditEntry AboutAnn, AuditEntry AboutMerged, AuditEntry Naming, AuditEntry AboutBob, AuditEntry Unrelated)> SeedAuditAsync(ContactState ann, ContactState merged, ContactState bob)
    {
        AuditEntry About(ContactId contact) =>
            new(0, T0, AuditActorKinds.User, "u1", "ada@example.com", "203.0.113.7", "contact.exported", "contact", contact.ToString(), $"Exported contact {contact}", 200);
        return (
            await Store.AppendAuditAsync(About(ann.Id), Cancel),
            await Store.AppendAuditAsync(About(merged.Id), Cancel),
            await Store.AppendAuditAsync(new AuditEntry(0, T0, AuditActorKinds.Key, "k1", "crm", null, "segment.drafted", "segment", "vip", "Drafted segment vip", 200, "id: vip", "id: vip\nwhen: email = 'ANN@example.com'"), Cancel),
            await Store.AppendAuditAsync(About(bob.Id) with { After = "{\"email\":\"bob@example.com\"}", HasDocuments = true }, Cancel),
            await Store.AppendAuditAsync(new AuditEntry(0, T0, AuditActorKinds.User, "u1", "ada@example.com", null, "journey.published", "journey", "welcome", "Published journey welcome", 200, "a", "b", true), Cancel));
    }

    private static List<string> Ids(params ContactId[] ids) => [.. ids.Select(id => id.ToString()).Order(StringComparer.Ordinal)];
}
