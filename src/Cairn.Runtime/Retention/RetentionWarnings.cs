using System.Globalization;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Turns;

namespace Cairn.Runtime.Retention;

/// <summary>
/// What a policy changes in the live documents: a segment, journey condition or scoring model that reads an event
/// name over a longer span than the policy keeps it (or over all time) will count only the events kept. A warning, not
/// an error: a legal deadline may be shorter than a marketing window, and the administrator decides (docs/retention.md).
/// </summary>
public static class RetentionWarnings
{
    /// <summary>The warnings of <paramref name="policy"/> over <paramref name="documents"/>, by document, then event.</summary>
    public static IReadOnlyList<string> Of(RetentionPolicy policy, LiveDocuments documents)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(documents);
        var warnings = new List<string>();
        if (policy.RuleOf(RetentionPolicy.Events) is { } events)
        {
            foreach (var segment in documents.Segments.Segments)
            {
                Check($"Segment '{segment.Id}'", [segment.Condition]);
            }

            foreach (var ((journey, version), definition) in documents.Journeys.Versions.OrderBy(pair => pair.Key.Journey, StringComparer.Ordinal).ThenBy(pair => pair.Key.Version))
            {
                Check(string.Create(CultureInfo.InvariantCulture, $"Journey '{journey}' v{version}"), definition.Conditions());
            }

            foreach (var model in documents.Scoring.Models)
            {
                var names = model.Rules.Select(rule => rule.Event).Distinct(StringComparer.Ordinal).Where(name => Kept(events, name) is not null).Order(StringComparer.Ordinal).ToList();
                if (names.Count > 0)
                {
                    warnings.Add($"Scoring model '{model.Id}' scores {string.Join(", ", names.Select(name => $"'{name}'"))}: scores already given stay, but a rescore (a changed model, a merge) replays only the events kept.");
                }
            }

            void Check(string document, IEnumerable<Condition?> conditions)
            {
                foreach (var (name, span) in conditions.SelectMany(HistoryPlan.Clauses).SelectMany(Spans).Distinct().OrderBy(pair => pair.Name, StringComparer.Ordinal))
                {
                    if (Kept(events, name) is { } days && (span is null || span.Value > TimeSpan.FromDays(days)))
                    {
                        warnings.Add(span is { } window
                            ? $"{document} reads '{name}' over {Days(window)}, longer than the {days} days it is kept: it will count only the events kept."
                            : $"{document} reads every '{name}' ever (a filter, a first occurrence or an aggregate): it will count only the {days} days kept.");
                    }
                }
            }
        }

        if (policy.RuleOf(RetentionPolicy.MessageBodies)?.Days is { } bodies && policy.RuleOf(RetentionPolicy.Messages)?.Days is { } rows && rows <= bodies)
        {
            warnings.Add($"Messages are deleted after {rows} days, so their bodies never reach the {bodies} days of message_bodies.");
        }

        return warnings;
    }

    /// <summary>The days <paramref name="name"/>'s events are kept, or null when they are kept forever.</summary>
    private static int? Kept(RetentionRule rule, string name) => rule.ByName.TryGetValue(name, out var days) ? days : rule.Days;

    /// <summary>The event and span one history clause reads (null: all time); a <c>performed</c> the profile's counters answer reads none.</summary>
    private static IEnumerable<(string Name, TimeSpan? Span)> Spans(Condition clause) => clause switch
    {
        PerformedCondition { Where: null, Within: null } => [],
        PerformedCondition performed => [(performed.Event, performed.Within)],
        OccurrenceCondition occurrence => [(occurrence.Event, occurrence.First ? null : occurrence.Within)],
        AggregateCondition aggregate => [(aggregate.Event, aggregate.Within)],
        _ => [],
    };

    private static string Days(TimeSpan span) =>
        span.TotalDays >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalDays:0.#} days") : string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours:0.#} hours");
}
