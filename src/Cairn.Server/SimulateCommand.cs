using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Messages;

namespace Cairn.Server;

/// <summary>
/// <c>cairn simulate PATH... --events EVENTS.ndjson [--profiles PROFILES.ndjson] [--suppressions FILE] [--from T] [--to T] [--json] [--no-policy]</c>:
/// runs the journeys in PATH (with the templates, segments, scoring models and policy found there) against a recorded
/// event stream in virtual time, with the same code the server runs, and prints each contact's path, what became of
/// every message (sent, deferred, suppressed, expired, undeliverable, or unknown, with the reason) counted per
/// template, and every recorded event a waiting <c>correlate</c> did not count, with why.
/// Deterministic: the same input prints the same output, byte for byte.
/// Exit codes: 0 simulated, 1 the documents or the stream have errors, 2 a file could not be read.
/// </summary>
internal static class SimulateCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web) { WriteIndented = true };

    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Journey documents (and their templates): files or directories.", Arity = ArgumentArity.OneOrMore };
        var events = new Option<FileInfo>("--events") { Description = "NDJSON of Segment messages to replay (each with type and timestamp).", Required = true };
        var profiles = new Option<FileInfo>("--profiles") { Description = "NDJSON of messages (usually identify) that set up profiles before the stream." };
        var suppressions = new Option<FileInfo>("--suppressions") { Description = "The suppression list: one email address or phone number a line (optionally ',reason'); messages to them are suppressed." };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Ignore events before this time." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Ignore events after this time and stop the clock here." };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON." };
        var noPolicy = new Option<bool>("--no-policy") { Description = "Ignore the policy document: every message is sent when its journey decides it." };
        var command = new Command("simulate", "Replay an event stream through journeys (and the orchestrator, when PATH holds a policy) in virtual time and show what they would do.") { paths, events, profiles, suppressions, from, to, json, noPolicy };
        command.SetAction(result =>
        {
            if (DocumentFiles.Find(result.GetValue(paths)!, "simulate") is not { } files)
            {
                return 2;
            }

            var set = DocumentSet.Read(files.Select(file => (file, File.ReadAllText(file))));
            if (set.Errors.Length > 0 || set.Journeys.Length == 0)
            {
                foreach (var error in set.Errors)
                {
                    Console.Error.WriteLine(error.ToString());
                }

                Console.Error.WriteLine(set.Errors.Length > 0 ? "cairn simulate: fix the documents first (cairn validate)." : "cairn simulate: no journeys found");
                return 1;
            }

            var streamErrors = new List<string>();
            var eventFile = result.GetValue(events)!;
            var profileFile = result.GetValue(profiles);
            var suppressionFile = result.GetValue(suppressions);
            foreach (var file in new[] { eventFile, profileFile, suppressionFile }.OfType<FileInfo>().Where(file => !file.Exists))
            {
                Console.Error.WriteLine($"cairn simulate: {file.FullName} does not exist");
                return 2;
            }

            var stream = ReadMessages(eventFile, streamErrors);
            var setup = profileFile is null ? [] : ReadMessages(profileFile, streamErrors);
            if (streamErrors.Count > 0)
            {
                streamErrors.ForEach(Console.Error.WriteLine);
                return 1;
            }

            var library = JourneyLibrary.Of([.. set.Journeys.Select(journey => new PublishedJourney(journey, journey.Version))]);
            var simulation = JourneySimulator.Run(
                library,
                setup,
                stream,
                result.GetValue(from),
                result.GetValue(to),
                scoring: new Core.Scoring.ScoringLibrary([.. set.ScoringModels.OrderBy(model => model.Id, StringComparer.Ordinal)]),
                segments: Core.Segments.SegmentLibrary.Of(set.Segments),
                policy: result.GetValue(noPolicy) ? null : set.Policies.FirstOrDefault(policy => policy.Id == "default"),
                subscriptions: set.Templates.ToDictionary(template => template.Id, template => template.Subscription, StringComparer.Ordinal),
                suppressions: suppressionFile is null ? null : ReadSuppressions(suppressionFile));
            Console.Out.Write(result.GetValue(json) ? ToJson(simulation) : ToText(simulation, library));
            return 0;
        });
        return command;
    }

    /// <summary>The suppression list: an address a line, optionally followed by <c>,reason</c>; blank lines and <c>#</c> comments are skipped.</summary>
    private static Dictionary<string, string> ReadSuppressions(FileInfo file)
    {
        var list = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(file.FullName).Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#')))
        {
            var parts = line.Split(',', 2, StringSplitOptions.TrimEntries);
            list[parts[0].ToLowerInvariant()] = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : $"listed in {file.Name}";
        }

        return list;
    }

    /// <summary>The messages of an NDJSON file, read as the simulation API reads an upload; each bad line goes to <paramref name="errors"/> as <c>file:line: why</c>.</summary>
    private static List<SegmentMessage> ReadMessages(FileInfo file, List<string> errors)
    {
        var bad = new List<StreamLineError>();
        var messages = SimulationEvents.Read(File.ReadLines(file.FullName), file.Name, bad);
        errors.AddRange(bad.Select(error => $"{file.Name}:{error.Line}: {error.Message}"));
        return messages;
    }

    private static string ToText(SimulationResult simulation, JourneyLibrary library)
    {
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Simulated {simulation.Contacts.Length} contacts from {Time(simulation.From)} to {Time(simulation.To)}.\n");
        foreach (var contact in simulation.Contacts.Where(c => c.Timeline.Length > 0))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{contact.Key}\n");
            foreach (var line in contact.Timeline)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {Time(line.At)}  {line.EnrollmentId,-28} {line.Text}\n");
            }
        }

        text.Append("\nSteps entered:\n");
        foreach (var (step, count) in simulation.StepTotals)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {step,-48} {count,6}\n");
        }

        // What became of every message, per template: the counts a real run's outbox shows.
        text.Append("\nMessages:\n");
        foreach (var group in Outcomes(simulation))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {group.Template,-40} {group.Outcome,-14} {group.Count,5}\n");
        }

        // Adaptive splits the stream reached: their mode and the evidence the simulation gathered (and any winner it decided).
        var splits = simulation.Splits.Where(pair => pair.Value.Arms.Any(arm => arm.Entries > 0) && library.Versions.TryGetValue((pair.Key.JourneyId, pair.Key.Version), out _))
            .OrderBy(pair => pair.Key.JourneyId, StringComparer.Ordinal).ThenBy(pair => pair.Key.StepId, StringComparer.Ordinal).ToList();
        if (splits.Count > 0)
        {
            text.Append("\nSplits:\n");
            foreach (var (key, evidence) in splits)
            {
                var split = (SplitStep)library.Versions[(key.JourneyId, key.Version)].Find(key.StepId)!;
                text.Append(CultureInfo.InvariantCulture, $"  {key.JourneyId}/{key.StepId}: {SplitModes.Describe(split, evidence)}\n");
            }
        }

        var uncounted = simulation.Contacts.Sum(c => c.Timeline.Count(line => line.Kind == "not_counted"));
        if (uncounted > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nNot counted by a correlated wait_for: {uncounted} recorded event{(uncounted == 1 ? string.Empty : "s")} (each with the reason on its contact's timeline).\n");
        }

        var held = simulation.Contacts.SelectMany(c => c.Decisions).ToList();
        if (held.Count > 0)
        {
            text.Append("\nHeld back (by the orchestrator or the suppression list):\n");
            foreach (var group in held.GroupBy(d => $"{d.Outcome} {d.Channel.DocumentName()} {d.Template}").OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"  {group.Key,-48} {group.Count(),6}\n");
            }
        }

        return text.ToString();
    }

    private static string ToJson(SimulationResult simulation) => JsonSerializer.Serialize(
        new
        {
            from = Time(simulation.From),
            to = Time(simulation.To),
            contacts = simulation.Contacts.Select(contact => new
            {
                key = contact.Key,
                contactId = contact.ContactId.ToString(),
                timeline = contact.Timeline.Select(line => new { at = Time(line.At), journey = line.JourneyId, enrollment = line.EnrollmentId, kind = line.Kind, text = line.Text }),
                messages = contact.Messages.Select(m => new { at = Time(m.At), journey = m.JourneyId, enrollment = m.EnrollmentId, step = m.StepId, channel = m.Channel.DocumentName(), template = m.Template }),
                heldBack = contact.Decisions.Select(d => new { at = Time(d.At), journey = d.JourneyId, enrollment = d.EnrollmentId, step = d.StepId, channel = d.Channel.DocumentName(), template = d.Template, decision = d.Outcome, reason = d.Reason }),
                deliveries = contact.Deliveries.Select(d => new { queuedAt = Time(d.QueuedAt), at = Time(d.At), journey = d.JourneyId, enrollment = d.EnrollmentId, step = d.StepId, channel = d.Channel.DocumentName(), template = d.Template, outcome = d.OutcomeName, reason = d.Reason }),
            }),
            steps = simulation.StepTotals,
            messages = Outcomes(simulation).Select(group => new { template = group.Template, outcome = group.Outcome, count = group.Count }),
        },
        Json) + "\n";

    /// <summary>Messages counted per channel and template and outcome, in that order.</summary>
    private static IEnumerable<(string Template, string Outcome, int Count)> Outcomes(SimulationResult simulation) =>
        simulation.Contacts.SelectMany(c => c.Deliveries)
            .GroupBy(d => (Template: $"{d.Channel.DocumentName()} {d.Template}", d.Outcome))
            .OrderBy(g => g.Key.Template, StringComparer.Ordinal).ThenBy(g => g.Key.Outcome)
            .Select(g => (g.Key.Template, g.Key.Outcome.ToString().ToLowerInvariant(), g.Count()));

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
