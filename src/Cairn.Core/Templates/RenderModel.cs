using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Core.Templates;

/// <summary>Where a message comes from and the links it carries (absent in a preview without a message).</summary>
/// <param name="MessageId">The outbox message id.</param>
/// <param name="JourneyId">The journey that sent it.</param>
/// <param name="StepId">The send step.</param>
/// <param name="Arm">The experiment arm the contact is in, when the journey split them.</param>
/// <param name="UnsubscribeUrl">The one-page unsubscribe link (email).</param>
/// <param name="PreferencesUrl">The subscription preferences page.</param>
public sealed record MessageContext(string MessageId, string? JourneyId, string? StepId, string? Arm, string? UnsubscribeUrl, string? PreferencesUrl)
{
    /// <summary>The double opt-in confirmation link (confirmation messages only).</summary>
    public string? ConfirmUrl { get; init; }
}

/// <summary>
/// What a template can read: <c>contact</c> (every trait, plus <c>id</c>, <c>email</c>, <c>phone</c>, <c>user_id</c>,
/// <c>timezone</c>, <c>stage</c>, <c>tags</c>, <c>scores</c> by model and <c>segments</c>), <c>event</c> (the trigger
/// event's properties, or the payload of an API enrollment), <c>events</c> (recent events, newest first: <c>name</c>,
/// <c>timestamp</c>, <c>properties</c>), <c>journey</c> (<c>id</c>, <c>step</c>, <c>arm</c>), <c>message</c>
/// (<c>id</c>, <c>unsubscribe_url</c>, <c>preferences_url</c>; <c>confirm_url</c> in a double opt-in confirmation) and
/// <c>workspace</c> (its settings).
/// </summary>
public sealed record RenderModel(
    JsonElement Contact,
    JsonElement Event,
    JsonElement Events,
    JsonElement Journey,
    JsonElement Message,
    JsonElement Workspace)
{
    /// <summary>How many recent events a template sees.</summary>
    public const int RecentEvents = 20;

    /// <summary>The model of one contact's message.</summary>
    public static RenderModel For(
        ContactState contact,
        DateTimeOffset now,
        JsonElement? payload,
        IReadOnlyList<PastEvent> recent,
        MessageContext? message,
        JsonElement? workspace)
    {
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(recent);
        var profile = new JsonObject();
        foreach (var (name, trait) in contact.Traits)
        {
            profile[name] = JsonNode.Parse(trait.Value.GetRawText());
        }

        profile["id"] = contact.Id.ToString();
        Set(profile, "user_id", contact.UserId);
        Set(profile, "email", contact.Email);
        Set(profile, "phone", contact.Phone);
        Set(profile, "timezone", contact.TimeZone);
        Set(profile, "stage", contact.TraitString(ConditionEvaluator.StageTrait));
        profile["tags"] = new JsonArray([.. ConditionEvaluator.Tags(contact).Order(StringComparer.Ordinal).Select(tag => (JsonNode?)tag)]);
        profile["segments"] = new JsonArray([.. contact.Segments.Keys.Select(segment => (JsonNode?)segment)]);
        var scores = new JsonObject();
        foreach (var (model, score) in contact.Scores)
        {
            scores[model] = Math.Round(score.ValueAt(now), 1);
        }

        profile["scores"] = scores;

        var events = new JsonArray();
        foreach (var past in recent.OrderByDescending(past => past.Timestamp).Take(RecentEvents))
        {
            events.Add(new JsonObject
            {
                ["name"] = past.Name,
                ["timestamp"] = past.Timestamp.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["properties"] = past.Properties is { ValueKind: JsonValueKind.Object } properties ? JsonNode.Parse(properties.GetRawText()) : new JsonObject(),
            });
        }

        var journey = new JsonObject();
        var links = new JsonObject();
        if (message is not null)
        {
            Set(journey, "id", message.JourneyId);
            Set(journey, "step", message.StepId);
            Set(journey, "arm", message.Arm);
            links["id"] = message.MessageId;
            Set(links, "unsubscribe_url", message.UnsubscribeUrl);
            Set(links, "preferences_url", message.PreferencesUrl);
            Set(links, "confirm_url", message.ConfirmUrl);
        }

        return new RenderModel(
            JsonSerializer.SerializeToElement(profile),
            EventOf(payload),
            JsonSerializer.SerializeToElement(events),
            JsonSerializer.SerializeToElement(journey),
            JsonSerializer.SerializeToElement(links),
            workspace is { ValueKind: JsonValueKind.Object } settings ? settings : EmptyObject);
    }

    /// <summary>The model of a template's sample data (apply-time validation and previews without a contact).</summary>
    public static RenderModel Sample(JsonElement? sample, MessageContext message, JsonElement? workspace)
    {
        JsonElement Part(string name, JsonElement fallback) =>
            sample is { ValueKind: JsonValueKind.Object } data && data.TryGetProperty(name, out var value) ? value : fallback;

        return new RenderModel(
            Part("contact", DefaultContact),
            Part("event", EmptyObject),
            Part("events", JsonSerializer.SerializeToElement(Array.Empty<object>())),
            Part("journey", JsonSerializer.SerializeToElement(new { id = "sample-journey", step = "sample-step" })),
            JsonSerializer.SerializeToElement(new { id = message.MessageId, unsubscribe_url = message.UnsubscribeUrl, preferences_url = message.PreferencesUrl, confirm_url = message.ConfirmUrl ?? "https://example.com/c/sample" }),
            Part("workspace", workspace is { ValueKind: JsonValueKind.Object } settings ? settings : DefaultWorkspace));
    }

    private static readonly JsonElement EmptyObject = JsonSerializer.SerializeToElement(new { });

    // A template without its own sample is checked against this contact: the common traits, nothing exotic.
    private static readonly JsonElement DefaultContact = JsonSerializer.SerializeToElement(new
    {
        id = "c_sample",
        user_id = "sample-user",
        email = "sample@example.com",
        phone = "+14155550100",
        first_name = "Sam",
        last_name = "Sample",
        name = "Sam Sample",
        timezone = "UTC",
        stage = "lead",
        tags = Array.Empty<string>(),
        segments = Array.Empty<string>(),
        scores = new { },
    });

    private static readonly JsonElement DefaultWorkspace = JsonSerializer.SerializeToElement(new
    {
        name = "Sample Company",
        address = "1 Sample Street, Springfield",
        url = "https://example.com",
    });

    /// <summary>
    /// What <c>event</c> is: the trigger event's properties when the enrollment started from an event (a Segment
    /// message), else the enrollment payload itself (an API enrollment).
    /// </summary>
    private static JsonElement EventOf(JsonElement? payload)
    {
        if (payload is not { ValueKind: JsonValueKind.Object } trigger)
        {
            return EmptyObject;
        }

        if (trigger.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && trigger.TryGetProperty("messageId", out _))
        {
            return trigger.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object ? properties : EmptyObject;
        }

        return trigger;
    }

    private static void Set(JsonObject target, string name, string? value)
    {
        if (value is not null)
        {
            target[name] = value;
        }
    }
}
