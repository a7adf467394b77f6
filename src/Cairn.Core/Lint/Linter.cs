using System.Collections.Immutable;
using Cairn.Core.Journeys;
using Cairn.Core.Orchestration;
using Cairn.Core.Segments;

namespace Cairn.Core.Lint;

/// <summary>
/// The journey linter: checks across every journey, template, segment and the policy for what validation lets through
/// but should not reach a customer — journeys that collide, that undo themselves, that break consent law or mailbox
/// rules, and documents nothing uses. Pure: the host supplies what only it knows as <see cref="LintFacts"/>.
/// </summary>
public static partial class Linter
{
    /// <summary>How soon after entry two journeys' first sends count as "at once" for <see cref="Codes.OverlappingPromotions"/>: 24 hours.</summary>
    public static readonly TimeSpan ShortTime = TimeSpan.FromHours(24);

    /// <summary>The stable codes of the checks (docs/lint.md explains each).</summary>
    public static class Codes
    {
        /// <summary>A document that does not parse or validate (linting files only).</summary>
        public const string InvalidDocument = "invalid-document";

        /// <summary>Two promotional journeys fire on the same trigger for overlapping audiences and both send soon.</summary>
        public const string OverlappingPromotions = "overlapping-promotions";

        /// <summary>Journeys entered together send more on their typical path than a frequency cap allows.</summary>
        public const string CapsExceeded = "caps-exceeded";

        /// <summary>An exit criterion that holds for everyone the journey lets in.</summary>
        public const string ExitsAtEntry = "exits-at-entry";

        /// <summary>The goal is the trigger event.</summary>
        public const string GoalIsTrigger = "goal-is-trigger";

        /// <summary>A <c>wait_for</c> on an event no source sent in 30 days.</summary>
        public const string StaleWaitFor = "stale-wait-for";

        /// <summary>A promotional email template without an unsubscribe link.</summary>
        public const string MissingUnsubscribe = "missing-unsubscribe";

        /// <summary>A promotional email template without the postal address.</summary>
        public const string MissingPostalAddress = "missing-postal-address";

        /// <summary>A marketing SMS template without STOP wording.</summary>
        public const string SmsWithoutStop = "sms-without-stop";

        /// <summary>A promotional journey sends SMS while the policy requires no opt-in for it.</summary>
        public const string SmsWithoutOptIn = "sms-without-opt-in";

        /// <summary>A template reads a trait no contact has.</summary>
        public const string UnknownTrait = "unknown-trait";

        /// <summary>A template no journey sends.</summary>
        public const string UnusedTemplate = "unused-template";

        /// <summary>A segment no journey, segment or policy rule uses.</summary>
        public const string UnusedSegment = "unused-segment";

        /// <summary>A journey without an owner.</summary>
        public const string NoOwner = "no-owner";

        /// <summary>A journey whose longest path takes longer than its maximum run time.</summary>
        public const string RunTimeTooShort = "max-run-time-too-short";
    }

    /// <summary>
    /// Lints <paramref name="documents"/> (invalid ones are reported as <see cref="Codes.InvalidDocument"/> when
    /// <paramref name="reportInvalid"/>, otherwise skipped) with what the host knows. The findings are ordered by
    /// severity, code, then the first subject.
    /// </summary>
    /// <param name="documents">Every document to lint together (the workspace, or a directory of files).</param>
    /// <param name="facts">What the host knows besides them.</param>
    /// <param name="reportInvalid">True to report documents that do not validate.</param>
    public static ImmutableArray<LintFinding> Lint(IReadOnlyList<ParsedDocument> documents, LintFacts facts, bool reportInvalid = false)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(facts);
        var workspace = Workspace.Of(documents);
        var findings = new List<LintFinding>();
        if (reportInvalid)
        {
            findings.AddRange(InvalidDocuments(documents));
        }

        findings.AddRange(OverlappingPromotions(workspace, facts));
        findings.AddRange(CapsExceeded(workspace));
        findings.AddRange(ExitsAtEntry(workspace));
        findings.AddRange(GoalIsTrigger(workspace));
        findings.AddRange(StaleWaitFor(workspace, facts));
        findings.AddRange(EmailCompliance(workspace));
        findings.AddRange(SmsCompliance(workspace));
        findings.AddRange(UnknownTraits(workspace, facts));
        findings.AddRange(Unused(workspace));
        findings.AddRange(JourneyHygiene(workspace));
        return [.. findings
            .OrderBy(finding => finding.Severity)
            .ThenBy(finding => finding.Code, StringComparer.Ordinal)
            .ThenBy(finding => finding.Subjects[0].Kind, StringComparer.Ordinal)
            .ThenBy(finding => finding.Subjects[0].Id, StringComparer.Ordinal)
            .ThenBy(finding => finding.Subjects[0].Line ?? 0)];
    }

    /// <summary>The key of a pair of journeys in <see cref="LintFacts.Overlaps"/>: the two ids in ordinal order, joined by <c>|</c>.</summary>
    public static string PairKey(string first, string second) =>
        string.CompareOrdinal(first, second) <= 0 ? $"{first}|{second}" : $"{second}|{first}";

    /// <summary>The event names the <c>wait_for</c> steps await: what <see cref="LintFacts.RecentEvents"/> should answer for.</summary>
    public static IReadOnlySet<string> AwaitedEvents(IReadOnlyList<ParsedDocument> documents) =>
        Workspace.Of(documents).Journeys.SelectMany(journey => journey.Steps.OfType<WaitForStep>()).Select(wait => wait.Event).ToHashSet(StringComparer.Ordinal);

    /// <summary>The trait names the templates read: what <see cref="LintFacts.TraitKeys"/> should answer for.</summary>
    public static IReadOnlySet<string> TraitsRead(IReadOnlyList<ParsedDocument> documents) =>
        Workspace.Of(documents).Templates.SelectMany(template => TemplateTraits(template).Select(read => read.Trait)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The pairs of journeys whose overlap <see cref="LintFacts.Overlaps"/> should estimate, with the condition a contact
    /// in both audiences meets (null: everyone).
    /// </summary>
    public static IReadOnlyList<(string Key, Condition? Both)> OverlapQuestions(IReadOnlyList<ParsedDocument> documents) =>
        [.. CollidingPairs(Workspace.Of(documents)).Select(pair => (PairKey(pair.First.Id, pair.Second.Id), Both(pair.First.Entry.Audience, pair.Second.Entry.Audience)))];

    private static Condition? Both(Condition? first, Condition? second) =>
        (first, second) switch
        {
            (null, _) => second,
            (_, null) => first,
            _ => new AllCondition([first, second], first.Location),
        };

    private static IEnumerable<LintFinding> InvalidDocuments(IReadOnlyList<ParsedDocument> documents) =>
        documents.OfType<InvalidDocument>().SelectMany(document => document.Errors.Select(error =>
            new LintFinding(Codes.InvalidDocument, LintSeverity.Error, error.Message, [new LintSubject(document.Kind, document.Source, error.StepId, error.Line)])));

    private static LintSubject Subject(JourneyDefinition journey, string? step = null, int? line = null) => new(DocumentKind.Journey, journey.Id, step, line);

    private static LintSubject Subject(JourneyDefinition journey, JourneyStep step) => new(DocumentKind.Journey, journey.Id, step.Id, step.Location.Line);

    private static LintSubject Subject(TemplateDefinition template, int? line = null) => new(DocumentKind.Template, template.Id, null, line ?? template.Location.Line);

    private static LintSubject Subject(Policy policy) => new(DocumentKind.Policy, policy.Id, null, policy.Location.Line);

    /// <summary>The valid documents of one lint, by kind, and the policy in force (the <c>default</c> one, else the built-in rules).</summary>
    private sealed record Workspace(ImmutableArray<JourneyDefinition> Journeys, ImmutableArray<TemplateDefinition> Templates, ImmutableArray<SegmentDefinition> Segments, Policy Policy, bool PolicyRead)
    {
        public static Workspace Of(IReadOnlyList<ParsedDocument> documents)
        {
            var policy = documents.OfType<ParsedPolicy>().Select(document => document.Policy).FirstOrDefault(policy => policy.Id == Policy.DefaultId);
            return new Workspace(
                [.. documents.OfType<ParsedJourney>().Select(document => document.Journey).DistinctBy(journey => journey.Id, StringComparer.Ordinal)],
                [.. documents.OfType<ParsedTemplate>().Select(document => document.Template).DistinctBy(template => template.Id, StringComparer.Ordinal)],
                [.. documents.OfType<ParsedSegment>().Select(document => document.Segment).DistinctBy(segment => segment.Id, StringComparer.Ordinal)],
                policy ?? Policy.Default,
                policy is not null);
        }

        /// <summary>The templates that promotional journeys send (on a send step or as a fallback), with the steps sending them.</summary>
        public ILookup<string, (JourneyDefinition Journey, SendStep Step)> PromotionalSends() =>
            Journeys.Where(journey => journey.Category == JourneyCategory.Promotional)
                .SelectMany(journey => journey.Steps.OfType<SendStep>().SelectMany(step =>
                    step.Fallback.Select(fallback => fallback.Template).Prepend(step.Template).Distinct(StringComparer.Ordinal).Select(template => (Template: template, Journey: journey, Step: step))))
                .ToLookup(send => send.Template, send => (send.Journey, send.Step), StringComparer.Ordinal);
    }
}
