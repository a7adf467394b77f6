using System.CommandLine;
using System.Text;
using System.Text.Json;

namespace Cairn.Server;

/// <summary>
/// <c>cairn list add|remove SEGMENT FILE.csv</c>: adds or removes members of a static list on a running server
/// from a CSV with a contactId, userId or email column, and prints what changed and every row it could not use.
/// Exit codes: 0 every row applied, 1 some rows rejected, 2 the request could not be made or was refused.
/// </summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var command = new Command("list", "Add or remove members of a static list (a segment with static: true) from a CSV file.");
        command.Subcommands.Add(Action("add", "Add the contacts in FILE (a contactId, userId or email column) to the list."));
        command.Subcommands.Add(Action("remove", "Remove the contacts in FILE from the list."));
        return command;
    }

    private static Command Action(string action, string description)
    {
        var segment = new Argument<string>("segment") { Description = "The static list's segment id." };
        var file = new Argument<FileInfo>("file") { Description = "A CSV file with a header row." };
        var server = new ServerClient();
        var command = new Command(action, description) { segment, file, server.Url, server.ApiKey };
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = result.GetValue(file)!;
            if (!path.Exists)
            {
                Console.Error.WriteLine($"cairn list: {path.FullName} does not exist");
                return 2;
            }

            using var http = server.Create(result, "list");
            if (http is null)
            {
                return 2;
            }

            try
            {
                using var content = new StringContent(await File.ReadAllTextAsync(path.FullName, cancellationToken).ConfigureAwait(false), Encoding.UTF8, "text/csv");
                using var response = await http.PostAsync($"api/segments/{Uri.EscapeDataString(result.GetValue(segment)!)}/members?action={action}", content, cancellationToken).ConfigureAwait(false);
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                if (!response.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"cairn list: {ServerClient.Refusal(response, body.RootElement)}");
                    return 2;
                }

                var root = body.RootElement;
                Console.WriteLine($"{root.GetProperty("added").GetInt32()} added, {root.GetProperty("removed").GetInt32()} removed; the list has {root.GetProperty("members").GetInt64()} members.");
                var rejected = root.GetProperty("rejected").EnumerateArray().ToList();
                foreach (var row in rejected)
                {
                    Console.Error.WriteLine($"{path.Name} {row.GetProperty("row").GetString()}: {row.GetProperty("reason").GetString()}");
                }

                return rejected.Count == 0 ? 0 : 1;
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException)
            {
                Console.Error.WriteLine($"cairn list: {exception.Message}");
                return 2;
            }
        });
        return command;
    }
}
