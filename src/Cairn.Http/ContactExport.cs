using System.Globalization;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Messaging;

namespace Cairn.Http;

/// <summary>
/// Writes a data subject export: for each contact named, its group (the contact and the contacts merged into it) and
/// every row the store holds about the group, table by table (<see cref="IExportStore.ExportedTables"/>), then the
/// suppression-list entries of the group's addresses. Rows are read and written a page at a time and the writer is
/// flushed after each page, so a long history never sits whole in memory.
/// </summary>
internal sealed class ContactExport(IExportStore store, IErasureStore erasure, ISuppressionList suppressionList, Suppressions suppressions, TimeProvider time)
{
    /// <summary>The version of the document's shape.</summary>
    public const string FormatName = "cairn-contact-export/1";

    private const int PageRows = 200;

    private const string SuppressionsDescription = "Your email addresses and phone numbers on the do-not-send list (after a hard bounce, a spam complaint or an unsubscribe from everything): the address, why, since when and who reported it. The list itself keeps only a keyed fingerprint and a masked hint of the address.";

    /// <summary>A contact and the contacts merged into it.</summary>
    public sealed record Group(ContactId Contact, IReadOnlyList<ContactState> Profiles);

    /// <summary>The groups of <paramref name="contacts"/> (each a surviving contact).</summary>
    public async Task<IReadOnlyList<Group>> GroupsAsync(IReadOnlyList<ContactId> contacts, CancellationToken cancellationToken)
    {
        var groups = new List<Group>();
        foreach (var contact in contacts)
        {
            groups.Add(new Group(contact, await erasure.GetContactGroupAsync(contact, cancellationToken).ConfigureAwait(false)));
        }

        return groups;
    }

    /// <summary>Writes the export document of <paramref name="groups"/> to <paramref name="output"/>.</summary>
    public async Task WriteAsync(IReadOnlyList<Group> groups, Stream output, CancellationToken cancellationToken)
    {
        var ids = groups.SelectMany(group => group.Profiles.Select(profile => profile.Id)).Append(groups[0].Contact).Distinct().ToList();
        await using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("format", FormatName);
        writer.WriteString("exportedAt", time.GetUtcNow());
        writer.WriteStartArray("contactIds");
        foreach (var group in groups)
        {
            writer.WriteStringValue(group.Contact.ToString());
        }

        writer.WriteEndArray();
        writer.WriteStartArray("mergedContactIds");
        foreach (var id in ids.Where(id => groups.All(group => group.Contact != id)))
        {
            writer.WriteStringValue(id.ToString());
        }

        writer.WriteEndArray();
        writer.WriteStartObject("sections");
        foreach (var table in store.ExportedTables)
        {
            WriteSectionStart(writer, table.Section, table.Description);
            ExportCursor? cursor = null;
            do
            {
                cursor = await store.WriteExportRowsAsync(table.Table, ids, cursor, PageRows, writer, cancellationToken).ConfigureAwait(false);
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            while (cursor is not null);

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        WriteSectionStart(writer, "suppressions", SuppressionsDescription);
        foreach (var (channel, address) in Addresses(groups))
        {
            if (await suppressionList.GetSuppressionAsync(suppressions.KeyOf(channel, address), cancellationToken).ConfigureAwait(false) is { } entry)
            {
                writer.WriteStartObject();
                writer.WriteString("channel", channel);
                writer.WriteString("address", address);
                writer.WriteBoolean("suppressed", entry.Suppressed);
                writer.WriteString("reason", entry.Reason);
                writer.WriteString("source", entry.Source);
                writer.WriteNumber("softBounces", entry.SoftBounces);
                if (entry.SuppressedAt is { } at)
                {
                    writer.WriteString("suppressedAt", at);
                }
                else
                {
                    writer.WriteNull("suppressedAt");
                }

                writer.WriteString("updatedAt", entry.UpdatedAt);
                writer.WriteEndObject();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The README.txt of the ZIP: what the export is and what each part of it means, for the person it is about.</summary>
    public string Readme()
    {
        var text = new StringBuilder();
        text.AppendLine("YOUR DATA");
        text.AppendLine("=========");
        text.AppendLine();
        text.AppendLine("This archive holds everything the company's customer-messaging system (Cairn) keeps about you, as of");
        text.AppendLine(CultureInfo.InvariantCulture, $"{time.GetUtcNow():yyyy-MM-dd HH:mm} UTC. It answers your request to access your personal data (GDPR");
        text.AppendLine("articles 15 and 20, the CCPA right to know).");
        text.AppendLine();
        text.AppendLine("The data is in export.json, a text file in JSON, a common format that other services can import and that");
        text.AppendLine("any text editor or web browser can open. Times are in UTC (2026-03-01T09:30:00+00:00 is 1 March 2026,");
        text.AppendLine("9:30 in the morning, UTC). If your profile was combined from several (for example one from before you");
        text.AppendLine("signed in and one from after), every one of them is included.");
        text.AppendLine();
        text.AppendLine("The file has these parts (under \"sections\"), each with a list of entries:");
        foreach (var table in store.ExportedTables)
        {
            AppendPart(text, table.Section, table.Description);
        }

        AppendPart(text, "suppressions", SuppressionsDescription);
        text.AppendLine();
        text.AppendLine("An empty list means the system holds nothing of that kind about you. Messages already handed to an email,");
        text.AppendLine("SMS or push provider, and data the company keeps in other systems, are not part of this export: ask the");
        text.AppendLine("company about those.");
        return text.ToString();
    }

    private static void AppendPart(StringBuilder text, string section, string description) =>
        text.AppendLine().Append("- ").Append(section).Append(": ").AppendLine(description);

    private static void WriteSectionStart(Utf8JsonWriter writer, string section, string description)
    {
        writer.WriteStartObject(section);
        writer.WriteString("description", description);
        writer.WriteStartArray("items");
    }

    private static IEnumerable<(string Channel, string Address)> Addresses(IReadOnlyList<Group> groups) =>
        groups.SelectMany(group => group.Profiles)
            .SelectMany(profile => new[] { (Channel: MessageDispatcher.EmailChannel, Address: profile.Email), (Channel: "sms", Address: profile.Phone) })
            .Where(address => address.Address is not null)
            .Select(address => (address.Channel, address.Address!))
            .Distinct();
}
