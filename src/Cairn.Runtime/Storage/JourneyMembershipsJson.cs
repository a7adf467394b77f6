using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Runtime.Storage;

/// <summary>
/// The persisted JSON forms of a contact's <see cref="JourneyMemberships"/>: the entry history (inside the contact's
/// state) and each enrollment (a row of its own, active or ended: a step that moves one enrollment writes that row only).
/// </summary>
public static class JourneyMembershipsJson
{
    /// <summary>Writes the entry history (the active enrollments are rows of their own, not part of it).</summary>
    internal static void WriteHistory(Utf8JsonWriter writer, JourneyMemberships memberships)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("history");
        foreach (var (journey, history) in memberships.History.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            writer.WriteStartObject(journey);
            writer.WriteNumber("entries", history.Entries);
            if (history.LastEndedAt is { } ended)
            {
                writer.WriteString("lastEndedAt", ended);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// Reads the entry history written by <see cref="WriteHistory"/>, with no active enrollments (they are read from
    /// their rows). An <c>active</c> array (states written before migration 0011 held one) is not read: the migration
    /// moved it to the rows.
    /// </summary>
    internal static JourneyMemberships ReadHistory(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("history", out var stored))
        {
            return JourneyMemberships.Empty;
        }

        var history = stored.EnumerateObject().ToImmutableDictionary(
            p => p.Name,
            p => new JourneyHistory(p.Value.GetProperty("entries").GetInt32(), p.Value.TryGetProperty("lastEndedAt", out var ended) ? ended.GetDateTimeOffset() : null),
            StringComparer.Ordinal);
        return JourneyMemberships.Empty with { History = history };
    }

    /// <summary>
    /// <paramref name="contact"/> with its active enrollments: <paramref name="active"/>, read from its enrollment rows.
    /// </summary>
    public static ContactState WithActive(ContactState contact, IEnumerable<Enrollment> active)
    {
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(active);
        var enrollments = ImmutableDictionary.CreateBuilder<string, Enrollment>(StringComparer.Ordinal);
        foreach (var enrollment in active)
        {
            enrollments[enrollment.JourneyId] = enrollment;
        }

        return enrollments.Count == 0 ? contact : contact with { Journeys = contact.Journeys with { Active = enrollments.ToImmutable() } };
    }

    /// <summary>One enrollment as JSON: the state of its row in the enrollments table, active or ended.</summary>
    public static string Serialize(Enrollment enrollment)
    {
        return JsonText.Write(enrollment, WriteEnrollment);
    }

    /// <summary>Reads what <see cref="Serialize"/> wrote.</summary>
    public static Enrollment Deserialize(string json)
    {
        using var document = JsonDocument.Parse(json);
        return ReadEnrollment(document.RootElement);
    }

    private static void WriteEnrollment(Utf8JsonWriter writer, Enrollment enrollment)
    {
        writer.WriteStartObject();
        writer.WriteString("id", enrollment.Id);
        writer.WriteString("journey", enrollment.JourneyId);
        writer.WriteNumber("version", enrollment.Version);
        WriteOptional(writer, "step", enrollment.StepId);
        writer.WriteString("enteredAt", enrollment.EnteredAt);
        if (enrollment.WakeAt is { } wake)
        {
            writer.WriteString("wakeAt", wake);
        }

        WriteOptional(writer, "arm", enrollment.Arm);
        writer.WriteBoolean("control", enrollment.Control);
        if (enrollment.Payload is { } payload)
        {
            writer.WritePropertyName("payload");
            payload.WriteTo(writer);
        }

        writer.WriteStartObject("sent");
        foreach (var (step, message) in enrollment.Sent.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            writer.WriteString(step, message);
        }

        writer.WriteEndObject();
        if (!enrollment.Deliveries.IsEmpty)
        {
            writer.WriteStartObject("deliveries");
            foreach (var (step, outcome) in enrollment.Deliveries.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                writer.WriteString(step, outcome);
            }

            writer.WriteEndObject();
        }

        writer.WriteStartArray("path");
        foreach (var entry in enrollment.Path)
        {
            writer.WriteStartObject();
            writer.WriteString("at", entry.At);
            WriteOptional(writer, "from", entry.From);
            writer.WriteString("exit", entry.Exit);
            writer.WriteString("to", entry.To);
            writer.WriteString("reason", entry.Reason);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (enrollment.ConvertedAt is { } converted)
        {
            writer.WriteString("convertedAt", converted);
        }

        if (enrollment.Revenue is { } revenue)
        {
            writer.WriteNumber("revenue", revenue);
        }

        if (enrollment.EndedAt is { } endedAt)
        {
            writer.WriteString("endedAt", endedAt);
        }

        WriteOptional(writer, "endReason", enrollment.EndReason);
        writer.WriteEndObject();
    }

    private static Enrollment ReadEnrollment(JsonElement item)
    {
        var sent = item.GetProperty("sent").EnumerateObject().ToImmutableDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        var path = item.GetProperty("path").EnumerateArray().Select(entry => new PathEntry(
            entry.GetProperty("at").GetDateTimeOffset(),
            Optional(entry, "from"),
            entry.GetProperty("exit").GetString()!,
            entry.GetProperty("to").GetString()!,
            entry.GetProperty("reason").GetString()!)).ToImmutableList();
        return new Enrollment(
            item.GetProperty("id").GetString()!,
            item.GetProperty("journey").GetString()!,
            item.GetProperty("version").GetInt32(),
            Optional(item, "step"),
            item.GetProperty("enteredAt").GetDateTimeOffset(),
            item.TryGetProperty("wakeAt", out var wake) ? wake.GetDateTimeOffset() : null,
            Optional(item, "arm"),
            item.GetProperty("control").GetBoolean(),
            item.TryGetProperty("payload", out var payload) ? payload.Clone() : null,
            sent,
            path,
            item.TryGetProperty("convertedAt", out var converted) ? converted.GetDateTimeOffset() : null,
            item.TryGetProperty("endedAt", out var ended) ? ended.GetDateTimeOffset() : null,
            Optional(item, "endReason"))
        {
            Deliveries = item.TryGetProperty("deliveries", out var deliveries)
                ? deliveries.EnumerateObject().ToImmutableDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal)
                : ImmutableDictionary.Create<string, string>(StringComparer.Ordinal),
            Revenue = item.TryGetProperty("revenue", out var revenue) && revenue.ValueKind == JsonValueKind.Number ? revenue.GetDecimal() : null,
        };
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static string? Optional(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
