using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Cairn.Core;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary><see cref="IExportStore"/>: every row about a contact group, table by table, in pages keyed on each table's order.</summary>
public abstract partial class RelationalCairnStore
{
    /// <summary>
    /// What an export reads, in order: the table, its condition on the group (<c>{0}</c> is the list of contact ids) and
    /// the unique key it is paged and ordered by. Every table the erasure deletes from (<see cref="ErasedRows"/>) is here.
    /// </summary>
    private static readonly (ExportedTable Table, string Where, string[] Key)[] ExportedRows =
    [
        (new("contacts", "profiles", "Your profile: the contact record, with the traits (name, email address, phone number and any other attribute), the userId and anonymous ids, consent per channel and subscription group with its source and proof, scores with what contributed to them, the segments you are in and your journeys. When profiles were merged, each merged profile is listed."), "id IN ({0})", ["id"]),
        (new("identities", "identities", "The identifiers that lead to your profile: the userId given by the company's systems and the anonymous ids of the devices and browsers you used."), "contact_id IN ({0})", ["kind", "value"]),
        (new("events", "events", "Everything recorded that you did or that happened to you, oldest first: pages viewed, purchases, sign-ups, consent given or withdrawn (consent_changed, with its proof), messages delivered, opened and clicked. Each event has its name, time and details."), "contact_id IN ({0})", ["timestamp", "seq"]),
        (new("outbox", "messages", "Every message prepared for you, oldest first: channel, address, subject and content as rendered (payload), whether and when it was sent, delivered, opened, clicked, and why it was sent or held back (decision)."), "contact_id IN ({0})", ["created_at", "message_id"]),
        (new("mailbox", "developmentMailbox", "Copies of messages to you captured by the development mailbox instead of being sent (only when the company runs Cairn without a real email or SMS provider)."), "message_id IN (SELECT message_id FROM outbox WHERE contact_id IN ({0}))", ["message_id"]),
        (new("inbox", "inAppInbox", "Messages for you in the in-app inbox, and whether you read or dismissed them."), "contact_id IN ({0})", ["message_id"]),
        (new("devices", "devices", "The devices registered to receive push notifications for you."), "contact_id IN ({0})", ["token"]),
        (new("enrollments", "enrollments", "The journeys (automated message sequences) you are in or were in: when you entered and left, the step you are at, and the path you took (state)."), "contact_id IN ({0})", ["contact_id", "enrollment_id"]),
        (new("timers", "scheduledSteps", "The next steps of your journeys scheduled for a later time."), "contact_id IN ({0})", ["contact_id", "enrollment_id", "step_id", "due_at"]),
        (new("journey_reviews", "journeyReviews", "Journeys that ended for you because they ran longer than allowed, kept for a person to review."), "contact_id IN ({0})", ["contact_id", "enrollment_id"]),
        (new("segment_members", "segmentMemberships", "The segments and lists you are a member of, since when and why."), "contact_id IN ({0})", ["segment_id", "contact_id"]),
        (new("handoffs", "handOffs", "Times your profile was passed to a salesperson or team, to whom, and whether they acknowledged it."), "contact_id IN ({0})", ["id"]),
        (new("conversions", "conversions", "Purchases or goals credited to the company's messages, with their value (in minor units, e.g. cents)."), "contact_id IN ({0})", ["message_id"]),
        (new("pending_merges", "pendingMerges", "Profiles of yours waiting to be merged into one."), "from_id IN ({0}) OR into_id IN ({0})", ["from_id"]),
    ];

    private static readonly Dictionary<string, string> NotExported = new(StringComparer.Ordinal)
    {
        ["contact_traits"] = "an index of the traits that the profile (contacts.traits and contacts.state) already holds, kept for segment queries",
        ["erasures"] = "the erasure log: an erased contact's id, the reason and row counts, without personal data; an erased contact has nothing left to export",
    };

    // Text columns that hold JSON documents: exported as JSON, not as strings of JSON.
    private static readonly HashSet<string> JsonColumns = new(StringComparer.Ordinal) { "state", "traits", "json", "payload", "decision", "fallback" };

    // Columns that hold times (SQLite stores them as integers): exported in ISO 8601.
    private static readonly HashSet<string> TimeColumns = new(StringComparer.Ordinal) { "timestamp", "at", "first_seen", "last_seen" };

    /// <inheritdoc />
    public IReadOnlyList<ExportedTable> ExportedTables { get; } = [.. ExportedRows.Select(row => row.Table)];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> TablesNotExported => NotExported;

    /// <inheritdoc />
    public Task<ExportCursor?> WriteExportRowsAsync(string table, IReadOnlyCollection<ContactId> contacts, ExportCursor? after, int limit, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var (_, where, key) = Array.Find(ExportedRows, row => row.Table.Table == table) is { Table: not null } found
            ? found
            : throw new ArgumentException($"'{table}' is not an exported table.", nameof(table));
        var ids = contacts.Select(id => id.ToString()).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            return Task.FromResult<ExportCursor?>(null);
        }

        return WithSessionAsync<ExportCursor?>(
            async session =>
            {
                ExportCursor? last = null;
                var written = 0;
                await session.ForEachAsync(
                    parameters =>
                    {
                        var condition = string.Format(CultureInfo.InvariantCulture, where, parameters.List("c", ids));
                        var keys = string.Join(", ", key);
                        if (after is not null)
                        {
                            condition = $"({condition}) AND ({keys}) > ({parameters.List("k", after.Key)})";
                        }

                        parameters.Add("limit", limit);
                        return $"SELECT * FROM {table} WHERE {condition} ORDER BY {keys} LIMIT @limit";
                    },
                    row =>
                    {
                        WriteRow(row, writer, table == "events");
                        last = new ExportCursor([.. key.Select(column => row.Reader.GetValue(row.Reader.GetOrdinal(column)))]);
                        written++;
                    },
                    cancellationToken).ConfigureAwait(false);
                return written < limit ? null : last;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ErasureRecord?> FindErasureAsync(ContactId contact, CancellationToken cancellationToken) =>
        (await QueryAsync(
            "SELECT id, contact_id, reason, erased_at, deleted FROM erasures WHERE contact_id = @contact_id ORDER BY erased_at DESC, id DESC LIMIT 1",
            parameters => parameters.Add("contact_id", contact.ToString()),
            static row => new ErasureRecord(
                row.GetText(0),
                row.GetContactId(1),
                row.GetText(2),
                row.GetTime(3),
                JsonSerializer.Deserialize<SortedDictionary<string, long>>(row.GetText(4)) ?? []),
            cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>
    /// Writes one row as a JSON object: its columns by name, times in ISO 8601, JSON columns as JSON; an event's
    /// <c>json</c> as the message was written (<see cref="EventBody"/>) when <paramref name="eventLog"/>.
    /// </summary>
    private static void WriteRow(Row row, Utf8JsonWriter writer, bool eventLog)
    {
        var reader = row.Reader;
        writer.WriteStartObject();
        for (var ordinal = 0; ordinal < reader.FieldCount; ordinal++)
        {
            var name = reader.GetName(ordinal);
            writer.WritePropertyName(name);
            if (reader.IsDBNull(ordinal))
            {
                writer.WriteNullValue();
            }
            else if (TimeColumns.Contains(name) || name.EndsWith("_at", StringComparison.Ordinal))
            {
                writer.WriteStringValue(row.GetTime(ordinal));
            }
            else if (eventLog && name == "json")
            {
                var messageId = reader.GetString(reader.GetOrdinal("message_id"));
                var body = EventBody.Restore(reader.GetString(ordinal), ReadType(reader.GetString(reader.GetOrdinal("type"))), messageId);
                if (IsJson(body))
                {
                    writer.WriteRawValue(body, skipInputValidation: true);
                }
                else
                {
                    writer.WriteStringValue(body);
                }
            }
            else
            {
                WriteValue(reader, ordinal, JsonColumns.Contains(name), writer);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(DbDataReader reader, int ordinal, bool json, Utf8JsonWriter writer)
    {
        switch (reader.GetValue(ordinal))
        {
            case string text when json && IsJson(text):
                writer.WriteRawValue(text, skipInputValidation: true);
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case long or int or short or byte:
                writer.WriteNumberValue(reader.GetInt64(ordinal));
                break;
            case decimal number:
                writer.WriteNumberValue(number);
                break;
            case double or float:
                writer.WriteNumberValue(reader.GetDouble(ordinal));
                break;
            case byte[] bytes:
                writer.WriteBase64StringValue(bytes);
                break;
            case DateTime time:
                writer.WriteStringValue(new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)));
                break;
            case DateTimeOffset time:
                writer.WriteStringValue(time);
                break;
            case var other:
                writer.WriteStringValue(Convert.ToString(other, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>Whether a column's text is one well-formed JSON document (written as it is; otherwise as a string).</summary>
    private static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 256 });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
