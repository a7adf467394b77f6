using Cairn.Core;
using Cairn.Core.Journeys;
using Cairn.Core.Lint;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>
/// Lints the workspace's documents (<see cref="Linter"/>): every stored journey, template, segment and the policy that
/// is not archived, as its latest draft (what is or will be live), with the documents a caller sends in their place,
/// and the facts only the stores know — the awaited events sent in the last 30 days, the traits templates read that
/// some contact has, and how many contacts colliding journeys' audiences share (the segment preview's count, estimated
/// from a sample on large workspaces). Reads only.
/// </summary>
/// <param name="documents">The document store.</param>
/// <param name="events">The event log.</param>
/// <param name="contacts">The contact store.</param>
/// <param name="previewer">The segment preview.</param>
/// <param name="time">The clock (the 30 days end now).</param>
public sealed class WorkspaceLinter(IDocumentStore documents, IEventLog events, IContactStore contacts, SegmentPreviewer previewer, TimeProvider time)
{
    /// <summary>How far back an awaited event counts as sent: 30 days.</summary>
    public static readonly TimeSpan RecentWindow = TimeSpan.FromDays(30);

    /// <summary>The most events, traits and journey pairs asked about per lint (each is a query): 200 each; the rest count as known.</summary>
    public const int MaxQuestions = 200;

    private static readonly string[] Kinds = [DocumentKind.Journey, DocumentKind.Template, DocumentKind.Segment, DocumentKind.Policy];

    /// <summary>
    /// The findings over the stored documents, each of <paramref name="drafts"/> (source name and text) replacing the
    /// stored document of its kind and id or adding to them; documents that do not parse are findings too.
    /// </summary>
    public async Task<IReadOnlyList<LintFinding>> LintAsync(IReadOnlyList<(string Source, string Text)> drafts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        var sent = drafts.Select(draft => DocumentParser.Parse(draft.Text, draft.Source)).ToList();
        var replaced = sent.Where(document => document.Id is not null).Select(document => (document.Kind, document.Id!)).ToHashSet();
        var parsed = new List<ParsedDocument>();
        foreach (var kind in Kinds)
        {
            foreach (var stored in await documents.ListDocumentsAsync(kind, cancellationToken).ConfigureAwait(false))
            {
                if (stored.Status != DocumentStatus.Archived && !replaced.Contains((kind, stored.Id)))
                {
                    parsed.Add(DocumentParser.Parse(stored.Draft, $"{kind} '{stored.Id}'"));
                }
            }
        }

        parsed.AddRange(sent);
        var facts = new LintFacts(
            await RecentEventsAsync(Linter.AwaitedEvents(parsed), cancellationToken).ConfigureAwait(false),
            await TraitKeysAsync(Linter.TraitsRead(parsed), cancellationToken).ConfigureAwait(false),
            await OverlapsAsync(Linter.OverlapQuestions(parsed), cancellationToken).ConfigureAwait(false));
        return Linter.Lint(parsed, facts, reportInvalid: true);
    }

    private async Task<IReadOnlySet<string>> RecentEventsAsync(IReadOnlySet<string> awaited, CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow() - RecentWindow;
        var seen = new HashSet<string>(awaited.Order(StringComparer.Ordinal).Skip(MaxQuestions), StringComparer.Ordinal);
        foreach (var name in awaited.Order(StringComparer.Ordinal).Take(MaxQuestions))
        {
            if ((await events.GetEventTimesAsync([name], since, 1, cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                seen.Add(name);
            }
        }

        return seen;
    }

    private async Task<IReadOnlySet<string>> TraitKeysAsync(IReadOnlySet<string> read, CancellationToken cancellationToken)
    {
        var had = new HashSet<string>(read.Order(StringComparer.Ordinal).Skip(MaxQuestions), StringComparer.Ordinal);
        foreach (var trait in read.Order(StringComparer.Ordinal).Take(MaxQuestions))
        {
            if ((await contacts.FindContactsByTraitAsync(trait, null, null, 1, cancellationToken).ConfigureAwait(false)).Items.Count > 0)
            {
                had.Add(trait);
            }
        }

        return had;
    }

    private async Task<IReadOnlyDictionary<string, AudienceOverlap>> OverlapsAsync(IReadOnlyList<(string Key, Condition? Both)> questions, CancellationToken cancellationToken)
    {
        var overlaps = new Dictionary<string, AudienceOverlap>(StringComparer.Ordinal);
        foreach (var (key, both) in questions.Take(MaxQuestions))
        {
            if (both is null)
            {
                var population = await contacts.CountContactsAsync(cancellationToken).ConfigureAwait(false);
                overlaps[key] = new AudienceOverlap(population, true, 0, population);
                continue;
            }

            var preview = await previewer.PreviewSegmentAsync(both, 0, cancellationToken).ConfigureAwait(false);
            overlaps[key] = new AudienceOverlap(preview.Count, preview.Exact, preview.Margin, preview.Population);
        }

        return overlaps;
    }
}
