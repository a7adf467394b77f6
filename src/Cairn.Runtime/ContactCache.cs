using Cairn.Core;
using Cairn.Core.Contacts;

namespace Cairn.Runtime;

/// <summary>
/// A partition's contact profiles kept between batches, at most <c>capacity</c> of them, in two generations: the recent
/// one holds what the batches since it started loaded, decided or looked up; the older one what came before. Once the
/// recent generation holds half the bound, the older one is dropped and the recent one takes its place — the contacts
/// of the last batches stay, instead of the whole cache going at once when full and every contact being read again. A
/// contact looked up in the older generation moves to the recent one.
/// </summary>
/// <remarks>
/// Only <see cref="Trim"/> drops anything, and the partition calls it after a batch commits: every contact a batch loaded
/// stays until its turns are decided and written.
/// </remarks>
internal sealed class ContactCache(int capacity)
{
    private Dictionary<ContactId, ContactState> _recent = [];
    private Dictionary<ContactId, ContactState> _older = [];

    /// <summary>How many profiles are held.</summary>
    public int Count => _recent.Count + _older.Count;

    /// <summary>True when the contact's profile is held.</summary>
    public bool Contains(ContactId id) => _recent.ContainsKey(id) || _older.ContainsKey(id);

    /// <summary>The contact's profile when it is held (moving it to the recent generation), else null.</summary>
    public ContactState? Get(ContactId id)
    {
        if (_recent.TryGetValue(id, out var state))
        {
            return state;
        }

        if (_older.Remove(id, out state))
        {
            _recent[id] = state;
            return state;
        }

        return null;
    }

    /// <summary>Holds <paramref name="state"/> as the contact's profile, in the recent generation.</summary>
    public void Set(ContactId id, ContactState state)
    {
        _older.Remove(id);
        _recent[id] = state;
    }

    /// <summary>Forgets the contact's profile.</summary>
    public void Remove(ContactId id)
    {
        _recent.Remove(id);
        _older.Remove(id);
    }

    /// <summary>Forgets every profile (after a failed batch, whose contacts may differ from the store).</summary>
    public void Clear()
    {
        _recent.Clear();
        _older.Clear();
    }

    /// <summary>
    /// Makes room for <paramref name="incoming"/> profiles: when the recent generation would pass half the bound, the
    /// older generation is dropped and the recent one becomes it; when the whole would still pass the bound, the older
    /// generation goes too.
    /// </summary>
    public void Trim(int incoming)
    {
        if (_recent.Count + incoming > capacity / 2)
        {
            // The dropped generation's dictionary is kept, emptied, as the new recent one: its table is reused, not reallocated.
            (_older, _recent) = (_recent, _older);
            _recent.Clear();
        }

        if (Count + incoming > capacity)
        {
            _older.Clear();
        }
    }
}
