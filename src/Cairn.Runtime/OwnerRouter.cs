using Cairn.Core.Sales;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>
/// The workspace-wide memory of routing, shared by every partition: leads go to the candidate who waited longest
/// for one (round-robin that survives restarts and changes to the owner list), and an account's email domain
/// stays with the owner its first lead went to. Loaded from the stored hand-offs at start.
/// </summary>
public sealed class OwnerRouter : IOwnerRotation
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Team, string Owner), DateTimeOffset> _lastAssigned = [];
    private readonly Dictionary<(string Team, string Domain), string> _accounts = [];

    /// <summary>Reads what the stored hand-offs remember.</summary>
    public async Task LoadAsync(ICairnStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var (accounts, lastAssigned) = await store.GetRoutingMemoryAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var (team, domain, owner) in accounts)
            {
                _accounts.TryAdd((team, domain), owner);
            }

            foreach (var (team, owner, at) in lastAssigned)
            {
                _lastAssigned[(team, owner)] = at;
            }
        }
    }

    /// <inheritdoc />
    public string TakeTurn(string team, IReadOnlyList<string> candidates, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        lock (_gate)
        {
            // Never assigned first (in the listed order), then the longest wait.
            var next = candidates
                .Select((owner, index) => (owner, index, last: _lastAssigned.TryGetValue((team, owner), out var at) ? at : DateTimeOffset.MinValue))
                .OrderBy(candidate => candidate.last)
                .ThenBy(candidate => candidate.index)
                .First()
                .owner;
            // Strictly later than every earlier turn, so turns taken in the same instant still rotate.
            var latest = _lastAssigned.Values.DefaultIfEmpty(DateTimeOffset.MinValue).Max();
            _lastAssigned[(team, next)] = now > latest ? now : latest.AddTicks(1);
            return next;
        }
    }

    /// <inheritdoc />
    public string? AccountOwner(string team, string domain)
    {
        lock (_gate)
        {
            return _accounts.GetValueOrDefault((team, domain));
        }
    }

    /// <summary>Remembers that a lead from <paramref name="domain"/> went to <paramref name="owner"/> (the first owner of a domain keeps it).</summary>
    public void Remember(string team, string? domain, string? owner)
    {
        if (domain is null || owner is null)
        {
            return;
        }

        lock (_gate)
        {
            _accounts.TryAdd((team, domain), owner);
        }
    }
}
