using System.CommandLine;
using System.Text.Json;

namespace Cairn.Server;

/// <summary>
/// <c>cairn export (--contact-id ID | --user-id ID | --email ADDRESS | --phone NUMBER) [--out FILE] [--zip]</c>: everything a
/// running server holds about a person (GDPR art. 15 and 20, CCPA right to know), as JSON (or a ZIP with a README), to a
/// file or standard output. Exit codes: 0 exported, 1 no such contact (or erased), 2 the request could not be made or was refused.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var identifiers = new (string Field, Option<string> Option)[]
        {
            ("contactId", new Option<string>("--contact-id") { Description = "The contact's id (a merged contact's id exports the contact it was merged into)." }),
            ("userId", new Option<string>("--user-id") { Description = "The person's userId." }),
            ("email", new Option<string>("--email") { Description = "Every contact with this email address." }),
            ("phone", new Option<string>("--phone") { Description = "Every contact with this phone number (E.164)." }),
        };
        var output = new Option<FileInfo>("--out") { Description = "Write to this file (default: standard output)." };
        var zip = new Option<bool>("--zip") { Description = "A ZIP of the JSON with a README.txt for the person (needs --out)." };
        var server = new ServerClient();
        var command = new Command("export", "Export everything held about a person (GDPR access and portability, CCPA right to know) as JSON or a ZIP.")
        {
            output, zip, server.Url, server.ApiKey,
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
                Console.Error.WriteLine("cairn export: give exactly one of --contact-id, --user-id, --email or --phone");
                return 2;
            }

            var file = result.GetValue(output);
            if (result.GetValue(zip) && file is null)
            {
                Console.Error.WriteLine("cairn export: --zip writes a binary archive; name the file with --out");
                return 2;
            }

            using var http = server.Create(result, "export");
            if (http is null)
            {
                return 2;
            }

            var path = $"api/exports?{field}={Uri.EscapeDataString(result.GetValue(option)!)}&format={(result.GetValue(zip) ? "zip" : "json")}";
            try
            {
                using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                    Console.Error.WriteLine($"cairn export: {ServerClient.Refusal(response, body.RootElement)}");
                    return response.StatusCode == System.Net.HttpStatusCode.NotFound ? 1 : 2;
                }

                await using var content = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                if (file is null)
                {
                    await using var stdout = Console.OpenStandardOutput();
                    await content.CopyToAsync(stdout, cancellationToken).ConfigureAwait(false);
                    return 0;
                }

                // Written beside the target and moved into place, so a failed export leaves no half file behind.
                var partial = file.FullName + ".partial";
                await using (var target = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                {
                    await content.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
                }

                File.Move(partial, file.FullName, overwrite: true);
                Console.Error.WriteLine($"Exported to {file.FullName}.");
                return 0;
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"cairn export: {exception.Message}");
                return 2;
            }
        });
        return command;
    }
}
