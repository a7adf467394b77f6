using Cairn.Core.Lint;

namespace Cairn.Http;

/// <summary>A document a finding concerns: its kind and id, and the journey step and line when known.</summary>
internal sealed record LintSubjectView(string Kind, string Id, string? Step, int? Line);

/// <summary>One finding: its stable code, <c>error</c> or <c>warning</c>, what is wrong in words, and the documents concerned.</summary>
internal sealed record LintFindingView(string Code, string Severity, string Message, IReadOnlyList<LintSubjectView> Subjects);

/// <summary>The linter's answer: how many errors and warnings, and every finding (errors first).</summary>
internal sealed record LintView(int Errors, int Warnings, IReadOnlyList<LintFindingView> Findings)
{
    public static LintView Of(IEnumerable<LintFinding> findings)
    {
        var views = findings.Select(finding => new LintFindingView(
            finding.Code,
            finding.Severity == LintSeverity.Error ? "error" : "warning",
            finding.Message,
            [.. finding.Subjects.Select(subject => new LintSubjectView(subject.Kind, subject.Id, subject.Step, subject.Line))])).ToList();
        return new LintView(views.Count(view => view.Severity == "error"), views.Count(view => view.Severity == "warning"), views);
    }
}

/// <summary>
/// The journey linter (<c>/api/lint</c>, docs/lint.md): checks across every stored journey, template, segment and the
/// policy — colliding promotions, caps on the typical path, exits at entry, compliance of promotional messages, documents
/// nothing uses. A viewer may read the findings; drafts sent with <c>POST</c> are linted in place of the stored
/// documents and stored nowhere.
/// </summary>
internal static class LintEndpoints
{
    /// <summary>The largest body of drafts: 4 MB.</summary>
    internal const int MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>Maps <c>GET</c> and <c>POST /lint</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapLint(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/lint", GetAsync).WithTags("Lint")
            .WithSummary("Lints the stored documents (every journey, template, segment and the policy not archived, as their latest drafts). With kind and id, only the findings that concern that document.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapPost("/lint", PostAsync).WithTags("Lint").AllowViewer().NotAudited("checks documents and stores nothing")
            .WithSummary("Lints the stored documents with drafts in place of some: the body is a YAML list or JSON array of documents (at most 1,000, 4 MB), each replacing the stored document of its kind and id or added to them; nothing is stored. An empty body lints the stored documents. A draft that does not parse is an invalid-document finding.")
            .Accepts<string>("application/yaml", "application/json", "text/plain")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return api;
    }

    private static async Task<Results<Ok<LintView>, ProblemHttpResult>> GetAsync(string? kind, string? id, WorkspaceLinter linter, CancellationToken cancellationToken)
    {
        if ((kind is null) != (id is null))
        {
            return Problems.BadRequest("Give both kind and id to see the findings about one document, or neither to see them all.");
        }

        var findings = await linter.LintAsync([], cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(LintView.Of(kind is null ? findings : findings.Where(finding => finding.Concerns(kind, id!))));
    }

    private static async Task<Results<Ok<LintView>, ProblemHttpResult>> PostAsync(HttpContext context, WorkspaceLinter linter)
    {
        var cancellationToken = context.RequestAborted;
        var body = await RequestBody.ReadAsync(context.Request, MaxBodyBytes, "4 MB", cancellationToken).ConfigureAwait(false);
        List<(string Source, string Text)> drafts = [];
        if (body.Length > 0)
        {
            if (!DocumentFlow.SendsDocument(context.Request))
            {
                return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the drafts as application/yaml or application/json.");
            }

            string text;
            try
            {
                text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
            }
            catch (DecoderFallbackException)
            {
                return Problems.BadRequest("The body is not valid UTF-8.");
            }

            if (!DocumentList.TrySplit(text, out var documents, out var error))
            {
                return Problems.BadRequest($"The body is not a list of documents: {error}.");
            }

            drafts = [.. documents.Select((document, index) => ($"draft {index + 1}", document))];
        }

        return TypedResults.Ok(LintView.Of(await linter.LintAsync(drafts, cancellationToken).ConfigureAwait(false)));
    }
}
