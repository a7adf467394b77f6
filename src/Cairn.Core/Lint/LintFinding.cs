using System.Collections.Immutable;

namespace Cairn.Core.Lint;

/// <summary>How bad a finding is: an error fails <c>cairn lint</c> (exit 1); a warning does not.</summary>
public enum LintSeverity
{
    /// <summary>Breaks the law, a mailbox provider's rules, or the journey itself: fix before publishing.</summary>
    Error,

    /// <summary>Probably not what was meant: worth a look.</summary>
    Warning,
}

/// <summary>A document a finding concerns, and where in it when known.</summary>
/// <param name="Kind">The document kind (<c>journey</c>, <c>template</c>, <c>segment</c>, <c>policy</c>).</param>
/// <param name="Id">The document id.</param>
/// <param name="Step">The journey step concerned, when one is.</param>
/// <param name="Line">The 1-based line in the document, when known.</param>
public sealed record LintSubject(string Kind, string Id, string? Step, int? Line);

/// <summary>One finding of the linter.</summary>
/// <param name="Code">The check's stable code (e.g. <c>goal-is-trigger</c>); see docs/lint.md.</param>
/// <param name="Severity">Error or warning.</param>
/// <param name="Message">What is wrong and why, in plain words.</param>
/// <param name="Subjects">The documents it concerns, the first being the one to fix.</param>
public sealed record LintFinding(string Code, LintSeverity Severity, string Message, ImmutableArray<LintSubject> Subjects)
{
    /// <summary>True when the finding concerns the document <paramref name="kind"/> <paramref name="id"/>.</summary>
    public bool Concerns(string kind, string id) => Subjects.Any(subject => subject.Kind == kind && subject.Id == id);

    /// <summary>One line: <c>error goal-is-trigger journey 'x' step 'y' (line 3): message</c>.</summary>
    public override string ToString() =>
        $"{(Severity == LintSeverity.Error ? "error" : "warning")} {Code} {string.Join(", ", Subjects.Select(Describe))}: {Message}";

    private static string Describe(LintSubject subject) =>
        $"{subject.Kind} '{subject.Id}'{(subject.Step is { } step ? $" step '{step}'" : string.Empty)}{(subject.Line is { } line ? $" (line {line})" : string.Empty)}";
}

/// <summary>
/// How many contacts two promotional journeys' audiences share, as the segment preview measured it (an estimate from a
/// sample on large workspaces).
/// </summary>
/// <param name="Count">Contacts matching both audiences.</param>
/// <param name="Exact">True when every contact was evaluated.</param>
/// <param name="Margin">The 95 % margin of error of <paramref name="Count"/> (0 when exact).</param>
/// <param name="Population">Contacts in the workspace.</param>
public sealed record AudienceOverlap(long Count, bool Exact, long Margin, long Population);

/// <summary>
/// What the host knows beyond the documents, for the checks that need it. A null fact is unknown (linting local files):
/// the checks reading it are skipped, never guessed.
/// </summary>
/// <param name="RecentEvents">The event names (of those <see cref="Linter.AwaitedEvents"/> asks about) some source sent in the last 30 days.</param>
/// <param name="TraitKeys">The trait names (of those <see cref="Linter.TraitsRead"/> asks about) at least one contact has.</param>
/// <param name="Overlaps">The audience overlap of pairs of journeys, by <see cref="Linter.PairKey"/>.</param>
public sealed record LintFacts(IReadOnlySet<string>? RecentEvents, IReadOnlySet<string>? TraitKeys, IReadOnlyDictionary<string, AudienceOverlap>? Overlaps)
{
    /// <summary>Nothing known besides the documents.</summary>
    public static LintFacts None { get; } = new(null, null, null);
}
