using System.Collections.Immutable;
using Cairn.Core.Journeys;

namespace Cairn.Core.Sales;

/// <summary>What happens when an owner does not acknowledge a hand-off within the team's SLA.</summary>
public enum Escalation
{
    /// <summary>The owner's manager gets the alert too; the lead stays with the owner.</summary>
    Manager,

    /// <summary>The lead is routed to another owner, who gets the alert and a fresh SLA.</summary>
    Reroute,
}

/// <summary>A sales rep who receives hand-offs.</summary>
/// <param name="Id">Unique in the team; stored on the contact as the <c>owner</c> trait.</param>
/// <param name="Name">Shown in alerts.</param>
/// <param name="Email">The rep's address (alerts go to the webhook; the address is for people and CRMs).</param>
/// <param name="Webhook">Where the rep's alerts are posted; the team's webhook when null.</param>
/// <param name="Manager">The owner id escalations go to.</param>
/// <param name="Accounts">Email domains of the accounts the rep owns: a lead from one of them is theirs.</param>
public sealed record SalesOwner(string Id, string Name, string? Email, Uri? Webhook, string? Manager, ImmutableArray<string> Accounts);

/// <summary>Leads for whom <see cref="When"/> holds (always when null) go to <see cref="Owners"/>, in turn.</summary>
public sealed record RoutingRule(string Name, Condition? When, ImmutableArray<string> Owners);

/// <summary>
/// A sales team: its owners, how leads are routed to them, where alerts go and the acknowledgement SLA. A journey
/// whose <c>owner</c> is the team's id hands its <c>notify_owner</c> alerts to the team.
/// </summary>
/// <param name="Id">Unique in the workspace.</param>
/// <param name="Name">Shown in the UI and the API.</param>
/// <param name="Webhook">Where alerts are posted unless the owner has a webhook.</param>
/// <param name="Sla">How long an owner has to acknowledge; null for no SLA.</param>
/// <param name="Escalation">What a missed SLA does.</param>
/// <param name="AcknowledgeEvents">Events on the contact that acknowledge its open hand-offs (a CRM's <c>deal_stage_changed</c>).</param>
/// <param name="Owners">The reps.</param>
/// <param name="Routing">Rules in order; the first that holds routes the lead.</param>
/// <param name="AccountMatching">A lead whose email domain another lead of the team was routed from goes to that owner.</param>
/// <param name="Location">Where it is written.</param>
public sealed record SalesTeam(
    string Id,
    string Name,
    Uri? Webhook,
    TimeSpan? Sla,
    Escalation Escalation,
    ImmutableArray<string> AcknowledgeEvents,
    ImmutableArray<SalesOwner> Owners,
    ImmutableArray<RoutingRule> Routing,
    bool AccountMatching,
    SourceLocation Location)
{
    /// <summary>The owner with the id, if in the team.</summary>
    public SalesOwner? Owner(string? id) => id is null ? null : Owners.FirstOrDefault(owner => owner.Id == id);

    /// <summary>Where an alert for <paramref name="owner"/> is posted: the owner's webhook, else the team's.</summary>
    public Uri? WebhookFor(string? owner) => Owner(owner)?.Webhook ?? Webhook;
}

/// <summary>A hand-off waiting for its owner's acknowledgement, kept on the contact.</summary>
/// <param name="Id">The hand-off id (the alert's message id).</param>
/// <param name="Team">The team's id.</param>
/// <param name="Owner">The owner it was routed to, if any.</param>
/// <param name="CreatedAt">When it was handed off.</param>
/// <param name="DueAt">When the SLA runs out (null: no SLA, or already escalated to a manager).</param>
/// <param name="Escalations">How many times it was escalated.</param>
public sealed record OpenHandOff(string Id, string Team, string? Owner, DateTimeOffset CreatedAt, DateTimeOffset? DueAt, int Escalations);
