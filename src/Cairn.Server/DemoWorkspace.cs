using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Core.Journeys;
using Cairn.Core.Messages;
using Cairn.Runtime;
using Cairn.Runtime.Storage;

namespace Cairn.Server;

/// <summary>
/// The demo workspace of a first <c>cairn serve</c>: when the store is empty (no journey, no event), the example
/// templates and journeys are stored and published, and the example streams' contacts and events are ingested as
/// of now, and the example segments made live — so the inventory, profiles, segments, enrollments, statistics and
/// outbox show something at once. Message ids
/// are fixed, so a demo is never ingested twice.
/// </summary>
internal sealed partial class DemoWorkspace(CairnEngine engine, DocumentPublisher publisher, IDocumentStore documents, IEventLog events, TimeProvider time, ILogger<DemoWorkspace> logger) : IHostedService
{
    private const string Prefix = "demo/";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if ((await documents.ListDocumentsAsync("journey", cancellationToken).ConfigureAwait(false)).Count > 0
            || await events.CountEventsAsync(cancellationToken).ConfigureAwait(false) > 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var templates = Resources("templates/", ".yaml");
        foreach (var (name, text) in templates)
        {
            var template = DocumentParser.Parse<ParsedTemplate>(text, name).Template;
            await documents.SaveDraftAsync("template", template.Id, text, now, cancellationToken).ConfigureAwait(false);
            await publisher.SaveLiveDocumentAsync("template", template.Id, cancellationToken, backfill: false).ConfigureAwait(false);
        }

        var models = Resources("scoring/", ".yaml");
        foreach (var (name, text) in models)
        {
            var model = DocumentParser.Parse<ParsedScoringModel>(text, name).ScoringModel;
            await documents.SaveDraftAsync(DocumentParser.ScoringKind, model.Id, text, now, cancellationToken).ConfigureAwait(false);
            await publisher.SaveLiveDocumentAsync(DocumentParser.ScoringKind, model.Id, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (name, text) in Resources("sales/", ".yaml"))
        {
            var team = DocumentParser.Parse<ParsedSalesTeam>(text, name).SalesTeam;
            await documents.SaveDraftAsync(DocumentParser.SalesTeamKind, team.Id, text, now, cancellationToken).ConfigureAwait(false);
            await publisher.SaveLiveDocumentAsync(DocumentParser.SalesTeamKind, team.Id, cancellationToken, backfill: false).ConfigureAwait(false);
        }

        var segments = Resources("segments/", ".yaml");
        foreach (var (name, text) in segments)
        {
            var segment = DocumentParser.Parse<ParsedSegment>(text, name).Segment;
            await documents.SaveDraftAsync("segment", segment.Id, text, now, cancellationToken).ConfigureAwait(false);
            await publisher.SaveLiveDocumentAsync("segment", segment.Id, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (name, text) in Resources("policy/", ".yaml"))
        {
            var policy = DocumentParser.Parse<ParsedPolicy>(text, name).Policy;
            await documents.SaveDraftAsync(DocumentParser.PolicyKind, policy.Id, text, now, cancellationToken).ConfigureAwait(false);
            await publisher.SaveLiveDocumentAsync(DocumentParser.PolicyKind, policy.Id, cancellationToken, backfill: false).ConfigureAwait(false);
        }

        var journeys = Resources("journeys/", ".yaml");
        foreach (var (name, text) in journeys)
        {
            var journey = DocumentParser.Parse<ParsedJourney>(text, name).Journey;
            await documents.SaveDraftAsync("journey", journey.Id, text, now, cancellationToken).ConfigureAwait(false);
            await publisher.PublishJourneyAsync(journey.Id, ImmutableDictionary<string, string>.Empty, cancellationToken).ConfigureAwait(false);
        }

        // Profiles first, then each stream's events in their order, all as of now.
        var streams = Resources("streams/", ".ndjson").OrderBy(stream => stream.Name.EndsWith(".profiles.ndjson", StringComparison.Ordinal) ? 0 : 1).ThenBy(stream => stream.Name, StringComparer.Ordinal);
        var messages = new List<SegmentMessage>();
        foreach (var (name, text) in streams)
        {
            var line = 0;
            foreach (var json in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var node = JsonNode.Parse(json)!.AsObject();
                node["messageId"] = $"demo-{Path.GetFileNameWithoutExtension(name)}-{++line}";
                node["timestamp"] = now;
                using var document = JsonDocument.Parse(node.ToJsonString());
                if (!SegmentMessageReader.TryRead(document.RootElement, null, now, null, () => name, out var message, out var error))
                {
                    throw new InvalidOperationException($"The demo stream {name}:{line} is invalid: {error}");
                }

                messages.Add(message);
            }
        }

        await engine.IngestAsync(messages, cancellationToken).ConfigureAwait(false);
        LogSeeded(logger, journeys.Count, templates.Count, messages.Count);
        Console.WriteLine($"Demo workspace: {journeys.Count} journeys and {templates.Count} templates published, {segments.Count} live segments, {models.Count} scoring model{(models.Count == 1 ? string.Empty : "s")}, {messages.Count} example events ingested (cairn serve --no-demo starts empty).");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static List<(string Name, string Text)> Resources(string folder, string extension)
    {
        var assembly = typeof(DemoWorkspace).Assembly;
        return
        [
            .. assembly.GetManifestResourceNames()
                .Where(name => name.StartsWith(Prefix + folder, StringComparison.Ordinal) && name.EndsWith(extension, StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .Select(name =>
                {
                    using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
                    return (name[(Prefix.Length + folder.Length)..], reader.ReadToEnd());
                }),
        ];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded the demo workspace: {Journeys} journeys, {Templates} templates, {Events} events")]
    private static partial void LogSeeded(ILogger logger, int journeys, int templates, int events);
}
