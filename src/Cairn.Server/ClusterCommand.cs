using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Cairn.Server;

/// <summary>
/// <c>cairn cluster</c>: which server owns each partition of a running server's database, through <c>/api/cluster</c>
/// (docs/cluster.md): the servers, each partition's epoch, owner and queue, and whether the server asked was fenced out.
/// Exit codes: 0 done, 2 the request could not be made or was refused (the reason in one line on stderr).
/// </summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var server = new ServerClient();
        var command = new Command("cluster", "Show which server owns each partition of the database, and whether the server asked was fenced out by another.") { server.Url, server.ApiKey };
        command.SetAction((result, cancellationToken) => UsersCommand.RunAsync(server, result, "cluster", async http =>
        {
            if (await ServerClient.SendAsync(http, HttpMethod.Get, "api/cluster", null, "cluster", cancellationToken).ConfigureAwait(false) is not { } view)
            {
                return 2;
            }

            Write(view);
            return 0;
        }));
        return command;
    }

    private static void Write(JsonElement view)
    {
        var state = view.GetProperty("fenced").GetString() is { } fenced ? $"fenced: {fenced}" : view.GetProperty("ready").GetBoolean() ? "ready" : "not ready";
        Console.WriteLine($"This server: {view.GetProperty("node").GetString()} on {view.GetProperty("provider").GetString()}, {state}");
        Console.WriteLine();
        TextTable.Write(
            ["SERVER", "PARTITIONS"],
            [.. view.GetProperty("nodes").EnumerateArray().Select(node => new[]
            {
                node.GetProperty("node").GetString() + (node.GetProperty("this").GetBoolean() ? " (this)" : string.Empty),
                node.GetProperty("partitions").GetInt32().ToString(CultureInfo.InvariantCulture),
            })]);
        Console.WriteLine();
        TextTable.Write(
            ["PARTITION", "EPOCH", "OWNER", "TAKEN AT", "QUEUED"],
            [.. view.GetProperty("partitions").EnumerateArray().Select(partition => new[]
            {
                partition.GetProperty("partition").GetInt32().ToString(CultureInfo.InvariantCulture),
                partition.GetProperty("epoch").GetInt64().ToString(CultureInfo.InvariantCulture),
                partition.GetProperty("owner").GetString()!,
                partition.GetProperty("takenAt").GetDateTimeOffset().ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                partition.GetProperty("queued") is { ValueKind: JsonValueKind.Number } queued ? queued.GetInt32().ToString(CultureInfo.InvariantCulture) : "-",
            })]);
    }
}
