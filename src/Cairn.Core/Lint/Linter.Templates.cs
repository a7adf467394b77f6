using System.Text.RegularExpressions;
using Cairn.Core.Journeys;
using Cairn.Core.Segments;

namespace Cairn.Core.Lint;

/// <summary>The checks on templates and segments: compliance of promotional messages, traits read, documents nothing uses.</summary>
public static partial class Linter
{
    /// <summary>What <c>contact</c> holds besides traits (see <see cref="Templates.RenderModel"/>).</summary>
    private static readonly HashSet<string> ContactFields = new(["id", "user_id", "email", "phone", "timezone", "stage", "tags", "segments", "scores"], StringComparer.Ordinal);

    [GeneratedRegex("""\bcontact(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"'\]]+)["']\s*\])""")]
    private static partial Regex ContactRead();

    [GeneratedRegex(@"\bSTOP\b", RegexOptions.IgnoreCase)]
    private static partial Regex StopWord();

    /// <summary>The traits a template reads (<c>contact.name</c> or <c>contact["name"]</c>), with the line of each first read.</summary>
    private static IEnumerable<(string Trait, int Line)> TemplateTraits(TemplateDefinition template) =>
        template.Parts.SelectMany(part => ContactRead().Matches(part.Source).Select(match =>
                (Trait: match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value, Line: part.Line + part.Source.AsSpan(0, match.Index).Count('\n'))))
            .Where(read => !ContactFields.Contains(read.Trait))
            .DistinctBy(read => read.Trait, StringComparer.Ordinal);

    private static string AllText(TemplateDefinition template) => string.Join('\n', template.Parts.Select(part => part.Source));

    private static IEnumerable<LintFinding> EmailCompliance(Workspace workspace)
    {
        var sends = workspace.PromotionalSends();
        foreach (var template in workspace.Templates.Where(template => template.Channel == Channel.Email && sends.Contains(template.Id)))
        {
            var text = AllText(template);
            var senders = sends[template.Id].Select(send => Subject(send.Journey, send.Step)).ToList();
            if (!text.Contains("unsubscribe_url", StringComparison.Ordinal))
            {
                yield return new LintFinding(
                    Codes.MissingUnsubscribe,
                    LintSeverity.Error,
                    "the promotional email has no unsubscribe link: CAN-SPAM requires a visible way to opt out, and Gmail and Yahoo reject bulk mail without one. Add <a href=\"{{ message.unsubscribe_url }}\">Unsubscribe</a> to its html (and text).",
                    [Subject(template), .. senders]);
            }

            if (!text.Contains("workspace.address", StringComparison.Ordinal))
            {
                yield return new LintFinding(
                    Codes.MissingPostalAddress,
                    LintSeverity.Error,
                    "the promotional email does not show the sender's postal address, which CAN-SPAM requires in every commercial email. Add {{ workspace.address }} to its footer (the address is a workspace setting).",
                    [Subject(template), .. senders]);
            }
        }
    }

    private static IEnumerable<LintFinding> SmsCompliance(Workspace workspace)
    {
        var sends = workspace.PromotionalSends();
        foreach (var template in workspace.Templates.Where(template => template.Channel == Channel.Sms && sends.Contains(template.Id) && !StopWord().IsMatch(AllText(template))))
        {
            yield return new LintFinding(
                Codes.SmsWithoutStop,
                LintSeverity.Error,
                "the marketing SMS does not tell the recipient how to opt out: carriers (CTIA) and the TCPA expect wording such as \"Reply STOP to opt out\" in marketing texts. Add it to the text.",
                [Subject(template), .. sends[template.Id].Select(send => Subject(send.Journey, send.Step))]);
        }

        if (workspace.Policy.RequireOptIn.Contains("sms") || workspace.Policy.DoubleOptIn.Contains("sms"))
        {
            yield break;
        }

        foreach (var journey in workspace.Journeys.Where(journey => journey.Category == JourneyCategory.Promotional))
        {
            if (journey.Steps.OfType<SendStep>().FirstOrDefault(step => step.Channel == Channel.Sms || step.Fallback.Any(fallback => fallback.Channel == Channel.Sms)) is { } step)
            {
                yield return new LintFinding(
                    Codes.SmsWithoutOptIn,
                    LintSeverity.Error,
                    "the promotional journey sends SMS, and the policy lets marketing texts go to contacts who never opted in: in the US the TCPA requires prior express written consent. Add sms to require_opt_in in the policy.",
                    [Subject(journey, step), Subject(workspace.Policy)]);
            }
        }
    }

    private static IEnumerable<LintFinding> UnknownTraits(Workspace workspace, LintFacts facts) =>
        facts.TraitKeys is not { } known ? [] :
        workspace.Templates.SelectMany(template => TemplateTraits(template)
            .Where(read => !known.Contains(read.Trait))
            .Select(read => new LintFinding(
                Codes.UnknownTrait,
                LintSeverity.Warning,
                $"the template reads the trait {read.Trait}, which no contact has: it renders empty (or its default) for everyone. Check the trait's name against what the sources send with identify.",
                [Subject(template, read.Line)])));

    private static IEnumerable<LintFinding> Unused(Workspace workspace)
    {
        var sent = workspace.Journeys.SelectMany(journey => journey.Steps.OfType<SendStep>())
            .SelectMany(step => step.Fallback.Select(fallback => fallback.Template).Prepend(step.Template))
            .Append(Consent.Consents.ConfirmationTemplate)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var template in workspace.Templates.Where(template => !sent.Contains(template.Id)))
        {
            yield return new LintFinding(
                Codes.UnusedTemplate,
                LintSeverity.Warning,
                "no journey sends this template. Archive it, or send it from a journey.",
                [Subject(template)]);
        }

        var used = SegmentsUsed(workspace);
        foreach (var segment in workspace.Segments.Where(segment => !used.Contains(segment.Id)))
        {
            yield return new LintFinding(
                Codes.UnusedSegment,
                LintSeverity.Warning,
                "no journey, segment or policy rule uses this segment (in_segment, or a segment_entered / segment_exited trigger). Archive it if nobody reads it in the console either.",
                [new LintSubject(DocumentKind.Segment, segment.Id, null, segment.Location.Line)]);
        }
    }

    /// <summary>The segments referred to by <c>in_segment</c> anywhere, or named by a <c>segment_entered</c>/<c>segment_exited</c> event filter.</summary>
    private static HashSet<string> SegmentsUsed(Workspace workspace)
    {
        var conditions = workspace.Journeys.SelectMany(journey => journey.Conditions())
            .Concat(workspace.Segments.Select(segment => segment.Condition).OfType<Condition>())
            .Concat(workspace.Policy.Rules.Select(rule => rule.When));
        var used = conditions.SelectMany(condition => SegmentConditions.References(condition)).ToHashSet(StringComparer.Ordinal);
        var segmentEvents = workspace.Journeys.SelectMany(journey => journey.Conditions()
                .Concat(journey.ExitWhen.SelectMany(exit => SegmentConditions.Leaves(exit).OfType<EventCondition>().Select(e => e.Where)).OfType<Condition>())
                .Concat(journey.Trigger is EventTrigger { Event: SegmentDefinition.EnteredEvent or SegmentDefinition.ExitedEvent, Where: { } where } ? [where] : []))
            .SelectMany(SegmentConditions.Leaves)
            .OfType<Comparison>()
            .Where(comparison => comparison is { Subject: Journeys.Subject.Property, Path: "segment" } && comparison.Value is { } value)
            .SelectMany(comparison => comparison.Value!.Value.ValueKind == System.Text.Json.JsonValueKind.Array
                ? comparison.Value.Value.EnumerateArray().Select(item => item.ToString())
                : [comparison.Value.Value.ToString()]);
        used.UnionWith(segmentEvents);
        return used;
    }
}
