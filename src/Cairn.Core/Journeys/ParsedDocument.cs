using System.Collections.Immutable;
using Cairn.Core.Orchestration;
using Cairn.Core.Sales;
using Cairn.Core.Scoring;
using Cairn.Core.Segments;

namespace Cairn.Core.Journeys;

/// <summary>
/// What one document is once read (<see cref="DocumentParser.Parse(string, string)"/>): exactly one definition of its
/// kind with no errors — <see cref="ParsedJourney"/>, <see cref="ParsedTemplate"/>, <see cref="ParsedSegment"/>,
/// <see cref="ParsedScoringModel"/>, <see cref="ParsedSalesTeam"/>, <see cref="ParsedPolicy"/> — or an
/// <see cref="InvalidDocument"/> carrying every error found.
/// </summary>
/// <remarks>
/// The hierarchy is closed: only this assembly derives from it, and every kind is a sealed record. Pattern matching
/// reads one kind (<c>parsed is ParsedSegment { Segment: var segment }</c>); <see cref="Match{TResult}"/> takes one
/// function per kind, so code that must handle every kind stops compiling when a kind is added.
/// </remarks>
public abstract record ParsedDocument
{
    private protected ParsedDocument(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source;
    }

    /// <summary>The file (or other source name) the document was read from; errors name it.</summary>
    public string Source { get; }

    /// <summary>
    /// The document's kind (<see cref="DocumentParser.JourneyKind"/>, <see cref="DocumentParser.TemplateKind"/> …); for an
    /// invalid document, the kind it declares (<c>journey</c> when it declares none), which may be no kind at all.
    /// </summary>
    public abstract string Kind { get; }

    /// <summary>The definition's id; null for an invalid document.</summary>
    public abstract string? Id { get; }

    /// <summary>Every error found; empty unless the document is an <see cref="InvalidDocument"/>.</summary>
    public virtual ImmutableArray<DocumentError> Errors => [];

    /// <summary>Calls the function for the document's kind and returns what it returns.</summary>
    public TResult Match<TResult>(
        Func<ParsedJourney, TResult> journey,
        Func<ParsedTemplate, TResult> template,
        Func<ParsedSegment, TResult> segment,
        Func<ParsedScoringModel, TResult> scoringModel,
        Func<ParsedSalesTeam, TResult> salesTeam,
        Func<ParsedPolicy, TResult> policy,
        Func<InvalidDocument, TResult> invalid)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(segment);
        ArgumentNullException.ThrowIfNull(scoringModel);
        ArgumentNullException.ThrowIfNull(salesTeam);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(invalid);
        return this switch
        {
            ParsedJourney document => journey(document),
            ParsedTemplate document => template(document),
            ParsedSegment document => segment(document),
            ParsedScoringModel document => scoringModel(document),
            ParsedSalesTeam document => salesTeam(document),
            ParsedPolicy document => policy(document),
            InvalidDocument document => invalid(document),
            _ => throw new System.Diagnostics.UnreachableException($"{GetType().Name} is not a kind of document."),
        };
    }
}

/// <summary>A journey document (<c>kind: journey</c>, or no kind).</summary>
public sealed record ParsedJourney(string Source, JourneyDefinition Journey) : ParsedDocument(Source)
{
    /// <inheritdoc/>
    public override string Kind => DocumentParser.JourneyKind;

    /// <inheritdoc/>
    public override string Id => Journey.Id;
}

/// <summary>A message template (<c>kind: template</c>), checked against its sample data.</summary>
public sealed record ParsedTemplate(string Source, TemplateDefinition Template) : ParsedDocument(Source)
{
    /// <inheritdoc/>
    public override string Kind => DocumentParser.TemplateKind;

    /// <inheritdoc/>
    public override string Id => Template.Id;
}

/// <summary>A segment (<c>kind: segment</c>): a condition over contacts, or a static list.</summary>
public sealed record ParsedSegment(string Source, SegmentDefinition Segment) : ParsedDocument(Source)
{
    /// <inheritdoc/>
    public override string Kind => DocumentParser.SegmentKind;

    /// <inheritdoc/>
    public override string Id => Segment.Id;
}

/// <summary>A lead scoring model (<c>kind: scoring_model</c>).</summary>
public sealed record ParsedScoringModel(string Source, ScoringModel ScoringModel) : ParsedDocument(Source)
{
    /// <inheritdoc/>
    public override string Kind => DocumentParser.ScoringKind;

    /// <inheritdoc/>
    public override string Id => ScoringModel.Id;
}

/// <summary>A sales team (<c>kind: sales_team</c>): owners, routing and the hand-off SLA.</summary>
public sealed record ParsedSalesTeam(string Source, SalesTeam SalesTeam) : ParsedDocument(Source)
{
    /// <inheritdoc/>
    public override string Kind => DocumentParser.SalesTeamKind;

    /// <inheritdoc/>
    public override string Id => SalesTeam.Id;
}

/// <summary>The orchestrator's policy (<c>kind: policy</c>).</summary>
public sealed record ParsedPolicy(string Source, Policy Policy) : ParsedDocument(Source)
{
    /// <inheritdoc/>
    public override string Kind => DocumentParser.PolicyKind;

    /// <inheritdoc/>
    public override string Id => Policy.Id;
}

/// <summary>A document that is not a definition: its errors (never empty), and the kind it declares.</summary>
public sealed record InvalidDocument : ParsedDocument
{
    /// <summary>An invalid document of <paramref name="kind"/> with <paramref name="errors"/> (at least one).</summary>
    public InvalidDocument(string source, string kind, ImmutableArray<DocumentError> errors)
        : base(source)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (errors.IsDefaultOrEmpty)
        {
            throw new ArgumentException("An invalid document has at least one error.", nameof(errors));
        }

        Kind = kind;
        Errors = errors;
    }

    /// <inheritdoc/>
    public override string Kind { get; }

    /// <inheritdoc/>
    public override string? Id => null;

    /// <inheritdoc/>
    public override ImmutableArray<DocumentError> Errors { get; }
}
