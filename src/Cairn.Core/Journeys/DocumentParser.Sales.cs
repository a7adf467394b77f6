using Cairn.Core.Sales;
using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>Sales team documents (<c>kind: sales_team</c>): owners, routing, alerts and the acknowledgement SLA.</summary>
public static partial class DocumentParser
{
    /// <summary>The document kind of sales teams.</summary>
    public const string SalesTeamKind = "sales_team";

    private static SalesTeam? ReadSalesTeam(YamlMappingNode root, DocumentReader reader)
    {
        reader.OnlyKeys(root, "kind", "id", "name", "description", "webhook", "sla", "escalation", "acknowledge_on", "account_matching", "owners", "routing");
        var id = ReadId(root, reader, "sales team");
        var name = reader.String(root, "name", required: true) ?? string.Empty;
        var webhook = ReadWebhookUrl(root, reader);
        var sla = reader.Duration(root, "sla", required: false);
        var escalationText = reader.String(root, "escalation", required: false) ?? "manager";
        Escalation? escalation = escalationText switch { "manager" => Escalation.Manager, "reroute" => Escalation.Reroute, _ => null };
        if (escalation is null)
        {
            reader.Error(DocumentReader.Get(root, "escalation")!, $"escalation is 'manager' or 'reroute', not '{escalationText}'");
        }

        var acknowledgeOn = DocumentReader.Get(root, "acknowledge_on") is { } ackNode
            ? reader.Sequence(ackNode, "acknowledge_on").Select(node => reader.Scalar(node, "an event name")).OfType<string>().ToList()
            : ["deal_stage_changed"];
        var accountMatching = reader.Boolean(root, "account_matching") ?? true;

        var owners = new List<SalesOwner>();
        foreach (var node in reader.Sequence(DocumentReader.Get(root, "owners"), "owners"))
        {
            if (reader.Mapping(node, "an owner") is not { } map)
            {
                continue;
            }

            reader.OnlyKeys(map, "id", "name", "email", "webhook", "manager", "accounts");
            var ownerId = ReadId(map, reader, "owner");
            if (ownerId is not null && owners.Any(owner => owner.Id == ownerId))
            {
                reader.Error(map, $"the owner id '{ownerId}' is used twice in this team");
            }

            var accounts = reader.Sequence(DocumentReader.Get(map, "accounts"), "accounts").Select(a => reader.Scalar(a, "an email domain")).OfType<string>().Select(a => a.ToLowerInvariant());
            if (ownerId is not null)
            {
                owners.Add(new SalesOwner(
                    ownerId,
                    reader.String(map, "name", required: false) ?? ownerId,
                    reader.String(map, "email", required: false),
                    ReadWebhookUrl(map, reader),
                    reader.String(map, "manager", required: false),
                    [.. accounts]));
            }
        }

        if (owners.Count == 0 && !DocumentReader.Has(root, "owners"))
        {
            reader.Error(root, "'owners' is required: the reps leads are routed to");
        }

        var known = owners.Select(owner => owner.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var owner in owners.Where(owner => owner.Manager is not null && (!known.Contains(owner.Manager) || owner.Manager == owner.Id)))
        {
            reader.Error(root, owner.Manager == owner.Id ? $"owner '{owner.Id}' cannot be their own manager" : $"owner '{owner.Id}' has the manager '{owner.Manager}', who is not in the team");
        }

        var routing = new List<RoutingRule>();
        foreach (var node in reader.Sequence(DocumentReader.Get(root, "routing"), "routing"))
        {
            if (reader.Mapping(node, "a routing rule") is not { } map)
            {
                continue;
            }

            reader.OnlyKeys(map, "name", "when", "owners");
            var ruleName = reader.String(map, "name", required: true, "a routing rule");
            var when = ReadOptionalCondition(map, "when", reader, Subject.Trait);
            RequireProfileOnly(when, reader, "a routing rule's 'when'");

            var ruleOwners = reader.Sequence(DocumentReader.Get(map, "owners"), "owners").Select(o => reader.Scalar(o, "an owner id")).OfType<string>().ToList();
            if (ruleOwners.Count == 0)
            {
                reader.Error(map, "'owners' lists at least one owner id; leads go to them in turn");
            }

            foreach (var unknown in ruleOwners.Where(owner => !known.Contains(owner)))
            {
                reader.Error(map, $"the routing rule '{ruleName}' names '{unknown}', who is not in the team's owners");
            }

            if (ruleName is not null && routing.Any(rule => rule.Name == ruleName))
            {
                reader.Error(map, $"the routing rule name '{ruleName}' is used twice");
            }

            if (ruleName is not null)
            {
                routing.Add(new RoutingRule(ruleName, when, [.. ruleOwners]));
            }
        }

        return id is null || escalation is null
            ? null
            : new SalesTeam(id, name, webhook, sla, escalation.Value, [.. acknowledgeOn], [.. owners], [.. routing], accountMatching, DocumentReader.Location(root));
    }

    private static Uri? ReadWebhookUrl(YamlMappingNode map, DocumentReader reader)
    {
        if (reader.String(map, "webhook", required: false) is not { } text)
        {
            return null;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return uri;
        }

        reader.Error(DocumentReader.Get(map, "webhook")!, $"'webhook' must be an absolute http(s) URL, not '{text}'");
        return null;
    }

    /// <summary>
    /// Routing and orchestrator rules read the profile only (a segment can stand for anything about the contact's
    /// history), so they are decided without loading it.
    /// </summary>
    private static void RequireProfileOnly(Condition? when, DocumentReader reader, string what)
    {
        foreach (var leaf in Segments.SegmentConditions.Leaves(when).Where(leaf => leaf is Comparison { Subject: not Subject.Trait } or EventCondition
            || Segments.SegmentConditions.UsesHistory(leaf)))
        {
            reader.Error(leaf.Location.Line, $"{what} is a condition over the profile (traits, tags, stage, score, consent, in_segment); put event history in a segment and use in_segment");
        }
    }
}
