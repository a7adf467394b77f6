using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;
using Cairn.Storage.Sqlite;
using Cairn.Testing;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage.Tests;

/// <summary>
/// Contact search from the indexes (migration 0015): substrings by trigrams (SQLite's FTS5 table, PostgreSQL's pg_trgm),
/// short queries as identifier prefixes, trait values from the trait table, each kept in step with the contact rows.
/// </summary>
public abstract class ContactSearchCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IContactStore Contacts => Store;

    [Fact]
    public async Task Substring_InTheMiddleOfAnEmail_AnyCase_SkipsMerged()
    {
        var ann = Contact("ann.quillfeather@example.com", "Ann Lee", "u-ann", T0);
        var bob = Contact("bob@quill.example.org", "Bob Stone", "u-bob", T0.AddSeconds(1));
        var merged = Contact("old.quillfeather@example.com", "Ann Old", null, T0.AddSeconds(2)) with { MergedInto = ann.Id };
        await CommitAsync(batch =>
        {
            batch.Contacts[ann.Id] = ann;
            batch.Contacts[bob.Id] = bob;
            batch.Contacts[merged.Id] = merged;
        });

        Assert.Equal([ann.Id], await SearchAsync("QUILLFEATH"));
        Assert.Equal([ann.Id], await SearchAsync("llfeather@exa"));
        Assert.Equal([ann.Id, bob.Id], await SearchAsync("quill"));
        Assert.Equal([bob.Id], await SearchAsync("stone"));
        Assert.Equal([bob.Id], await SearchAsync("u-bob"));
        Assert.Empty(await SearchAsync("quillz"));
    }

    [Fact]
    public async Task Metacharacters_AreMatchedLiterally()
    {
        var plain = Contact("plain@example.com", "Plain", null, T0);
        var odd = Contact("o'neil_100%@example.com", "Ann \"Quote\" (NEAR) OR * x", null, T0.AddSeconds(1));
        await CommitAsync(batch =>
        {
            batch.Contacts[plain.Id] = plain;
            batch.Contacts[odd.Id] = odd;
        });

        Assert.Equal([odd.Id], await SearchAsync("_100%"));
        Assert.Equal([odd.Id], await SearchAsync("o'neil"));
        Assert.Equal([odd.Id], await SearchAsync("\"quote\""));
        Assert.Equal([odd.Id], await SearchAsync("(near) or *"));
        foreach (var query in new[] { "%%%", "___", "\"", "'", "\"\"\"", "a\"b", "NEAR(", "x OR y", "*", "(((", "e*", "plain NOT", "^pl", "col:val", "{search}:x", "\\" })
        {
            var found = await SearchAsync(query);
            Assert.DoesNotContain(plain.Id, found);
        }

        Assert.Empty(await SearchAsync("p_ain"));
        Assert.Empty(await SearchAsync("pl%n"));
    }

    [Fact]
    public async Task ShortQueries_MatchTheStartOfAnEmailUserIdPhoneOrAnonymousId_Once()
    {
        var ann = Contact("zq.ann@example.com", "Ann", "zq-user", T0);
        var bob = Contact("bob@example.com", "Bob", "u-bob", T0.AddSeconds(1)) with { Phone = "+4915112345678" };
        var cid = Contact("cid@example.com", "Cid", null, T0.AddSeconds(2)) with { AnonymousIds = ImmutableSortedSet.Create(StringComparer.Ordinal, "zr-anon") };
        var mid = Contact("mid-zq@example.com", "Mid", null, T0.AddSeconds(3));
        await CommitAsync(batch =>
        {
            foreach (var contact in new[] { ann, bob, cid, mid })
            {
                batch.Contacts[contact.Id] = contact;
            }

            batch.Identities.Add(new IdentityMapping(IdentityKey.Anonymous("zr-anon"), cid.Id));
        });

        Assert.Equal([ann.Id], await SearchAsync("ZQ"));
        Assert.Equal([ann.Id, cid.Id], await SearchAsync("z"));
        Assert.Equal([bob.Id], await SearchAsync("+4"));
        Assert.Equal([cid.Id], await SearchAsync("zr"));
        Assert.Empty(await SearchAsync("q."));
    }

    [Fact]
    public async Task UpdatedEmail_IsFoundByItsNewValue_NotItsOldOne()
    {
        var ann = Contact("first.vantablack@example.com", "Ann", null, T0);
        await CommitAsync(batch => batch.Contacts[ann.Id] = ann);
        Assert.Equal([ann.Id], await SearchAsync("vantablack"));

        // Another write that leaves the search text alone, then one that changes it.
        await CommitAsync(batch => batch.Contacts[ann.Id] = ann with { EventCount = 7 });
        Assert.Equal([ann.Id], await SearchAsync("vantablack"));
        await CommitAsync(batch => batch.Contacts[ann.Id] = ann with { Email = "second.ultramarine@example.com" });

        Assert.Empty(await SearchAsync("vantablack"));
        Assert.Equal([ann.Id], await SearchAsync("ultramarine"));
        Assert.Equal([ann.Id], await SearchAsync("se"));
        Assert.Empty(await SearchAsync("fi"));
    }

    [Fact]
    public async Task ErasedContact_IsFoundNeitherByText_NorByTrait()
    {
        var ann = WithTraits(Contact("ann.erasable@example.com", "Ann", "u-erasable", T0), ("plan", "\"pro\""));
        var bob = WithTraits(Contact("bob.erasable@example.com", "Bob", null, T0.AddSeconds(1)), ("plan", "\"pro\""));
        await CommitAsync(batch =>
        {
            batch.Contacts[ann.Id] = ann;
            batch.Contacts[bob.Id] = bob;
        });
        Assert.Equal([ann.Id, bob.Id], await SearchAsync("erasable"));

        await Store.EraseContactsAsync(ann.Id, [ann.Id], [], "ticket 42", T0.AddDays(1), Cancel);

        Assert.Equal([bob.Id], await SearchAsync("erasable"));
        Assert.Empty(await SearchAsync("ann.eras"));
        Assert.Empty(await SearchAsync("an"));
        Assert.Equal([bob.Id], await TraitAsync("plan", "PRO"));

        // SQLite's full-text table deletes for good: a deleted row's trigrams leave its pages at once, not at a later merge.
        if (Store is SqliteCairnStore sqlite)
        {
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sqlite.DatabasePath, Mode = SqliteOpenMode.ReadOnly }.ToString());
            await connection.OpenAsync(Cancel);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT v FROM contacts_fts_config WHERE k = 'secure-delete'";
            Assert.Equal(1L, await command.ExecuteScalarAsync(Cancel));
        }
    }

    [Fact]
    public async Task Substring_PagesWithACursor_ThroughEveryMatch()
    {
        var ids = new List<ContactId>();
        await CommitAsync(batch =>
        {
            for (var i = 0; i < 23; i++)
            {
                var contact = Contact($"person{i}@pagination.test", $"Person {i}", null, T0.AddSeconds(i));
                batch.Contacts[contact.Id] = contact;
                ids.Add(contact.Id);
            }

            var other = Contact("other@elsewhere.test", "Other", null, T0);
            batch.Contacts[other.Id] = other;
        });

        foreach (var query in new[] { "pagination", "pe" })
        {
            var all = new List<ContactId>();
            string? cursor = null;
            do
            {
                var page = await Contacts.SearchContactsAsync(query, cursor, 5, Cancel);
                Assert.True(page.Items.Count <= 5);
                all.AddRange(page.Items.Select(contact => contact.Id));
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            Assert.Equal(ids.OrderBy(id => id.ToString()), all.OrderBy(id => id.ToString()));
        }

        await Assert.ThrowsAsync<InvalidCursorException>(() => Contacts.SearchContactsAsync("pagination", "bm90LWEtY3Vyc29y", 5, Cancel));
        await Assert.ThrowsAsync<InvalidCursorException>(() => Contacts.SearchContactsAsync("pe", "bm90LWEtY3Vyc29y", 5, Cancel));
        await Assert.ThrowsAsync<ArgumentException>(() => Contacts.SearchContactsAsync(new string('a', IContactStore.MaxSearchQuery + 1), null, 5, Cancel));
    }

    [Fact]
    public async Task Traits_MatchExactly_AnyCase_FollowChanges_SkipMerged_AndPage()
    {
        var ann = WithTraits(Contact("ann@example.com", "Ann", null, T0), ("plan", "\"Pro\""), ("seats", "12"), ("vip", "true"));
        var bob = WithTraits(Contact("bob@example.com", "Bob", null, T0), ("plan", "\"pro plus\""), ("seats", "120"));
        var merged = WithTraits(Contact("old@example.com", "Old", null, T0), ("plan", "\"pro\"")) with { MergedInto = ann.Id };
        var longValue = new string('x', 300);
        var cid = WithTraits(Contact("cid@example.com", "Cid", null, T0), ("note", JsonSerializer.Serialize(longValue + "a")));
        var dan = WithTraits(Contact("dan@example.com", "Dan", null, T0), ("note", JsonSerializer.Serialize(longValue + "b")));
        await CommitAsync(batch =>
        {
            foreach (var contact in new[] { ann, bob, merged, cid, dan })
            {
                batch.Contacts[contact.Id] = contact;
            }
        });

        Assert.Equal([ann.Id], await TraitAsync("plan", "PRO"));
        Assert.Equal([bob.Id], await TraitAsync("plan", "Pro Plus"));
        Assert.Equal([ann.Id], await TraitAsync("seats", "12"));
        Assert.Equal([ann.Id], await TraitAsync("vip", "true"));
        Assert.Empty(await TraitAsync("plan", "pr"));
        Assert.Empty(await TraitAsync("Plan", "pro"));
        Assert.Equal([ann.Id, bob.Id], await TraitAsync("plan", null));
        Assert.Equal([dan.Id], await TraitAsync("note", longValue + "B"));

        // A trait that changes moves the contact; one that is removed takes it out.
        await CommitAsync(batch => batch.Contacts[ann.Id] = WithTraits(ann, ("plan", "\"free\""), ("seats", "12")));
        Assert.Empty(await TraitAsync("plan", "pro"));
        Assert.Equal([ann.Id], await TraitAsync("plan", "free"));
        Assert.Empty(await TraitAsync("vip", null));

        // Paging: every holder of a value, each once.
        var holders = new List<ContactId>();
        await CommitAsync(batch =>
        {
            for (var i = 0; i < 12; i++)
            {
                var contact = WithTraits(Contact($"h{i}@example.com", "H", null, T0), ("tier", i % 3 == 0 ? "\"gold\"" : "\"silver\""));
                batch.Contacts[contact.Id] = contact;
                holders.Add(contact.Id);
            }
        });
        foreach (var value in new[] { "gold", null })
        {
            var all = new List<ContactId>();
            string? cursor = null;
            do
            {
                var page = await Contacts.FindContactsByTraitAsync("tier", value, cursor, 3, Cancel);
                all.AddRange(page.Items.Select(contact => contact.Id));
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            Assert.Equal(value is null ? holders.OrderBy(id => id.ToString()) : holders.Where((_, i) => i % 3 == 0).OrderBy(id => id.ToString()), all.OrderBy(id => id.ToString()));
            Assert.Equal(all.Count, all.Distinct().Count());
        }

        await Assert.ThrowsAsync<InvalidCursorException>(() => Contacts.FindContactsByTraitAsync("tier", "gold", "bm90LWEtY3Vyc29y", 3, Cancel));
    }

    [Fact]
    public async Task AProfileOnlyWrite_ChangesTheProfileAndItsTimes_KeepsEveryIndexedColumn_AndInsertsAMissingRowWhole()
    {
        var ann = WithTraits(Contact("ann.quillfeather@example.com", "Ann Lee", "u-ann", T0), ("tier", "\"gold\""));
        await CommitAsync(batch => batch.Contacts[ann.Id] = ann);

        var counted = ann with { EventCount = 7, LastSeen = T0.AddHours(2), UpdatedAt = T0.AddHours(2) };
        var bob = Contact("bob@quill.example.org", "Bob Stone", "u-bob", T0.AddSeconds(1));
        await CommitAsync(batch =>
        {
            batch.Contacts[ann.Id] = counted;
            batch.Contacts[bob.Id] = bob;
            batch.ProfilesOnly.Add(ann.Id);
            batch.ProfilesOnly.Add(bob.Id);
        });

        var read = await Contacts.GetContactAsync(ann.Id, Cancel);
        Assert.Equal((7L, T0.AddHours(2), T0.AddHours(2)), (read!.EventCount, read.LastSeen, read.UpdatedAt));
        Assert.Equal([ann.Id], await SearchAsync("quillfeather"));
        Assert.Equal([ann.Id], await TraitAsync("tier", "gold"));
        Assert.Equal([ann.Id], await Contacts.FindContactsByEmailAsync("ann.quillfeather@example.com", Cancel));
        Assert.Equal([ann.Id], await SearchAsync("u-ann"));

        // Bob had no row: inserted whole, indexes and all.
        Assert.Equal([bob.Id], await SearchAsync("stone"));
        Assert.Equal([bob.Id], await Contacts.FindContactsByEmailAsync("bob@quill.example.org", Cancel));
        Assert.Equal(bob.Email, (await Contacts.GetContactAsync(bob.Id, Cancel))!.Email);
    }

    private async Task<List<ContactId>> SearchAsync(string query) =>
        [.. (await Contacts.SearchContactsAsync(query, null, 100, Cancel)).Items.Select(contact => contact.Id)];

    private async Task<List<ContactId>> TraitAsync(string trait, string? value) =>
        [.. (await Contacts.FindContactsByTraitAsync(trait, value, null, 100, Cancel)).Items.Select(contact => contact.Id)];

    /// <summary>The contact with these traits (each value as JSON) besides its name and email.</summary>
    private static ContactState WithTraits(ContactState contact, params (string Name, string Json)[] traits)
    {
        var all = contact.Traits.Where(trait => trait.Key is "name" or "email").ToImmutableSortedDictionary(StringComparer.Ordinal);
        foreach (var (name, json) in traits)
        {
            using var document = JsonDocument.Parse(json);
            all = all.SetItem(name, new TraitValue(document.RootElement.Clone(), T0));
        }

        return contact with { Traits = all };
    }
}

public sealed class SqliteContactSearchTests() : ContactSearchCompliance(new SqliteProvider());

public sealed class PostgreSqlContactSearchTests(PostgresFixture postgres) : ContactSearchCompliance(new PostgreSqlProvider(postgres));
