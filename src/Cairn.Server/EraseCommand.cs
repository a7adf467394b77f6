using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Cairn.Server;

/// <summary>
/// <c>cairn erase (--contact-id ID | --user-id ID | --email ADDRESS | --phone NUMBER) [--reason TEXT]</c>: erases a
/// person on a running server (every contact the identifier names) and prints what was deleted.
/// Exit codes: 0 erased, 1 no such contact, 2 the request could not be made or was refused.
/// </summary>
internal static class EraseCommand
{
    public static Command Create()
    {
        var identifiers = new (string Field, Option<string> Option)[]
        {
            ("contactId", new Option<string>("--contact-id") { Description = "The contact's id." }),
            ("userId", new Option<string>("--user-id") { Description = "The person's userId." }),
            ("email", new Option<string>("--email") { Description = "Every contact with this email address." }),
            ("phone", new Option<string>("--phone") { Description = "Every contact with this phone number (E.164)." }),
        };
        var reason = new Option<string>("--reason") { Description = "Why (a ticket number, \"customer request\"), kept in the erasure log." };
        var server = new ServerClient();
        var command = new Command("erase", "Erase a person (GDPR / CCPA deletion): profile, events, enrollments, messages; their addresses stay suppressed by keyed hash.")
        {
            reason, server.Url, server.ApiKey,
        };
        foreach (var (_, option) in identifiers)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            var given = identifiers.Where(identifier => result.GetValue(identifier.Option) is not null).ToList();
            if (given is not [var (field, option)])
            {
                Console.Error.WriteLine("cairn erase: give exactly one of --contact-id, --user-id, --email or --phone");
                return 2;
            }

            using var http = server.Create(result, "erase");
            if (http is null)
            {
                return 2;
            }

            var request = new Dictionary<string, string> { [field] = result.GetValue(option)!, ["reason"] = result.GetValue(reason) ?? "erasure requested with cairn erase" };
            try
            {
                using var response = await http.PostAsJsonAsync("api/erasures", request, cancellationToken).ConfigureAwait(false);
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                if (!response.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"cairn erase: {ServerClient.Refusal(response, body.RootElement)}");
                    return response.StatusCode == System.Net.HttpStatusCode.NotFound ? 1 : 2;
                }

                foreach (var erasure in body.RootElement.GetProperty("erasures").EnumerateArray())
                {
                    var deleted = erasure.GetProperty("deleted").EnumerateObject()
                        .Where(kind => kind.Value.GetInt64() > 0)
                        .Select(kind => $"{kind.Value.GetInt64().ToString(CultureInfo.InvariantCulture)} {kind.Name}");
                    Console.WriteLine($"Erased contact {erasure.GetProperty("contactId").GetString()}: {string.Join(", ", deleted)} (erasure {erasure.GetProperty("id").GetString()}).");
                }

                return 0;
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException)
            {
                Console.Error.WriteLine($"cairn erase: {exception.Message}");
                return 2;
            }
        });
        return command;
    }
}
