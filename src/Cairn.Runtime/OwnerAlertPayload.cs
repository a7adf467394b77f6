using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;
using Cairn.Core.Turns;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>The payload of an owner alert (a hand-off or an escalation), as the owner channel delivers it.</summary>
internal static class OwnerAlertPayload
{
    /// <summary>How many recent events an alert carries.</summary>
    public const int Timeline = 20;

    /// <summary>
    /// Where the alert goes (<c>deliverTo</c>), the hand-off with its SLA and acknowledgement link, the owner, the
    /// contact (traits, stage, scores with their latest contributions) and the behaviour timeline (the newest
    /// <see cref="Timeline"/> of <paramref name="events"/>), so sales sees why.
    /// </summary>
    public static string Render(ContactState contact, AlertOwner alert, IEnumerable<StoredEvent> events, DateTimeOffset now)
    {
        var timeline = events
            .OrderByDescending(e => e.Timestamp)
            .Take(Timeline)
            .Select(e =>
            {
                using var document = JsonDocument.Parse(e.Json);
                var properties = document.RootElement.TryGetProperty("properties", out var value) ? value.Clone() : (JsonElement?)null;
                return new { type = e.Type.ToWireName(), name = e.Name, timestamp = e.Timestamp, properties };
            })
            .ToList();
        object? Person(string? ownerId) => alert.Team?.Owner(ownerId) is { } owner ? new { id = owner.Id, name = owner.Name, email = owner.Email } : null;
        return JsonSerializer.Serialize(new
        {
            kind = alert.Kind,
            deliverTo = alert.Team?.WebhookFor(alert.Owner)?.ToString(),
            message = alert.Message,
            journey = alert.AboutJourney,
            handoff = alert.HandOff is { } handOff
                ? new { id = handOff.Id, team = handOff.Team, routedBy = alert.RoutedBy, createdAt = handOff.CreatedAt, dueAt = handOff.DueAt, escalations = handOff.Escalations, acknowledge = $"/api/handoffs/{Uri.EscapeDataString(handOff.Id)}/ack" }
                : null,
            owner = alert.Team is null ? (object?)alert.Owner : Person(alert.Owner),
            escalatedFrom = Person(alert.EscalatedFrom),
            contact = new
            {
                id = contact.Id.ToString(),
                userId = contact.UserId,
                email = contact.Email,
                name = contact.DisplayName,
                stage = contact.TraitString(ConditionEvaluator.StageTrait),
                traits = contact.Traits.ToDictionary(trait => trait.Key, trait => trait.Value.Value, StringComparer.Ordinal),
            },
            scores = contact.Scores.Select(score => new
            {
                model = score.Key,
                score = Math.Round(score.Value.ValueAt(now), 2),
                fit = Math.Round(score.Value.Fit, 2),
                contributions = score.Value.Contributions.Reverse().Take(10).Select(c => new { rule = c.Rule, @event = c.Event, at = c.At, points = Math.Round(c.Points, 2), now = Math.Round(c.ValueAt(now, score.Value.HalfLife), 2), count = c.Count }),
            }),
            timeline,
        });
    }
}
