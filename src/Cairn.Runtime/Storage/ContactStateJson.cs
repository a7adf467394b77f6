using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;

namespace Cairn.Runtime.Storage;

/// <summary>
/// The persisted JSON form of <see cref="ContactState"/>, shared by every provider: the profile, without the active
/// enrollments (each is a row of its own, in <see cref="JourneyMembershipsJson"/>'s form; a reader adds them with
/// <see cref="JourneyMembershipsJson.WithActive"/>). Field names are stable aliases; renaming a C# member must not change them.
/// </summary>
public static class ContactStateJson
{
    /// <summary>Writes the state's profile as compact JSON (its active enrollments are not part of it).</summary>
    public static string Serialize(ContactState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return JsonText.Write(state, Write);
    }

    private static void Write(Utf8JsonWriter writer, ContactState state)
    {
        writer.WriteStartObject();
        writer.WriteString("id", state.Id.ToString());
        WriteOptional(writer, "userId", state.UserId);
        WriteStrings(writer, "anonymousIds", state.AnonymousIds);
        writer.WriteStartObject("traits");
        foreach (var (name, trait) in state.Traits)
        {
            writer.WriteStartObject(name);
            writer.WritePropertyName("v");
            trait.Value.WriteTo(writer);
            writer.WriteString("at", trait.UpdatedAt);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        WriteOptional(writer, "email", state.Email);
        WriteOptional(writer, "phone", state.Phone);
        WriteOptional(writer, "timeZone", state.TimeZone);
        WriteStrings(writer, "groups", state.Groups);
        writer.WriteString("firstSeen", state.FirstSeen);
        writer.WriteString("lastSeen", state.LastSeen);
        writer.WriteNumber("eventCount", state.EventCount);
        writer.WriteStartObject("eventCounts");
        foreach (var (name, count) in state.EventCounts)
        {
            writer.WriteNumber(name, count);
        }

        writer.WriteEndObject();
        WriteOptional(writer, "mergedInto", state.MergedInto?.ToString());
        writer.WriteString("createdAt", state.CreatedAt);
        writer.WriteString("updatedAt", state.UpdatedAt);
        // The active enrollments are rows of their own (JourneyMembershipsJson.Serialize), not part of the profile.
        if (!state.Journeys.History.IsEmpty)
        {
            writer.WritePropertyName("journeys");
            JourneyMembershipsJson.WriteHistory(writer, state.Journeys);
        }

        if (!state.Segments.IsEmpty)
        {
            writer.WriteStartObject("segments");
            foreach (var (segment, membership) in state.Segments)
            {
                writer.WriteStartObject(segment);
                writer.WriteString("enteredAt", membership.EnteredAt);
                writer.WriteString("reason", membership.Reason);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        if (!state.Consents.IsEmpty)
        {
            writer.WriteStartObject("consents");
            foreach (var (key, record) in state.Consents)
            {
                writer.WriteStartObject(key);
                writer.WriteString("state", Core.Consent.Consents.NameOf(record.State));
                writer.WriteString("source", record.Source);
                writer.WriteString("at", record.At);
                WriteOptional(writer, "proof", record.Proof);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        if (!state.HandOffs.IsEmpty)
        {
            writer.WriteStartArray("handOffs");
            foreach (var handOff in state.HandOffs)
            {
                writer.WriteStartObject();
                writer.WriteString("id", handOff.Id);
                writer.WriteString("team", handOff.Team);
                WriteOptional(writer, "owner", handOff.Owner);
                writer.WriteString("createdAt", handOff.CreatedAt);
                if (handOff.DueAt is { } due)
                {
                    writer.WriteString("dueAt", due);
                }

                writer.WriteNumber("escalations", handOff.Escalations);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (!state.Scores.IsEmpty)
        {
            writer.WriteStartObject("scores");
            foreach (var (model, score) in state.Scores)
            {
                writer.WriteStartObject(model);
                writer.WriteNumber("score", score.Score);
                writer.WriteString("at", score.ScoredAt);
                writer.WriteNumber("fit", score.Fit);
                if (score.HalfLife is { } halfLife)
                {
                    writer.WriteNumber("halfLifeSeconds", halfLife.TotalSeconds);
                }

                writer.WriteStartArray("contributions");
                foreach (var contribution in score.Contributions)
                {
                    writer.WriteStartObject();
                    writer.WriteString("rule", contribution.Rule);
                    writer.WriteString("event", contribution.Event);
                    writer.WriteString("at", contribution.At);
                    writer.WriteNumber("points", contribution.Points);
                    if (contribution.Count != 1)
                    {
                        writer.WriteNumber("count", contribution.Count);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>Reads a state written by <see cref="Serialize"/>, with no active enrollments.</summary>
    public static ContactState Deserialize(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var traits = ImmutableSortedDictionary.CreateBuilder<string, TraitValue>(StringComparer.Ordinal);
        foreach (var trait in root.GetProperty("traits").EnumerateObject())
        {
            traits[trait.Name] = new TraitValue(trait.Value.GetProperty("v").Clone(), trait.Value.GetProperty("at").GetDateTimeOffset());
        }

        var counts = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        foreach (var count in root.GetProperty("eventCounts").EnumerateObject())
        {
            counts[count.Name] = count.Value.GetInt64();
        }

        var state = new ContactState(
            new ContactId(Guid.Parse(root.GetProperty("id").GetString()!)),
            ReadOptional(root, "userId"),
            ReadStrings(root, "anonymousIds"),
            traits.ToImmutable(),
            ReadOptional(root, "email"),
            ReadOptional(root, "phone"),
            ReadOptional(root, "timeZone"),
            ReadStrings(root, "groups"),
            root.GetProperty("firstSeen").GetDateTimeOffset(),
            root.GetProperty("lastSeen").GetDateTimeOffset(),
            root.GetProperty("eventCount").GetInt64(),
            counts.ToImmutable(),
            ReadOptional(root, "mergedInto") is { } mergedInto ? new ContactId(Guid.Parse(mergedInto)) : null,
            root.GetProperty("createdAt").GetDateTimeOffset(),
            root.GetProperty("updatedAt").GetDateTimeOffset());

        if (root.TryGetProperty("journeys", out var journeys))
        {
            state = state with { Journeys = JourneyMembershipsJson.ReadHistory(journeys) };
        }

        if (root.TryGetProperty("segments", out var segments))
        {
            state = state with
            {
                Segments = segments.EnumerateObject().ToImmutableSortedDictionary(
                    segment => segment.Name,
                    segment => new Core.Segments.SegmentMembership(segment.Value.GetProperty("enteredAt").GetDateTimeOffset(), segment.Value.GetProperty("reason").GetString()!),
                    StringComparer.Ordinal),
            };
        }

        if (root.TryGetProperty("consents", out var consents))
        {
            state = state with
            {
                Consents = consents.EnumerateObject().ToImmutableSortedDictionary(
                    consent => consent.Name,
                    consent => new Core.Consent.ConsentRecord(
                        Core.Consent.Consents.Parse(consent.Value.GetProperty("state").GetString()) ?? Core.Consent.ConsentState.OptedOut,
                        consent.Value.GetProperty("source").GetString()!,
                        consent.Value.GetProperty("at").GetDateTimeOffset(),
                        ReadOptional(consent.Value, "proof")),
                    StringComparer.Ordinal),
            };
        }

        if (root.TryGetProperty("handOffs", out var handOffs))
        {
            state = state with
            {
                HandOffs = [.. handOffs.EnumerateArray().Select(h => new Core.Sales.OpenHandOff(
                    h.GetProperty("id").GetString()!,
                    h.GetProperty("team").GetString()!,
                    ReadOptional(h, "owner"),
                    h.GetProperty("createdAt").GetDateTimeOffset(),
                    h.TryGetProperty("dueAt", out var due) ? due.GetDateTimeOffset() : null,
                    h.GetProperty("escalations").GetInt32()))],
            };
        }

        if (root.TryGetProperty("scores", out var scores))
        {
            state = state with
            {
                Scores = scores.EnumerateObject().ToImmutableSortedDictionary(
                    model => model.Name,
                    model => new Core.Scoring.ContactScore(
                        model.Value.GetProperty("score").GetDouble(),
                        model.Value.GetProperty("at").GetDateTimeOffset(),
                        model.Value.GetProperty("fit").GetDouble(),
                        model.Value.TryGetProperty("halfLifeSeconds", out var halfLife) ? TimeSpan.FromSeconds(halfLife.GetDouble()) : null,
                        [.. model.Value.GetProperty("contributions").EnumerateArray().Select(c => new Core.Scoring.ScoreContribution(
                            c.GetProperty("rule").GetString()!,
                            c.GetProperty("event").GetString()!,
                            c.GetProperty("at").GetDateTimeOffset(),
                            c.GetProperty("points").GetDouble(),
                            c.TryGetProperty("count", out var count) ? count.GetInt32() : 1))]),
                    StringComparer.Ordinal),
            };
        }

        return state;
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static string? ReadOptional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static ImmutableSortedSet<string> ReadStrings(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array)
            ? array.EnumerateArray().Select(item => item.GetString()!).ToImmutableSortedSet(StringComparer.Ordinal)
            : ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
}
