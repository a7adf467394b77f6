namespace Cairn.Core;

/// <summary>
/// Graph walks over what documents describe (journey steps, segments referring to segments), each with an explicit
/// stack: a chain is as long as a document makes it, and must not become a chain of calls.
/// </summary>
internal static class Graphs
{
    /// <summary>
    /// The strongly connected components (Tarjan), in the order they complete, each with its nodes in the order they
    /// were popped. Successors that are not nodes are ignored.
    /// </summary>
    public static List<List<string>> Components(IEnumerable<string> nodes, Func<string, IEnumerable<string>> successors)
    {
        var known = nodes.ToList();
        var isNode = known.ToHashSet(StringComparer.Ordinal);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var visiting = new Stack<(string Id, IEnumerator<string> Next)>();
        var components = new List<List<string>>();
        var counter = 0;

        void Open(string id)
        {
            index[id] = low[id] = counter++;
            stack.Push(id);
            onStack.Add(id);
            visiting.Push((id, successors(id).Where(isNode.Contains).GetEnumerator()));
        }

        foreach (var root in known)
        {
            if (index.ContainsKey(root))
            {
                continue;
            }

            Open(root);
            while (visiting.TryPeek(out var frame))
            {
                var (id, next) = frame;
                if (next.MoveNext())
                {
                    if (!index.TryGetValue(next.Current, out var nextIndex))
                    {
                        Open(next.Current);
                    }
                    else if (onStack.Contains(next.Current))
                    {
                        low[id] = Math.Min(low[id], nextIndex);
                    }

                    continue;
                }

                next.Dispose();
                visiting.Pop();
                if (visiting.TryPeek(out var caller))
                {
                    low[caller.Id] = Math.Min(low[caller.Id], low[id]);
                }

                if (low[id] == index[id])
                {
                    var component = new List<string>();
                    string member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member);
                        component.Add(member);
                    }
                    while (member != id);

                    components.Add(component);
                }
            }
        }

        return components;
    }

    /// <summary>
    /// A path from <paramref name="start"/> back to itself through nodes of <paramref name="within"/> (depth first,
    /// successors in their order), as the nodes around it starting and ending with <paramref name="start"/>; null
    /// when there is none.
    /// </summary>
    public static List<string>? CycleThrough(string start, Func<string, IEnumerable<string>> successors, IReadOnlySet<string> within)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        var path = new Stack<(string Id, IEnumerator<string> Next)>();
        path.Push((start, successors(start).GetEnumerator()));
        while (path.TryPeek(out var frame))
        {
            if (!frame.Next.MoveNext())
            {
                frame.Next.Dispose();
                path.Pop();
                continue;
            }

            var next = frame.Next.Current;
            if (next == start)
            {
                var cycle = path.Select(step => step.Id).Reverse().ToList();
                cycle.Add(start);
                return cycle;
            }

            if (within.Contains(next) && seen.Add(next))
            {
                path.Push((next, successors(next).GetEnumerator()));
            }
        }

        return null;
    }
}
