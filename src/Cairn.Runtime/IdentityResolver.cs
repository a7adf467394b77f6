using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>The contact a message belongs to, and what resolving it changed.</summary>
/// <param name="ContactId">The contact the message goes to.</param>
/// <param name="Absorb">A contact found to be the same person, to be merged into <paramref name="ContactId"/>.</param>
/// <param name="Mapped">Identities that now point at <paramref name="ContactId"/> and must be persisted.</param>
internal readonly record struct Resolution(ContactId ContactId, ContactId? Absorb, IReadOnlyList<IdentityKey> Mapped);

/// <summary>
/// Identity resolution: maps user ids and anonymous ids to contacts, creating contacts for new people and
/// deciding merges (identify after anonymous, alias). Holds the whole map in memory, loaded at start-up;
/// one lock guards it, since each resolution is a few dictionary operations.
/// </summary>
/// <remarks>
/// Sized for a million contacts: each contact's identities are an array of exactly its keys (most have one or two), and
/// its user id is the first user-id key among them, not a third dictionary. A list per contact and a contact → user id
/// map held about 115 MB more at 1,000,000 contacts.
/// </remarks>
internal sealed class IdentityResolver(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IdentityKey, ContactId> _contacts = [];
    private readonly Dictionary<ContactId, IdentityKey[]> _identities = [];

    /// <summary>How many identities are mapped.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _contacts.Count;
            }
        }
    }

    /// <summary>Adds a stored mapping (start-up load).</summary>
    public void Load(IdentityMapping mapping)
    {
        lock (_gate)
        {
            Map(mapping.Identity, mapping.ContactId);
        }
    }

    /// <summary>Points every identity of <paramref name="from"/> at <paramref name="into"/> (resuming a merge).</summary>
    public void Redirect(ContactId from, ContactId into)
    {
        lock (_gate)
        {
            MoveAll(from, into);
        }
    }

    /// <summary>Forgets every identity of a contact (it is being erased); returns them.</summary>
    public IReadOnlyList<IdentityKey> Forget(ContactId contact)
    {
        lock (_gate)
        {
            if (!_identities.Remove(contact, out var list))
            {
                return [];
            }

            foreach (var identity in list)
            {
                _contacts.Remove(identity);
            }

            return list;
        }
    }

    /// <summary>The contact an identity resolves to now, when any.</summary>
    public ContactId? Find(IdentityKey identity)
    {
        lock (_gate)
        {
            return _contacts.TryGetValue(identity, out var id) ? id : null;
        }
    }

    /// <summary>Resolves a message to its contact, creating or merging contacts as needed.</summary>
    public Resolution Resolve(SegmentMessage message)
    {
        var user = message.UserId is { } userId ? IdentityKey.User(userId) : (IdentityKey?)null;
        IdentityKey? other = message.Type == MessageType.Alias && message.PreviousId is { } previousId
            ? AliasTarget(previousId)
            : message.AnonymousId is { } anonymousId ? IdentityKey.Anonymous(anonymousId) : null;

        lock (_gate)
        {
            ContactId? byUser = user is { } u && _contacts.TryGetValue(u, out var a) ? a : null;
            ContactId? byOther = other is { } o && _contacts.TryGetValue(o, out var b) ? b : null;
            var mapped = new List<IdentityKey>(2);

            if (byUser is null && byOther is null)
            {
                var created = new ContactId(Guid.CreateVersion7(time.GetUtcNow()));
                MapNew(user, created, mapped);
                MapNew(other, created, mapped);
                return new Resolution(created, null, mapped);
            }

            if (byUser is { } owner)
            {
                if (byOther is null || byOther == owner)
                {
                    MapNew(other, owner, mapped);
                    return new Resolution(owner, null, mapped);
                }

                var found = byOther.Value;
                if (UserIdOf(found) is { } foundUser && foundUser != user!.Value.Value)
                {
                    // A device another known user used before: the id now follows this user; no merge.
                    Reassign(other!.Value, owner, mapped);
                    return new Resolution(owner, null, mapped);
                }

                MoveAll(found, owner);
                return new Resolution(owner, found, mapped);
            }

            var contact = byOther!.Value;
            if (user is { } newUser)
            {
                if (UserIdOf(contact) is { } knownUser && knownUser != newUser.Value)
                {
                    // The anonymous id belongs to another identified person: this is a new person on that device.
                    var created = new ContactId(Guid.CreateVersion7(time.GetUtcNow()));
                    MapNew(user, created, mapped);
                    Reassign(other!.Value, created, mapped);
                    return new Resolution(created, null, mapped);
                }

                MapNew(user, contact, mapped);
            }

            return new Resolution(contact, null, mapped);
        }
    }

    private IdentityKey AliasTarget(string previousId)
    {
        // Segment's previousId may be an earlier user id or an anonymous id.
        lock (_gate)
        {
            var asUser = IdentityKey.User(previousId);
            return _contacts.ContainsKey(asUser) ? asUser : IdentityKey.Anonymous(previousId);
        }
    }

    private void MapNew(IdentityKey? identity, ContactId contact, List<IdentityKey> mapped)
    {
        if (identity is { } key && !_contacts.ContainsKey(key))
        {
            Map(key, contact);
            mapped.Add(key);
        }
    }

    private void Reassign(IdentityKey identity, ContactId contact, List<IdentityKey> mapped)
    {
        if (_contacts.TryGetValue(identity, out var previous) && _identities.TryGetValue(previous, out var keys))
        {
            var index = Array.IndexOf(keys, identity);
            if (index >= 0)
            {
                _identities[previous] = [.. keys[..index], .. keys[(index + 1)..]];
            }
        }

        Map(identity, contact);
        mapped.Add(identity);
    }

    private void Map(IdentityKey identity, ContactId contact)
    {
        _contacts[identity] = contact;
        if (!_identities.TryGetValue(contact, out var keys))
        {
            _identities[contact] = [identity];
        }
        else if (Array.IndexOf(keys, identity) < 0)
        {
            _identities[contact] = [.. keys, identity];
        }
    }

    /// <summary>The contact's user id: its first user-id key, in the order they were mapped.</summary>
    private string? UserIdOf(ContactId contact)
    {
        if (_identities.TryGetValue(contact, out var keys))
        {
            foreach (var key in keys)
            {
                if (key.Kind == IdentityKind.UserId)
                {
                    return key.Value;
                }
            }
        }

        return null;
    }

    private void MoveAll(ContactId from, ContactId into)
    {
        if (!_identities.Remove(from, out var keys))
        {
            return;
        }

        foreach (var identity in keys)
        {
            Map(identity, into);
        }
    }
}
