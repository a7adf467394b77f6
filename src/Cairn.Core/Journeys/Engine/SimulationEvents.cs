using System.Globalization;
using System.Text.Json;
using Cairn.Core.Messages;

namespace Cairn.Core.Journeys.Engine;

/// <summary>A line of a simulation's NDJSON stream that could not be read, with its number (from 1) and why.</summary>
/// <param name="Line">The line number, from 1.</param>
/// <param name="Message">Why it could not be read, in words.</param>
public sealed record StreamLineError(int Line, string Message);

/// <summary>
/// Reads the NDJSON event stream a simulation replays (<c>cairn simulate --events</c>, an upload to the simulation API):
/// a Segment message a line, each with a <c>timestamp</c> (the simulation's clock), read as ingestion reads a message.
/// Blank lines are skipped; a line that cannot be read is reported with its number and the rest are still read.
/// </summary>
public static class SimulationEvents
{
    /// <summary>Reads <paramref name="lines"/>; message ids default to <c>{source}:{line}</c>.</summary>
    /// <param name="lines">The stream's lines.</param>
    /// <param name="source">The stream's name (a file name), for the default message ids.</param>
    /// <param name="errors">Receives each line that could not be read.</param>
    public static List<SegmentMessage> Read(IEnumerable<string> lines, string source, List<StreamLineError> errors)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(errors);
        var messages = new List<SegmentMessage>();
        var line = 0;
        foreach (var text in lines)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            if (TryRead(text, source, line, out var message, out var error))
            {
                messages.Add(message);
            }
            else
            {
                errors.Add(new StreamLineError(line, error));
            }
        }

        return messages;
    }

    private static bool TryRead(string text, string source, int line, out SegmentMessage message, out string error)
    {
        message = null!;
        try
        {
            // Read as ingestion reads a message: nested at most MessageLimits.MaxDepth levels.
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = MessageLimits.MaxDepth + 1 });
            var timestamp = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("timestamp", out var at) && at.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : (DateTimeOffset?)null;
            if (timestamp is null)
            {
                error = "every message needs a 'timestamp' (the simulation's clock)";
                return false;
            }

            if (SegmentMessageReader.TryRead(document.RootElement, null, timestamp.Value, null, () => $"{source}:{line}", out var read, out var invalid))
            {
                message = read;
                error = string.Empty;
                return true;
            }

            error = invalid;
            return false;
        }
        catch (JsonException exception)
        {
            error = $"not valid JSON ({exception.Message.Split('.')[0]})";
            return false;
        }
    }
}
