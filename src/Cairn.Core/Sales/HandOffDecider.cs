using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Core.Sales;

/// <summary>The workspace-wide memory routing needs beyond one contact: whose turn it is, and who owns an account.</summary>
public interface IOwnerRotation
{
    /// <summary>The next of <paramref name="candidates"/> (owner ids of the team) to get a lead, recording that it got one at <paramref name="now"/>.</summary>
    string TakeTurn(string team, IReadOnlyList<string> candidates, DateTimeOffset now);

    /// <summary>The owner the team last routed a lead from <paramref name="domain"/> to, if any.</summary>
    string? AccountOwner(string team, string domain);
}

/// <summary>Who a lead was routed to, and why.</summary>
/// <param name="Owner">The owner's id; null when nothing routed the lead (the alert goes to the team).</param>
/// <param name="By">Why, in words: <c>existing owner</c>, <c>account example.com</c>, <c>rule enterprise</c>, or that no rule matched.</param>
/// <param name="Domain">The lead's email domain when it is a company domain (for account matching later).</param>
public sealed record Routed(string? Owner, string By, string? Domain);

/// <summary>
/// The sales hand-off, decided per contact: routing a lead to exactly one owner (the owner it has, its account's owner,
/// or the first routing rule that holds, in turn), opening the hand-off with its SLA, acknowledging it, and escalating
/// it when the SLA runs out. No I/O; the workspace-wide turn order and account memory come in through
/// <see cref="IOwnerRotation"/>.
/// </summary>
public static class HandOffDecider
{
    /// <summary>The trait holding the id of the contact's owner.</summary>
    public const string OwnerTrait = "owner";

    // Addresses at these domains are people, not accounts: they never match an account.
    private static readonly FrozenSet<string> FreeMail = new[]
    {
        "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "msn.com", "icloud.com", "me.com",
        "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de", "yandex.ru", "mail.ru", "qq.com", "163.com",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Routes the contact to one owner of <paramref name="team"/>.</summary>
    /// <param name="team">The team.</param>
    /// <param name="profile">The lead.</param>
    /// <param name="rotation">Turn order and account memory.</param>
    /// <param name="now">When.</param>
    /// <param name="exclude">An owner who must not get the lead (re-routing after a missed SLA); the existing owner is then ignored too.</param>
    public static Routed Route(SalesTeam team, ContactState profile, IOwnerRotation rotation, DateTimeOffset now, string? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(team);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(rotation);
        var domain = CompanyDomain(profile.Email);
        if (exclude is null && team.Owner(profile.TraitString(OwnerTrait)) is { } existing)
        {
            return new Routed(existing.Id, "existing owner", domain);
        }

        if (domain is not null)
        {
            var owner = team.Owners.FirstOrDefault(o => o.Id != exclude && o.Accounts.Contains(domain, StringComparer.OrdinalIgnoreCase))?.Id
                ?? (team.AccountMatching && rotation.AccountOwner(team.Id, domain) is { } learned && learned != exclude && team.Owner(learned) is not null ? learned : null);
            if (owner is not null)
            {
                return new Routed(owner, $"account {domain}", domain);
            }
        }

        var context = new EvaluationContext(profile, null, null, [], now);
        foreach (var rule in team.Routing)
        {
            if (rule.When is not null && !ConditionEvaluator.Holds(rule.When, context))
            {
                continue;
            }

            var candidates = rule.Owners.Where(owner => owner != exclude).ToList();
            if (candidates.Count > 0)
            {
                return new Routed(rotation.TakeTurn(team.Id, candidates, now), $"rule {rule.Name}", domain);
            }
        }

        return new Routed(null, "no routing rule matched", domain);
    }

    /// <summary>Opens hand-off <paramref name="id"/>: the contact gets the owner (the <c>owner</c> trait) and an open hand-off with the team's SLA.</summary>
    public static (ContactState Profile, OpenHandOff HandOff) Open(ContactState profile, SalesTeam team, string id, Routed routed, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(team);
        ArgumentNullException.ThrowIfNull(routed);
        var handOff = new OpenHandOff(id, team.Id, routed.Owner, now, team.Sla is { } sla ? now + sla : null, 0);
        return (WithOwner(profile, routed.Owner, now) with { HandOffs = profile.HandOffs.Add(handOff) }, handOff);
    }

    /// <summary>Acknowledges the open hand-off <paramref name="id"/>, or every open one when null; returns those acknowledged.</summary>
    public static (ContactState Profile, ImmutableArray<OpenHandOff> Acknowledged) Acknowledge(ContactState profile, string? id)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var acknowledged = profile.HandOffs.Where(handOff => id is null || handOff.Id == id).ToImmutableArray();
        return acknowledged.IsEmpty ? (profile, acknowledged) : (profile with { HandOffs = profile.HandOffs.RemoveRange(acknowledged) }, acknowledged);
    }

    /// <summary>The open hand-offs an event acknowledges (it is one of their team's acknowledgement events).</summary>
    public static IEnumerable<OpenHandOff> AcknowledgedBy(ContactState profile, string eventName, Func<string, SalesTeam?> teams)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(teams);
        return profile.HandOffs.Where(handOff => teams(handOff.Team)?.AcknowledgeEvents.Contains(eventName) == true);
    }

    /// <summary>
    /// The SLA of hand-off <paramref name="id"/> ran out at <paramref name="now"/>: escalates it. With
    /// <see cref="Escalation.Manager"/> the owner's manager is alerted (once); with <see cref="Escalation.Reroute"/> the
    /// lead goes to another owner with a fresh SLA. Null when the hand-off is no longer open or not yet due.
    /// </summary>
    /// <returns>The contact, the hand-off after escalation, and who is alerted now.</returns>
    public static (ContactState Profile, OpenHandOff HandOff, string? AlertTo, string By)? Escalate(ContactState profile, SalesTeam team, string id, IOwnerRotation rotation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(team);
        if (profile.HandOffs.FirstOrDefault(handOff => handOff.Id == id) is not { DueAt: { } due } open || due > now)
        {
            return null;
        }

        if (team.Escalation == Escalation.Manager)
        {
            var manager = team.Owner(open.Owner)?.Manager;
            var escalated = open with { DueAt = null, Escalations = open.Escalations + 1 };
            return (profile with { HandOffs = profile.HandOffs.Replace(open, escalated) }, escalated, manager, manager is null ? "no manager: the team is alerted" : $"manager {manager}");
        }

        var routed = Route(team, profile, rotation, now, exclude: open.Owner);
        var rerouted = open with { Owner = routed.Owner ?? open.Owner, DueAt = team.Sla is { } sla ? now + sla : null, Escalations = open.Escalations + 1 };
        return (WithOwner(profile, rerouted.Owner, now) with { HandOffs = profile.HandOffs.Replace(open, rerouted) }, rerouted, rerouted.Owner, $"re-routed: {routed.By}");
    }

    /// <summary>The domain of a company address; null for none, or a free-mail provider's.</summary>
    public static string? CompanyDomain(string? email)
    {
        var at = email?.LastIndexOf('@') ?? -1;
        var domain = at < 0 ? null : email![(at + 1)..].ToLowerInvariant();
        return domain is { Length: > 0 } && !FreeMail.Contains(domain) ? domain : null;
    }

    private static ContactState WithOwner(ContactState profile, string? owner, DateTimeOffset now) =>
        owner is null || profile.TraitString(OwnerTrait) == owner
            ? profile
            : profile with { Traits = profile.Traits.SetItem(OwnerTrait, new TraitValue(JsonSerializer.SerializeToElement(owner), now)), UpdatedAt = now };

}
