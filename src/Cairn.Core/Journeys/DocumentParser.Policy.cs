using System.Collections.Immutable;
using Cairn.Core.Orchestration;
using YamlDotNet.RepresentationModel;

namespace Cairn.Core.Journeys;

/// <summary>The orchestrator's policy document (<c>kind: policy</c>).</summary>
public static partial class DocumentParser
{
    /// <summary>The document kind of the orchestrator policy.</summary>
    public const string PolicyKind = "policy";

    private static readonly string[] MessageChannels = ["email", "sms", "push", "in_app", "any"];
    private static readonly string[] ContactChannels = ["email", "sms", "push", "in_app"];

    private static Policy? ReadPolicy(YamlMappingNode root, DocumentReader reader)
    {
        reader.OnlyKeys(root, "kind", "id", "name", "description", "time_zone", "valid_for", "require_opt_in", "quiet_hours", "caps", "suppression_rules", "engagement", "double_opt_in", "measurement");
        var id = ReadId(root, reader, "policy");
        var timeZone = reader.String(root, "time_zone", required: false) ?? "UTC";
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _))
        {
            reader.Error(DocumentReader.Get(root, "time_zone")!, $"unknown time zone '{timeZone}' (an IANA name such as Europe/Paris)");
        }

        var validFor = reader.Duration(root, "valid_for", required: false) ?? Policy.Default.ValidFor;
        string? Channel(YamlMappingNode map, bool any)
        {
            var channel = reader.String(map, "channel", required: true);
            if (channel is not null && (!MessageChannels.Contains(channel) || (!any && channel == "any")))
            {
                reader.Error(DocumentReader.Get(map, "channel")!, $"unknown channel '{channel}' ({string.Join(", ", any ? MessageChannels : ContactChannels)})");
                return null;
            }

            return channel;
        }

        ImmutableArray<JourneyCategory> Categories(YamlMappingNode map) =>
        [
            .. reader.Sequence(DocumentReader.Get(map, "categories"), "categories")
                .Select(node => (node, text: reader.Scalar(node, "a category")))
                .Where(item => item.text is not null)
                .Select(item => CategoryNamed(item.text!, item.node, reader)),
        ];

        var optIn = reader.Sequence(DocumentReader.Get(root, "require_opt_in"), "require_opt_in").Select(node => reader.Scalar(node, "a channel")).OfType<string>().ToList();
        foreach (var channel in optIn.Where(channel => !ContactChannels.Contains(channel)))
        {
            reader.Error(DocumentReader.Get(root, "require_opt_in")!, $"unknown channel '{channel}' in require_opt_in");
        }

        var doubleOptIn = reader.Sequence(DocumentReader.Get(root, "double_opt_in"), "double_opt_in").Select(node => reader.Scalar(node, "a channel")).OfType<string>().ToList();
        foreach (var channel in doubleOptIn.Where(channel => channel != "email"))
        {
            reader.Error(DocumentReader.Get(root, "double_opt_in")!, $"double opt-in confirms by email; '{channel}' cannot be confirmed that way");
        }

        var quiet = new List<QuietHours>();
        foreach (var node in reader.Sequence(DocumentReader.Get(root, "quiet_hours"), "quiet_hours"))
        {
            if (reader.Mapping(node, "quiet hours") is not { } map)
            {
                continue;
            }

            reader.OnlyKeys(map, "channel", "from", "to");
            var channel = Channel(map, any: true);
            var from = reader.TimeOfDay(map, "from", required: true);
            var to = reader.TimeOfDay(map, "to", required: true);
            if (from == to && from is not null)
            {
                reader.Error(map, "quiet hours need 'from' and 'to' to differ");
            }
            else if (channel is not null && from is { } start && to is { } end)
            {
                quiet.Add(new QuietHours(channel, start, end));
            }
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var caps = new List<FrequencyCap>();
        foreach (var node in reader.Sequence(DocumentReader.Get(root, "caps"), "caps"))
        {
            if (reader.Mapping(node, "a cap") is not { } map)
            {
                continue;
            }

            reader.OnlyKeys(map, "id", "channel", "max", "per", "rolling", "categories");
            var capId = ReadId(map, reader, "cap");
            if (capId is not null && !ids.Add(capId))
            {
                reader.Error(map, $"the id '{capId}' is used twice in this policy");
            }

            var channel = Channel(map, any: true);
            var max = reader.Integer(map, "max", 0, 10_000);
            var per = reader.String(map, "per", required: true);
            if (per is not null and not ("day" or "week"))
            {
                reader.Error(DocumentReader.Get(map, "per")!, "'per' is day or week");
            }

            var categories = Categories(map);
            if (capId is not null && channel is not null && max is { } limit && per is "day" or "week")
            {
                caps.Add(new FrequencyCap(capId, channel, limit, per == "day" ? CapPeriod.Day : CapPeriod.Week, reader.Boolean(map, "rolling") ?? false, categories));
            }
        }

        var rules = new List<SuppressionRule>();
        foreach (var node in reader.Sequence(DocumentReader.Get(root, "suppression_rules"), "suppression_rules"))
        {
            if (reader.Mapping(node, "a suppression rule") is not { } map)
            {
                continue;
            }

            reader.OnlyKeys(map, "id", "when", "categories", "action");
            var ruleId = ReadId(map, reader, "suppression rule");
            if (ruleId is not null && !ids.Add(ruleId))
            {
                reader.Error(map, $"the id '{ruleId}' is used twice in this policy");
            }

            var when = ReadOptionalCondition(map, "when", reader, Subject.Trait);
            if (when is null && !DocumentReader.Has(map, "when"))
            {
                reader.Error(map, "'when' is required for a suppression rule");
            }

            RequireProfileOnly(when, reader, "a suppression rule's 'when'");
            var action = reader.String(map, "action", required: false) ?? "hold";
            if (action is not ("hold" or "drop"))
            {
                reader.Error(DocumentReader.Get(map, "action")!, "'action' is hold (send when the rule lifts, within the message's validity) or drop");
            }

            var categories = Categories(map);
            if (ruleId is not null && when is not null)
            {
                rules.Add(new SuppressionRule(ruleId, when, categories, action == "hold"));
            }
        }

        EngagementPolicy? engagement = null;
        if (DocumentReader.Get(root, "engagement") is { } engagementNode && reader.Mapping(engagementNode, "'engagement'") is { } settings)
        {
            reader.OnlyKeys(settings, "channel", "throttle", "sunset");
            var channel = Channel(settings, any: false);
            TimeSpan? throttleAfter = null;
            var (throttleMax, throttlePer) = (1, CapPeriod.Week);
            if (DocumentReader.Get(settings, "throttle") is { } throttleNode && reader.Mapping(throttleNode, "'throttle'") is { } throttle)
            {
                reader.OnlyKeys(throttle, "after", "max", "per");
                throttleAfter = reader.Duration(throttle, "after", required: true);
                throttleMax = reader.Integer(throttle, "max", 0, 10_000) ?? 1;
                throttlePer = reader.String(throttle, "per", required: false) is "day" ? CapPeriod.Day : CapPeriod.Week;
            }

            TimeSpan? sunsetAfter = null;
            if (DocumentReader.Get(settings, "sunset") is { } sunsetNode && reader.Mapping(sunsetNode, "'sunset'") is { } sunset)
            {
                reader.OnlyKeys(sunset, "after");
                sunsetAfter = reader.Duration(sunset, "after", required: true);
            }

            if (throttleAfter is { } from && sunsetAfter is { } to && to <= from)
            {
                reader.Error(settings, "'sunset.after' must be longer than 'throttle.after'");
            }

            engagement = channel is null ? null : new EngagementPolicy(channel, throttleAfter, throttleMax, throttlePer, sunsetAfter);
        }

        var measurement = ReadMeasurement(root, reader);
        return id is null ? null : new Policy(id, timeZone, [.. quiet], [.. caps], [.. rules], validFor, DocumentReader.Location(root))
        {
            RequireOptIn = [.. optIn],
            Engagement = engagement,
            DoubleOptIn = [.. doubleOptIn],
            Measurement = measurement,
        };
    }

    /// <summary>
    /// <c>measurement:</c> the workspace's conversion (<c>conversion: {event, revenue}</c>), the attribution windows
    /// (<c>attribution: {lookback, half_life}</c>) and the global control group (<c>global_control_group: percent</c>).
    /// </summary>
    private static MeasurementSettings ReadMeasurement(YamlMappingNode root, DocumentReader reader)
    {
        var defaults = MeasurementSettings.Default;
        if (DocumentReader.Get(root, "measurement") is not { } node || reader.Mapping(node, "'measurement'") is not { } map)
        {
            return defaults;
        }

        reader.OnlyKeys(map, "conversion", "attribution", "global_control_group");
        var (conversionEvent, revenue) = (defaults.ConversionEvent, defaults.RevenueProperty);
        if (DocumentReader.Get(map, "conversion") is { } conversionNode && reader.Mapping(conversionNode, "'conversion'") is { } conversion)
        {
            reader.OnlyKeys(conversion, "event", "revenue");
            conversionEvent = reader.String(conversion, "event", required: true, "the conversion") ?? conversionEvent;
            revenue = reader.String(conversion, "revenue", required: false) ?? revenue;
        }

        var (lookback, halfLife) = (defaults.Lookback, defaults.HalfLife);
        if (DocumentReader.Get(map, "attribution") is { } attributionNode && reader.Mapping(attributionNode, "'attribution'") is { } attribution)
        {
            reader.OnlyKeys(attribution, "lookback", "half_life");
            lookback = Window(attribution, "lookback") ?? lookback;
            halfLife = Window(attribution, "half_life") ?? halfLife;
        }

        var control = reader.Number(map, "global_control_group", 0, MeasurementSettings.MaxGlobalControlPercent) ?? defaults.GlobalControlPercent;
        return new MeasurementSettings(conversionEvent, revenue, lookback, halfLife, control);

        TimeSpan? Window(YamlMappingNode owner, string key)
        {
            var window = reader.Duration(owner, key, required: false);
            if (window is { } value && (value < TimeSpan.FromHours(1) || value > MeasurementSettings.MaxWindow))
            {
                reader.Error(DocumentReader.Get(owner, key)!, $"'{key}' is between 1h and {MeasurementSettings.MaxWindow.TotalDays:0}d");
                return null;
            }

            return window;
        }
    }
}
