namespace Cairn.Http;

/// <summary>
/// What the console's journey pages read besides the documents: the inventory's recent activity (entries, conversions
/// and reviews over the last 7 and 30 days, counted on indexes), a journey's version history with who published each
/// version, and the JSON Schema of journey documents (the one the documentation publishes), from which the canvas
/// builds its step forms.
/// </summary>
internal static class JourneyConsoleEndpoints
{
    private static readonly Lazy<string> Schema = new(() =>
    {
        using var stream = typeof(JourneyConsoleEndpoints).Assembly.GetManifestResourceStream("Cairn.Http.journey.schema.json")
            ?? throw new InvalidOperationException("The journey schema is not embedded.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });

    /// <summary>Maps <c>/journeys/activity</c>, <c>/journeys/{id}/versions</c> and <c>/schemas/journey</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapJourneyConsole(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/journeys/activity", ActivityAsync).WithTags("Journeys")
            .WithSummary("Every journey's entries and conversions over the last 7 and 30 days, enrollments ended for review in those windows, and its error exits of all time; counted on indexes of the enrollment rows, not by reading contacts.");
        api.MapGet("/journeys/{id}/versions", VersionsAsync).WithTags("Journeys")
            .WithSummary("A journey's published versions, newest first: when and by whom (a user's email, or the API key's name) each was published, and its document.");
        api.MapGet("/schemas/journey", () => TypedResults.Text(Schema.Value, "application/schema+json", Encoding.UTF8)).WithTags("Journeys")
            .WithSummary("The JSON Schema of a journey document (docs/schemas/journey.schema.json).");
        return api;
    }

    private static async Task<Ok<IEnumerable<JourneyActivityView>>> ActivityAsync(IJourneyIndex journeyIndex, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var activity = await journeyIndex.GetJourneyActivityAsync(now.AddDays(-7), now.AddDays(-30), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(activity.Select(a => new JourneyActivityView(a.JourneyId, a.Entries7, a.Entries30, a.Conversions7, a.Conversions30, a.Reviews7, a.Reviews30, a.Errors)));
    }

    private static async Task<Results<Ok<IEnumerable<JourneyVersionView>>, ProblemHttpResult>> VersionsAsync(string id, IDocumentStore documentStore, CancellationToken cancellationToken)
    {
        if (await documentStore.GetDocumentAsync(DocumentParser.JourneyKind, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"There is no journey '{id}'.");
        }

        var versions = await documentStore.GetVersionsAsync(DocumentParser.JourneyKind, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(versions
            .Where(version => version.Id == id)
            .OrderByDescending(version => version.Version)
            .Select(version => new JourneyVersionView(version.Version, version.PublishedAt, version.PublishedBy, version.Body)));
    }
}

/// <summary>A journey's recent activity in the inventory: the last 7 and 30 days, and errors of all time.</summary>
internal sealed record JourneyActivityView(string Id, long Entries7d, long Entries30d, long Conversions7d, long Conversions30d, long Reviews7d, long Reviews30d, long Errors);

/// <summary>A published version of a journey: when, by whom (null when not recorded), and its document.</summary>
internal sealed record JourneyVersionView(int Version, DateTimeOffset PublishedAt, string? PublishedBy, string Document);
