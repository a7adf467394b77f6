using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;
using Cairn.Storage.Relational;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IContactStore"/>: contact rows, lookups, search, sampling, identities and pending merges.</summary>
public abstract class ContactStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IContactStore Contacts => Store;

    [Fact]
    public async Task Contacts_Upsert_ReplacesState()
    {
        var contact = Contact("c@example.com", "C", "u-c");
        await CommitAsync(batch => batch.Contacts[contact.Id] = contact);
        var updated = contact with { EventCount = 42, Email = "new@example.com", UpdatedAt = T0.AddHours(1) };
        await CommitAsync(batch => batch.Contacts[contact.Id] = updated);

        var read = await Contacts.GetContactsAsync([contact.Id, NewContactId(), contact.Id], Cancel);
        Assert.Single(read);
        Assert.Equal(42, read[contact.Id].EventCount);
        Assert.Equal(42, (await Contacts.GetContactAsync(contact.Id, Cancel))!.EventCount);
        Assert.Null(await Contacts.GetContactAsync(NewContactId(), Cancel));
        Assert.Equal([contact.Id], await Contacts.FindContactsByEmailAsync("new@example.com", Cancel));
        Assert.Empty(await Contacts.FindContactsByEmailAsync("c@example.com", Cancel));
    }

    [Fact]
    public async Task GetContacts_ManyIds_ReadsThemAll()
    {
        var ids = new List<ContactId>();
        await CommitAsync(batch =>
        {
            for (var i = 0; i < 1100; i++)
            {
                var contact = ContactState.New(NewContactId(), T0);
                batch.Contacts[contact.Id] = contact;
                ids.Add(contact.Id);
            }
        });

        Assert.Equal(1100, (await Contacts.GetContactsAsync(ids, Cancel)).Count);
    }

    [Fact]
    public async Task Contacts_AreReadWithTheirActiveEnrollments_FromTheirOwnRows()
    {
        var ann = Contact("ann@example.com", "Ann Lee", "u-ann");
        var bob = Contact("bob@example.com", "Bob Stone", "u-bob");
        var merged = Contact("ann.old@example.com", "Ann Old", null) with { MergedInto = ann.Id };
        var welcome = Enrollment("welcome:1", "welcome", 1);
        var cart = Enrollment("cart:2", "cart", 3);
        var ended = Enrollment("cart:1", "cart", 1) with { StepId = null, EndedAt = T0.AddHours(2), EndReason = "goal reached" };
        var old = Enrollment("welcome:1", "welcome", 1);
        await CommitAsync(batch =>
        {
            batch.Contacts[ann.Id] = ann;
            batch.Contacts[bob.Id] = bob;
            batch.Contacts[merged.Id] = merged;
            batch.Enrollments.AddRange([new EnrollmentRecord(ann.Id, welcome), new EnrollmentRecord(ann.Id, cart), new EnrollmentRecord(ann.Id, ended), new EnrollmentRecord(merged.Id, old)]);
        });

        var read = await Contacts.GetContactsAsync([ann.Id, bob.Id, merged.Id], Cancel);
        Assert.Equal(["cart", "welcome"], read[ann.Id].Journeys.Active.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(JourneyMembershipsJson.Serialize(cart), JourneyMembershipsJson.Serialize(read[ann.Id].Journeys.Active["cart"]));
        Assert.Empty(read[bob.Id].Journeys.Active);
        Assert.Equal(["welcome:1"], read[merged.Id].Journeys.Active.Values.Select(e => e.Id));
        Assert.Equal(2, (await Contacts.GetContactAsync(ann.Id, Cancel))!.Journeys.Active.Count);
        Assert.Equal(2, Assert.Single((await Contacts.SearchContactsAsync("u-ann", null, 10, Cancel)).Items).Journeys.Active.Count);
        Assert.Equal(2, (await Contacts.GetSampleAsync(IContactStore.SampleBuckets, Cancel)).Single(c => c.Id == ann.Id).Journeys.Active.Count);
        Assert.Equal([2, 1], (await Store.GetContactGroupAsync(ann.Id, Cancel)).Select(c => c.Journeys.Active.Count));

        // A step that moves one enrollment writes its row only; one the contact no longer holds is deleted.
        await CommitAsync(batch =>
        {
            batch.Enrollments.Add(new EnrollmentRecord(ann.Id, welcome with { StepId = "send_tips" }));
            batch.EnrollmentsRemoved.Add(new EnrollmentRemoved(ann.Id, "cart:2"));
        });
        var moved = (await Contacts.GetContactAsync(ann.Id, Cancel))!;
        Assert.Equal(["welcome"], moved.Journeys.Active.Keys);
        Assert.Equal("send_tips", moved.Journeys.Active["welcome"].StepId);
        Assert.Equal(ContactStateJson.Serialize(ann), ContactStateJson.Serialize(moved));
        Assert.Equal(["cart:1"], (await Store.GetEndedEnrollmentsAsync(ann.Id, 10, Cancel)).Select(e => e.Id));

        // The profile's JSON does not carry them.
        Assert.DoesNotContain("welcome:1", ContactStateJson.Serialize(moved), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchContacts_MatchesEmailNameOrUserId_SkipsMerged_AndPages()
    {
        var ann = Contact("ann@example.com", "Ann Lee", "u-ann", T0);
        var bob = Contact("bob@example.org", "Bob Stone", "u-bob", T0.AddSeconds(1));
        var merged = Contact("ann.old@example.com", "Ann Old", null, T0.AddSeconds(2)) with { MergedInto = ann.Id };
        await CommitAsync(batch =>
        {
            batch.Contacts[ann.Id] = ann;
            batch.Contacts[bob.Id] = bob;
            batch.Contacts[merged.Id] = merged;
            for (var i = 0; i < 5; i++)
            {
                var extra = Contact($"p{i}@percent_100.test", $"Person {i}", null, T0.AddSeconds(3 + i));
                batch.Contacts[extra.Id] = extra;
            }
        });

        Assert.Equal([ann.Id], (await Contacts.SearchContactsAsync("ANN", null, 10, Cancel)).Items.Select(c => c.Id));
        Assert.Equal([bob.Id], (await Contacts.SearchContactsAsync("stone", null, 10, Cancel)).Items.Select(c => c.Id));
        Assert.Equal([bob.Id], (await Contacts.SearchContactsAsync("u-bob", null, 10, Cancel)).Items.Select(c => c.Id));
        Assert.Empty((await Contacts.SearchContactsAsync("u-bo", null, 10, Cancel)).Items);
        Assert.Equal(5, (await Contacts.SearchContactsAsync("percent_1", null, 10, Cancel)).Items.Count);
        Assert.Empty((await Contacts.SearchContactsAsync("percent%1", null, 10, Cancel)).Items);

        var all = new List<ContactId>();
        string? cursor = null;
        do
        {
            var page = await Contacts.SearchContactsAsync(null, cursor, 3, Cancel);
            all.AddRange(page.Items.Select(c => c.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(7, all.Count);
        Assert.Equal(ann.Id, all[0]);
        Assert.DoesNotContain(merged.Id, all);
        Assert.Equal([ann.Id], await Contacts.FindContactsByEmailAsync("ANN@example.com", Cancel));
        await Assert.ThrowsAsync<InvalidCursorException>(() => Contacts.SearchContactsAsync(null, "bm90LWEtY3Vyc29y", 10, Cancel));
    }

    [Fact]
    public async Task ListContactIds_InIdOrder_AfterAnId_SkipsMerged_AndCountContacts()
    {
        var (ann, bob) = (Contact("ann@example.com", "Ann", "ann"), Contact("bob@example.com", "Bob", "bob"));
        var merged = Contact("old@example.com", "Old", null) with { MergedInto = ann.Id };
        await CommitAsync(batch =>
        {
            batch.Contacts[ann.Id] = ann;
            batch.Contacts[bob.Id] = bob;
            batch.Contacts[merged.Id] = merged;
        });

        var ids = await Contacts.ListContactIdsAsync(null, 10, Cancel);
        Assert.Equal(new[] { ann.Id, bob.Id }.OrderBy(id => id.ToString(), StringComparer.Ordinal), ids);
        Assert.Equal([ids[1]], await Contacts.ListContactIdsAsync(ids[0].ToString(), 10, Cancel));
        Assert.Single(await Contacts.ListContactIdsAsync(null, 1, Cancel));
        Assert.Equal(2, await Contacts.CountContactsAsync(Cancel));
    }

    [Fact]
    public async Task GetSample_IsTheContactsOfTheFirstBuckets_TheSameEachTime()
    {
        var contacts = Enumerable.Range(0, 200).Select(i => ContactState.New(NewContactId(), T0)).ToList();
        var merged = ContactState.New(NewContactId(), T0) with { MergedInto = contacts[0].Id };
        await CommitAsync(batch =>
        {
            contacts.ForEach(contact => batch.Contacts[contact.Id] = contact);
            batch.Contacts[merged.Id] = merged;
        });

        Assert.Equal(200, (await Contacts.GetSampleAsync(IContactStore.SampleBuckets, Cancel)).Count);
        var half = await Contacts.GetSampleAsync(IContactStore.SampleBuckets / 2, Cancel);
        Assert.Equal(Ids(contacts.Where(contact => RelationalCairnStore.SampleBucket(contact.Id) < IContactStore.SampleBuckets / 2)), Ids(half));
        Assert.InRange(half.Count, 60, 140);
        Assert.Equal(Ids(half), Ids(await Contacts.GetSampleAsync(IContactStore.SampleBuckets / 2, Cancel)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Contacts.GetSampleAsync(0, Cancel));
    }

    [Fact]
    public async Task FindContactsByPhone_TheUnmergedOnes_OldestFirst()
    {
        var first = ContactState.New(NewContactId(), T0) with { Phone = "+15555550100" };
        var second = ContactState.New(NewContactId(), T0.AddHours(1)) with { Phone = "+15555550100" };
        var merged = ContactState.New(NewContactId(), T0.AddHours(2)) with { Phone = "+15555550100", MergedInto = first.Id };
        await CommitAsync(batch =>
        {
            batch.Contacts[second.Id] = second;
            batch.Contacts[first.Id] = first;
            batch.Contacts[merged.Id] = merged;
        });

        Assert.Equal([first.Id, second.Id], await Contacts.FindContactsByPhoneAsync("+15555550100", Cancel));
        Assert.Empty(await Contacts.FindContactsByPhoneAsync("+15555550199", Cancel));
    }

    [Fact]
    public async Task Identities_ResolveToTheirContact_AndAreReadWhole()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        await CommitAsync(batch =>
        {
            batch.Identities.Add(new IdentityMapping(IdentityKey.User("u-1"), ann));
            batch.Identities.Add(new IdentityMapping(IdentityKey.Anonymous("a-1"), ann));
            batch.Identities.Add(new IdentityMapping(IdentityKey.User("u-2"), bob));
        });

        // An identity moves to the contact it last resolved to.
        await CommitAsync(batch => batch.Identities.Add(new IdentityMapping(IdentityKey.Anonymous("a-1"), bob)));

        Assert.Equal(ann, await Contacts.FindContactAsync(IdentityKey.User("u-1"), Cancel));
        Assert.Equal(bob, await Contacts.FindContactAsync(IdentityKey.Anonymous("a-1"), Cancel));
        Assert.Null(await Contacts.FindContactAsync(IdentityKey.User("a-1"), Cancel));
        var identities = new List<IdentityMapping>();
        await foreach (var mapping in Contacts.ReadIdentitiesAsync(Cancel))
        {
            identities.Add(mapping);
        }

        Assert.Equal(3, identities.Count);
        Assert.Contains(new IdentityMapping(IdentityKey.Anonymous("a-1"), bob), identities);
    }

    [Fact]
    public async Task PendingMerges_AreRecorded_Replaced_AndCompleted()
    {
        var (from, into, other) = (NewContactId(), NewContactId(), NewContactId());
        await CommitAsync(batch => batch.MergesRequested.Add(new PendingMerge(from, into)));
        await CommitAsync(batch => batch.MergesRequested.Add(new PendingMerge(from, other)));
        Assert.Equal([new PendingMerge(from, other)], await Contacts.GetPendingMergesAsync(Cancel));

        await CommitAsync(batch => batch.MergesCompleted.Add(new PendingMerge(from, into)));
        Assert.Single(await Contacts.GetPendingMergesAsync(Cancel));
        await CommitAsync(batch => batch.MergesCompleted.Add(new PendingMerge(from, other)));
        Assert.Empty(await Contacts.GetPendingMergesAsync(Cancel));
    }

    private static List<string> Ids(IEnumerable<ContactState> contacts) => [.. contacts.Select(contact => contact.Id.ToString()).Order(StringComparer.Ordinal)];
}
