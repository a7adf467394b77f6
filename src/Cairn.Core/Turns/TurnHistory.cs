using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;

namespace Cairn.Core.Turns;

/// <summary>A contact's history as a turn's conditions see it: the stored part a host read, with the batch's newer events in front.</summary>
internal static class TurnHistory
{
    /// <summary>
    /// <paramref name="added"/> (newest first) in front of <paramref name="stored"/> (newest first), without copying the
    /// stored part (nor regrouping it by name) — unless one of them is older than the newest stored event (a late
    /// timestamp), then all is sorted. Clauses folded from the store take the added events in too (on copies).
    /// </summary>
    public static IReadOnlyList<PastEvent> Combine(PastEvents stored, List<PastEvent> added, ContactState profile, DateTimeOffset now)
    {
        if (added.Count == 0)
        {
            return stored;
        }

        IReadOnlyDictionary<Condition, HistoryFold>? folds = null;
        if (stored.Folds is { } storedFolds)
        {
            var copies = storedFolds.ToDictionary(fold => fold.Key, fold => fold.Value.Copy(), (IEqualityComparer<Condition>)ReferenceEqualityComparer.Instance);
            var context = new EvaluationContext(profile, null, null, stored, now);
            foreach (var past in added)
            {
                foreach (var fold in copies.Values)
                {
                    if (fold.Event == past.Name)
                    {
                        fold.Add(past, context);
                    }
                }
            }

            folds = copies;
        }

        return stored.Count == 0 || added[^1].Timestamp >= stored[0].Timestamp
            ? new PastEvents(added, stored) { Folds = folds }
            : new PastEvents([.. added.Concat(stored).OrderByDescending(e => e.Timestamp)]) { Folds = folds };
    }
}
