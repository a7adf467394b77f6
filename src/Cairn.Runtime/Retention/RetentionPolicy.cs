using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Cairn.Runtime.Retention;

/// <summary>How long one kind of data is kept.</summary>
/// <param name="Days">Rows older than this many days go; null keeps them all.</param>
/// <param name="ByName">
/// For events: a rule per event name that replaces <paramref name="Days"/> for that name (null keeps the name's events
/// however old). Empty for the other kinds.
/// </param>
public sealed record RetentionRule(int? Days, ImmutableSortedDictionary<string, int?> ByName)
{
    /// <summary>The longest number of days the rule keeps anything for; null when it keeps something forever.</summary>
    public int? LongestDays =>
        Days is null || ByName.Values.Any(days => days is null) ? null : ByName.Values.Append(Days).Max();
}

/// <summary>
/// The workspace's retention policy (docs/retention.md): a rule per kind of data. A kind without a rule keeps
/// everything — the default, so nothing is deleted until an administrator says so.
/// </summary>
public sealed record RetentionPolicy(ImmutableSortedDictionary<string, RetentionRule> Rules)
{
    /// <summary>The events kind: event log rows, by time of the event.</summary>
    public const string Events = "events";

    /// <summary>The message-bodies kind: the payload and subject of finished messages (the rows stay).</summary>
    public const string MessageBodies = "message_bodies";

    /// <summary>The messages kind: whole rows of finished messages.</summary>
    public const string Messages = "messages";

    /// <summary>The development-mailbox kind.</summary>
    public const string Mailbox = "mailbox";

    /// <summary>The audit-log kind, which must be kept longest.</summary>
    public const string Audit = "audit";

    /// <summary>The longest retention a rule may name: 100 years.</summary>
    public const int MaxDays = 36_500;

    /// <summary>The shortest retention of whole message rows: frequency caps, attribution and delivery receipts read the last weeks' messages.</summary>
    public const int MinMessageDays = 30;

    /// <summary>The most event names one rule may name.</summary>
    public const int MaxNames = 500;

    /// <summary>The longest event name a rule may name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Keeps everything.</summary>
    public static RetentionPolicy KeepEverything { get; } = new(ImmutableSortedDictionary<string, RetentionRule>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary>The rule of <paramref name="kind"/>, or null when the kind keeps everything.</summary>
    public RetentionRule? RuleOf(string kind) => Rules.GetValueOrDefault(kind);

    /// <summary>The cut-off of <paramref name="days"/> at <paramref name="now"/>: rows older than it go.</summary>
    public static DateTimeOffset Cutoff(DateTimeOffset now, int days) => now - TimeSpan.FromDays(days);

    /// <summary>
    /// Reads a policy document: <c>{"events": {"days": 365, "byName": {"Page Viewed": 90}}, "messages": {"days": 730}}</c>.
    /// Kinds must be among <paramref name="kinds"/>. False with the errors by field (the JSON path) when it is not valid.
    /// </summary>
    public static bool TryParse(JsonElement document, IReadOnlyCollection<string> kinds, out RetentionPolicy policy, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        policy = KeepEverything;
        if (document.ValueKind != JsonValueKind.Object)
        {
            errors["$"] = ["The policy is a JSON object of rules by kind: " + string.Join(", ", kinds) + "."];
            return false;
        }

        var rules = ImmutableSortedDictionary.CreateBuilder<string, RetentionRule>(StringComparer.Ordinal);
        foreach (var property in document.EnumerateObject())
        {
            var path = "$." + property.Name;
            if (!kinds.Contains(property.Name))
            {
                errors[path] = [$"Unknown kind '{Clip(property.Name)}'; the kinds are {string.Join(", ", kinds)}."];
                continue;
            }

            if (rules.ContainsKey(property.Name))
            {
                errors[path] = ["The kind is named twice."];
                continue;
            }

            if (ReadRule(property.Value, path, property.Name == Events, errors) is { } rule)
            {
                rules[property.Name] = rule;
            }
        }

        var read = new RetentionPolicy(rules.ToImmutable());
        if (read.RuleOf(Messages)?.Days is { } messageDays && messageDays < MinMessageDays)
        {
            errors["$.messages.days"] = [$"Whole messages are kept at least {MinMessageDays} days: frequency caps, attribution and delivery receipts read the last weeks' messages. Remove bodies earlier with message_bodies instead."];
        }

        if (read.RuleOf(Audit) is { } audit)
        {
            var others = read.Rules.Where(pair => pair.Key != Audit).Select(pair => pair.Value.LongestDays).ToList();
            if (audit.Days is { } auditDays && others.Count > 0 && others.Any(days => days is null || days > auditDays))
            {
                errors["$.audit.days"] = ["The audit log is kept longest: its days must be at least every other kind's (and it keeps everything while another kind does)."];
            }
        }

        if (errors.Count > 0)
        {
            return false;
        }

        policy = read;
        return true;
    }

    /// <summary>Reads a stored policy document (null or empty: keep everything); a document no longer valid keeps everything it does not parse.</summary>
    public static RetentionPolicy FromStored(string? json, IReadOnlyCollection<string> kinds)
    {
        if (string.IsNullOrEmpty(json))
        {
            return KeepEverything;
        }

        using var document = JsonDocument.Parse(json);
        return TryParse(document.RootElement, kinds, out var policy, out _) ? policy : KeepEverything;
    }

    /// <summary>The policy as its JSON document.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (kind, rule) in Rules)
            {
                writer.WriteStartObject(kind);
                WriteDays(writer, "days", rule.Days);
                if (rule.ByName.Count > 0)
                {
                    writer.WriteStartObject("byName");
                    foreach (var (name, days) in rule.ByName)
                    {
                        WriteDays(writer, name, days);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteDays(Utf8JsonWriter writer, string name, int? days)
    {
        if (days is { } value)
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static RetentionRule? ReadRule(JsonElement value, string path, bool byNameAllowed, Dictionary<string, string[]> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            errors[path] = ["A rule is an object: {\"days\": 365}" + (byNameAllowed ? " with an optional \"byName\": {\"Page Viewed\": 90}." : ".")];
            return null;
        }

        int? days = null;
        var byName = ImmutableSortedDictionary.CreateBuilder<string, int?>(StringComparer.Ordinal);
        var valid = true;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "days":
                    valid &= TryReadDays(field.Value, path + ".days", errors, out days);
                    break;
                case "byName" when field.Value.ValueKind == JsonValueKind.Null:
                    break;
                case "byName" when byNameAllowed:
                    if (field.Value.ValueKind != JsonValueKind.Object)
                    {
                        errors[path + ".byName"] = ["byName is an object of days by event name: {\"Page Viewed\": 90, \"Order Completed\": null}."];
                        valid = false;
                        break;
                    }

                    foreach (var named in field.Value.EnumerateObject())
                    {
                        if (byName.Count == MaxNames)
                        {
                            errors[path + ".byName"] = [$"At most {MaxNames} event names."];
                            valid = false;
                            break;
                        }

                        var namePath = path + ".byName." + Clip(named.Name);
                        if (named.Name.Length is 0 or > MaxNameLength || named.Name.Any(char.IsControl))
                        {
                            errors[namePath] = [$"An event name is 1 to {MaxNameLength} characters without control characters."];
                            valid = false;
                        }
                        else if (byName.ContainsKey(named.Name))
                        {
                            errors[namePath] = ["The event name is named twice."];
                            valid = false;
                        }
                        else if (TryReadDays(named.Value, namePath, errors, out var nameDays))
                        {
                            byName[named.Name] = nameDays;
                        }
                        else
                        {
                            valid = false;
                        }
                    }

                    break;
                default:
                    errors[path + "." + Clip(field.Name)] = [byNameAllowed ? "A rule has days and byName." : "A rule has days."];
                    valid = false;
                    break;
            }
        }

        return valid ? new RetentionRule(days, byName.ToImmutable()) : null;
    }

    private static bool TryReadDays(JsonElement value, string path, Dictionary<string, string[]> errors, out int? days)
    {
        days = null;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number is >= 1 and <= MaxDays)
        {
            days = number;
            return true;
        }

        errors[path] = [string.Create(CultureInfo.InvariantCulture, $"Days are a whole number from 1 to {MaxDays}, or null to keep everything.")];
        return false;
    }

    private static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
